// A tiny stand-in for an anywidget model, and for Python's half of the request/reply protocol.
import { REPLY, REQUEST } from "../src/call";
import type { AnyModel, Handler, RenderProps } from "../src/types";

export class MockModel<T extends object> implements AnyModel<T> {
  readonly handlers = new Map<string, Set<Handler>>();
  saved = 0;
  readonly sent: { content: unknown; buffers: unknown[] }[] = [];
  /** Called for every `send` (a throw is the send failing, e.g. a closed comm). */
  onSend: (content: unknown, buffers: unknown[]) => void = () => {};

  constructor(private values: T) {}

  get<K extends keyof T & string>(key: K): T[K] {
    return this.values[key];
  }

  set<K extends keyof T & string>(key: K, value: T[K]): void {
    this.values[key] = value;
    this.emit(`change:${key}`);
  }

  /** What Python does: set traits, then fire their change events. */
  update(partial: Partial<T>): void {
    Object.assign(this.values, partial);
    for (const key of Object.keys(partial)) this.emit(`change:${key}`);
  }

  on(event: string, handler: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(handler);
  }

  off(event?: string | null, handler?: Handler | null): void {
    if (!event) {
      this.handlers.clear();
      return;
    }
    if (!handler) this.handlers.delete(event);
    else this.handlers.get(event)?.delete(handler);
  }

  save_changes(): void {
    this.saved += 1;
  }

  send(content: unknown, _callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void {
    this.sent.push({ content, buffers: [...(buffers ?? [])] });
    this.onSend(content, [...(buffers ?? [])]);
  }

  /** What the kernel does: a custom message (content, buffers) for the front end. */
  receive(content: unknown, buffers: DataView[] = []): void {
    this.emit("msg:custom", content, buffers);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler(...args);
  }
}

export interface Call {
  id: string;
  name: string;
  msg: unknown;
  buffers: unknown[];
}

/** Returned by a `respond` function: Python never answers this request. */
export const NO_REPLY = Symbol("no reply");

/**
 * Python's half of the protocol on `model`: each `embmagic-request` is answered (asynchronously,
 * as a custom message with the request's id) by `respond(name, msg, buffers)`, which returns what
 * the command returns in Python: `{ok: true, ...fields}` or `{ok: false, error}` (or a promise of
 * it, or NO_REPLY). A synchronous throw makes `model.send` throw.
 */
export function mockPython<T extends object>(
  model: MockModel<T>,
  respond: (name: string, msg: unknown, buffers: unknown[]) => unknown,
) {
  const calls: Call[] = [];
  model.onSend = (content, buffers) => {
    const request = content as { kind?: unknown; id: string; name: string; msg: unknown };
    if (request.kind !== REQUEST) return;
    calls.push({ id: request.id, name: request.name, msg: request.msg, buffers });
    const out = respond(request.name, request.msg, buffers);
    void Promise.resolve(out).then(
      (reply) => {
        if (reply !== NO_REPLY) model.receive(envelope(request.id, reply));
      },
      () => {},
    );
  };
  return { calls };
}

/** The custom message Python sends for a command's result. */
export function envelope(id: string, result: unknown): Record<string, unknown> {
  const { ok, error, ...reply } = result as { ok?: unknown; error?: unknown };
  return ok === false ? { kind: REPLY, id, ok, error } : { kind: REPLY, id, ok, reply };
}

/** Let pending promises (and their continuations) run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

export function byTestId(root: ParentNode, id: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`no element with data-testid=${id}`);
  return el;
}

export function allByTestId(root: ParentNode, id: string): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
}

/** Render props as anywidget passes them; reading anything but `model` and `el` fails the test
 * (the widgets must not depend on host extras some hosts lack). */
export function renderProps<T>(model: AnyModel<T>, el: HTMLElement): RenderProps<T> {
  return new Proxy({ model, el }, {
    get(target, key) {
      if (key === "model" || key === "el") return target[key];
      throw new Error(`render read props.${String(key)}: only model and el exist in every host`);
    },
  });
}
