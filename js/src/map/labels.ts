// Cluster labels over the map (`labels` trait: `{text, x, y}` per cluster, data coordinates).
// Each label is an absolutely positioned text element placed through the camera like the query
// marker, so pan and zoom move it; text goes in through textContent only (docs/widgets.md).
import { h, replaceChildren, style } from "../dom";
import type { ClusterLabel } from "./types";
import { toScreen } from "./view";

/** Most labels drawn (k-means runs with at most a few dozen clusters; this bounds a bad trait). */
export const MAX_LABELS = 200;

const CSS = `
.embmagic-map .cluster-label { position: absolute; left: 0; top: 0; pointer-events: none; white-space: nowrap; max-width: 220px; overflow: hidden; text-overflow: ellipsis; padding: 0 4px; border-radius: 3px; font-size: 12px; font-weight: 600; color: var(--jp-ui-font-color0, #111); background: var(--jp-layout-color0, #fff); background: color-mix(in srgb, var(--jp-layout-color0, #fff) 75%, transparent); }
`;

/** The labels worth drawing: a string text (non-empty) at finite x and y. */
export function cleanLabels(labels: unknown): ClusterLabel[] {
  if (!Array.isArray(labels)) return [];
  const out: ClusterLabel[] = [];
  for (const item of labels) {
    if (out.length >= MAX_LABELS) break;
    const { text, x, y } = (item ?? {}) as Partial<ClusterLabel>;
    if (typeof text !== "string" || text === "") continue;
    if (typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push({ text, x, y });
  }
  return out;
}

/** The `map-labels` layer: one `map-cluster-label` element per label, centred on its point. */
export class ClusterLabels {
  readonly el: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private labels: ClusterLabel[] = [];

  constructor() {
    this.layer = h("div", { className: "layer" });
    this.el = h("div", { testid: "map-labels", className: "labels" }, [style(CSS), this.layer]);
  }

  /** Replace the labels (call `place` afterwards to position them). */
  set(labels: unknown): void {
    this.labels = cleanLabels(labels);
    replaceChildren(
      this.layer,
      this.labels.map((label, index) =>
        h("div", { testid: "map-cluster-label", className: "cluster-label", text: label.text, attrs: { "data-cluster": String(index) } }),
      ),
    );
  }

  /** Position every label for the camera `view` on a `width` x `height` canvas. */
  place(view: ArrayLike<number>, width: number, height: number): void {
    const nodes = this.layer.children;
    for (let i = 0; i < nodes.length && i < this.labels.length; i++) {
      const [sx, sy] = toScreen(view, width, height, this.labels[i].x, this.labels[i].y);
      (nodes[i] as HTMLElement).style.transform = `translate(${sx}px, ${sy}px) translate(-50%, -50%)`;
    }
  }

  get count(): number {
    return this.labels.length;
  }
}
