// The one place that touches WebGL: regl-scatterplot behind the small `Scatter` interface.
import createScatterplot from "regl-scatterplot";
import { PointGrid } from "./pick";
import type { Scatter, ScatterData, ScatterEvents, ScatterOptions, SelectMode } from "./types";
import { SELECT_COLOR } from "./view";

type Plot = ReturnType<typeof createScatterplot>;
type InitialProperties = NonNullable<Parameters<typeof createScatterplot>[0]>;
type Settable = Parameters<Plot["set"]>[0];

const DEFAULT_COLOR = "#3b73b9";

export function createReglScatter({ canvas, width, height, background }: ScatterOptions): Scatter {
  const initial = {
    canvas,
    width,
    height,
    backgroundColor: background,
    pointColor: DEFAULT_COLOR,
    pointColorActive: SELECT_COLOR,
    // the hovered point keeps its colour (the default, white, hides it on a white canvas);
    // the widget draws a ring around it
    pointColorHover: DEFAULT_COLOR,
    pointSizeSelected: 2,
    // dots keep the size the widget sets (pointStyle) at every zoom and whatever the fit's
    // stretch: the default grows them with the camera's x scale
    pointScaleMode: "constant",
    pointOutlineWidth: 2,
    lassoColor: SELECT_COLOR,
    lassoType: "freeform",
    // build the spatial index on the main thread: no blob: Worker (CSP-restricted front ends)
    spatialIndexUseWorker: false,
    // hover/select events in the same task as the mouse event: the tooltip updates before the
    // next frame is drawn (asynchronous events waited behind a whole frame: 50 ms on 20k
    // points, 0.8 s on a million in headless Chromium's software WebGL)
    syncEvents: true,
  };
  const plot: Plot = createScatterplot(initial as unknown as Partial<InitialProperties>);
  const subscriptions: { event: string; handler: unknown }[] = [];
  let hasCategories = false;
  // hover: picked here, not by regl-scatterplot, which redraws every point on each mouse move
  // over a point (pick.ts says why)
  let size = { width, height };
  let pointSize = 6;
  let positions: ScatterData | null = null;
  let grid: PointGrid | null = null;
  let hovered = -1;
  const hoverHandlers: { over: ((row: number) => void)[]; out: (() => void)[] } = { over: [], out: [] };
  const setHovered = (row: number) => {
    if (row === hovered) return;
    hovered = row;
    if (row >= 0) for (const over of hoverHandlers.over) over(row);
    else for (const out of hoverHandlers.out) out();
  };
  const pickAt = (event: MouseEvent): number => {
    if (!positions || !plot.get("isPointsDrawn")) return -1;
    grid ??= new PointGrid(positions.x, positions.y);
    const rect = canvas.getBoundingClientRect();
    const radius = Math.max(4, pointSize / 2 + 2);
    return grid.nearest(plot.get("cameraView"), size.width, size.height,
      event.clientX - rect.left, event.clientY - rect.top, radius);
  };
  const onMove = (event: MouseEvent) => {
    // a drag (pan, lasso, box) stays the scatterplot's; a plain move is a hover, and the
    // scatterplot never sees it (its window listener would redraw the canvas)
    if (event.buttons !== 0) return;
    event.stopPropagation();
    setHovered(pickAt(event));
  };
  const onLeave = () => setHovered(-1);
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);

  const sub = (event: Parameters<Plot["subscribe"]>[0], handler: (payload: never) => void) => {
    subscriptions.push(plot.subscribe(event, handler as never));
  };

  return {
    async draw(data: ScatterData, samePositions: boolean): Promise<void> {
      const points = {
        x: data.x,
        y: data.y,
        valueA: data.category ?? new Uint8Array(data.x.length),
      };
      const spatialIndex = samePositions && plot.get("isPointsDrawn") ? plot.get("spatialIndex") : undefined;
      if (!samePositions || !positions) {
        positions = data;
        grid = null;
        setHovered(-1);
      }
      hasCategories = data.category !== null;
      await plot.draw(points, {
        zDataType: "categorical",
        preventFilterReset: samePositions,
        ...(spatialIndex ? { spatialIndex } : {}),
      });
      // the hover grid, built while the user looks at the first frame rather than on first hover
      setTimeout(() => {
        if (positions === data) grid ??= new PointGrid(data.x, data.y);
      }, 0);
    },
    style(style) {
      const props: Record<string, unknown> = {};
      if (style.colors) {
        const colors = style.colors.length > 0 ? style.colors : [DEFAULT_COLOR];
        props.pointColor = colors;
        // one active and one hover colour per category (lists of the same length as the
        // colours): the selection is SELECT_COLOR in every category, hover the point's own
        props.pointColorActive = colors.map(() => SELECT_COLOR);
        props.pointColorHover = colors;
        props.colorBy = hasCategories || colors.length > 1 ? "valueA" : null;
      }
      if (style.pointSize !== undefined) {
        props.pointSize = style.pointSize;
        pointSize = style.pointSize;
      }
      if (style.opacity !== undefined) props.opacity = style.opacity;
      void plot.set(props as Partial<Settable>);
    },
    setMode(mode: SelectMode) {
      void plot.set({ lassoType: mode === "box" ? "rectangle" : "freeform" } as unknown as Partial<Settable>);
    },
    resize(w: number, h: number) {
      size = { width: w, height: h };
      void plot.set({ width: w, height: h });
    },
    view() {
      return plot.get("cameraView");
    },
    setView(view: number[]) {
      // a copy: the camera updates the array it holds in place on pan and zoom
      void plot.set({ cameraView: [...view] } as unknown as Partial<Settable>);
    },
    on<E extends keyof ScatterEvents>(event: E, handler: ScatterEvents[E]) {
      const call = handler as (...args: unknown[]) => void;
      switch (event) {
        case "pointOver":
          hoverHandlers.over.push((row) => call(row));
          break;
        case "pointOut":
          hoverHandlers.out.push(() => call());
          break;
        case "select":
          sub("select", (payload: { points: number[] }) => call(payload.points));
          break;
        case "deselect":
          sub("deselect", () => call());
          break;
        case "view":
          sub("view", () => call());
          break;
        case "draw":
          sub("draw", () => call());
          break;
      }
    },
    destroy() {
      canvas.removeEventListener("mousemove", onMove);
      canvas.removeEventListener("mouseleave", onLeave);
      hoverHandlers.over.length = hoverHandlers.out.length = 0;
      for (const s of subscriptions) plot.unsubscribe(s as never);
      subscriptions.length = 0;
      plot.destroy();
    },
  };
}
