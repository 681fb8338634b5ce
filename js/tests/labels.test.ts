import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterLabels, cleanLabels, MAX_LABELS } from "../src/map/labels";
import type { MapTraits, Scatter, ScatterEvents } from "../src/map/types";
import { toScreen } from "../src/map/view";
import { renderMap } from "../src/map/widget";
import { allByTestId, byTestId, flush, MockModel, renderProps } from "./helpers";

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';
const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
/** Zoomed 2x and panned: x' = 2x + 0.5, y' = 2y - 0.25. */
const ZOOMED = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0.5, -0.25, 0, 1];

function translation(el: HTMLElement): [number, number] {
  const match = /^translate\((-?[\d.]+)px, (-?[\d.]+)px\) translate\(-50%, -50%\)$/.exec(el.style.transform);
  if (!match) throw new Error(`unexpected transform ${el.style.transform}`);
  return [Number(match[1]), Number(match[2])];
}

describe("cluster labels", () => {
  it("keeps only labels with text and finite coordinates", () => {
    expect(cleanLabels(undefined)).toEqual([]);
    expect(cleanLabels("nope")).toEqual([]);
    expect(
      cleanLabels([
        { text: "space, rocket", x: 0.5, y: -0.5 },
        { text: "", x: 0, y: 0 },
        { text: "nan", x: Number.NaN, y: 0 },
        { text: 3, x: 0, y: 0 },
        null,
        { text: "food", x: -1, y: 1 },
      ]),
    ).toEqual([
      { text: "space, rocket", x: 0.5, y: -0.5 },
      { text: "food", x: -1, y: 1 },
    ]);
    const many = Array.from({ length: MAX_LABELS + 5 }, (_, i) => ({ text: `c${i}`, x: 0, y: 0 }));
    expect(cleanLabels(many)).toHaveLength(MAX_LABELS);
  });

  it("renders each label as text, never as HTML", () => {
    const labels = new ClusterLabels();
    labels.set([
      { text: HOSTILE, x: 0, y: 0 },
      { text: "music, choir, song", x: 0.25, y: 0.5 },
    ]);
    const items = allByTestId(labels.el, "map-cluster-label");
    expect(items.map((i) => i.textContent)).toEqual([HOSTILE, "music, choir, song"]);
    expect(items.map((i) => i.dataset.cluster)).toEqual(["0", "1"]);
    expect(labels.el.querySelector("img, script")).toBeNull();
    labels.set([]);
    expect(allByTestId(labels.el, "map-cluster-label")).toHaveLength(0);
    expect(labels.count).toBe(0);
  });

  it("centres each label on its point through the camera, and follows pan/zoom", () => {
    const labels = new ClusterLabels();
    const points = [
      { text: "a", x: 0, y: 0 },
      { text: "b", x: 0.5, y: -0.5 },
    ];
    labels.set(points);
    const items = allByTestId(labels.el, "map-cluster-label");
    for (const view of [IDENTITY, ZOOMED]) {
      labels.place(view, 400, 200);
      points.forEach((p, i) => expect(translation(items[i])).toEqual(toScreen(view, 400, 200, p.x, p.y)));
    }
    expect(translation(items[0])).toEqual([250, 125]); // zoomed: (0,0) -> view (0.5, -0.25)
  });
});

class StillScatter implements Scatter {
  matrix: number[] = IDENTITY;
  private readonly handlers = new Map<keyof ScatterEvents, (() => void)[]>();
  async draw() {}
  style() {}
  setMode() {}
  resize() {}
  view() {
    return this.matrix;
  }
  on<E extends keyof ScatterEvents>(event: E, handler: ScatterEvents[E]) {
    const list = this.handlers.get(event) ?? [];
    list.push(handler as () => void);
    this.handlers.set(event, list);
  }
  emit(event: keyof ScatterEvents) {
    for (const handler of this.handlers.get(event) ?? []) handler();
  }
  destroy() {}
}

function traits(): MapTraits {
  const points = new Float32Array([-1, -1, 1, 1]);
  const wire = (a: Float32Array | Uint8Array | Int32Array, dtype: string, shape: number[]) => ({
    view: new DataView(a.buffer, a.byteOffset, a.byteLength),
    dtype,
    shape,
  });
  return {
    points: wire(points, "float32", [2, 2]),
    category: wire(new Uint8Array([0, 1]), "uint8", [2]),
    legend: [
      { label: "0: space", color: "#4e79a7" },
      { label: "1: food", color: "#f28e2b" },
    ],
    labels: [
      { text: "space", x: -1, y: -1 },
      { text: "food", x: 1, y: 1 },
    ],
    color_by: "cluster",
    highlight: wire(new Int32Array(0), "int32", [0]),
    query_point: [],
    query_label: "",
    status: "2 points · PCA · docs · colour: cluster · 2 clusters",
    error: "",
    created_at: 0,
    height: 300,
  };
}

describe("map widget with cluster labels", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws the labels trait over the canvas, moves them with the camera, updates on change", async () => {
    const model = new MockModel(traits());
    const scatter = new StillScatter();
    const cleanup = renderMap(renderProps(model, el), () => scatter);
    await flush();
    const canvas = byTestId(el, "map-canvas");
    expect(byTestId(canvas, "map-labels")).toBeTruthy();
    let items = allByTestId(el, "map-cluster-label");
    expect(items.map((i) => i.textContent)).toEqual(["space", "food"]);
    const width = 640; // jsdom has no layout: the widget's fallback width
    expect(translation(items[1])).toEqual(toScreen(IDENTITY, width, 300, 1, 1));
    scatter.matrix = ZOOMED;
    scatter.emit("view");
    expect(translation(items[1])).toEqual(toScreen(ZOOMED, width, 300, 1, 1));
    model.update({ labels: [{ text: HOSTILE, x: 0, y: 0 }] });
    items = allByTestId(el, "map-cluster-label");
    expect(items.map((i) => i.textContent)).toEqual([HOSTILE]);
    expect(translation(items[0])).toEqual(toScreen(ZOOMED, width, 300, 0, 0));
    expect(el.querySelector("img, script")).toBeNull();
    model.update({ labels: [] });
    expect(allByTestId(el, "map-cluster-label")).toHaveLength(0);
    cleanup();
  });
});
