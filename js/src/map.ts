// Map widget entry (embmagic/static/map.js): regl-scatterplot + the DOM parts in map/widget.ts.
import { createReglScatter } from "./map/scatter";
import { renderMap } from "./map/widget";
import type { RenderProps } from "./types";
import type { MapTraits } from "./map/types";

export default {
  render: (props: RenderProps<MapTraits>) => renderMap(props, createReglScatter),
};
