// The small part of anywidget's front-end API these widgets use (anywidget >= 0.9).

export type Handler = (...args: unknown[]) => void;

/** The widget model: synced traits `T`, change events, custom messages. */
export interface AnyModel<T> {
  get<K extends keyof T & string>(key: K): T[K];
  set<K extends keyof T & string>(key: K, value: T[K]): void;
  on(event: string, handler: Handler): void;
  off(event?: string | null, handler?: Handler | null): void;
  save_changes(): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

export interface InvokeOptions {
  signal?: AbortSignal;
  buffers?: ArrayBuffer[] | ArrayBufferView[];
}

/** `experimental.invoke`: resolves to `[response, buffers]` once Python replies. */
export type Invoke = (
  name: string,
  msg: unknown,
  options?: InvokeOptions,
) => Promise<[unknown, DataView[]]>;

export interface RenderProps<T> {
  model: AnyModel<T>;
  el: HTMLElement;
  experimental: { invoke: Invoke };
}

export type Cleanup = () => void;

/** An array trait on the wire (docs/widgets.md): `{view, dtype, shape}`. */
export interface WireArray {
  view: DataView | ArrayBuffer | ArrayBufferView;
  dtype: string;
  shape: number[];
}

/** Every command reply: `{ok: true, ...}` or `{ok: false, error}`. */
export type Reply<T> = ({ ok: true } & T) | { ok: false; error: string };
