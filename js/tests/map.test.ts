import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decode } from "../src/buffers";
import { renderHits } from "../src/map/hits";
import { chunkRows, HOVER_CHUNK, HoverCache, type HoverInfo } from "../src/map/hover";
import { legendColors, renderLegend } from "../src/map/legend";
import type { MapTraits, Scatter, ScatterData, ScatterEvents, ScatterStyle, SelectMode } from "../src/map/types";
import { dataBounds, fitMargin, fitView, MARKER_RADIUS, pointStyle, RING_EXTRA, sameView, screenTransform, toScreen } from "../src/map/view";
import { renderMap } from "../src/map/widget";
import { allByTestId, byTestId, flush, MockModel, mockPython, NO_REPLY, renderProps } from "./helpers";

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

function wire(array: Float32Array | Uint8Array | Int32Array, dtype: string, shape: number[]) {
  return { view: new DataView(array.buffer, array.byteOffset, array.byteLength), dtype, shape };
}

describe("legend", () => {
  it("renders one item per entry: swatch colour and label text", () => {
    const el = document.createElement("div");
    renderLegend(el, [
      { label: "docs", color: "#ff0000" },
      { label: HOSTILE, color: "red; background: url(x)" },
    ]);
    const items = allByTestId(el, "map-legend-item");
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toBe("docs");
    expect((items[0].querySelector(".swatch") as HTMLElement).style.backgroundColor).toBe("rgb(255, 0, 0)");
    expect(items[1].textContent).toBe(HOSTILE);
    expect((items[1].querySelector(".swatch") as HTMLElement).style.backgroundColor).toBe("rgb(136, 136, 136)");
    expect(el.querySelector("img")).toBeNull();
    renderLegend(el, []);
    expect(el.children).toHaveLength(0);
  });

  it("gives the colour table for the scatterplot", () => {
    expect(legendColors([{ label: "a", color: "#123456" }, { label: "b", color: "nope" }])).toEqual(["#123456", "#888888"]);
    expect(legendColors(undefined)).toEqual([]);
  });
});

describe("hits", () => {
  it("renders score and text, as text", () => {
    const el = document.createElement("ol");
    renderHits(el, [
      { row: 4, score: 0.98765, text: HOSTILE, collection: "docs", id: "d1" },
      { row: 9, score: 0.5, text: "plain" },
    ]);
    const items = allByTestId(el, "map-hit");
    expect(items.map((i) => i.dataset.row)).toEqual(["4", "9"]);
    expect(items[0].querySelector(".score")?.textContent).toBe("0.988");
    expect(items[0].querySelector(".text")?.textContent).toBe(HOSTILE);
    expect(items[0].title).toBe("docs/d1");
    expect(el.querySelector("img, script")).toBeNull();
  });
});

