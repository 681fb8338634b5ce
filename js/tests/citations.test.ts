import { describe, expect, it, vi } from "vitest";
import { renderCitations, splitCitations } from "../src/citations";
import { h } from "../src/dom";

const known = new Set([1, 2, 3]);

describe("splitCitations", () => {
  it("keeps the text and turns known [n] into citations", () => {
    const pieces = splitCitations("Solar is cheap [1]. Wind too [2][3].", known);
    expect(pieces).toEqual([
      { kind: "text", text: "Solar is cheap " },
      { kind: "cite", n: 1, text: "[1]" },
      { kind: "text", text: ". Wind too " },
      { kind: "cite", n: 2, text: "[2]" },
      { kind: "cite", n: 3, text: "[3]" },
      { kind: "text", text: "." },
    ]);
  });

  it("splits [n, m] groups and keeps unknown numbers as text", () => {
    const answer = "See [1, 2] and [2,9] but not [7] or [x] or [1.5].";
    const pieces = splitCitations(answer, known);
    expect(pieces.map((p) => p.text).join("")).toBe(answer);
    expect(pieces.filter((p) => p.kind === "cite").map((p) => (p.kind === "cite" ? p.n : 0))).toEqual([1, 2, 2]);
  });

  it("handles an answer with no citations or no sources", () => {
    expect(splitCitations("plain", known)).toEqual([{ kind: "text", text: "plain" }]);
    expect(splitCitations("[1]", new Set())).toEqual([{ kind: "text", text: "[1]" }]);
    expect(splitCitations("", known)).toEqual([]);
  });
});

describe("renderCitations", () => {
  it("creates rag-cite buttons with data-n and reports clicks", () => {
    const onCite = vi.fn();
    const host = h("div", {}, [renderCitations("A [1] B [2, 3]", known, onCite)]);
    const buttons = [...host.querySelectorAll<HTMLButtonElement>("[data-testid=rag-cite]")];
    expect(buttons.map((b) => b.dataset.n)).toEqual(["1", "2", "3"]);
    expect(host.textContent).toBe("A [1] B [2, 3]");
    buttons[1].click();
    expect(onCite).toHaveBeenCalledWith(2, buttons[1]);
  });

  it("inserts hostile markup as text only", () => {
    const answer = 'x <img src=x onerror=alert(1)> [1] <script>alert(2)</script> y';
    const host = h("div", {}, [renderCitations(answer, known)]);
    expect(host.querySelector("img")).toBeNull();
    expect(host.querySelector("script")).toBeNull();
    expect(host.textContent).toBe(answer);
    expect(host.children.length).toBe(1); // only the citation button is an element
    for (const node of host.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) expect((node as Element).tagName).toBe("BUTTON");
    }
  });
});
