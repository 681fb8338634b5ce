// DOM helpers. Text goes in ONLY through textContent / createTextNode: records may hold
// `<script>` or `<img onerror>` and must show as literal text (docs/widgets.md).

export interface ElOptions {
  testid?: string;
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/** `document.createElement(tag)` with a data-testid, class, text (as textContent) and attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElOptions = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (options.testid) el.dataset.testid = options.testid;
  if (options.className) el.className = options.className;
  if (options.text !== undefined) el.textContent = options.text;
  for (const [key, value] of Object.entries(options.attrs ?? {})) el.setAttribute(key, value);
  for (const child of children) el.appendChild(child);
  return el;
}

/** Replace the children of `el` with `nodes` (or with one text node for a string). */
export function replaceChildren(el: Element, nodes: Node[] | string): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  if (typeof nodes === "string") el.appendChild(document.createTextNode(nodes));
  else for (const node of nodes) el.appendChild(node);
}

/** A `<style>` element; CSS is ours, never document text. */
export function style(css: string): HTMLStyleElement {
  const el = document.createElement("style");
  el.textContent = css;
  return el;
}

/** Truncate `text` to about `max` characters (an ellipsis marks the cut). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** A score as the widgets show it: 3 decimals. */
export function formatScore(score: unknown): string {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(3) : "";
}

/** A CSS colour we accept from Python (`#rgb` / `#rrggbb`), else a neutral grey. */
export function safeColor(color: unknown): string {
  return typeof color === "string" && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color) ? color : "#888888";
}

/** The widget's error line: shows text (hidden when empty). */
export class ErrorLine {
  readonly el: HTMLDivElement;

  constructor(testid: string) {
    this.el = h("div", { testid, className: "embmagic-error", attrs: { role: "alert" } });
    this.show("");
  }

  show(message: string): void {
    this.el.textContent = message;
    this.el.hidden = message === "";
  }

  get text(): string {
    return this.el.textContent ?? "";
  }
}

/**
 * Keep JupyterLab's notebook shortcuts away from the widget's own controls: Lab binds arrow keys,
 * Enter and others in command mode, and Lumino skips an event whose target (or an ancestor below
 * the notebook) carries `data-lm-suppress-shortcuts` — on the focused control, not the root.
 */
export function guardControls(root: HTMLElement): void {
  for (const control of root.querySelectorAll("input, select, textarea, button")) {
    control.setAttribute("data-lm-suppress-shortcuts", "true");
  }
}

/**
 * Stop mouse presses inside `area` from reaching the notebook: Shift+mousedown in a cell makes
 * JupyterLab select a range of cells and swallow the drag that follows (the map's lasso).
 * Listeners on `area` itself (the scatterplot's canvas) still receive the events.
 */
export function keepMouseInside(area: HTMLElement): void {
  area.addEventListener("mousedown", (event) => event.stopPropagation());
}

/**
 * The widget's own look for its form controls (text and number inputs, selects, textareas,
 * buttons), scoped to `root` (a class selector): border, padding, radius, background and a
 * focus ring, so they look the same in JupyterLab, Notebook 7, VS Code and marimo, whose reset
 * stylesheet strips the browser's borders. Range sliders keep the browser's look; the RAG
 * panel's citation buttons (`.embmagic-cite`) style themselves.
 */
export function controlsCss(root: string): string {
  const fields = [`${root} input:not([type=range]):not([type=checkbox]):not([type=radio])`, `${root} select`, `${root} textarea`];
  const buttons = [`${root} button:not(.embmagic-cite)`];
  const all = [...fields, ...buttons];
  const each = (list: string[], suffix = "") => list.map((sel) => sel + suffix).join(", ");
  return `
${each(all)} { box-sizing: border-box; margin: 0; font: inherit; line-height: 1.4; color: var(--jp-ui-font-color1, #222); border: 1px solid var(--jp-border-color1, #9e9e9e); border-radius: 4px; padding: 3px 8px; min-height: 28px; }
${each(fields)} { background: var(--jp-layout-color0, #fff); }
${each(buttons)} { background: var(--jp-layout-color2, #f0f0f0); cursor: pointer; }
${each(buttons, ":hover:not(:disabled)")} { background: var(--jp-layout-color3, #e2e2e2); }
${each(all, ":disabled")} { opacity: 0.55; cursor: default; }
${each([...all, `${root} input[type=range]`], ":focus-visible")} { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
${root} input::placeholder, ${root} textarea::placeholder { color: var(--jp-ui-font-color3, #8a8a8a); }
`;
}

/** Image types a thumbnail may have (never SVG: it is a document, not a picture). */
export const THUMBNAIL_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
/** Most base64 characters of one thumbnail (as Python's THUMBNAIL_CHARS). */
export const THUMBNAIL_CHARS = 8192;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A record's thumbnail as Python sends it: the image type and its bytes as base64. */
export interface Thumbnail {
  mime: string;
  base64: string;
}

/**
 * The `data:` URI of a thumbnail `{mime, base64}`, or null unless the type is one of
 * THUMBNAIL_TYPES and the bytes are plain base64 of at most THUMBNAIL_CHARS characters: the URI
 * is built here from those two checked parts, never taken from Python as a whole.
 */
export function thumbnailSrc(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const { mime, base64 } = value as Record<string, unknown>;
  if (typeof mime !== "string" || !(THUMBNAIL_TYPES as readonly string[]).includes(mime)) return null;
  if (typeof base64 !== "string" || base64.length === 0 || base64.length > THUMBNAIL_CHARS) return null;
  if (!BASE64.test(base64)) return null;
  return `data:${mime};base64,${base64}`;
}

/**
 * An `<img>` showing a thumbnail, or null when `value` is not a valid one. Its `alt` is empty:
 * the record's text stands beside it (a screen reader would read it twice, and a picture that
 * fails to decode would show it twice).
 */
export function thumbnailImage(value: unknown, testid: string): HTMLImageElement | null {
  const src = thumbnailSrc(value);
  if (src === null) return null;
  const img = h("img", { testid, className: "thumb", attrs: { alt: "", decoding: "async" } });
  img.src = src;
  return img;
}
