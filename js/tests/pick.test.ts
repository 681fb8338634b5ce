import { describe, expect, it } from "vitest";
import { PointGrid } from "../src/map/pick";
import { toScreen } from "../src/map/view";

/** A seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The reference: every point's screen distance, the nearest within the radius (lower row on ties). */
function bruteNearest(x: Float32Array, y: Float32Array, view: number[], w: number, h: number,
  sx: number, sy: number, radius: number): number {
  let best = -1;
  let bestDist = radius * radius;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    const [px, py] = toScreen(view, w, h, x[i], y[i]);
    const d = (px - sx) ** 2 + (py - sy) ** 2;
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return best;
}

/** A camera view matrix (column-major 4×4): scale and translate, as regl-scatterplot keeps it. */
function camera(scale: number, tx: number, ty: number): number[] {
  return [scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, 1, 0, tx, ty, 0, 1];
}

describe("PointGrid", () => {
  it("finds the same point as a scan of every point, at any zoom and pan", () => {
    const rand = random(7);
    const n = 5_000;
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // two dense clusters and a sparse background, as real maps look
      const c = i % 3;
      x[i] = c === 2 ? rand() * 2 - 1 : (c ? 0.4 : -0.5) + (rand() - 0.5) * 0.1;
      y[i] = c === 2 ? rand() * 2 - 1 : (c ? -0.3 : 0.2) + (rand() - 0.5) * 0.1;
    }
    x[10] = NaN; // a point with no position is never picked
    const grid = new PointGrid(x, y);
    let found = 0;
    for (const view of [camera(1, 0, 0), camera(8, 2, -1.5), camera(0.3, 0.1, 0.1), camera(40, 20, -8)]) {
      for (let q = 0; q < 300; q++) {
        const [w, h] = [640, 420];
        // half the probes aimed at a point (as a user hovers), half anywhere
        const target = Math.floor(rand() * n);
        const [tx, ty] = toScreen(view, w, h, x[target], y[target]);
        const [sx, sy] = q % 2 && Number.isFinite(tx) ? [tx + rand() * 3, ty - rand() * 3] : [rand() * w, rand() * h];
        const radius = 3 + rand() * 6;
        const expected = bruteNearest(x, y, view, w, h, sx, sy, radius);
        expect(grid.nearest(view, w, h, sx, sy, radius)).toBe(expected);
        if (expected >= 0) found += 1;
      }
    }
    expect(found).toBeGreaterThan(400); // the probes did hit points, not only empty space
  });

  it("picks nothing on an empty map, and the only point of a one-point map", () => {
    const view = camera(1, 0, 0);
    expect(new PointGrid(new Float32Array(0), new Float32Array(0)).nearest(view, 100, 100, 50, 50, 5)).toBe(-1);
    const one = new PointGrid(new Float32Array([0.25]), new Float32Array([0.25]));
    const [sx, sy] = toScreen(view, 100, 100, 0.25, 0.25);
    expect(one.nearest(view, 100, 100, sx + 1, sy + 1, 5)).toBe(0);
    expect(one.nearest(view, 100, 100, sx + 10, sy, 5)).toBe(-1);
  });

  it("prefers the lower row when two points coincide", () => {
    const grid = new PointGrid(new Float32Array([0.1, 0.5, 0.5]), new Float32Array([0.1, 0.5, 0.5]));
    const view = camera(1, 0, 0);
    const [sx, sy] = toScreen(view, 200, 200, 0.5, 0.5);
    expect(grid.nearest(view, 200, 200, sx, sy, 4)).toBe(1);
  });
});
