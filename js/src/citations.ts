// Split an answer into text and citation markers: `[1]`, `[1, 2]`, `[1][2]`.
import { h } from "./dom";

export type Piece = { kind: "text"; text: string } | { kind: "cite"; n: number; text: string };

const GROUP = /\[(\d+(?:\s*,\s*\d+)*)\]/g;

/**
 * Pieces whose texts concatenate back to `answer` exactly. A number becomes a citation only
 * if `known` has it; `[1]` is one cite piece "[1]", `[1, 2]` is "[" 1 ", " 2 "]".
 */
export function splitCitations(answer: string, known: ReadonlySet<number>): Piece[] {
  const pieces: Piece[] = [];
  const text = (t: string) => {
    if (!t) return;
    const last = pieces[pieces.length - 1];
    if (last && last.kind === "text") last.text += t;
    else pieces.push({ kind: "text", text: t });
  };
  let at = 0;
  for (const match of answer.matchAll(GROUP)) {
    const start = match.index ?? 0;
    text(answer.slice(at, start));
    at = start + match[0].length;
    const inner = match[1];
    const numbers = inner.split(",").map((s) => Number.parseInt(s.trim(), 10));
    if (numbers.length === 1) {
      if (known.has(numbers[0])) pieces.push({ kind: "cite", n: numbers[0], text: match[0] });
      else text(match[0]);
      continue;
    }
    // several numbers: brackets and separators stay text, each known number is a cite
    text("[");
    for (const part of inner.matchAll(/(\d+)|(\D+)/g)) {
      const n = part[1] === undefined ? Number.NaN : Number.parseInt(part[1], 10);
      if (known.has(n)) pieces.push({ kind: "cite", n, text: part[0] });
      else text(part[0]);
    }
    text("]");
  }
  text(answer.slice(at));
  return pieces;
}

/** The answer as DOM nodes: text nodes and `rag-cite` buttons (`data-n`). */
export function renderCitations(
  answer: string,
  known: ReadonlySet<number>,
  onCite?: (n: number, button: HTMLButtonElement) => void,
): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const piece of splitCitations(answer, known)) {
    if (piece.kind === "text") {
      fragment.appendChild(document.createTextNode(piece.text));
      continue;
    }
    const button = h("button", {
      testid: "rag-cite",
      className: "embmagic-cite",
      text: piece.text,
      attrs: { type: "button", "data-n": String(piece.n), title: `show source [${piece.n}]` },
    });
    if (onCite) button.addEventListener("click", () => onCite(piece.n, button));
    fragment.appendChild(button);
  }
  return fragment;
}