describe("hover cache", () => {
  const text = (row: number) => ({ row, text: `text ${row}` });
  const chunk = (start: number, count: number) => Array.from({ length: count }, (_, i) => text(start + i));

  function setup(fetch: (start: number, count: number) => Promise<HoverInfo[]>, rows = 100, perChunk = 10, limit = 2) {
    const shown: HoverInfo[] = [];
    const errors: string[] = [];
    const events: string[] = [];
    const spy = vi.fn(fetch);
    const cache = new HoverCache(
      {
        fetch: spy,
        rows: () => rows,
        show: (info) => {
          shown.push(info);
          events.push(`show ${info.row}`);
        },
        pending: (row) => events.push(`pending ${row}`),
        hide: () => events.push("hide"),
        error: (message) => errors.push(message),
      },
      perChunk,
      limit,
    );
    return { cache, shown, errors, events, fetch: spy };
  }

  it("fetches the chunk of a row once, then shows every row of it with no request", async () => {
    const { cache, shown, fetch } = setup(async (start, count) => chunk(start, count));
    await cache.over(13);
    cache.out();
    await cache.over(13);
    await cache.over(19);
    await cache.over(10);
    expect(fetch.mock.calls).toEqual([[10, 10]]);
    expect(shown.map((s) => s.text)).toEqual(["text 13", "text 13", "text 19", "text 10"]);
    expect(cache.size).toBe(1);
  });

  it("asks only for the rows that exist in the last chunk", async () => {
    const { cache, shown, fetch } = setup(async (start, count) => chunk(start, count), 23);
    await cache.over(22);
    expect(fetch.mock.calls).toEqual([[20, 3]]);
    expect(shown.map((s) => s.row)).toEqual([22]);
  });

  it("shares one request between rows of a chunk in flight", async () => {
    let resolve: (rows: HoverInfo[]) => void = () => {};
    const { cache, shown, fetch } = setup(() => new Promise((r) => (resolve = r)));
    const first = cache.over(1);
    const second = cache.over(2);
    resolve(chunk(0, 10));
    await Promise.all([first, second]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(shown.map((s) => s.row)).toEqual([2]); // row 1 is no longer hovered
  });

  it("ignores a chunk for a row no longer hovered (but caches it)", async () => {
    const resolvers = new Map<number, (rows: HoverInfo[]) => void>();
    const { cache, shown, events } = setup((start) => new Promise((resolve) => resolvers.set(start, resolve)));
    const first = cache.over(1);
    const second = cache.over(21);
    resolvers.get(20)?.(chunk(20, 10));
    await second;
    resolvers.get(0)?.(chunk(0, 10)); // stale: arrives after row 21
    await first;
    expect(shown.map((s) => s.text)).toEqual(["text 21"]);
    expect(events).toEqual(["pending 1", "pending 21", "show 21"]);
    await cache.over(1);
    expect(shown.map((s) => s.text)).toEqual(["text 21", "text 1"]); // from the cache
  });

  it("ignores a reply after the pointer left", async () => {
    let resolve: (rows: HoverInfo[]) => void = () => {};
    const { cache, shown } = setup(() => new Promise((r) => (resolve = r)));
    const pending = cache.over(3);
    cache.out();
    resolve(chunk(0, 10));
    await pending;
    expect(shown).toEqual([]);
  });

  it("ignores a chunk that arrives after the points changed", async () => {
    let resolve: (rows: HoverInfo[]) => void = () => {};
    const { cache, shown } = setup(() => new Promise((r) => (resolve = r)));
    const pending = cache.over(3);
    cache.clear();
    resolve(chunk(0, 10));
    await pending;
    expect(shown).toEqual([]);
    expect(cache.size).toBe(0);
  });

  it("reports failures and does not cache them", async () => {
    let fail = true;
    const { cache, shown, errors } = setup(async (start, count) => {
      if (fail) throw new Error("hover_texts: no reply from Python within 10 s");
      return chunk(start, count);
    });
    await cache.over(5);
    expect(errors).toEqual(["hover_texts: no reply from Python within 10 s"]);
    fail = false;
    await cache.over(5);
    expect(shown.map((s) => s.text)).toEqual(["text 5"]);
  });

  it("keeps at most `limit` chunks (least recently used dropped) and forgets all on clear", async () => {
    const { cache, fetch } = setup(async (start, count) => chunk(start, count));
    for (const row of [1, 11, 2, 21]) await cache.over(row); // chunk 0 was used after chunk 1
    expect(cache.size).toBe(2);
    await cache.over(3); // chunk 0 still cached
    await cache.over(12); // chunk 1 was dropped
    expect(fetch.mock.calls.map(([start]) => start)).toEqual([0, 10, 20, 10]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("reads hover_texts replies and refuses malformed ones", () => {
    expect(chunkRows({ start: 4, texts: ["a", "b"], collections: ["docs", "faq"], ids: [7, "x"] }, 4, 2)).toEqual([
      { row: 4, text: "a", collection: "docs", id: 7 },
      { row: 5, text: "b", collection: "faq", id: "x" },
    ]);
    expect(() => chunkRows({ start: 0, texts: ["a"] }, 4, 2)).toThrow(/malformed reply/);
    expect(() => chunkRows({ start: 4, texts: "a" }, 4, 2)).toThrow(/malformed reply/);
    expect(() => chunkRows({ start: 4, texts: ["a", "b", "c"] }, 4, 2)).toThrow(/malformed reply/);
    expect(() => chunkRows(null, 4, 2)).toThrow(/malformed reply/);
  });
});

describe("point size rule", () => {
  it("gives bigger dots for few points and smaller for many", () => {
    expect(pointStyle(10).pointSize).toBe(9);
    expect(pointStyle(100).pointSize).toBe(9);
    expect(pointStyle(200).pointSize).toBe(8.5);
    expect(pointStyle(1_000).pointSize).toBe(7.5);
    expect(pointStyle(10_000).pointSize).toBe(5.5);
    expect(pointStyle(100_000).pointSize).toBe(4);
    expect(pointStyle(1_000_000).pointSize).toBe(2);
    expect(pointStyle(10_000_000).pointSize).toBe(2);
    expect(pointStyle(100).pointSize).toBeGreaterThan(pointStyle(10_000).pointSize);
    expect(pointStyle(0)).toEqual({ pointSize: 9, opacity: 0.9 });
  });

  it("fades dots as the map fills up", () => {
    expect(pointStyle(1_000).opacity).toBe(0.9);
    expect(pointStyle(1_000_000).opacity).toBe(0.48);
    expect(pointStyle(1e9).opacity).toBe(0.35);
  });

  it("keeps a margin larger than a highlight marker and the hover ring", () => {
    for (const n of [1, 200, 10_000, 1_000_000]) {
      const size = pointStyle(n).pointSize;
      expect(fitMargin(size)).toBeGreaterThanOrEqual(MARKER_RADIUS + 3);
      expect(fitMargin(size)).toBeGreaterThanOrEqual(size / 2 + RING_EXTRA + 3);
    }
  });
});

describe("fitView", () => {
  const corners = (view: number[], w: number, h: number, b: { x0: number; x1: number; y0: number; y1: number }) => [
    toScreen(view, w, h, b.x0, b.y1),
    toScreen(view, w, h, b.x1, b.y0),
  ];

  it("puts the cloud's bounding box on the canvas, margin inside every edge, on both axes", () => {
    const b = { x0: -1, x1: 1, y0: -1, y1: 1 }; // round cloud, wide canvas
    const view = fitView(b, 1000, 420, 15);
    const [[left, top], [right, bottom]] = corners(view, 1000, 420, b);
    expect(left).toBeCloseTo(15);
    expect(right).toBeCloseTo(985);
    expect(top).toBeCloseTo(15);
    expect(bottom).toBeCloseTo(405);
  });

  it("centres off-centre data", () => {
    const b = { x0: 0.2, x1: 0.6, y0: -0.9, y1: -0.1 };
    const view = fitView(b, 400, 400, 10);
    const [[left, top], [right, bottom]] = corners(view, 400, 400, b);
    expect([left, top, right, bottom].map((v) => Math.round(v))).toEqual([10, 10, 390, 390]);
  });

  it("stretches one axis at most MAX_STRETCH times the other", () => {
    const b = { x0: -1, x1: 1, y0: -1, y1: 1 };
    const view = fitView(b, 2000, 220, 10, 3);
    const [[left, top], [right, bottom]] = corners(view, 2000, 220, b);
    expect(bottom - top).toBeCloseTo(200);
    expect(right - left).toBeCloseTo(600); // not 1980
    expect((left + right) / 2).toBeCloseTo(1000);
  });

  it("handles a line of points and a single point", () => {
    const line = fitView({ x0: -1, x1: 1, y0: 0.5, y1: 0.5 }, 300, 200, 10);
    expect(toScreen(line, 300, 200, 0, 0.5)).toEqual([150, 100]);
    expect(toScreen(line, 300, 200, 1, 0.5)[0]).toBeCloseTo(290);
    const one = fitView({ x0: 0.3, x1: 0.3, y0: 0.3, y1: 0.3 }, 300, 200, 10);
    expect(toScreen(one, 300, 200, 0.3, 0.3)).toEqual([150, 100]);
    expect(fitView(null, 300, 200, 10).every(Number.isFinite)).toBe(true);
  });

  it("finds the bounds of the finite points", () => {
    expect(dataBounds(new Float32Array([0, 1, Number.NaN, -2]), new Float32Array([3, -1, 0, 0.5]))).toEqual({ x0: -2, x1: 1, y0: -1, y1: 3 });
    expect(dataBounds(new Float32Array(0), new Float32Array(0))).toBeNull();
  });

  it("gives the same mapping as one affine transform", () => {
    const view = fitView({ x0: -0.5, x1: 1, y0: -1, y1: 0.2 }, 640, 300, 12);
    const [a, b, c, d, e, f] = screenTransform(view, 640, 300);
    for (const [x, y] of [[0, 0], [1, -1], [-0.5, 0.2], [0.3, 0.7]]) {
      const [px, py] = toScreen(view, 640, 300, x, y);
      expect(a * x + c * y + e).toBeCloseTo(px);
      expect(b * x + d * y + f).toBeCloseTo(py);
    }
    expect(sameView(view, [...view])).toBe(true);
    expect(sameView(view, view.map((v, i) => (i === 0 ? v * 1.01 : v)))).toBe(false);
  });
});

describe("toScreen", () => {
  it("maps [-1, 1] onto the canvas like regl-scatterplot (square data in the middle)", () => {
    expect(toScreen(IDENTITY, 200, 100, 0, 0)).toEqual([100, 50]);
    expect(toScreen(IDENTITY, 200, 100, 1, 1)).toEqual([150, 0]);
    expect(toScreen(IDENTITY, 100, 100, -1, -1)).toEqual([0, 100]);
  });

  it("follows pan and zoom", () => {
    const zoomed = [...IDENTITY];
    zoomed[0] = 2;
    zoomed[5] = 2;
    zoomed[12] = 0.5; // pan right by a quarter of the width
    expect(toScreen(zoomed, 100, 100, 0.25, 0)).toEqual([100, 50]);
  });
});

class FakeScatter implements Scatter {
  readonly handlers: { [E in keyof ScatterEvents]?: ScatterEvents[E][] } = {};
  readonly draws: { data: ScatterData; same: boolean }[] = [];
  styles: Partial<ScatterStyle>[] = [];
  mode: SelectMode = "lasso";
  destroyed = false;
  size: [number, number] = [0, 0];
  views: number[][] = [];

  async draw(data: ScatterData, same: boolean) {
    this.draws.push({ data, same });
  }
  style(style: Partial<ScatterStyle>) {
    this.styles.push(style);
  }
  setMode(mode: SelectMode) {
    this.mode = mode;
  }
  resize(width: number, height: number) {
    this.size = [width, height];
  }
  view() {
    return this.views.at(-1) ?? IDENTITY;
  }
  setView(view: number[]) {
    this.views.push([...view]);
  }
  on<E extends keyof ScatterEvents>(event: E, handler: ScatterEvents[E]) {
    const list = (this.handlers[event] ?? []) as ScatterEvents[E][];
    list.push(handler);
    (this.handlers as Record<string, unknown>)[event] = list;
  }
  emit<E extends keyof ScatterEvents>(event: E, ...args: Parameters<ScatterEvents[E]>) {
    for (const h of this.handlers[event] ?? []) (h as (...a: unknown[]) => void)(...args);
  }
  destroy() {
    this.destroyed = true;
  }
}

function mapTraits(): MapTraits {
  const points = new Float32Array([-1, -1, 0, 0, 1, 1, 0.5, -0.5]);
  return {
    points: wire(points, "float32", [4, 2]),
    category: wire(new Uint8Array([0, 1, 1, 0]), "uint8", [4]),
    legend: [
      { label: "docs", color: "#1f77b4" },
      { label: "faq", color: "#ff7f0e" },
    ],
    color_by: "collection",
    highlight: wire(new Int32Array(0), "int32", [0]),
    query_point: [],
    query_label: "",
    status: "4 points · PCA · docs, faq",
    error: "",
    created_at: 0,
    height: 300,
  };
}

describe("map widget (fake scatterplot)", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  function setup(respond: (name: string, msg: unknown) => unknown = () => ({ ok: true })) {
    const model = new MockModel(mapTraits());
    const { calls } = mockPython(model, respond);
    const fake = new FakeScatter();
    const cleanup = renderMap(renderProps(model, el), () => fake);
    return { model, calls, fake, cleanup };
  }

  it("builds the toolbar, legend and status, and draws columnar typed arrays", async () => {
    const { fake } = setup();
    await flush();
    for (const id of ["map-query", "map-k", "map-find", "map-mode", "map-canvas", "map-legend", "map-tooltip", "map-hits", "map-status", "map-error"]) {
      expect(byTestId(el, id)).toBeTruthy();
    }
    expect((byTestId(el, "map-k") as HTMLInputElement).value).toBe("10");
    expect(allByTestId(el, "map-legend-item").map((i) => i.textContent)).toEqual(["docs", "faq"]);
    expect(byTestId(el, "map-status").textContent).toBe("4 points · PCA · docs, faq");
    expect(fake.draws).toHaveLength(1);
    const { data } = fake.draws[0];
    expect(Array.from(data.x)).toEqual([-1, 0, 1, 0.5]);
    expect(Array.from(data.y)).toEqual([-1, 0, 1, -0.5]);
    expect(Array.from(data.category ?? [])).toEqual([0, 1, 1, 0]);
    expect(fake.styles.at(-1)?.colors).toEqual(["#1f77b4", "#ff7f0e"]);
  });

  it("marks the root painted and sends painted exactly once", async () => {
    const { fake, calls } = setup(() => ({ ok: true, first_paint_ms: 12 }));
    const root = byTestId(el, "embmagic-map");
    expect(root.classList.contains("embmagic-map")).toBe(true);
    await flush();
    expect(root.dataset.painted).toBeUndefined();
    fake.emit("draw");
    fake.emit("draw");
    await flush();
    expect(root.dataset.painted).toBe("1");
    const painted = calls.filter((c) => c.name === "painted");
    expect(painted).toHaveLength(1);
    expect(typeof (painted[0].msg as { at: number }).at).toBe("number");
  });

  it("queries on Find and Enter, lists hits, ignores stale replies", async () => {
    const { calls } = setup((name, msg) =>
      name === "query"
        ? { ok: true, point: [0, 0], rows: [1], hits: [{ row: 1, score: 0.9, text: `hit for ${(msg as { text: string }).text}` }] }
        : { ok: true },
    );
    const query = byTestId(el, "map-query") as HTMLInputElement;
    query.value = "solar";
    byTestId(el, "map-find").click();
    await flush();
    expect(calls.find((c) => c.name === "query")?.msg).toEqual({ text: "solar", k: 10, mode: "dense" });
    expect(allByTestId(el, "map-hit").map((h) => h.textContent)).toEqual(["1.0.900 hit for solar"]);
    expect(allByTestId(el, "map-hit-rank").map((h) => h.textContent)).toEqual(["1."]);
    query.value = "wind";
    query.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await flush();
    expect(allByTestId(el, "map-hit").map((h) => h.querySelector(".text")?.textContent)).toEqual(["hit for wind"]);
  });

  it("queries in the chosen search mode, kept in the mode trait", async () => {
    const { model, calls } = setup((name) =>
      name === "query" ? { ok: true, point: [0, 0], rows: [2], hits: [{ row: 2, score: 0.03, text: "NASA" }] } : { ok: true },
    );
    const modes = byTestId(el, "map-search-mode") as HTMLSelectElement;
    expect([...modes.options].map((o) => o.value)).toEqual(["dense", "lexical", "hybrid"]);
    expect(modes.value).toBe("dense");
    modes.value = "lexical";
    modes.dispatchEvent(new Event("change"));
    expect(model.get("mode")).toBe("lexical");
    expect(calls.filter((c) => c.name === "query")).toHaveLength(0); // choosing a mode is not a search
    (byTestId(el, "map-query") as HTMLInputElement).value = "NASA";
    byTestId(el, "map-find").click();
    await flush();
    expect(calls.find((c) => c.name === "query")?.msg).toEqual({ text: "NASA", k: 10, mode: "lexical" });
    model.update({ mode: "hybrid" }); // from Python: m.query(..., mode="hybrid")
    expect(modes.value).toBe("hybrid");
  });

  it("sends k as typed (Python checks the range) and refuses a non-integer k", async () => {
    const { calls } = setup((name) =>
      name === "query" ? { ok: false, error: "k must be between 1 and 100, got 1000" } : { ok: true },
    );
    (byTestId(el, "map-query") as HTMLInputElement).value = "x";
    const k = byTestId(el, "map-k") as HTMLInputElement;
    k.value = "1000";
    byTestId(el, "map-find").click();
    await flush();
    expect(calls.find((c) => c.name === "query")?.msg).toEqual({ text: "x", k: 1000, mode: "dense" });
    expect(byTestId(el, "map-error").textContent).toBe("k must be between 1 and 100, got 1000");
    k.value = "";
    byTestId(el, "map-find").click();
    await flush();
    expect(calls.filter((c) => c.name === "query")).toHaveLength(1);
    expect(byTestId(el, "map-error").textContent).toMatch(/k must be a whole number/);
  });

  it("shows query failures and rejections in the error line", async () => {
    let silent = false;
    setup((name) => {
      if (name !== "query") return { ok: true };
      if (silent) return NO_REPLY;
      return { ok: false, error: "empty collection: add records first" };
    });
    const query = byTestId(el, "map-query") as HTMLInputElement;
    query.value = "x";
    byTestId(el, "map-find").click();
    await flush();
    expect(byTestId(el, "map-error").textContent).toBe("empty collection: add records first");
    silent = true;
    vi.useFakeTimers();
    byTestId(el, "map-find").click();
    await vi.advanceTimersByTimeAsync(120_000);
    vi.useRealTimers();
    expect(byTestId(el, "map-error").textContent).toMatch(/query: no reply from Python within 120 s/);
  });

  it("draws highlights and the query marker, dims other points", async () => {
    const { model, fake } = setup();
    await flush();
    model.update({
      highlight: wire(new Int32Array([1, 3]), "int32", [2]),
      query_point: [0, 0],
      query_label: HOSTILE,
    });
    const markers = allByTestId(el, "map-highlight");
    expect(markers.map((m) => m.dataset.row)).toEqual(["1", "3"]);
    const marker = byTestId(el, "map-query-marker");
    expect(marker.hidden).toBe(false);
    expect(byTestId(el, "map-query-label").textContent).toBe(HOSTILE);
    expect(el.querySelector("img, script")).toBeNull();
    expect(fake.styles.at(-1)?.opacity).toBeLessThan(0.9);
    model.update({ highlight: wire(new Int32Array(0), "int32", [0]), query_point: [], query_label: "" });
    expect(allByTestId(el, "map-highlight")).toHaveLength(0);
    expect(byTestId(el, "map-query-marker").hidden).toBe(true);
  });

  it("redraws when points or categories change (reusing positions for categories)", async () => {
    const { model, fake } = setup();
    await flush();
    model.update({ category: wire(new Uint8Array([1, 1, 1, 1]), "uint8", [4]) });
    await flush();
    expect(fake.draws.at(-1)?.same).toBe(true);
    model.update({
      points: wire(new Float32Array([0, 0, 0.5, 0.25]), "float32", [2, 2]),
      category: wire(new Uint8Array([0, 0]), "uint8", [2]),
    });
    await flush();
    expect(fake.draws.at(-1)?.same).toBe(false);
    expect(Array.from(fake.draws.at(-1)?.data.x ?? [])).toEqual([0, 0.5]);
  });

  it("reports a points/category mismatch in the error line", async () => {
    const { model } = setup();
    model.update({ category: wire(new Uint8Array([0]), "uint8", [1]) });
    await flush();
    expect(byTestId(el, "map-error").textContent).toBe("category has 1 rows but points has 4");
  });

  it("sends selections as a uint32 buffer, and count 0 on deselect", async () => {
    const { fake, calls } = setup();
    fake.emit("select", [3, 1]);
    fake.emit("deselect");
    await flush();
    const selects = calls.filter((c) => c.name === "select");
    expect(selects[0].msg).toEqual({ count: 2 });
    const buffer = selects[0].buffers[0] as DataView;
    expect(Array.from(decode({ view: buffer, dtype: "uint32", shape: [2] }))).toEqual([3, 1]);
    expect(selects[1].msg).toEqual({ count: 0 });
    expect(selects[1].buffers).toEqual([]);
  });

  it("shows the hovered record's text in the tooltip, one request per chunk of rows", async () => {
    const { fake, calls } = setup((name, msg) => {
      if (name !== "hover_texts") return { ok: true };
      const { start, count } = msg as { start: number; count: number };
      const rows = Array.from({ length: count }, (_, i) => start + i);
      return {
        ok: true,
        start,
        texts: rows.map((r) => (r === 2 ? HOSTILE : `text ${r}`)),
        collections: rows.map(() => "docs"),
        ids: rows.map((r) => `d${r}`),
      };
    });
    await flush();
    fake.emit("pointOver", 2);
    await flush();
    const tooltip = byTestId(el, "map-tooltip");
    expect(tooltip.hidden).toBe(false);
    expect(tooltip.dataset.row).toBe("2");
    expect(tooltip.textContent).toBe(`docs/d2${HOSTILE}`);
    expect(tooltip.querySelector("img, script")).toBeNull();
    fake.emit("pointOut");
    expect(tooltip.hidden).toBe(true);
    fake.emit("pointOver", 3);
    expect(tooltip.textContent).toBe("docs/d3text 3"); // at once: no message
    fake.emit("pointOver", 2);
    await flush();
    const hovers = calls.filter((c) => c.name === "hover_texts");
    expect(hovers.map((c) => c.msg)).toEqual([{ start: 0, count: 4 }]); // the map has 4 rows
    expect(HOVER_CHUNK).toBeLessThanOrEqual(1024);
  });

  it("shows an image record's thumbnail in the tooltip, built from checked parts", async () => {
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
    const { fake } = setup((name, msg) => {
      if (name !== "hover_texts") return { ok: true };
      const { start, count } = msg as { start: number; count: number };
      const rows = Array.from({ length: count }, (_, i) => start + i);
      const thumbs = [{ mime: "image/png", base64: png }, null, { mime: "image/svg+xml", base64: png }, { mime: "image/png", base64: 'x" onerror="1' }];
      return { ok: true, start, texts: rows.map((r) => (r === 0 ? HOSTILE : `photo ${r}`)), ids: rows, thumbnails: rows.map((r) => thumbs[r]) };
    });
    await flush();
    fake.emit("pointOver", 0);
    await flush();
    const tooltip = byTestId(el, "map-tooltip");
    const img = tooltip.querySelector("img") as HTMLImageElement;
    expect(img.dataset.testid).toBe("map-thumbnail");
    expect(img.getAttribute("src")).toBe(`data:image/png;base64,${png}`);
    expect(img.getAttribute("alt")).toBe("");
    expect(tooltip.textContent).toBe(`0${HOSTILE}`); // the text stays text
    expect(tooltip.querySelector("script")).toBeNull();
    for (const row of [1, 2, 3]) {
      fake.emit("pointOver", row); // no thumbnail, an SVG, bytes that are not base64
      expect(tooltip.textContent).toBe(`${row}photo ${row}`);
      expect(tooltip.querySelector("img")).toBeNull();
    }
  });

  it("shows a failed hover chunk in the error line", async () => {
    const { fake } = setup((name) => (name === "hover_texts" ? { ok: false, error: "row 9 is not on this map (0..3)" } : { ok: true }));
    await flush();
    fake.emit("pointOver", 1);
    await flush();
    expect(byTestId(el, "map-tooltip").hidden).toBe(true);
    expect(byTestId(el, "map-error").textContent).toBe("row 9 is not on this map (0..3)");
  });

  it("switches the selection shape with a two-option control (aria-pressed)", () => {
    const { fake } = setup();
    const mode = byTestId(el, "map-mode");
    const lasso = byTestId(el, "map-mode-lasso");
    const box = byTestId(el, "map-mode-box");
    expect(mode.getAttribute("role")).toBe("group");
    expect([lasso.getAttribute("aria-pressed"), box.getAttribute("aria-pressed")]).toEqual(["true", "false"]);
    expect(byTestId(el, "map-hint").textContent).toBe("Shift+drag to select");
    box.click();
    expect(mode.dataset.mode).toBe("box");
    expect([lasso.getAttribute("aria-pressed"), box.getAttribute("aria-pressed")]).toEqual(["false", "true"]);
    expect(fake.mode).toBe("box");
    box.click(); // pressing the pressed option keeps it
    expect(fake.mode).toBe("box");
    lasso.click();
    expect(fake.mode).toBe("lasso");
    expect(lasso.getAttribute("aria-pressed")).toBe("true");
  });

  it("fits the camera to the cloud and exposes the data→page transform", async () => {
    const { fake } = setup();
    await flush();
    const root = byTestId(el, "map-canvas");
    const t = JSON.parse(root.dataset.transform ?? "null") as number[];
    // jsdom has no layout: the canvas is 640 × 300 (fallback width, the height trait)
    const margin = fitMargin(pointStyle(4).pointSize);
    expect(fake.views).toHaveLength(1);
    expect(t[0] * -1 + t[4]).toBeCloseTo(margin); // x = -1 at the left margin
    expect(t[0] * 1 + t[4]).toBeCloseTo(640 - margin);
    expect(t[3] * 1 + t[5]).toBeCloseTo(margin); // y = 1 at the top margin
    expect(t[3] * -1 + t[5]).toBeCloseTo(300 - margin);
    expect(root.dataset.pointSize).toBe(String(pointStyle(4).pointSize));
  });

  it("draws a ring around the hovered point and hides it when the pointer leaves", async () => {
    const { fake } = setup(() => NO_REPLY);
    await flush();
    const ring = byTestId(el, "map-hover-ring");
    expect(ring.hidden).toBe(true);
    fake.emit("pointOver", 2);
    expect(ring.hidden).toBe(false);
    const t = JSON.parse(byTestId(el, "map-canvas").dataset.transform ?? "null") as number[];
    const [rx, ry] = (/translate\((.+)px, (.+)px\)/.exec(ring.style.transform) ?? []).slice(1).map(Number);
    expect(rx).toBeCloseTo(t[0] + t[4]); // point (1, 1)
    expect(ry).toBeCloseTo(t[3] + t[5]);
    fake.emit("pointOut");
    expect(ring.hidden).toBe(true);
  });

  it("marks highlighted rows that are also selected with the selection style", async () => {
    const { model, fake } = setup();
    await flush();
    model.update({ highlight: wire(new Int32Array([1, 3]), "int32", [2]) });
    fake.emit("select", [3, 0]);
    const marked = allByTestId(el, "map-highlight").map((m) => [m.dataset.row, m.dataset.selected ?? "", m.classList.contains("selected")]);
    expect(marked).toEqual([["1", "", false], ["3", "1", true]]);
    fake.emit("deselect");
    expect(allByTestId(el, "map-highlight").filter((m) => m.dataset.selected)).toHaveLength(0);
  });

  it("shows the shown query (query_label) in the query box without searching", async () => {
    const { model, calls } = setup();
    await flush();
    const query = byTestId(el, "map-query") as HTMLInputElement;
    query.value = "old query";
    model.update({ highlight: wire(new Int32Array([1]), "int32", [1]), query_label: "rocket orbit" });
    expect(query.value).toBe("rocket orbit");
    expect(calls.filter((c) => c.name === "query")).toHaveLength(0);
    query.focus(); // what the user is typing stays
    query.value = "typing";
    model.update({ query_label: "other" });
    expect(query.value).toBe("typing");
  });

  it("cleans up: destroys the scatterplot and removes listeners", () => {
    const { model, fake, cleanup } = setup();
    cleanup();
    expect(fake.destroyed).toBe(true);
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
  });

  it("shows an error when WebGL is missing", () => {
    const model = new MockModel(mapTraits());
    mockPython(model, () => ({ ok: true }));
    renderMap(renderProps(model, el), () => {
      throw new Error("WebGL unavailable");
    });
    expect(byTestId(el, "map-error").textContent).toMatch(/needs WebGL.*WebGL unavailable/);
  });
});
