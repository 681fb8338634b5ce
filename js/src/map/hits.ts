import { formatScore, h, replaceChildren } from "../dom";
import type { MapHit } from "./types";

/** The query's hits as `map-hit` items: rank ("1."), score (3 decimals) and text, all as text. */
export function renderHits(list: HTMLElement, hits: readonly MapHit[] | null | undefined): void {
  replaceChildren(
    list,
    (hits ?? []).map((hit, i) => {
      const text = String(hit.text ?? "");
      const where = [hit.collection, hit.id === undefined || hit.id === null ? "" : String(hit.id)].filter(Boolean).join("/");
      // the number is an element, not the list marker: its width follows the text ("10."),
      // where a marker in the list's padding is cut at the left from 10 on
      return h("li", { testid: "map-hit", attrs: { "data-row": String(hit.row), title: where } }, [
        h("span", { testid: "map-hit-rank", className: "rank", text: `${i + 1}.` }),
        h("span", { className: "score", text: formatScore(hit.score) }),
        document.createTextNode(" "),
        h("span", { className: "text", text }),
      ]);
    }),
  );
}
