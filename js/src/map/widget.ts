// The map widget without WebGL: DOM, traits, commands. The scatterplot comes from `create`
// (regl-scatterplot in the bundle, a fake in the unit tests).
import { decodeOptional, encodeRows } from "../buffers";
import { Channel, messageOf, TIMEOUTS } from "../call";
import { controlsCss, ErrorLine, guardControls, h, keepMouseInside, replaceChildren, safeColor, style, thumbnailImage } from "../dom";
import { modeSelect, showModes } from "../modes";
import { subscribe } from "../model";
import type { Cleanup, RenderProps } from "../types";
import { renderHits } from "./hits";
import { chunkRows, HoverCache } from "./hover";
import { ClusterLabels } from "./labels";
import { legendColors, renderLegend } from "./legend";
import type { CreateScatter, MapHit, MapTraits, Scatter, ScatterData, SelectMode } from "./types";
import { dataBounds, fitMargin, fitView, pointStyle, RING_EXTRA, sameView, screenTransform, SELECT_COLOR, toScreen, type Bounds } from "./view";

export const MAX_K = 100;
/** Highlighted rows drawn as markers (more are dimmed-in but not marked). */
export const MAX_MARKERS = 5000;
const DIM = 0.45;
export const STANDALONE_NOTE = "Saved page: the query box needs a running Python kernel (hover, colours, zoom and selection work here).";

// the shared control look first: the map's own rules below win ties (the segmented control)
const CSS = `${controlsCss(".embmagic-map")}
.embmagic-map { font: 13px/1.4 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.embmagic-map .bar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 4px; }
.embmagic-map .bar input[type=search] { flex: 1 1 220px; min-width: 140px; }
.embmagic-map .bar input[type=number] { width: 4.5em; }
.embmagic-map .hint, .embmagic-map .selected { color: var(--jp-ui-font-color2, #666); font-size: 12px; }
.embmagic-map .canvas { position: relative; overflow: hidden; box-shadow: 0 0 0 1px var(--jp-border-color2, #ddd); background: var(--jp-layout-color0, #fff); }
.embmagic-map .canvas canvas { display: block; }
.embmagic-map .seg { display: inline-flex; align-items: center; gap: 0; }
.embmagic-map .seg .seg-label { margin-right: 4px; color: var(--jp-ui-font-color2, #666); }
.embmagic-map .seg button { border-radius: 0; margin-left: -1px; background: var(--jp-layout-color0, #fff); }
.embmagic-map .seg button:first-of-type { border-radius: 4px 0 0 4px; margin-left: 0; }
.embmagic-map .seg button:last-of-type { border-radius: 0 4px 4px 0; }
.embmagic-map .seg button[aria-pressed=true] { background: var(--jp-brand-color1, #1976d2); border-color: var(--jp-brand-color1, #1976d2); color: #fff; position: relative; }
.embmagic-map .hover-ring { position: absolute; left: 0; top: 0; box-sizing: border-box; border: 2px solid var(--jp-ui-font-color0, #111); border-radius: 50%; pointer-events: none; box-shadow: 0 0 0 1.5px var(--jp-layout-color0, #fff); z-index: 1; }
.embmagic-map .marker { position: absolute; left: 0; top: 0; width: 10px; height: 10px; margin: -7px 0 0 -7px; border: 2px solid var(--jp-ui-font-color0, #111); border-radius: 50%; pointer-events: none; box-shadow: 0 0 0 1px var(--jp-layout-color0, #fff); }
.embmagic-map .marker.selected { border-color: ${SELECT_COLOR}; box-shadow: 0 0 0 2px var(--jp-layout-color0, #fff), 0 0 0 4px ${SELECT_COLOR}; }
.embmagic-map .query { position: absolute; left: 0; top: 0; pointer-events: none; white-space: nowrap; }
.embmagic-map .query .star { position: absolute; left: -9px; top: -9px; width: 14px; height: 14px; border: 2px solid #d50000; background: rgba(213,0,0,0.2); transform: rotate(45deg); }
.embmagic-map .query .label { position: absolute; left: 14px; top: -10px; padding: 0 4px; background: var(--jp-layout-color0, #fff); color: #d50000; font-weight: 600; border-radius: 3px; max-width: 240px; overflow: hidden; text-overflow: ellipsis; }
.embmagic-map .tooltip { position: absolute; z-index: 2; max-width: 360px; padding: 4px 8px; border-radius: 4px; pointer-events: none; background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bbb); box-shadow: 0 2px 6px rgba(0,0,0,0.2); white-space: pre-wrap; word-break: break-word; }
.embmagic-map .tooltip .where { color: var(--jp-ui-font-color2, #666); font-size: 11px; }
.embmagic-map .tooltip img.thumb { display: block; max-width: 128px; max-height: 128px; margin: 2px 0; image-rendering: auto; }
.embmagic-map .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 4px; }
.embmagic-map .legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: middle; }
.embmagic-map ol.hits { margin: 4px 0; padding: 0; list-style: none; max-height: 200px; overflow: auto; }
.embmagic-map ol.hits li { display: flex; gap: 0.4em; align-items: baseline; }
.embmagic-map ol.hits .rank { flex: none; min-width: 2.2em; text-align: right; color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.embmagic-map ol.hits .score { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.embmagic-map .status { color: var(--jp-ui-font-color2, #666); margin-top: 2px; }
.embmagic-error { color: var(--jp-error-color1, #c62828); white-space: pre-wrap; margin-top: 4px; }
`;

