// The saved map's stand-in for Python (docs/widgets.md, "Standalone HTML"): a local model with
// anywidget's model interface, and the map's commands answered from the data in the page.
import { asViews, decode } from "../buffers";
import { REPLY, REQUEST } from "../call";
import type { AnyModel, Handler } from "../types";

/** The most rows one `hover_texts` request may ask for (as Python's HOVER_CHUNK). */
export const HOVER_LIMIT = 1024;
export const QUERY_REFUSED = "the query box needs a running Python kernel: this is a saved page";

/** An array in the saved state: little-endian bytes as base64. */
export interface SavedArray {
  base64: string;
  dtype: string;
  shape: number[];
}

/** Every row's hover text, collection and id (parallel lists, in row order); `thumbnails`
 * (parallel, null for rows without) when some row is an image record. */
export interface HoverData {
  texts: string[];
  collections: string[];
  ids: unknown[];
  thumbnails?: unknown[];
}

export type Reply = Record<string, unknown>;
/** A command: its reply, or a thrown Error whose message is the one error line. */
export type Answer = (name: string, msg: Record<string, unknown>, buffers: DataView[]) => Reply;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSaved(value: unknown): value is SavedArray {
  return isObject(value) && typeof value.base64 === "string" && typeof value.dtype === "string" && Array.isArray(value.shape);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The saved state with every `{base64, dtype, shape}` as the wire's `{view: DataView, ...}`
 * (checked by `decode`: a wrong dtype or byte count is an Error naming the trait). */
export function decodeState(saved: unknown): Record<string, unknown> {
  if (!isObject(saved)) throw new Error("the saved state is not a JSON object");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(saved)) {
    if (isSaved(value)) {
      const bytes = fromBase64(value.base64);
      const wire = { view: new DataView(bytes.buffer, 0, bytes.byteLength), dtype: value.dtype, shape: value.shape };
      decode(wire, key);
      out[key] = wire;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.split("\n")[0];
}

/**
 * A widget model held in the page: `get`/`set`/`on`/`off`/`save_changes`/`send` as anywidget's,
 * `"change:NAME"` after each `set`, and each `embmagic-request` sent to it answered (after the
 * current task, as a kernel would) by `answer` with an `embmagic-reply` on `"msg:custom"`.
 */
export class LocalModel<T extends object> implements AnyModel<T> {
  private readonly handlers = new Map<string, Set<Handler>>();
  saved = 0;

  constructor(
    private readonly values: T,
    private readonly answer: Answer,
  ) {}

  get<K extends keyof T & string>(key: K): T[K] {
    return this.values[key];
  }

  set<K extends keyof T & string>(key: K, value: T[K]): void {
    if (Object.is(this.values[key], value)) return;
    this.values[key] = value;
    this.emit(`change:${key}`);
  }

  on(event: string, handler: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(handler);
  }

  off(event?: string | null, handler?: Handler | null): void {
    if (!event) {
      if (handler) for (const set of this.handlers.values()) set.delete(handler);
      else this.handlers.clear();
      return;
    }
    if (!handler) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(handler);
  }

  save_changes(): void {
    this.saved += 1;
  }

  send(content: unknown, _callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void {
    const views = asViews(buffers ?? []);
    setTimeout(() => {
      const reply = this.reply(content, views);
      if (reply) this.emit("msg:custom", reply, []);
    }, 0);
  }

  /** Listeners registered now (for tests). */
  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  private reply(content: unknown, buffers: DataView[]): Reply | null {
    const id = isObject(content) && typeof content.id === "string" && content.id ? content.id : null;
    try {
      if (!isObject(content) || content.kind !== REQUEST) throw new Error("not a widget request");
      if (id === null) throw new Error("a widget request needs a string id");
      if (typeof content.name !== "string") throw new Error("a widget request needs a command name");
      if (!isObject(content.msg)) throw new Error("a command message must be a JSON object");
      return { kind: REPLY, id, ok: true, reply: this.answer(content.name, content.msg, buffers) };
    } catch (err) {
      return id === null ? null : { kind: REPLY, id, ok: false, error: messageOf(err) || "failed" };
    }
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler(...args);
  }
}

function wholeNumber(msg: Record<string, unknown>, key: string): number {
  const value = msg[key];
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`missing field '${key}'`);
  return value;
}

/**
 * The map's commands, answered from the saved page's data as Python answers them (the same
 * replies and the same refusals); `query` is refused: it needs the embedding model.
 */
export class LocalMap {
  /** Rows of the current selection (what `m.selected` holds in Python). */
  selected: number[] = [];
  firstPaintMs: number | null = null;

  constructor(
    private readonly hover: HoverData,
    private readonly now: () => number = () => (typeof performance === "undefined" ? 0 : performance.now()),
  ) {
    const n = hover.texts.length;
    if (hover.collections.length !== n || hover.ids.length !== n) {
      throw new Error(`hover data: ${n} texts, ${hover.collections.length} collections, ${hover.ids.length} ids`);
    }
    if (hover.thumbnails !== undefined && (!Array.isArray(hover.thumbnails) || hover.thumbnails.length !== n)) {
      throw new Error(`hover data: ${n} texts but thumbnails for ${Array.isArray(hover.thumbnails) ? hover.thumbnails.length : "no"} rows`);
    }
  }

  get size(): number {
    return this.hover.texts.length;
  }

  readonly answer: Answer = (name, msg, buffers) => {
    switch (name) {
      case "hover_texts":
        return this.hoverTexts(msg);
      case "hover":
        return this.hoverRow(msg);
      case "select":
        return this.select(msg, buffers);
      case "painted":
        if (this.firstPaintMs === null) this.firstPaintMs = this.now();
        return { first_paint_ms: this.firstPaintMs };
      case "query":
        throw new Error(QUERY_REFUSED);
      default:
        throw new Error(`unknown command ${JSON.stringify(name)} (this widget has: hover, hover_texts, painted, query, select)`);
    }
  };

  private checkRow(row: number): void {
    if (!(row >= 0 && row < this.size)) throw new Error(`row ${row} is not on this map (0..${this.size - 1})`);
  }

  private hoverTexts(msg: Record<string, unknown>): Reply {
    const start = wholeNumber(msg, "start");
    const count = wholeNumber(msg, "count");
    this.checkRow(start);
    if (!(count >= 1 && count <= HOVER_LIMIT)) throw new Error(`hover_texts takes 1 to ${HOVER_LIMIT} rows, got ${count}`);
    const end = Math.min(start + count, this.size);
    const { texts, collections, ids, thumbnails } = this.hover;
    const reply: Reply = { start, texts: texts.slice(start, end), collections: collections.slice(start, end), ids: ids.slice(start, end) };
    const thumbs = thumbnails?.slice(start, end) ?? [];
    return thumbs.some((t) => t) ? { ...reply, thumbnails: thumbs } : reply;
  }

  private hoverRow(msg: Record<string, unknown>): Reply {
    const row = wholeNumber(msg, "row");
    this.checkRow(row);
    const { texts, collections, ids, thumbnails } = this.hover;
    // metadata is not saved in the page (the front end does not show it)
    const reply: Reply = { row, text: texts[row], collection: collections[row], id: ids[row], metadata: {} };
    return thumbnails?.[row] ? { ...reply, thumbnail: thumbnails[row] } : reply;
  }

  private select(msg: Record<string, unknown>, buffers: DataView[]): Reply {
    const count = wholeNumber(msg, "count");
    const size = this.size;
    if (!(count >= 0 && count <= size)) {
      throw new Error(`a selection of ${count} rows cannot come from a map of ${size.toLocaleString("en-US")} points`);
    }
    const data = buffers[0] ?? new DataView(new ArrayBuffer(0));
    if (data.byteLength % 4) throw new Error(`a selection buffer of ${data.byteLength} bytes is not uint32 rows`);
    if (data.byteLength / 4 !== count) throw new Error(`selection says ${count} rows but carries ${data.byteLength / 4}`);
    const rows: number[] = [];
    for (let i = 0; i < count; i++) rows.push(data.getUint32(4 * i, true));
    const top = rows.reduce((a, b) => Math.max(a, b), -1);
    if (top >= size) throw new Error(`selected row ${top} is not on this map`);
    this.selected = rows;
    return { count };
  }
}
