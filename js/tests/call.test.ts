import { afterEach, describe, expect, it, vi } from "vitest";
import { Channel, CommandError, REPLY, REQUEST, TIMEOUTS } from "../src/call";
import { flush, MockModel } from "./helpers";

function setup() {
  const model = new MockModel<Record<string, never>>({});
  const channel = new Channel(model);
  /** The request sent last: `{kind, id, name, msg}` and its buffers. */
  const last = () => {
    const sent = model.sent.at(-1);
    if (!sent) throw new Error("nothing was sent");
    return { ...(sent.content as { kind: string; id: string; name: string; msg: unknown }), buffers: sent.buffers };
  };
  return { model, channel, last };
}

async function failure(promise: Promise<unknown>): Promise<CommandError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CommandError);
    return err as CommandError;
  }
  throw new Error("the call did not fail");
}

describe("request/reply over custom messages", () => {
  afterEach(() => vi.useRealTimers());

  it("sends one embmagic-request with a fresh id, the message and the buffers", () => {
    const { channel, model, last } = setup();
    const rows = new DataView(new Uint32Array([3, 1]).buffer);
    channel.call("select", { count: 2 }, { timeoutMs: 1000, buffers: [rows] }).catch(() => {});
    const first = last();
    expect(first).toMatchObject({ kind: REQUEST, name: "select", msg: { count: 2 } });
    expect(first.buffers).toEqual([rows]);
    channel.call("painted", { at: 1 }, { timeoutMs: 1000 }).catch(() => {});
    expect(last().buffers).toEqual([]);
    expect(last().id).not.toBe(first.id);
    const other = new Channel(model); // another view, or another widget's bundle: ids stay apart
    other.call("painted", {}, { timeoutMs: 1000 }).catch(() => {});
    expect(new Set(model.sent.map((s) => (s.content as { id: string }).id)).size).toBe(3);
    channel.close();
    other.close();
  });

  it("resolves with the reply of its id and the reply's buffers as DataViews", async () => {
    const { channel, model, last } = setup();
    const pending = channel.call<{ hits: number[] }>("query", { text: "x" }, { timeoutMs: 1000 });
    const bytes = new Uint8Array([1, 2, 3, 4]);
    model.receive({ kind: REPLY, id: last().id, ok: true, reply: { hits: [1, 2] } }, [bytes as unknown as DataView]);
    const { reply, buffers } = await pending;
    expect(reply).toEqual({ hits: [1, 2] });
    expect(buffers).toHaveLength(1);
    expect(buffers[0]).toBeInstanceOf(DataView);
    expect(buffers[0].getUint8(3)).toBe(4);
    expect(channel.waiting).toBe(0);
  });

  it("fails with Python's one-line error for ok: false", async () => {
    const { channel, model, last } = setup();
    const pending = channel.call("ask", { question: "?" }, { timeoutMs: 1000 });
    model.receive({ kind: REPLY, id: last().id, ok: false, error: "the generator <llm> is not installed" });
    expect((await failure(pending)).message).toBe("the generator <llm> is not installed");
    const silent = channel.call("ask", {}, { timeoutMs: 1000 });
    model.receive({ kind: REPLY, id: last().id, ok: false });
    expect((await failure(silent)).message).toBe("failed without a message");
  });

  it("fails with one line for a malformed reply of its id", async () => {
    const { channel, model, last } = setup();
    const noOk = channel.call("search", {}, { timeoutMs: 1000 });
    model.receive({ kind: REPLY, id: last().id, reply: {} });
    expect((await failure(noOk)).message).toBe('search: malformed reply from Python (no "ok")');
    const notObject = channel.call("search", {}, { timeoutMs: 1000 });
    model.receive({ kind: REPLY, id: last().id, ok: true, reply: [1, 2] });
    expect((await failure(notObject)).message).toBe("search: malformed reply from Python ([1,2])");
  });

  it("ignores unknown ids, other kinds and non-objects; the right reply still resolves", async () => {
    const { channel, model, last } = setup();
    const pending = channel.call("painted", {}, { timeoutMs: 1000 });
    const { id } = last();
    model.receive({ kind: REPLY, id: "someone-else-1", ok: false, error: "not mine" });
    model.receive({ kind: "anywidget-command-response", id, response: { ok: false } });
    model.receive({ kind: REPLY, id: 7, ok: false, error: "bad id" });
    model.receive("a string");
    model.receive(null);
    model.receive([REPLY, id]);
    await flush();
    expect(channel.waiting).toBe(1);
    model.receive({ kind: REPLY, id, ok: true, reply: { first_paint_ms: 5 } });
    expect((await pending).reply).toEqual({ first_paint_ms: 5 });
    model.receive({ kind: REPLY, id, ok: false, error: "a second reply" }); // ignored: answered
    await flush();
  });

  it("times out with its own limit and then ignores the late reply", async () => {
    vi.useFakeTimers();
    const { channel, model, last } = setup();
    const pending = failure(channel.call("search", {}, { timeoutMs: TIMEOUTS.search }));
    const { id } = last();
    await vi.advanceTimersByTimeAsync(TIMEOUTS.search - 1);
    expect(channel.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).message).toBe("search: no reply from Python within 120 s (is the kernel busy or restarted?)");
    expect(channel.waiting).toBe(0);
    model.receive({ kind: REPLY, id, ok: true, reply: {} }); // too late: nothing happens
  });

  it("fails at once when the send itself fails", async () => {
    const { channel, model } = setup();
    model.onSend = () => {
      throw new Error("comm closed");
    };
    expect((await failure(channel.call("select", {}, { timeoutMs: 1000 }))).message).toBe("select: comm closed");
    expect(channel.waiting).toBe(0);
  });

  it("close stops listening and cancels what is waiting", async () => {
    const { channel, model, last } = setup();
    const pending = failure(channel.call("query", {}, { timeoutMs: 1000 }));
    const { id } = last();
    expect(model.listenerCount()).toBe(1);
    channel.close();
    expect(model.listenerCount()).toBe(0);
    expect((await pending).message).toBe("query: cancelled");
    model.receive({ kind: REPLY, id, ok: true, reply: {} });
    expect((await failure(channel.call("query", {}, { timeoutMs: 1000 }))).message).toBe("query: cancelled");
  });

  it("answers each of several views of one model only with its own replies", async () => {
    const model = new MockModel<Record<string, never>>({});
    const a = new Channel(model);
    const b = new Channel(model);
    const pa = a.call("hover_texts", { start: 0, count: 1 }, { timeoutMs: 1000 });
    const idA = (model.sent.at(-1)?.content as { id: string }).id;
    const pb = b.call("hover_texts", { start: 0, count: 1 }, { timeoutMs: 1000 });
    const idB = (model.sent.at(-1)?.content as { id: string }).id;
    model.receive({ kind: REPLY, id: idB, ok: true, reply: { who: "b" } });
    model.receive({ kind: REPLY, id: idA, ok: true, reply: { who: "a" } });
    expect((await pa).reply).toEqual({ who: "a" });
    expect((await pb).reply).toEqual({ who: "b" });
  });
});
