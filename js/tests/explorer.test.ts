import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import explorer, { DEBOUNCE_MS, type ExplorerTraits } from "../src/explorer";
import { allByTestId, byTestId, flush, MockModel, mockPython, NO_REPLY, renderProps } from "./helpers";

function traits(): ExplorerTraits {
  return {
    collections: ["docs", "faq"], collection: "docs", k: 5, mode: "dense", modes: ["dense", "lexical", "hybrid"],
    query: "", results: [], status: "", error: "",
  };
}

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

function enter(input: HTMLElement) {
  input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
}

describe("explorer", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => {
    el.remove();
    vi.useRealTimers();
  });

  it("renders controls from the traits", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true, hits: [] }));
    explorer.render(renderProps(model, el));
    const picker = byTestId(el, "explorer-collection") as HTMLSelectElement;
    expect([...picker.options].map((o) => o.value)).toEqual(["docs", "faq"]);
    expect(picker.value).toBe("docs");
    const k = byTestId(el, "explorer-k") as HTMLInputElement;
    expect(k.type).toBe("range");
    expect(k.min).toBe("1");
    expect(k.max).toBe("50");
    expect(k.value).toBe("5");
    expect(byTestId(el, "explorer-k-value").textContent).toBe("5");
    expect(byTestId(el, "explorer-error").hidden).toBe(true);
  });

  it("renders results (rank, score to 3 decimals, text) from the results trait", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    explorer.render(renderProps(model, el));
    model.update({
      results: [
        { rank: 1, score: 0.912345, text: "<img src=x onerror=alert(1)>", id: "a" },
        { rank: 2, score: 0.5, text: "<script>alert(1)</script>", id: "b" },
      ],
      status: "2 hits in docs",
    });
    const rows = allByTestId(el, "explorer-row");
    expect(rows.map((r) => [...r.children].map((c) => c.textContent))).toEqual([
      ["1", "0.912", "<img src=x onerror=alert(1)>"],
      ["2", "0.500", "<script>alert(1)</script>"],
    ]);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(byTestId(el, "explorer-status").textContent).toBe("2 hits in docs");
  });

  it("searches as you type (debounced) with text, k and collection", async () => {
    vi.useFakeTimers();
    const model = new MockModel(traits());
    const { calls } = mockPython(model, () => ({ ok: true, hits: [] }));
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    type(query, "so");
    type(query, "solar");
    expect(calls).toHaveLength(0);
    vi.advanceTimersByTime(DEBOUNCE_MS - 1);
    expect(calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(calls).toHaveLength(1);
    expect(calls[0].name).toBe("search");
    expect(calls[0].msg).toEqual({ text: "solar", k: 5, collection: "docs", mode: "dense" });
    expect(model.sent[0].content).toMatchObject({ kind: "embmagic-request", id: calls[0].id, name: "search" });
  });

  it("searches at once on Enter and ignores blank queries", async () => {
    const model = new MockModel(traits());
    const { calls } = mockPython(model, () => ({ ok: true, hits: [] }));
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    query.value = "   ";
    enter(query);
    query.value = "wind";
    enter(query);
    await flush();
    expect(calls.map((c) => c.msg)).toEqual([{ text: "wind", k: 5, collection: "docs", mode: "dense" }]);
  });

  it("k slider and collection picker update the model", async () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    explorer.render(renderProps(model, el));
    const k = byTestId(el, "explorer-k") as HTMLInputElement;
    k.value = "12";
    k.dispatchEvent(new Event("input"));
    expect(byTestId(el, "explorer-k-value").textContent).toBe("12");
    k.dispatchEvent(new Event("change"));
    expect(model.get("k")).toBe(12);
    const picker = byTestId(el, "explorer-collection") as HTMLSelectElement;
    picker.value = "faq";
    picker.dispatchEvent(new Event("change"));
    expect(model.get("collection")).toBe("faq");
    expect(model.saved).toBe(2);
  });

  it("offers the search modes and shows the mode trait", () => {
    const model = new MockModel({ ...traits(), mode: "hybrid" });
    mockPython(model, () => ({ ok: true }));
    explorer.render(renderProps(model, el));
    const modes = byTestId(el, "explorer-mode") as HTMLSelectElement;
    expect([...modes.options].map((o) => o.value)).toEqual(["dense", "lexical", "hybrid"]);
    expect(modes.value).toBe("hybrid");
    expect(modes.getAttribute("aria-label")).toBe("search mode");
    model.update({ mode: "lexical" }); // Python changed it (ex.search(..., mode=...))
    expect(modes.value).toBe("lexical");
  });

  it("a mode without a modes trait still shows, with our list", () => {
    const { modes: _, ...older } = traits();
    const model = new MockModel<ExplorerTraits>({ ...older, mode: "sparse" });
    mockPython(model, () => ({ ok: true }));
    explorer.render(renderProps(model, el));
    const modes = byTestId(el, "explorer-mode") as HTMLSelectElement;
    expect([...modes.options].map((o) => o.value)).toEqual(["sparse", "dense", "lexical", "hybrid"]);
    expect(modes.value).toBe("sparse");
  });

  it("changing the mode saves it and searches again in that mode", async () => {
    vi.useFakeTimers();
    const model = new MockModel(traits());
    const { calls } = mockPython(model, () => ({ ok: true, hits: [] }));
    explorer.render(renderProps(model, el));
    const modes = byTestId(el, "explorer-mode") as HTMLSelectElement;
    modes.value = "lexical";
    modes.dispatchEvent(new Event("change"));
    expect(model.get("mode")).toBe("lexical");
    expect(model.saved).toBe(1);
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(calls).toHaveLength(0); // nothing typed yet: nothing to search
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    type(query, "NASA budget");
    modes.value = "hybrid";
    modes.dispatchEvent(new Event("change"));
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(calls.map((c) => c.msg)).toEqual([{ text: "NASA budget", k: 5, collection: "docs", mode: "hybrid" }]);
  });

  it("shows ok:false errors in the error line as text", async () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: false, error: "no collection <b>x</b>: run %emb add" }));
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    query.value = "x";
    enter(query);
    await flush();
    const error = byTestId(el, "explorer-error");
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("no collection <b>x</b>: run %emb add");
    expect(error.querySelector("b")).toBeNull();
  });

  it("shows a timeout (no reply from Python) in the error line", async () => {
    vi.useFakeTimers();
    const model = new MockModel(traits());
    mockPython(model, () => NO_REPLY);
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    query.value = "x";
    enter(query);
    await vi.advanceTimersByTimeAsync(119_999);
    expect(byTestId(el, "explorer-error").hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(byTestId(el, "explorer-error").textContent).toMatch(/search: no reply from Python within 120 s/);
  });

  it("shows a failed send with its message", async () => {
    const model = new MockModel(traits());
    mockPython(model, () => {
      throw new Error("comm closed");
    });
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    query.value = "x";
    enter(query);
    await flush();
    expect(byTestId(el, "explorer-error").textContent).toBe("search: comm closed");
  });

  it("ignores out-of-order replies", async () => {
    const model = new MockModel(traits());
    const resolvers: ((reply: unknown) => void)[] = [];
    mockPython(model, () => new Promise((resolve) => resolvers.push(resolve)));
    explorer.render(renderProps(model, el));
    const query = byTestId(el, "explorer-query") as HTMLInputElement;
    query.value = "first";
    enter(query);
    query.value = "second";
    enter(query);
    await flush();
    resolvers[1]({ ok: true, hits: [] });
    await flush();
    resolvers[0]({ ok: false, error: "stale failure" });
    await flush();
    expect(byTestId(el, "explorer-error").hidden).toBe(true);
  });

  it("shows the Python error trait and cleans up its listeners", () => {
    const model = new MockModel(traits());
    mockPython(model, () => ({ ok: true }));
    const cleanup = explorer.render(renderProps(model, el));
    model.update({ error: "k must be between 1 and 50" });
    expect(byTestId(el, "explorer-error").textContent).toBe("k must be between 1 and 50");
    model.update({ error: "" });
    expect(byTestId(el, "explorer-error").hidden).toBe(true);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(el.children.length).toBe(0);
  });
});
