// The small part of anywidget's front-end API these widgets use (anywidget >= 0.9): the model's
// get/set/on/off/save_changes/send and its "msg:custom" event, which every host implements.

export type Handler = (...args: unknown[]) => void;

/** The widget model: synced traits `T`, change events, custom messages. */
export interface AnyModel<T> {
  get<K extends keyof T & string>(key: K): T[K];
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  /** "change:NAME" (no arguments) or "msg:custom" (content, buffers) */
  on(event: string, handler: Handler): void;
  off(event?: string | null, handler?: Handler | null): void;
  save_changes(): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** What anywidget hands to `render` (only `model` and `el` are used: see call.ts). */
export interface RenderProps<T> {
  model: AnyModel<T>;
  el: HTMLElement;
}

export type Cleanup = () => void;

/** An array trait on the wire (docs/widgets.md): `{view, dtype, shape}`. */
export interface WireArray {
  view: DataView | ArrayBuffer | ArrayBufferView;
  dtype: string;
  shape: number[];
}
