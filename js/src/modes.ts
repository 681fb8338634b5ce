// The search mode selector (dense, lexical, hybrid) shared by the explorer and the map's query box.
import { h, replaceChildren } from "./dom";

/** What `%neighbors --mode` takes; the widgets' `modes` trait says the same from Python. */
export const SEARCH_MODES = ["dense", "lexical", "hybrid"] as const;

const TITLES: Record<string, string> = {
  dense: "dense: by embedding similarity",
  lexical: "lexical: BM25 over the words",
  hybrid: "hybrid: dense and lexical fused",
};

/** An empty `<select>` for the search mode; fill it with `showModes`. */
export function modeSelect(testid: string): HTMLSelectElement {
  return h("select", { testid, attrs: { "aria-label": "search mode", title: "search mode" } });
}

/** Options from the `modes` trait (our list when it is missing), `current` selected; a
 * current mode not in the list is shown too, so the selector never lies about the state. */
export function showModes(select: HTMLSelectElement, modes: unknown, current: unknown): void {
  const names = Array.isArray(modes) && modes.length ? modes.map(String) : [...SEARCH_MODES];
  const chosen = typeof current === "string" && current ? current : names[0];
  const all = names.includes(chosen) ? names : [chosen, ...names];
  replaceChildren(select, all.map((name) => h("option", { text: name, attrs: { value: name, title: TITLES[name] ?? name } })));
  select.value = chosen;
}
