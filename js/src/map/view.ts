// Data coordinates → CSS pixels in the canvas, through regl-scatterplot's camera; the camera
// that fits the cloud to the canvas; the point size for n points.
// Mirrors regl-scatterplot's getScreenPosition: clip = P · V · M · [x, y, 0, 1] with
// P = scale(height / width, 1), M = identity (aspectRatio 1), V the camera view matrix.

export function toScreen(
  view: ArrayLike<number>,
  width: number,
  height: number,
  x: number,
  y: number,
): [number, number] {
  const vx = view[0] * x + view[4] * y + view[12];
  const vy = view[1] * x + view[5] * y + view[13];
  const cx = width > 0 ? (vx * height) / width : 0;
  return [(width * (cx + 1)) / 2, height * (0.5 - vy / 2)];
}

/**
 * The same mapping as one 2-D affine transform `[a, b, c, d, e, f]` (CSS px from the canvas's
 * top-left): `px = a·x + c·y + e`, `py = b·x + d·y + f` (the order of SVG's `matrix()`).
 */
export function screenTransform(view: ArrayLike<number>, width: number, height: number): number[] {
  const [e, f] = toScreen(view, width, height, 0, 0);
  const [ax, bx] = toScreen(view, width, height, 1, 0);
  const [cy, dy] = toScreen(view, width, height, 0, 1);
  return [ax - e, bx - f, cy - e, dy - f, e, f];
}

/**
 * Default style for `n` points: the dot's diameter (CSS px) falls by 1.75 px per tenfold more
 * points, from 9 px at 100 points or fewer to 2 px at a million (clamped to [2, 9], rounded to
 * half pixels): 200 points 8.5 px, 1,000 7.5 px, 10,000 5.5 px, 100,000 4 px. Opacity is 0.9
 * up to 1,000 points and falls by 0.14 per tenfold more (0.48 at a million, at least 0.35), so
 * dense regions read as dense instead of one blot.
 */
export function pointStyle(n: number): { pointSize: number; opacity: number } {
  const decades = Math.log10(Math.max(1, n));
  const size = Math.min(9, Math.max(2, 9 - 1.75 * (decades - 2)));
  const opacity = Math.min(0.9, Math.max(0.35, 0.9 - 0.14 * (decades - 3)));
  return { pointSize: Math.round(size * 2) / 2, opacity: Math.round(opacity * 100) / 100 };
}

/** Colour of selected points (regl-scatterplot's active colour) and of selected hits' markers. */
export const SELECT_COLOR = "#ff6d00";

/** Radius (px) of a highlight marker with its selection halo (CSS `.marker.selected`). */
export const MARKER_RADIUS = 11;
/** The hover ring's radius (px, border and halo included) beyond the dot's radius. */
export const RING_EXTRA = 7;

/** Empty space (px) kept on every side of the fitted cloud: the largest thing drawn around a
 * point (highlight marker, hover ring) fits inside, with 3 px to spare. */
export function fitMargin(pointSize: number): number {
  return Math.ceil(Math.max(MARKER_RADIUS, pointSize / 2 + RING_EXTRA)) + 3;
}

export interface Bounds {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Bounding box of the finite points; null when there are none. */
export function dataBounds(x: ArrayLike<number>, y: ArrayLike<number>): Bounds | null {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const u = x[i];
    const v = y[i];
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
    if (u < x0) x0 = u;
    if (u > x1) x1 = u;
    if (v < y0) y0 = v;
    if (v > y1) y1 = v;
  }
  return x0 <= x1 ? { x0, x1, y0, y1 } : null;
}

/** How much more one axis may be stretched than the other to fill the canvas. */
export const MAX_STRETCH = 3;

/**
 * The camera view matrix (column-major 4×4, for regl-scatterplot's `cameraView`) that fits
 * `bounds` into a `width × height` canvas with `margin` px free on every side: each axis is
 * scaled to fill its side (so a round cloud fills a wide canvas), the two scales differing by
 * at most `MAX_STRETCH` (a very wide canvas does not turn the map into a line); the box is
 * centred. A degenerate axis (all points on a line, or one point) takes the other's scale.
 */
export function fitView(bounds: Bounds | null, width: number, height: number, margin: number, maxStretch = MAX_STRETCH): number[] {
  const w = Math.max(1, width - 2 * margin);
  const hh = Math.max(1, height - 2 * margin);
  const b = bounds ?? { x0: -1, x1: 1, y0: -1, y1: 1 };
  const dx = b.x1 - b.x0;
  const dy = b.y1 - b.y0;
  const tiny = 1e-9;
  let kx = dx > tiny ? w / dx : Number.NaN; // px per data unit along x
  let ky = dy > tiny ? hh / dy : Number.NaN;
  if (Number.isNaN(kx) && Number.isNaN(ky)) {
    kx = ky = Math.min(width, height) / 2; // one point: the default camera's scale
  } else if (Number.isNaN(kx)) {
    kx = ky;
  } else if (Number.isNaN(ky)) {
    ky = kx;
  }
  if (kx > maxStretch * ky) kx = maxStretch * ky;
  if (ky > maxStretch * kx) ky = maxStretch * kx;
  // toScreen: px = W/2 + (H/2)·(v0·x + v12), py = H/2 − (H/2)·(v5·y + v13)
  const h2 = Math.max(1, height) / 2;
  const v0 = kx / h2;
  const v5 = ky / h2;
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  return [v0, 0, 0, 0, 0, v5, 0, 0, 0, 0, 1, 0, -v0 * cx, -v5 * cy, 0, 1];
}

/** Whether two view matrices are the same (within float noise). */
export function sameView(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-7 * Math.max(1, Math.abs(b[i]))) return false;
  return true;
}
