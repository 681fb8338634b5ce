import { h, replaceChildren, safeColor } from "../dom";
import type { LegendItem } from "./types";

/** One `map-legend-item` per legend entry: a colour swatch and the label as text. */
export function renderLegend(container: HTMLElement, legend: readonly LegendItem[] | null | undefined): void {
  replaceChildren(
    container,
    (legend ?? []).map((item, index) => {
      const swatch = h("span", { className: "swatch" });
      swatch.style.backgroundColor = safeColor(item?.color);
      return h("span", { testid: "map-legend-item", className: "item", attrs: { "data-index": String(index) } }, [
        swatch,
        h("span", { className: "label", text: String(item?.label ?? "") }),
      ]);
    }),
  );
}

/** The colour table regl-scatterplot gets (one colour per category index). */
export function legendColors(legend: readonly LegendItem[] | null | undefined): string[] {
  return (legend ?? []).map((item) => safeColor(item?.color));
}
