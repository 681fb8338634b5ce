// RAG panel: ask, watch the answer stream in, click a citation to read its source.
import { Channel, messageOf, TIMEOUTS } from "./call";
import { renderCitations } from "./citations";
import { controlsCss, ErrorLine, formatScore, guardControls, h, replaceChildren, style, truncate } from "./dom";
import { subscribe } from "./model";
import type { Cleanup, RenderProps } from "./types";

export interface RagSource {
  n: number;
  text: string;
  score: number;
  id: unknown;
  collection: string;
}

export interface RagTraits {
  question: string;
  answer: string;
  sources: RagSource[];
  cited: number[];
  generator: string;
  warnings: string[];
  busy: boolean;
  error: string;
}

export const SOURCE_PREVIEW_CHARS = 200;

const CSS = `
.embmagic-rag { font: 13px/1.45 var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.embmagic-rag .bar { display: flex; gap: 8px; align-items: flex-start; margin-bottom: 6px; }
.embmagic-rag textarea { flex: 1; min-height: 2.6em; resize: vertical; padding: 3px 6px; font: inherit; }
.embmagic-rag .answer { white-space: pre-wrap; word-break: break-word; padding: 6px 0; min-height: 1.4em; }
.embmagic-rag[data-busy="1"] .answer::after { content: "▍"; animation: embmagic-blink 1s steps(1) infinite; }
@keyframes embmagic-blink { 50% { opacity: 0; } }
.embmagic-cite { font: inherit; font-size: 0.9em; padding: 0 3px; margin: 0 1px; border: 1px solid var(--jp-brand-color1, #1976d2); border-radius: 3px; background: transparent; color: var(--jp-brand-color1, #1976d2); cursor: pointer; }
.embmagic-cite.active { background: var(--jp-brand-color1, #1976d2); color: #fff; }
.embmagic-rag .source { border-left: 3px solid var(--jp-brand-color1, #1976d2); padding: 4px 8px; margin: 6px 0; background: var(--jp-layout-color2, #f5f5f5); }
.embmagic-rag .source .head { font-weight: 600; margin-bottom: 2px; }
.embmagic-rag .source .text { white-space: pre-wrap; word-break: break-word; }
.embmagic-rag ol.sources { list-style: none; padding: 0; margin: 4px 0; }
.embmagic-rag ol.sources li { cursor: pointer; padding: 2px 4px; border-radius: 3px; word-break: break-word; }
.embmagic-rag ol.sources li:hover, .embmagic-rag ol.sources li.active { background: var(--jp-layout-color2, #f0f0f0); }
.embmagic-rag ol.sources li.cited .n { font-weight: 700; }
.embmagic-rag .score { color: var(--jp-ui-font-color2, #666); font-variant-numeric: tabular-nums; }
.embmagic-rag .status { color: var(--jp-ui-font-color2, #666); margin-top: 4px; }
.embmagic-rag .status .warning { color: var(--jp-warn-color1, #b26a00); }
.embmagic-error { color: var(--jp-error-color1, #c62828); white-space: pre-wrap; margin-top: 4px; }
${controlsCss(".embmagic-rag")}`;

/** "[n] collection/id score": the header of a revealed source. */
export function sourceHeader(source: RagSource): string {
  const where = [source.collection, source.id === undefined || source.id === null ? "" : String(source.id)]
    .filter((s) => s !== "")
    .join("/");
  return [`[${source.n}]`, where, formatScore(source.score)].filter((s) => s !== "").join(" ");
}

