import { formatScore, h, replaceChildren } from "../dom";
import type { MapHit } from "./types";

/** The query's hits as `map-hit` items: score (3 decimals) and text, all as text. */
export function renderHits(list: HTMLElement, hits: readonly MapHit[] | null | undefined): void {
  replaceChildren(
    list,
    (hits ?? []).map((hit) => {
      const text = String(hit.text ?? "");
      const where = [hit.collection, hit.id === undefined || hit.id === null ? "" : String(hit.id)].filter(Boolean).join("/");
      return h("li", { testid: "map-hit", attrs: { "data-row": String(hit.row), title: where } }, [
        h("span", { className: "score", text: formatScore(hit.score) }),
        document.createTextNode(" "),
        h("span", { className: "text", text }),
      ]);
    }),
  );
}
