import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import rag, { type RagTraits, sourceHeader } from "../src/rag";
import { allByTestId, byTestId, flush, MockModel, mockPython, NO_REPLY, renderProps } from "./helpers";

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

function traits(): RagTraits {
  return { question: "", answer: "", sources: [], cited: [], generator: "", warnings: [], busy: false, error: "" };
}

const SOURCES = [
  { n: 1, text: `Solar panels ${HOSTILE}`, score: 0.87654, id: "doc-1", collection: "docs" },
  { n: 2, text: "x".repeat(500), score: 0.5, id: 7, collection: "faq" },
];

describe("rag panel", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("re-renders the answer on every change (streaming) with citation buttons", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    rag.render(renderProps(model, el));
    model.update({ busy: true, answer: "Solar" });
    expect(byTestId(el, "rag-answer").textContent).toBe("Solar");
    model.update({ answer: "Solar is cheap [1]" });
    expect(byTestId(el, "rag-answer").textContent).toBe("Solar is cheap [1]");
    expect(allByTestId(el, "rag-cite")).toHaveLength(0); // no sources yet
    model.update({ sources: SOURCES, cited: [1], busy: false, answer: "Solar is cheap [1] and [2, 3]." });
    const cites = allByTestId(el, "rag-cite");
    expect(cites.map((c) => c.dataset.n)).toEqual(["1", "2"]);
    expect(byTestId(el, "rag-answer").textContent).toBe("Solar is cheap [1] and [2, 3].");
  });

  it("reveals a source on citation click, as text", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    rag.render(renderProps(model, el));
    model.update({ sources: SOURCES, answer: `See [1]. ${HOSTILE}` });
    const source = byTestId(el, "rag-source");
    expect(source.hidden).toBe(true);
    byTestId(el, "rag-cite").click();
    expect(source.hidden).toBe(false);
    expect(byTestId(el, "rag-source-header").textContent).toBe("[1] docs/doc-1 0.877");
    expect(byTestId(el, "rag-source-text").textContent).toBe(SOURCES[0].text);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(byTestId(el, "rag-answer").textContent).toBe(`See [1]. ${HOSTILE}`);
  });

  it("lists all sources, truncated, and reveals on click", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    rag.render(renderProps(model, el));
    model.update({ sources: SOURCES, cited: [2] });
    const items = allByTestId(el, "rag-source-item");
    expect(items.map((i) => i.dataset.n)).toEqual(["1", "2"]);
    expect(items[1].classList.contains("cited")).toBe(true);
    expect((items[1].textContent ?? "").length).toBeLessThan(220);
    expect(items[1].textContent).toContain("…");
    items[1].click();
    expect(byTestId(el, "rag-source-header").textContent).toBe("[2] faq/7 0.500");
    expect(byTestId(el, "rag-source-text").textContent).toBe("x".repeat(500));
  });

  it("asks with the question, disables the button while busy", async () => {
    const model = new MockModel(traits());
    let finish: (reply: unknown) => void = () => {};
    const { calls } = mockPython(model, () => new Promise((resolve) => (finish = resolve)));
    rag.render(renderProps(model, el));
    const question = byTestId(el, "rag-question") as HTMLTextAreaElement;
    const ask = byTestId(el, "rag-ask") as HTMLButtonElement;
    question.value = "what is cheap?";
    ask.click();
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0].name).toBe("ask");
    expect(calls[0].msg).toEqual({ question: "what is cheap?" });
    expect(ask.disabled).toBe(true);
    model.update({ busy: true, generator: "extractive (minilm)" });
    expect(byTestId(el, "rag-status").textContent).toContain("extractive (minilm)");
    ask.click(); // ignored while busy
    model.update({ busy: false });
    expect(ask.disabled).toBe(true); // the request is still pending
    finish({ ok: true, answer: "", cited: [], sources: [] });
    await flush();
    expect(ask.disabled).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it("Enter asks, Shift+Enter does not", async () => {
    const model = new MockModel(traits());
    const { calls } = mockPython(model, () => ({ ok: true }));
    rag.render(renderProps(model, el));
    const question = byTestId(el, "rag-question") as HTMLTextAreaElement;
    question.value = "q";
    question.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true }));
    await flush();
    expect(calls).toHaveLength(0);
    question.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    await flush();
    expect(calls).toHaveLength(1);
  });

  it("shows ok:false and rejections in the error line", async () => {
    const model = new MockModel(traits());
    let mode: "fail" | "silent" = "fail";
    mockPython(model, () => (mode === "fail" ? { ok: false, error: "the generator <llm> is not installed" } : NO_REPLY));
    rag.render(renderProps(model, el));
    const question = byTestId(el, "rag-question") as HTMLTextAreaElement;
    question.value = "q";
    byTestId(el, "rag-ask").click();
    await flush();
    expect(byTestId(el, "rag-error").textContent).toBe("the generator <llm> is not installed");
    mode = "silent";
    vi.useFakeTimers();
    byTestId(el, "rag-ask").click();
    await vi.advanceTimersByTimeAsync(600_000);
    vi.useRealTimers();
    expect(byTestId(el, "rag-error").textContent).toMatch(/ask: no reply from Python within 600 s/);
  });

  it("shows an empty question as an error without asking", async () => {
    const model = new MockModel(traits());
    const { calls } = mockPython(model, () => ({ ok: true }));
    rag.render(renderProps(model, el));
    byTestId(el, "rag-ask").click();
    await flush();
    expect(calls).toHaveLength(0);
    expect(byTestId(el, "rag-error").textContent).toMatch(/empty question/);
  });

  it("shows generator and warnings in the status line", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    const cleanup = rag.render(renderProps(model, el));
    model.update({ generator: "local (smollm2)", warnings: ["cites [9], which is not a source", HOSTILE] });
    const status = byTestId(el, "rag-status");
    expect(status.textContent).toContain("local (smollm2)");
    expect(allByTestId(el, "rag-warning").map((w) => w.textContent)).toEqual([
      "⚠ cites [9], which is not a source",
      `⚠ ${HOSTILE}`,
    ]);
    expect(el.querySelector("img")).toBeNull();
    cleanup();
    expect(model.listenerCount()).toBe(0);
  });

  it("formats source headers", () => {
    expect(sourceHeader({ n: 3, text: "", score: 0.1234, id: "a", collection: "c" })).toBe("[3] c/a 0.123");
    expect(sourceHeader({ n: 3, text: "", score: Number.NaN, id: null, collection: "c" })).toBe("[3] c");
  });
});
