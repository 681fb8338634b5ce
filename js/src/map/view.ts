// Data coordinates → CSS pixels in the canvas, through regl-scatterplot's camera.
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

/** Default style for `n` points: smaller and more transparent as the map fills up. */
export function pointStyle(n: number): { pointSize: number; opacity: number } {
  if (n <= 10_000) return { pointSize: 5, opacity: 0.9 };
  if (n <= 100_000) return { pointSize: 3, opacity: 0.7 };
  if (n <= 1_000_000) return { pointSize: 2, opacity: 0.5 };
  return { pointSize: 1, opacity: 0.4 };
}
