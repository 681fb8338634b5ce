// Bootstrap of a saved map page (embmagic/static/standalone.js, inlined by
// embmagic/widgets/standalone.py): read the state, hover texts and map bundle from the page's
// JSON blocks, stand up a local model, import map.js from a Blob URL and render it.
import type { RenderProps } from "./types";
import { decodeState, LocalMap, LocalModel, type HoverData } from "./standalone/local";

interface MapModule {
  default?: { render?: (props: RenderProps<Record<string, unknown>>) => unknown };
}

function readJson(id: string): unknown {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id} block`);
  return JSON.parse(node.textContent ?? "");
}

async function boot(): Promise<void> {
  const el = document.getElementById("embmagic-standalone");
  const failed = document.getElementById("embmagic-standalone-failed");
  try {
    if (!el) throw new Error("the page has no #embmagic-standalone element");
    const state = decodeState(readJson("embmagic-state"));
    const python = new LocalMap(readJson("embmagic-hover") as HoverData);
    const model = new LocalModel(state, python.answer);
    const source = readJson("embmagic-map-js");
    if (typeof source !== "string") throw new Error("the map bundle is missing");
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    let mod: MapModule;
    try {
      mod = (await import(url)) as MapModule;
    } finally {
      URL.revokeObjectURL(url);
    }
    const render = mod.default?.render;
    if (typeof render !== "function") throw new Error("the map bundle has no render()");
    render({ model, el });
    (window as unknown as Record<string, unknown>).embmagicStandalone = { model, python };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (failed) {
      failed.textContent = `the saved map could not load: ${message}`;
      failed.hidden = false;
    }
    throw err;
  }
}

void boot().catch(() => {});
