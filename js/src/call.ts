// Requests to Python and their replies over anywidget custom messages (docs/widgets.md).
//
// Only the module contract every host implements is used: `model.send` for the request and the
// model's "msg:custom" event for the reply. anywidget's RPC helper is left alone on purpose:
// marimo (and possibly VS Code, Colab) do not provide it, and every call would fail there.
import { asViews } from "./buffers";
import type { AnyModel, Handler } from "./types";

export const REQUEST = "embmagic-request";
export const REPLY = "embmagic-reply";

/** How long each command may take before the front end gives up (ms). */
export const TIMEOUTS = {
  query: 120_000,
  search: 120_000,
  ask: 600_000,
  hover_texts: 10_000,
  select: 30_000,
  painted: 30_000,
} as const;

export class CommandError extends Error {}

/** The part of the model a channel needs (every anywidget host provides it). */
export type Messenger = Pick<AnyModel<unknown>, "on" | "off" | "send">;

export interface CallOptions {
  timeoutMs: number;
  buffers?: ArrayBufferView[];
}

export interface Answer<T> {
  reply: T;
  buffers: DataView[];
}

interface Pending {
  name: string;
  timer: ReturnType<typeof setTimeout>;
  resolve: (answer: Answer<object>) => void;
  reject: (err: CommandError) => void;
}

// ids are unique on the page: every bundle (and every copy of one) draws its own prefix
const PREFIX = Math.random().toString(36).slice(2, 10);
let counter = 0;

/** A fresh request id. */
export function requestId(): string {
  counter += 1;
  return `${PREFIX}-${counter}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * One view's requests to Python. `call` sends `{kind: "embmagic-request", id, name, msg}` with
 * the buffers and resolves with the reply of the same id, or throws a CommandError whose message
 * is one line for the error line: Python's `error` for `ok: false`, a timeout, a send that
 * failed, a malformed reply. Replies of other ids (another view of the same model, a request
 * that timed out) and other messages are ignored.
 */
export class Channel {
  private readonly pending = new Map<string, Pending>();
  private readonly listener: Handler;
  private closed = false;

  constructor(private readonly model: Messenger) {
    this.listener = (content, buffers) => this.receive(content, buffers);
    model.on("msg:custom", this.listener);
  }

  /** Requests waiting for their reply. */
  get waiting(): number {
    return this.pending.size;
  }

  call<T extends object>(name: string, msg: unknown, options: CallOptions): Promise<Answer<T>> {
    return new Promise<Answer<T>>((resolve, reject) => {
      if (this.closed) {
        reject(new CommandError(`${name}: cancelled`));
        return;
      }
      const id = requestId();
      const seconds = Math.round(options.timeoutMs / 1000);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError(`${name}: no reply from Python within ${seconds} s (is the kernel busy or restarted?)`));
      }, options.timeoutMs);
      this.pending.set(id, { name, timer, resolve: resolve as Pending["resolve"], reject });
      try {
        this.model.send({ kind: REQUEST, id, name, msg }, undefined, options.buffers ?? []);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new CommandError(`${name}: ${messageOf(err) || "failed"}`));
      }
    });
  }

  /** Stop listening; requests still waiting fail with "NAME: cancelled". */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.model.off("msg:custom", this.listener);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new CommandError(`${p.name}: cancelled`));
    }
  }

  private receive(content: unknown, buffers: unknown): void {
    if (!isObject(content) || content.kind !== REPLY || typeof content.id !== "string") return;
    const p = this.pending.get(content.id);
    if (!p) return;
    this.pending.delete(content.id);
    clearTimeout(p.timer);
    if (content.ok === false) {
      const error = typeof content.error === "string" && content.error ? content.error : "failed without a message";
      p.reject(new CommandError(error.split("\n")[0]));
    } else if (content.ok !== true) {
      p.reject(new CommandError(`${p.name}: malformed reply from Python (no "ok")`));
    } else if (content.reply !== undefined && !isObject(content.reply)) {
      p.reject(new CommandError(`${p.name}: malformed reply from Python (${String(JSON.stringify(content.reply)).slice(0, 80)})`));
    } else {
      p.resolve({ reply: (content.reply ?? {}) as object, buffers: asViews(buffers) });
    }
  }
}

/** The one-line message of anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
