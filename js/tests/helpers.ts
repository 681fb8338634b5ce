// A tiny stand-in for an anywidget model and `experimental.invoke`.
import { vi } from "vitest";
import type { AnyModel, Handler, Invoke, InvokeOptions } from "../src/types";

export class MockModel<T extends object> implements AnyModel<T> {
  readonly handlers = new Map<string, Set<Handler>>();
  saved = 0;
  readonly sent: unknown[] = [];

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

  send(content: unknown): void {
    this.sent.push(content);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }

  private emit(event: string): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler();
  }
}

export interface Call {
  name: string;
  msg: unknown;
  options: InvokeOptions | undefined;
}

/** `experimental.invoke` answering through `respond` (a reply object, or a thrown error). */
export function mockInvoke(respond: (name: string, msg: unknown, options?: InvokeOptions) => unknown) {
  const calls: Call[] = [];
  const invoke = vi.fn(async (name: string, msg: unknown, options?: InvokeOptions) => {
    calls.push({ name, msg, options });
    const reply = await respond(name, msg, options);
    return [reply, []] as [unknown, DataView[]];
  });
  return { invoke: invoke as unknown as Invoke, calls, spy: invoke };
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
