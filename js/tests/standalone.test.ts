import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decode, encodeRows } from "../src/buffers";
import { Channel, REPLY, REQUEST } from "../src/call";
import type { MapTraits, Scatter, ScatterEvents } from "../src/map/types";
import { STANDALONE_NOTE, renderMap } from "../src/map/widget";
import { decodeState, fromBase64, type HoverData, LocalMap, LocalModel, QUERY_REFUSED } from "../src/standalone/local";
import { byTestId, flush, renderProps } from "./helpers";

const HOSTILE = "</script><img src=x onerror=window.__xss=1>";

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function saved(array: Float32Array | Uint8Array | Int32Array, dtype: string, shape: number[]) {
  return { base64: b64(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)), dtype, shape };
}

const HOVER: HoverData = {
  texts: ["alpha", HOSTILE, "gamma", "delta"],
  collections: ["docs", "docs", "faq", "faq"],
  ids: [10, 11, 0, 1],
};

function savedState(standalone = true) {
  return {
    points: saved(new Float32Array([-1, -1, 0, 0, 1, 1, 0.5, -0.5]), "float32", [4, 2]),
    category: saved(new Uint8Array([0, 1, 1, 0]), "uint8", [4]),
    legend: [{ label: "docs", color: "#1f77b4" }, { label: "faq", color: "#ff7f0e" }],
    labels: [],
    color_by: "collection",
    highlight: saved(new Int32Array(0), "int32", [0]),
    query_point: [],
    query_label: "",
    status: "4 points · PCA · docs, faq",
    error: "",
    created_at: 0,
    height: 300,
    standalone,
  };
}

function local(standalone = true) {
  const python = new LocalMap(HOVER, () => 123);
  const model = new LocalModel(decodeState(savedState(standalone)) as unknown as MapTraits, python.answer);
  return { python, model };
}

describe("saved state", () => {
  it("decodes base64 arrays into wire values and keeps the rest", () => {
    const state = decodeState(savedState());
    const points = decode(state.points, "points");
    expect(points).toBeInstanceOf(Float32Array);
    expect(Array.from(points)).toEqual([-1, -1, 0, 0, 1, 1, 0.5, -0.5]);
    expect(Array.from(decode(state.category))).toEqual([0, 1, 1, 0]);
    expect(decode(state.highlight)).toHaveLength(0);
    expect(state.legend).toEqual(savedState().legend);
    expect(state.standalone).toBe(true);
    expect(Array.from(fromBase64(b64(new Uint8Array([0, 255, 7]))))).toEqual([0, 255, 7]);
  });

  it("refuses an array whose bytes do not match its shape, naming the trait", () => {
    const bad = { ...savedState(), points: { ...savedState().points, shape: [5, 2] } };
    expect(() => decodeState(bad)).toThrow(/^points: 32 bytes do not match shape \[5, 2\]/);
    expect(() => decodeState([1])).toThrow("the saved state is not a JSON object");
  });

  it("refuses hover data whose lists differ in length", () => {
    expect(() => new LocalMap({ texts: ["a"], collections: [], ids: [] })).toThrow(/1 texts, 0 collections/);
  });
});

describe("local model", () => {
  it("gets, sets with change events, and unsubscribes", () => {
    const { model } = local();
    const seen: string[] = [];
    const onStatus = () => seen.push(model.get("status"));
    model.on("change:status", onStatus);
    model.set("status", "changed");
    model.set("status", "changed"); // no change, no event
    model.off("change:status", onStatus);
    model.set("status", "again");
    expect(seen).toEqual(["changed"]);
    model.save_changes();
    expect(model.saved).toBe(1);
    model.on("change:error", onStatus);
    model.off();
    expect(model.listenerCount()).toBe(0);
  });

  it("answers requests asynchronously on msg:custom, as the kernel does", async () => {
    const { model } = local();
    const got: unknown[] = [];
    model.on("msg:custom", (content) => got.push(content));
    model.send({ kind: REQUEST, id: "r1", name: "hover", msg: { row: 1 } });
    expect(got).toEqual([]);
    await flush();
    expect(got).toEqual([
      { kind: REPLY, id: "r1", ok: true, reply: { row: 1, text: HOSTILE, collection: "docs", id: 11, metadata: {} } },
    ]);
    model.send({ kind: REQUEST, id: "r2", name: "nope", msg: {} });
    model.send({ kind: REQUEST, id: "r3", name: "hover", msg: "row 1" });
    model.send({ kind: "other", id: "r4" });
    model.send({ kind: REQUEST, name: "hover", msg: { row: 1 } }); // no id: nothing to answer
    await flush();
    expect(got.slice(1)).toEqual([
      { kind: REPLY, id: "r2", ok: false, error: 'unknown command "nope" (this widget has: hover, hover_texts, painted, query, select)' },
      { kind: REPLY, id: "r3", ok: false, error: "a command message must be a JSON object" },
      { kind: REPLY, id: "r4", ok: false, error: "not a widget request" },
    ]);
  });
});

