import { describe, expect, it } from "vitest";
import { decode, decodeOptional, encodeRows } from "../src/buffers";

function wire(array: ArrayBufferView, dtype: string, shape: number[], offset = 0) {
  // copy the array's bytes into a bigger buffer at `offset`, as a DataView
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const buffer = new ArrayBuffer(bytes.length + offset + 8);
  new Uint8Array(buffer).set(bytes, offset);
  return { view: new DataView(buffer, offset, bytes.length), dtype, shape };
}

describe("decode", () => {
  const cases: [string, ArrayBufferView & ArrayLike<number>, unknown][] = [
    ["float32", new Float32Array([1.5, -2, 0.25, 3]), Float32Array],
    ["uint8", new Uint8Array([0, 1, 255, 7]), Uint8Array],
    ["uint16", new Uint16Array([0, 1, 65535, 300]), Uint16Array],
    ["int32", new Int32Array([-1, 0, 2 ** 31 - 1, -(2 ** 31)]), Int32Array],
    ["uint32", new Uint32Array([0, 1, 2 ** 32 - 1, 42]), Uint32Array],
  ];

  for (const [dtype, array, ctor] of cases) {
    it(`decodes ${dtype} over the same memory when aligned`, () => {
      const w = wire(array, dtype, [2, 2], 8);
      const out = decode(w);
      expect(out).toBeInstanceOf(ctor);
      expect(Array.from(out)).toEqual(Array.from(array));
      expect(out.buffer).toBe(w.view.buffer); // no copy
      expect(out.byteOffset).toBe(8);
    });
  }

  it("copies when the offset is not aligned to the element size", () => {
    const array = new Float32Array([1, 2, 3]);
    const w = wire(array, "float32", [3], 1);
    const out = decode(w);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(out.buffer).not.toBe(w.view.buffer);
  });

  it("does not copy unaligned uint8 (element size 1)", () => {
    const w = wire(new Uint8Array([9, 8, 7]), "uint8", [3], 3);
    const out = decode(w);
    expect(out.buffer).toBe(w.view.buffer);
    expect(Array.from(out)).toEqual([9, 8, 7]);
  });

  it("accepts an empty array", () => {
    const out = decode({ view: new DataView(new ArrayBuffer(0)), dtype: "int32", shape: [0] });
    expect(out).toBeInstanceOf(Int32Array);
    expect(out.length).toBe(0);
  });

  it("accepts an ArrayBuffer or a typed array as the view", () => {
    expect(Array.from(decode({ view: new Float32Array([1, 2]).buffer, dtype: "float32", shape: [2] }))).toEqual([1, 2]);
    expect(Array.from(decode({ view: new Uint16Array([5, 6]), dtype: "uint16", shape: [1, 2] }))).toEqual([5, 6]);
  });

  it("rejects a byte length that does not match the shape", () => {
    const w = wire(new Float32Array([1, 2, 3]), "float32", [2, 2]);
    expect(() => decode(w, "points")).toThrow(/points: 12 bytes do not match shape \[2, 2\] of float32 \(16 bytes\)/);
  });

  it("rejects an unknown dtype", () => {
    const w = wire(new Float64Array([1]), "float64", [1]);
    expect(() => decode(w)).toThrow(/unsupported dtype "float64"/);
  });

  it("rejects bad shapes and non-objects", () => {
    const view = new DataView(new ArrayBuffer(4));
    expect(() => decode({ view, dtype: "uint8", shape: [-4] })).toThrow(/shape must be/);
    expect(() => decode({ view, dtype: "uint8", shape: "4" as unknown as number[] })).toThrow(/shape must be/);
    expect(() => decode({ view, dtype: "uint8", shape: [1.5] })).toThrow(/shape must be/);
    expect(() => decode(null)).toThrow(/expected \{view, dtype, shape\}/);
    expect(() => decode({ view: [1, 2], dtype: "uint8", shape: [2] })).toThrow(/DataView/);
  });

  it("decodeOptional treats missing values as no array", () => {
    expect(decodeOptional(undefined)).toBeNull();
    expect(decodeOptional(null)).toBeNull();
    expect(decodeOptional({})).toBeNull();
    expect(() => decodeOptional({ dtype: "x" })).toThrow();
  });
});

describe("encodeRows", () => {
  it("packs rows as little-endian uint32", () => {
    const { rows, buffer } = encodeRows([0, 5, 4294967295]);
    expect(rows).toBeInstanceOf(Uint32Array);
    expect(buffer.byteLength).toBe(12);
    expect(buffer.getUint32(4, true)).toBe(5);
    expect(buffer.getUint32(8, true)).toBe(4294967295);
  });

  it("round-trips through decode", () => {
    const { buffer } = encodeRows([3, 1, 2]);
    expect(Array.from(decode({ view: buffer, dtype: "uint32", shape: [3] }))).toEqual([3, 1, 2]);
  });

  it("rejects rows that are not uint32", () => {
    expect(() => encodeRows([-1])).toThrow(/not a uint32/);
    expect(() => encodeRows([1.5])).toThrow(/not a uint32/);
  });
});
