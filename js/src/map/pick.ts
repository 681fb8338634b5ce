// Which point is under the pointer, found without the scatterplot: a uniform grid over the data
// coordinates, queried with the camera's data → screen mapping. The map picks hover points itself
// so that hovering never redraws the canvas (regl-scatterplot redraws every point on each mouse
// move over a point: 0.4-0.8 s per move at a million points in software WebGL, and the hover
// text's reply from Python waited behind that frame).
import { dataBounds, screenTransform } from "./view";

/** Points per grid cell on average. */
const POINTS_PER_CELL = 4;

export class PointGrid {
  private readonly side: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cellW: number;
  private readonly cellH: number;
  /** rows of cell c: order[start[c] .. start[c + 1] - 1] */
  private readonly start: Uint32Array;
  private readonly order: Uint32Array;

  constructor(
    private readonly x: ArrayLike<number>,
    private readonly y: ArrayLike<number>,
  ) {
    const n = x.length;
    const { x0, x1, y0, y1 } = dataBounds(x, y) ?? { x0: 0, x1: 0, y0: 0, y1: 0 };
    this.side = Math.max(1, Math.ceil(Math.sqrt(n / POINTS_PER_CELL)));
    this.x0 = x0;
    this.y0 = y0;
    this.cellW = (x1 - x0) / this.side || 1;
    this.cellH = (y1 - y0) / this.side || 1;
    // counting sort of the rows by cell
    const cells = this.side * this.side;
    const cellOf = new Int32Array(n);
    const counts = new Uint32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cellAt(x[i], y[i]);
      cellOf[i] = c;
      if (c >= 0) counts[c + 1] += 1;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.start = counts.slice();
    this.order = new Uint32Array(counts[cells]);
    for (let i = 0; i < n; i++) {
      const c = cellOf[i];
      if (c >= 0) this.order[counts[c]++] = i;
    }
  }

  /**
   * The row nearest to the screen position (`sx`, `sy`, CSS px) within `radius` px, or -1.
   * `view`, `width`, `height`: the camera and canvas size, as `toScreen` takes them. Ties go to
   * the lower row.
   */
  nearest(view: ArrayLike<number>, width: number, height: number, sx: number, sy: number, radius: number): number {
    const [a, b, c, d, e, f] = screenTransform(view, width, height);
    const det = a * d - b * c;
    if (!det || !Number.isFinite(det)) return -1;
    // the data-space box that maps onto the screen square sx ± radius, sy ± radius
    let [u0, u1, v0, v1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [px, py] of [
      [sx - radius, sy - radius],
      [sx + radius, sy - radius],
      [sx - radius, sy + radius],
      [sx + radius, sy + radius],
    ]) {
      const u = (d * (px - e) - c * (py - f)) / det;
      const v = (a * (py - f) - b * (px - e)) / det;
      u0 = Math.min(u0, u);
      u1 = Math.max(u1, u);
      v0 = Math.min(v0, v);
      v1 = Math.max(v1, v);
    }
    const last = this.side - 1;
    const i0 = Math.max(0, Math.floor((u0 - this.x0) / this.cellW));
    const i1 = Math.min(last, Math.floor((u1 - this.x0) / this.cellW));
    const j0 = Math.max(0, Math.floor((v0 - this.y0) / this.cellH));
    const j1 = Math.min(last, Math.floor((v1 - this.y0) / this.cellH));
    let best = -1;
    let bestDist = radius * radius;
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const cell = j * this.side + i;
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) {
          const row = this.order[k];
          const px = a * this.x[row] + c * this.y[row] + e - sx;
          const py = b * this.x[row] + d * this.y[row] + f - sy;
          const dist = px * px + py * py;
          if (dist < bestDist || (dist === bestDist && best >= 0 && row < best)) {
            bestDist = dist;
            best = row;
          }
        }
      }
    }
    return best;
  }

  private cellAt(u: number, v: number): number {
    if (!Number.isFinite(u) || !Number.isFinite(v)) return -1;
    const i = Math.min(this.side - 1, Math.max(0, Math.floor((u - this.x0) / this.cellW)));
    const j = Math.min(this.side - 1, Math.max(0, Math.floor((v - this.y0) / this.cellH)));
    return j * this.side + i;
  }
}