describe("local commands through the map's channel", () => {
  it("hover_texts: parallel lists of a chunk, fewer at the end, refusals as Python's", async () => {
    const { model } = local();
    const channel = new Channel(model);
    const { reply } = await channel.call("hover_texts", { start: 2, count: 512 }, { timeoutMs: 1000 });
    expect(reply).toEqual({ start: 2, texts: ["gamma", "delta"], collections: ["faq", "faq"], ids: [0, 1] });
    await expect(channel.call("hover_texts", { start: 4, count: 1 }, { timeoutMs: 1000 })).rejects.toThrow("row 4 is not on this map (0..3)");
    await expect(channel.call("hover_texts", { start: 0, count: 1025 }, { timeoutMs: 1000 })).rejects.toThrow("hover_texts takes 1 to 1024 rows, got 1025");
    await expect(channel.call("hover_texts", { start: 0 }, { timeoutMs: 1000 })).rejects.toThrow("missing field 'count'");
    channel.close();
  });

  it("select stores the rows and replies their count; inconsistent ones change nothing", async () => {
    const { model, python } = local();
    const channel = new Channel(model);
    const call = (msg: unknown, buffers: ArrayBufferView[]) => channel.call("select", msg, { timeoutMs: 1000, buffers });
    expect((await call({ count: 2 }, [encodeRows([3, 1]).buffer])).reply).toEqual({ count: 2 });
    expect(python.selected).toEqual([3, 1]);
    await expect(call({ count: 1 }, [encodeRows([4]).buffer])).rejects.toThrow("selected row 4 is not on this map");
    await expect(call({ count: 2 }, [encodeRows([1]).buffer])).rejects.toThrow("selection says 2 rows but carries 1");
    await expect(call({ count: 5 }, [])).rejects.toThrow("a selection of 5 rows cannot come from a map of 4 points");
    await expect(call({ count: 1 }, [new Uint8Array(3)])).rejects.toThrow("a selection buffer of 3 bytes is not uint32 rows");
    expect(python.selected).toEqual([3, 1]);
    expect((await call({ count: 0 }, [])).reply).toEqual({ count: 0 });
    expect(python.selected).toEqual([]);
    channel.close();
  });

  it("painted replies once with the time; query is refused with one line", async () => {
    const { model, python } = local();
    const channel = new Channel(model);
    expect((await channel.call("painted", { at: 5 }, { timeoutMs: 1000 })).reply).toEqual({ first_paint_ms: 123 });
    expect(python.firstPaintMs).toBe(123);
    await expect(channel.call("query", { text: "x", k: 3 }, { timeoutMs: 1000 })).rejects.toThrow(QUERY_REFUSED);
    channel.close();
  });
});

class TinyScatter implements Scatter {
  readonly handlers: { [E in keyof ScatterEvents]?: ScatterEvents[E][] } = {};
  async draw() {}
  style() {}
  setMode() {}
  resize() {}
  view() {
    return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  }
  on<E extends keyof ScatterEvents>(event: E, handler: ScatterEvents[E]) {
    ((this.handlers[event] ??= []) as ScatterEvents[E][]).push(handler);
  }
  emit<E extends keyof ScatterEvents>(event: E, ...args: Parameters<ScatterEvents[E]>) {
    for (const h of this.handlers[event] ?? []) (h as (...a: unknown[]) => void)(...args);
  }
  destroy() {}
}

describe("the map on a local model", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("disables the query box with a note, hovers and selects with no kernel", async () => {
    const { model, python } = local();
    const scatter = new TinyScatter();
    const cleanup = renderMap(renderProps(model, el), () => scatter);
    await flush();
    for (const id of ["map-query", "map-k", "map-search-mode", "map-find"]) expect((byTestId(el, id) as HTMLInputElement).disabled).toBe(true);
    const note = byTestId(el, "map-standalone-note");
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe(STANDALONE_NOTE);

    scatter.emit("pointOver", 1);
    await flush();
    const tooltip = byTestId(el, "map-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.querySelector(".text")?.textContent).toBe(HOSTILE);
    expect(tooltip.querySelector(".where")?.textContent).toBe("docs/11");
    expect(el.querySelector("img, script")).toBeNull();

    scatter.emit("select", [0, 2, 3]);
    await flush();
    expect(byTestId(el, "map-selected").textContent).toBe("3 selected");
    expect(python.selected).toEqual([0, 2, 3]);
    expect(byTestId(el, "map-error").textContent).toBe("");
    cleanup();
  });

  it("leaves the query box on in a notebook (standalone false)", async () => {
    const { model } = local(false);
    const cleanup = renderMap(renderProps(model, el), () => new TinyScatter());
    await flush();
    expect((byTestId(el, "map-query") as HTMLInputElement).disabled).toBe(false);
    expect(byTestId(el, "map-standalone-note").hidden).toBe(true);
    model.set("standalone", true);
    expect((byTestId(el, "map-find") as HTMLButtonElement).disabled).toBe(true);
    cleanup();
  });
});
