// Array traits on the wire: `{view: DataView, dtype, shape}` → typed array over the same bytes.
import type { WireArray } from "./types";

export type Decoded = Float32Array | Uint8Array | Uint16Array | Int32Array | Uint32Array;

type Ctor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): Decoded;
  new (length: number): Decoded;
  BYTES_PER_ELEMENT: number;
};

const CTORS: Record<string, Ctor> = {
  float32: Float32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
};

export const DTYPES = Object.keys(CTORS);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isWire(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * The typed array a wire value holds. No copy when the view is aligned to the element size;
 * a copy when it is not (typed arrays cannot start at an unaligned offset). Throws an Error
 * saying what is wrong for an unknown dtype, a bad shape or a byte length that does not match.
 */
export function decode(wire: WireArray | unknown, name = "array"): Decoded {
  if (!isWire(wire)) throw new Error(`${name}: expected {view, dtype, shape}, got ${String(wire)}`);
  const { view, dtype, shape } = wire;
  const ctor = typeof dtype === "string" ? CTORS[dtype] : undefined;
  if (!ctor) {
    throw new Error(`${name}: unsupported dtype ${JSON.stringify(dtype)} (use one of ${DTYPES.join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${name}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let buffer: ArrayBufferLike;
  let byteOffset = 0;
  let byteLength: number;
  if (view instanceof ArrayBuffer) {
    buffer = view;
    byteLength = view.byteLength;
  } else if (ArrayBuffer.isView(view)) {
    ({ buffer, byteOffset, byteLength } = view);
  } else {
    throw new Error(`${name}: view must be a DataView or ArrayBuffer, got ${typeof view}`);
  }
  if (!LITTLE_ENDIAN && ctor.BYTES_PER_ELEMENT > 1) {
    throw new Error(`${name}: this browser is big-endian; the wire format is little-endian`);
  }
  const length = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = length * ctor.BYTES_PER_ELEMENT;
  if (byteLength !== expected) {
    throw new Error(
      `${name}: ${byteLength} bytes do not match shape [${shape.join(", ")}] of ${dtype} (${expected} bytes)`,
    );
  }
  if (byteOffset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(buffer, byteOffset, length);
  const copy = new Uint8Array(byteLength);
  copy.set(new Uint8Array(buffer, byteOffset, byteLength));
  return new ctor(copy.buffer, 0, length);
}

/** `decode`, but an absent value (`null`, `undefined`, `{}`) means "no array" (null). */
export function decodeOptional(wire: unknown, name = "array"): Decoded | null {
  if (wire === null || wire === undefined) return null;
  if (isWire(wire) && Object.keys(wire).length === 0) return null;
  return decode(wire, name);
}

/** Rows (e.g. a selection) as a little-endian uint32 buffer for a command's `buffers`. */
export function encodeRows(rows: ArrayLike<number>): { rows: Uint32Array; buffer: DataView } {
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) throw new Error(`row ${r} is not a uint32`);
    out[i] = r;
  }
  const buffer = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (!LITTLE_ENDIAN) for (let i = 0; i < out.length; i++) buffer.setUint32(i * 4, out[i], true);
  return { rows: out, buffer };
}

/** Message buffers as DataViews (hosts hand over DataView, ArrayBuffer or typed arrays). */
export function asViews(buffers: unknown): DataView[] {
  if (!Array.isArray(buffers)) return [];
  return buffers.flatMap((b) => {
    if (b instanceof DataView) return [b];
    if (b instanceof ArrayBuffer) return [new DataView(b)];
    if (ArrayBuffer.isView(b)) return [new DataView(b.buffer, b.byteOffset, b.byteLength)];
    return [];
  });
}