function render({ model, el }: RenderProps<RagTraits>): Cleanup {
  const channel = new Channel(model);
  const question = h("textarea", {
    testid: "rag-question",
    attrs: { rows: "2", placeholder: "Ask a question… (Enter asks, Shift+Enter for a new line)", "aria-label": "question" },
  });
  const ask = h("button", { testid: "rag-ask", text: "Ask", attrs: { type: "button" } });
  const answer = h("div", { testid: "rag-answer", className: "answer", attrs: { "aria-live": "polite" } });
  const sourceHead = h("div", { testid: "rag-source-header", className: "head" });
  const sourceText = h("div", { testid: "rag-source-text", className: "text" });
  const source = h("div", { testid: "rag-source", className: "source" }, [sourceHead, sourceText]);
  source.hidden = true;
  const sourceList = h("ol", { testid: "rag-sources", className: "sources" });
  const status = h("div", { testid: "rag-status", className: "status" });
  const error = new ErrorLine("rag-error");
  const root = h("div", { testid: "embmagic-rag", className: "embmagic-rag" }, [
    style(CSS),
    h("div", { className: "bar" }, [question, ask]),
    answer,
    source,
    sourceList,
    status,
    error.el,
  ]);

  let pending = false;
  let shown: number | null = null;
  let alive = true;

  const sources = (): RagSource[] => (Array.isArray(model.get("sources")) ? model.get("sources") : []);

  const markActive = () => {
    for (const b of answer.querySelectorAll<HTMLElement>("[data-testid=rag-cite]")) {
      b.classList.toggle("active", shown !== null && b.dataset.n === String(shown));
    }
    for (const li of sourceList.querySelectorAll<HTMLElement>("li")) {
      li.classList.toggle("active", shown !== null && li.dataset.n === String(shown));
    }
  };
  const reveal = (n: number | null) => {
    const found = n === null ? undefined : sources().find((s) => s.n === n);
    shown = found ? found.n : null;
    source.hidden = !found;
    source.dataset.n = found ? String(found.n) : "";
    sourceHead.textContent = found ? sourceHeader(found) : "";
    sourceText.textContent = found ? String(found.text ?? "") : "";
    markActive();
  };

  const onAnswer = () => {
    const known = new Set(sources().map((s) => s.n));
    replaceChildren(answer, [renderCitations(model.get("answer") ?? "", known, (n) => reveal(n))]);
    markActive();
  };
  const onSources = () => {
    const cited = new Set(model.get("cited") ?? []);
    replaceChildren(
      sourceList,
      sources().map((s) => {
        const li = h(
          "li",
          { testid: "rag-source-item", className: cited.has(s.n) ? "cited" : "", attrs: { "data-n": String(s.n), tabindex: "0" } },
          [
            h("span", { className: "n", text: `[${s.n}] ` }),
            h("span", { className: "text", text: truncate(String(s.text ?? ""), SOURCE_PREVIEW_CHARS) }),
            h("span", { className: "score", text: ` ${formatScore(s.score)}` }),
          ],
        );
        li.addEventListener("click", () => reveal(s.n));
        li.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            reveal(s.n);
          }
        });
        return li;
      }),
    );
    onAnswer();
    reveal(shown);
  };
  const onStatus = () => {
    const busy = Boolean(model.get("busy"));
    const generator = model.get("generator") ?? "";
    const head = [busy ? "generating…" : "", generator].filter(Boolean).join(" · ");
    const warnings = model.get("warnings") ?? [];
    replaceChildren(status, [
      ...(head ? [h("div", { className: "generator", text: head })] : []),
      ...warnings.map((w) => h("div", { className: "warning", testid: "rag-warning", text: `⚠ ${w}` })),
    ]);
  };
  const onBusy = () => {
    const busy = Boolean(model.get("busy"));
    ask.disabled = busy || pending;
    if (busy || pending) root.dataset.busy = "1";
    else delete root.dataset.busy;
    onStatus();
  };
  const onQuestion = () => {
    if (document.activeElement !== question) question.value = model.get("question") ?? "";
  };
  const onError = () => error.show(model.get("error") ?? "");

  const submit = async () => {
    if (pending || model.get("busy")) return;
    const text = question.value;
    if (!text.trim()) {
      error.show("empty question: type what you want to know");
      return;
    }
    pending = true;
    onBusy();
    reveal(null);
    error.show("");
    try {
      await channel.call("ask", { question: text }, { timeoutMs: TIMEOUTS.ask });
      if (alive) error.show(model.get("error") ?? "");
    } catch (err) {
      if (alive) error.show(messageOf(err));
    } finally {
      pending = false;
      if (alive) onBusy();
    }
  };
  ask.addEventListener("click", () => void submit());
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });

  const unsubscribe = subscribe(model, [
    ["change:question", onQuestion],
    ["change:answer", onAnswer],
    ["change:sources", onSources],
    ["change:cited", onSources],
    ["change:generator", onStatus],
    ["change:warnings", onStatus],
    ["change:busy", onBusy],
    ["change:error", onError],
  ], true);
  el.appendChild(root);
  guardControls(root);

  return () => {
    alive = false;
    channel.close();
    unsubscribe();
    root.remove();
  };
}

// anywidget's module contract: a default export with `render` (a bare `export function
// render` is deprecated and logs a warning in the browser console)
export default { render };