function themeBackground(el: HTMLElement): string {
  const value = getComputedStyle(el).getPropertyValue("--jp-layout-color0").trim();
  return /^#[0-9a-f]{6}$/i.test(value) ? value : "#ffffff";
}

export function renderMap({ model, el }: RenderProps<MapTraits>, create: CreateScatter): Cleanup {
  // -- DOM --------------------------------------------------------------------------------------
  const query = h("input", {
    testid: "map-query",
    attrs: { type: "search", placeholder: "Find text on the map…", "aria-label": "query" },
  });
  const k = h("input", { testid: "map-k", attrs: { type: "number", min: "1", max: String(MAX_K), value: "10", "aria-label": "k" } });
  const find = h("button", { testid: "map-find", text: "Find", attrs: { type: "button" } });
  const searchMode = modeSelect("map-search-mode");
  // selection shape: a two-option segmented control (toggle buttons, aria-pressed)
  const modeButtons: Record<SelectMode, HTMLButtonElement> = {
    lasso: h("button", { testid: "map-mode-lasso", text: "lasso", attrs: { type: "button", "data-mode": "lasso", "aria-pressed": "true", title: "Shift+drag draws a freeform lasso" } }),
    box: h("button", { testid: "map-mode-box", text: "box", attrs: { type: "button", "data-mode": "box", "aria-pressed": "false", title: "Shift+drag draws a rectangle" } }),
  };
  const mode = h("span", { testid: "map-mode", className: "seg", attrs: { role: "group", "aria-label": "selection shape", "data-mode": "lasso" } }, [
    h("span", { className: "seg-label", text: "Select:" }),
    modeButtons.lasso,
    modeButtons.box,
  ]);
  const hint = h("span", { testid: "map-hint", className: "hint", text: "Shift+drag to select" });
  const selected = h("span", { testid: "map-selected", className: "selected" });
  const canvas = h("canvas");
  const markers = h("div", { className: "markers" });
  const queryLabel = h("span", { testid: "map-query-label", className: "label" });
  const queryMarker = h("div", { testid: "map-query-marker", className: "query" }, [h("span", { className: "star" }), queryLabel]);
  const tooltip = h("div", { testid: "map-tooltip", className: "tooltip", attrs: { role: "tooltip" } });
  const hoverRing = h("div", { testid: "map-hover-ring", className: "hover-ring" });
  const clusterLabels = new ClusterLabels();
  const box = h("div", { testid: "map-canvas", className: "canvas" }, [canvas, markers, hoverRing, clusterLabels.el, queryMarker, tooltip]);
  const legend = h("div", { testid: "map-legend", className: "legend" });
  const hits = h("ol", { testid: "map-hits", className: "hits" });
  const status = h("div", { testid: "map-status", className: "status" });
  const standaloneNote = h("div", { testid: "map-standalone-note", className: "hint", text: STANDALONE_NOTE });
  const error = new ErrorLine("map-error");
  const root = h("div", { testid: "embmagic-map", className: "embmagic-map" }, [
    style(CSS),
    h("div", { className: "bar" }, [query, h("label", {}, [document.createTextNode("k "), k]), searchMode, find, mode, hint, selected]),
    box,
    legend,
    hits,
    status,
    standaloneNote,
    error.el,
  ]);
  queryMarker.hidden = true;
  tooltip.hidden = true;
  hoverRing.hidden = true;
  el.appendChild(root);
  guardControls(root);
  keepMouseInside(box);

  let alive = true;
  let width = 0;
  let height = 0;
  const measure = () => {
    height = Math.max(120, Math.round(Number(model.get("height")) || 420));
    box.style.height = `${height}px`;
    width = Math.round(box.clientWidth) || Math.round(el.clientWidth) || 640;
  };
  measure();

  let scatter: Scatter;
  try {
    scatter = create({ canvas, width, height, background: themeBackground(box) });
  } catch (err) {
    error.show(`the map needs WebGL, which is not available here: ${messageOf(err)}`);
    return () => root.remove();
  }
  const channel = new Channel(model);

  // -- state ------------------------------------------------------------------------------------
  let data: ScatterData = { x: new Float32Array(0), y: new Float32Array(0), category: null };
  let highlight: ArrayLike<number> = new Int32Array(0);
  let lastHits: MapHit[] = [];
  let pointsReady = false;
  let painted = false;
  let querySeq = 0;
  let pointer = { x: 0, y: 0 };
  let bounds: Bounds | null = null;
  /** the view fitView last set; null before the first fit */
  let fitted: number[] | null = null;
  let needFit = true;
  let hoverRow = -1;
  let selectedRows = new Set<number>();

  const fail = (err: unknown) => {
    if (alive) error.show(messageOf(err));
  };

  // -- drawing ----------------------------------------------------------------------------------
  const placeOverlay = () => {
    const view = scatter.view();
    // where data coordinates land on the page, for tests and scripts (docs/widgets.md)
    box.dataset.transform = JSON.stringify(screenTransform(view, width, height).map((v) => Number(v.toPrecision(9))));
    clusterLabels.place(view, width, height);
    if (hoverRow >= 0 && hoverRow < data.x.length) {
      const [sx, sy] = toScreen(view, width, height, data.x[hoverRow], data.y[hoverRow]);
      hoverRing.style.transform = `translate(${sx}px, ${sy}px)`;
      hoverRing.hidden = false;
    } else {
      hoverRing.hidden = true;
    }
    const qp = model.get("query_point") ?? [];
    if (qp.length === 2 && Number.isFinite(qp[0]) && Number.isFinite(qp[1])) {
      const [sx, sy] = toScreen(view, width, height, qp[0], qp[1]);
      queryMarker.style.transform = `translate(${sx}px, ${sy}px)`;
      queryMarker.hidden = false;
    } else {
      queryMarker.hidden = true;
    }
    const children = markers.children;
    for (let i = 0; i < children.length; i++) {
      const row = Number((children[i] as HTMLElement).dataset.row);
      const [sx, sy] = toScreen(view, width, height, data.x[row], data.y[row]);
      (children[i] as HTMLElement).style.transform = `translate(${sx}px, ${sy}px)`;
    }
  };

  const renderMarkers = () => {
    const colors = legendColors(model.get("legend"));
    const nodes: HTMLElement[] = [];
    for (let i = 0; i < highlight.length && nodes.length < MAX_MARKERS; i++) {
      const row = highlight[i];
      if (!(row >= 0 && row < data.x.length)) continue;
      const marker = h("div", { testid: "map-highlight", className: "marker", attrs: { "data-row": String(row) } });
      if (selectedRows.has(row)) {
        marker.classList.add("selected");
        marker.dataset.selected = "1";
      }
      const cat = data.category ? data.category[row] : 0;
      marker.style.backgroundColor = safeColor(colors[cat] ?? colors[0]);
      nodes.push(marker);
    }
    replaceChildren(markers, nodes);
    queryLabel.textContent = model.get("query_label") ?? "";
    placeOverlay();
  };

  /** Fit the camera to the cloud (`force`), or refit after a resize unless the user moved it. */
  const fit = (force: boolean) => {
    if (!force && !(fitted && sameView(scatter.view(), fitted))) return;
    const view = fitView(bounds, width, height, fitMargin(pointStyle(data.x.length).pointSize));
    scatter.setView?.(view);
    fitted = view;
  };

  const restyle = () => {
    const base = pointStyle(data.x.length);
    box.dataset.pointSize = String(base.pointSize);
    const ring = base.pointSize + 2 * (RING_EXTRA - 1.5); // the halo (1.5 px) is a shadow
    hoverRing.style.width = hoverRing.style.height = `${ring}px`;
    hoverRing.style.margin = `${-ring / 2}px 0 0 ${-ring / 2}px`;
    scatter.style({
      colors: legendColors(model.get("legend")),
      pointSize: base.pointSize,
      opacity: highlight.length > 0 ? base.opacity * DIM : base.opacity,
    });
  };

  let drawing = false;
  let again = false;
  let againSame = true;
  const requestDraw = (samePositions: boolean) => {
    again = true;
    againSame = againSame && samePositions;
    if (!drawing) void pump();
  };
  const pump = async () => {
    drawing = true;
    while (again && alive) {
      const same = againSame;
      again = false;
      againSame = true;
      try {
        restyle();
        if (needFit) {
          needFit = false;
          fit(true);
        }
        await scatter.draw(data, same);
        pointsReady = true;
        renderMarkers();
      } catch (err) {
        fail(`the map could not draw: ${messageOf(err)}`);
      }
    }
    drawing = false;
  };

  const loadPoints = (positionsChanged: boolean) => {
    try {
      const points = decodeOptional(model.get("points"), "points");
      const category = decodeOptional(model.get("category"), "category");
      const n = points ? points.length / 2 : 0;
      if (points && !(points instanceof Float32Array)) throw new Error("points: expected float32");
      if (category && !(category instanceof Uint8Array || category instanceof Uint16Array)) {
        throw new Error("category: expected uint8 or uint16");
      }
      if (category && category.length !== n) {
        throw new Error(`category has ${category.length} rows but points has ${n}`);
      }
      let { x, y } = data;
      if (positionsChanged || !points) {
        x = new Float32Array(n);
        y = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          x[i] = (points as Float32Array)[2 * i];
          y[i] = (points as Float32Array)[2 * i + 1];
        }
        hover.clear();
        bounds = dataBounds(x, y);
        needFit = true;
        hoverRow = -1;
        selectedRows = new Set();
      }
      data = { x, y, category: category as Uint8Array | Uint16Array | null };
      requestDraw(!positionsChanged);
    } catch (err) {
      fail(err);
    }
  };

  const loadHighlight = () => {
    try {
      highlight = decodeOptional(model.get("highlight"), "highlight") ?? new Int32Array(0);
    } catch (err) {
      highlight = new Int32Array(0);
      fail(err);
    }
    const rows = lastHits.map((hit) => hit.row);
    const same = rows.length === highlight.length && rows.every((r, i) => r === highlight[i]);
    if (!same) {
      lastHits = [];
      renderHits(hits, []);
    }
    restyle();
    renderMarkers();
  };

  // -- hover ------------------------------------------------------------------------------------
  const placeTooltip = () => {
    // below-right of the pointer; flipped to the other side where it would leave the canvas
    const [tw, th] = [tooltip.offsetWidth, tooltip.offsetHeight];
    let x = pointer.x + 14;
    if (x + tw > width) x = pointer.x - 14 - tw;
    let y = pointer.y + 14;
    if (y + th > height) y = pointer.y - 14 - th;
    tooltip.style.left = `${Math.max(0, x)}px`;
    tooltip.style.top = `${Math.max(0, y)}px`;
  };
  const hover = new HoverCache({
    fetch: async (start, count) => {
      const { reply } = await channel.call("hover_texts", { start, count }, { timeoutMs: TIMEOUTS.hover_texts });
      return chunkRows(reply, start, count);
    },
    rows: () => data.x.length,
    pending: (row) => {
      tooltip.dataset.row = String(row);
      replaceChildren(tooltip, "…");
      tooltip.hidden = false;
      placeTooltip();
    },
    show: (info) => {
      tooltip.dataset.row = String(info.row);
      const where = [info.collection, info.id === undefined || info.id === null ? "" : String(info.id)].filter(Boolean).join("/");
      const thumb = info.thumbnail === undefined ? null : thumbnailImage(info.thumbnail, "map-thumbnail");
      replaceChildren(tooltip, [
        ...(where ? [h("div", { className: "where", text: where })] : []),
        ...(thumb ? [thumb] : []),
        h("div", { className: "text", text: info.text }),
      ]);
      // an image loads after the tooltip was placed: place it again with its real size
      thumb?.addEventListener("load", () => {
        if (!tooltip.hidden && tooltip.dataset.row === String(info.row)) placeTooltip();
      });
      tooltip.hidden = false;
      placeTooltip();
    },
    hide: () => {
      tooltip.hidden = true;
      delete tooltip.dataset.row;
    },
    error: (message) => fail(message),
  });
  const onPointer = (event: PointerEvent) => {
    const rect = box.getBoundingClientRect();
    pointer = { x: event.clientX - rect.left, y: event.clientY - rect.top };
    if (!tooltip.hidden) placeTooltip();
  };
  box.addEventListener("pointermove", onPointer);

  // -- scatter events ---------------------------------------------------------------------------
  scatter.on("pointOver", (row) => {
    hoverRow = row;
    hoverRing.dataset.row = String(row);
    placeOverlay();
    void hover.over(row);
  });
  scatter.on("pointOut", () => {
    hoverRow = -1;
    hoverRing.hidden = true;
    hover.out();
  });
  scatter.on("view", placeOverlay);
  scatter.on("draw", () => {
    if (!alive || painted || !pointsReady) return;
    painted = true;
    root.dataset.painted = "1";
    channel.call("painted", { at: Date.now() }, { timeoutMs: TIMEOUTS.painted }).catch(fail);
  });
  const sendSelection = (rows: ArrayLike<number>) => {
    selected.textContent = rows.length ? `${rows.length.toLocaleString()} selected` : "";
    selectedRows = new Set(Array.from(rows));
    renderMarkers();
    try {
      const msg = { count: rows.length };
      const buffers = rows.length ? [encodeRows(rows).buffer] : [];
      channel.call("select", msg, { timeoutMs: TIMEOUTS.select, buffers }).catch(fail);
    } catch (err) {
      fail(err);
    }
  };
  scatter.on("select", (rows) => sendSelection(rows));
  scatter.on("deselect", () => sendSelection([]));

  // -- toolbar ----------------------------------------------------------------------------------
  const runQuery = async () => {
    const text = query.value;
    if (!text.trim()) {
      error.show("empty query: type the text to look for");
      return;
    }
    // k goes to Python as typed (a whole number): Python says when it is out of range
    const kValue = /^\s*-?\d+\s*$/.test(k.value) ? Number(k.value) : Number.NaN;
    if (!Number.isSafeInteger(kValue)) {
      error.show(`k must be a whole number, got ${JSON.stringify(k.value)}`);
      return;
    }
    const seq = ++querySeq;
    find.disabled = true;
    root.dataset.busy = "1";
    try {
      const { reply } = await channel.call<{ hits: MapHit[]; rows: number[] }>(
        "query", { text, k: kValue, mode: searchMode.value }, { timeoutMs: TIMEOUTS.query },
      );
      if (seq !== querySeq || !alive) return;
      lastHits = Array.isArray(reply.hits) ? reply.hits : [];
      renderHits(hits, lastHits);
      error.show(model.get("error") ?? "");
    } catch (err) {
      if (seq === querySeq) fail(err);
    } finally {
      if (seq === querySeq && alive) {
        find.disabled = false;
        delete root.dataset.busy;
      }
    }
  };
  find.addEventListener("click", () => void runQuery());
  searchMode.addEventListener("change", () => {
    model.set("mode", searchMode.value);
    model.save_changes();
  });
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      void runQuery();
    }
  });
  const setMode = (next: SelectMode) => {
    mode.dataset.mode = next;
    for (const [name, button] of Object.entries(modeButtons)) button.setAttribute("aria-pressed", String(name === next));
    scatter.setMode(next);
  };
  modeButtons.lasso.addEventListener("click", () => setMode("lasso"));
  modeButtons.box.addEventListener("click", () => setMode("box"));

  // -- traits -----------------------------------------------------------------------------------
  // points and category usually change together (one hold_sync message, two change events):
  // load them once, after both events
  let positionsDirty = false;
  let loadScheduled = false;
  const scheduleLoad = (positions: boolean) => {
    positionsDirty = positionsDirty || positions;
    if (loadScheduled) return;
    loadScheduled = true;
    queueMicrotask(() => {
      loadScheduled = false;
      const changed = positionsDirty;
      positionsDirty = false;
      if (alive) loadPoints(changed);
    });
  };
  const onPoints = () => scheduleLoad(true);
  const onCategory = () => scheduleLoad(false);
  const onLegend = () => {
    renderLegend(legend, model.get("legend"));
    restyle();
    renderMarkers();
  };
  const onQueryPoint = () => renderMarkers();
  // the shown query (m.show, %neighbors --show, a query from Python) fills the box, as text
  // only: no search; never over what the user is typing
  const onQueryLabel = () => {
    if (document.activeElement !== query) query.value = model.get("query_label") ?? "";
    renderMarkers();
  };
  const onLabels = () => {
    clusterLabels.set(model.get("labels"));
    placeOverlay();
  };
  const onStatus = () => {
    status.textContent = model.get("status") ?? "";
  };
  const onError = () => error.show(model.get("error") ?? "");
  const onSearchMode = () => showModes(searchMode, model.get("modes"), model.get("mode"));
  // a saved page (m.save_html) has no kernel: the query box cannot embed text there
  const onStandalone = () => {
    const saved = model.get("standalone") === true;
    standaloneNote.hidden = !saved;
    for (const control of [query, k, searchMode, find]) control.disabled = saved;
  };
  const onHeight = () => {
    measure();
    scatter.resize(width, height);
    fit(false);
    placeOverlay();
  };
  const unsubscribe = subscribe(model, [
    ["change:points", onPoints],
    ["change:category", onCategory],
    ["change:legend", onLegend],
    ["change:labels", onLabels],
    ["change:highlight", loadHighlight],
    ["change:query_point", onQueryPoint],
    ["change:query_label", onQueryLabel],
    ["change:status", onStatus],
    ["change:error", onError],
    ["change:height", onHeight],
    ["change:standalone", onStandalone],
    ["change:mode", onSearchMode],
    ["change:modes", onSearchMode],
  ], false);
  renderLegend(legend, model.get("legend"));
  onLabels();
  onStatus();
  query.value = model.get("query_label") ?? "";
  onError();
  onSearchMode();
  onStandalone();
  try {
    highlight = decodeOptional(model.get("highlight"), "highlight") ?? new Int32Array(0);
  } catch (err) {
    fail(err);
  }
  loadPoints(true);

  const resizer =
    typeof ResizeObserver === "undefined"
      ? null
      : new ResizeObserver(() => {
          const w = Math.round(box.clientWidth);
          if (w > 0 && w !== width) {
            width = w;
            scatter.resize(width, height);
            fit(false);
            placeOverlay();
          }
        });
  resizer?.observe(box);

  return () => {
    alive = false;
    resizer?.disconnect();
    unsubscribe();
    box.removeEventListener("pointermove", onPointer);
    hover.clear();
    channel.close();
    scatter.destroy();
    root.remove();
  };
}
