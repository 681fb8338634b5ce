// Calling Python commands (anywidget `experimental.invoke`) with our own timeouts.
import type { Invoke } from "./types";

export const TIMEOUTS = {
  query: 120_000,
  search: 120_000,
  ask: 600_000,
  hover: 10_000,
  select: 30_000,
  painted: 30_000,
} as const;

export class CommandError extends Error {}

function describe(name: string, reason: unknown, timeoutMs: number): string {
  const err = reason as { name?: unknown; message?: unknown } | null;
  const kind = err && typeof err === "object" ? err.name : undefined;
  if (kind === "TimeoutError") {
    return `${name}: no reply from Python within ${Math.round(timeoutMs / 1000)} s (is the kernel busy or restarted?)`;
  }
  if (kind === "AbortError") return `${name}: cancelled`;
  const message = err && typeof err === "object" && typeof err.message === "string" ? err.message : String(reason);
  return `${name}: ${message || "failed"}`;
}

/**
 * Invoke command `name` and return its reply (without `ok`). Throws a CommandError whose
 * message is one line to show in the error line: Python's `error` for `{ok: false}`, or what
 * went wrong (timeout, rejection, malformed reply).
 */
export async function call<T extends object>(
  invoke: Invoke,
  name: string,
  msg: unknown,
  options: { timeoutMs: number; buffers?: ArrayBufferView[] },
): Promise<{ reply: T; buffers: DataView[] }> {
  let result: [unknown, DataView[]];
  try {
    result = await invoke(name, msg, {
      signal: AbortSignal.timeout(options.timeoutMs),
      buffers: options.buffers ?? [],
    });
  } catch (reason) {
    throw new CommandError(describe(name, reason, options.timeoutMs));
  }
  const [reply, buffers] = Array.isArray(result) ? result : [result, []];
  if (typeof reply !== "object" || reply === null) {
    throw new CommandError(`${name}: malformed reply from Python (${JSON.stringify(reply)})`);
  }
  const r = reply as { ok?: unknown; error?: unknown };
  if (r.ok !== true) {
    const error = typeof r.error === "string" && r.error ? r.error : "failed without a message";
    throw new CommandError(r.ok === false ? error : `${name}: malformed reply from Python (no "ok")`);
  }
  return { reply: reply as T, buffers: buffers ?? [] };
}

/** The one-line message of anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
