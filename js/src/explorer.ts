// Neighbours explorer: query box (search as you type), k slider, search mode, collection picker,
// results.
import { Channel, messageOf, TIMEOUTS } from "./call";
import { controlsCss, ErrorLine, formatScore, guardControls, h, replaceChildren, style, thumbnailImage } from "./dom";
import { modeSelect, showModes } from "./modes";
import { subscribe } from "./model";
import type { Cleanup, RenderProps } from "./types";

export interface ExplorerRow {
  rank: number;
  score: number;
  text: string;
  id?: unknown;
  metadata?: Record<string, unknown>;
  /** an image record's thumbnail `{mime, base64}` (checked when shown) */
  thumbnail?: unknown;
}

export interface ExplorerTraits {
  collections: string[];
  collection: string;
  k: number;
  /** the search mode (dense, lexical, hybrid); absent in front ends older than the trait */
  mode?: string;
  modes?: string[];
  query: string;
  results: ExplorerRow[];
  status: string;
  error: string;
}

export const DEBOUNCE_MS = 250;
export const MAX_K = 50;

const CSS = `
.embmagic-explorer { font: 13px/1.4 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.embmagic-explorer .bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
.embmagic-explorer input[type=search] { flex: 1 1 240px; min-width: 160px; padding: 3px 6px; }
.embmagic-explorer table { border-collapse: collapse; width: 100%; }
.embmagic-explorer th, .embmagic-explorer td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); vertical-align: top; }
.embmagic-explorer td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.embmagic-explorer td.text { white-space: pre-wrap; word-break: break-word; }
.embmagic-explorer td.text img.thumb { display: block; max-width: 96px; max-height: 96px; margin: 2px 0; }
.embmagic-explorer .status { color: var(--jp-ui-font-color2, #666); margin-top: 4px; }
.embmagic-explorer[data-busy="1"] .status::after { content: " · searching…"; }
.embmagic-error { color: var(--jp-error-color1, #c62828); white-space: pre-wrap; margin-top: 4px; }
${controlsCss(".embmagic-explorer")}`;

function clampK(value: unknown): number {
  const k = Math.round(Number(value));
  return Number.isFinite(k) ? Math.min(MAX_K, Math.max(1, k)) : 5;
}

/** The text cell: an image record's thumbnail above its text (the text stays text). */
function textCell(row: ExplorerRow): HTMLTableCellElement {
  const text = String(row.text ?? "");
  const thumb = row.thumbnail === undefined ? null : thumbnailImage(row.thumbnail, "explorer-thumbnail");
  return h("td", { className: "text" }, [...(thumb ? [thumb] : []), document.createTextNode(text)]);
}

/** Rows of the results table (rank, score to 3 decimals, text; thumbnails of image records). */
export function renderResults(tbody: HTMLTableSectionElement, rows: readonly ExplorerRow[]): void {
  replaceChildren(
    tbody,
    (rows ?? []).map((row) =>
      h("tr", { testid: "explorer-row" }, [
        h("td", { className: "num", text: String(row.rank) }),
        h("td", { className: "num", text: formatScore(row.score) }),
        textCell(row),
      ]),
    ),
  );
}

function render({ model, el }: RenderProps<ExplorerTraits>): Cleanup {
  const channel = new Channel(model);
  const query = h("input", {
    testid: "explorer-query",
    attrs: { type: "search", placeholder: "Type to search…", "aria-label": "query" },
  });
  const k = h("input", {
    testid: "explorer-k",
    attrs: { type: "range", min: "1", max: String(MAX_K), step: "1", "aria-label": "k" },
  });
  const kValue = h("span", { testid: "explorer-k-value", className: "num" });
  const picker = h("select", { testid: "explorer-collection", attrs: { "aria-label": "collection" } });
  const modePicker = modeSelect("explorer-mode");
  const tbody = h("tbody");
  const table = h("table", { testid: "explorer-results" }, [
    h("thead", {}, [h("tr", {}, [h("th", { text: "#" }), h("th", { text: "score" }), h("th", { text: "text" })])]),
    tbody,
  ]);
  const status = h("div", { testid: "explorer-status", className: "status" });
  const error = new ErrorLine("explorer-error");
  const root = h("div", { testid: "embmagic-explorer", className: "embmagic-explorer" }, [
    style(CSS),
    h("div", { className: "bar" }, [query, h("label", {}, [document.createTextNode("k "), k, kValue]), modePicker, picker]),
    table,
    status,
    error.el,
  ]);

  let latest = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const search = async (): Promise<void> => {
    clearTimeout(timer);
    const text = query.value;
    if (!text.trim()) return;
    const seq = ++latest;
    root.dataset.busy = "1";
    try {
      await channel.call("search", { text, k: clampK(k.value), collection: picker.value, mode: modePicker.value }, {
        timeoutMs: TIMEOUTS.search,
      });
      if (seq === latest) error.show(model.get("error") ?? "");
    } catch (err) {
      if (seq === latest) error.show(messageOf(err));
    } finally {
      if (seq === latest) delete root.dataset.busy;
    }
  };
  const later = () => {
    clearTimeout(timer);
    if (query.value.trim()) timer = setTimeout(() => void search(), DEBOUNCE_MS);
  };

  query.addEventListener("input", later);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      void search();
    }
  });
  k.addEventListener("input", () => {
    kValue.textContent = String(clampK(k.value));
  });
  k.addEventListener("change", () => {
    model.set("k", clampK(k.value));
    model.save_changes();
    later();
  });
  picker.addEventListener("change", () => {
    model.set("collection", picker.value);
    model.save_changes();
    later();
  });
  modePicker.addEventListener("change", () => {
    model.set("mode", modePicker.value);
    model.save_changes();
    later();
  });

  const onQuery = () => {
    // never overwrite what the user is typing with an older echo from Python
    if (document.activeElement !== query) query.value = model.get("query") ?? "";
  };
  const onK = () => {
    const value = clampK(model.get("k"));
    k.value = String(value);
    kValue.textContent = String(value);
  };
  const onCollections = () => {
    const names = model.get("collections") ?? [];
    const chosen = model.get("collection") ?? "";
    const all = chosen && !names.includes(chosen) ? [chosen, ...names] : names;
    replaceChildren(picker, all.map((name) => h("option", { text: name, attrs: { value: name } })));
    picker.value = chosen;
  };
  const onMode = () => showModes(modePicker, model.get("modes"), model.get("mode"));
  const onResults = () => renderResults(tbody, model.get("results") ?? []);
  const onStatus = () => {
    status.textContent = model.get("status") ?? "";
  };
  const onError = () => error.show(model.get("error") ?? "");

  const unsubscribe = subscribe(model, [
    ["change:query", onQuery],
    ["change:k", onK],
    ["change:collections", onCollections],
    ["change:collection", onCollections],
    ["change:mode", onMode],
    ["change:modes", onMode],
    ["change:results", onResults],
    ["change:status", onStatus],
    ["change:error", onError],
  ], true);
  el.appendChild(root);
  guardControls(root);

  return () => {
    clearTimeout(timer);
    latest = Number.NaN; // replies still in flight are ignored
    channel.close();
    unsubscribe();
    root.remove();
  };
}

// anywidget's module contract: a default export with `render` (a bare `export function
// render` is deprecated and logs a warning in the browser console)
export default { render };
