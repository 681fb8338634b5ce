// Map traits (docs/widgets.md) and the scatterplot interface the widget draws through.
import type { WireArray } from "../types";

export interface LegendItem {
  label: string;
  color: string;
}

/** A cluster's name drawn at its centre (data coordinates, as `points`). */
export interface ClusterLabel {
  text: string;
  x: number;
  y: number;
}

export interface MapHit {
  row: number;
  score: number;
  text: string;
  collection?: string;
  id?: unknown;
}

export interface MapTraits {
  points: WireArray | Record<string, never>;
  category: WireArray | Record<string, never>;
  legend: LegendItem[];
  /** cluster labels (`%emb map --clusters`); absent or [] without clusters */
  labels?: ClusterLabel[];
  color_by: string;
  highlight: WireArray | Record<string, never>;
  query_point: number[];
  query_label: string;
  /** the query box's search mode (dense, lexical, hybrid) and the modes it offers */
  mode?: string;
  modes?: string[];
  status: string;
  error: string;
  created_at: number;
  height: number;
  /** a saved page (`m.save_html`): no kernel, so the query box is disabled with a note */
  standalone?: boolean;
}

export type SelectMode = "lasso" | "box";

export interface ScatterData {
  x: Float32Array;
  y: Float32Array;
  /** legend index per point, or null for one colour */
  category: Uint8Array | Uint16Array | null;
}

export interface ScatterStyle {
  colors: string[];
  pointSize: number;
  opacity: number;
}

export interface ScatterEvents {
  pointOver: (row: number) => void;
  pointOut: () => void;
  select: (rows: ArrayLike<number>) => void;
  deselect: () => void;
  /** the camera moved (pan/zoom) */
  view: () => void;
  /** a frame with points was rendered */
  draw: () => void;
}

/** What the map needs from a scatterplot; `scatter.ts` implements it with regl-scatterplot. */
export interface Scatter {
  /** draw new data; `samePositions`: only categories changed (reuse the spatial index) */
  draw(data: ScatterData, samePositions: boolean): Promise<void>;
  style(style: Partial<ScatterStyle>): void;
  setMode(mode: SelectMode): void;
  resize(width: number, height: number): void;
  /** the camera's 4×4 view matrix (column-major) */
  view(): ArrayLike<number>;
  /** set the camera's view matrix (the fitted view, `fitView` in view.ts); without it the
   * camera stays where the scatterplot puts it */
  setView?(view: number[]): void;
  on<E extends keyof ScatterEvents>(event: E, handler: ScatterEvents[E]): void;
  destroy(): void;
}

export interface ScatterOptions {
  canvas: HTMLCanvasElement;
  width: number;
  height: number;
  background: string;
}

export type CreateScatter = (options: ScatterOptions) => Scatter;
