import { afterEach, beforeEach, describe, expect, it } from "vitest";
import explorer, { type ExplorerTraits } from "../src/explorer";
import { THUMBNAIL_CHARS, thumbnailImage, thumbnailSrc } from "../src/dom";
import { chunkRows } from "../src/map/hover";
import { LocalMap } from "../src/standalone/local";
import { allByTestId, byTestId, MockModel, mockPython, renderProps } from "./helpers";

// a 1×1 PNG
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
const HOSTILE = '<img src=x onerror="window.__xss=1">';

describe("thumbnails", () => {
  it("builds a data: URI only from an allowed image type and plain base64", () => {
    expect(thumbnailSrc({ mime: "image/png", base64: PNG })).toBe(`data:image/png;base64,${PNG}`);
    expect(thumbnailSrc({ mime: "image/jpeg", base64: "/9j/4AAQ" })).toBe("data:image/jpeg;base64,/9j/4AAQ");
    for (const bad of [
      null,
      "data:image/png;base64,AAAA",
      { mime: "image/svg+xml", base64: "PHN2Zz4=" },
      { mime: "text/html", base64: "PGI+" },
      { mime: "image/png;charset=x", base64: PNG },
      { mime: "image/png", base64: `${PNG}"><script>` },
      { mime: "image/png", base64: "AAA" },
      { mime: "image/png", base64: "" },
      { mime: "image/png", base64: "A".repeat(THUMBNAIL_CHARS + 4) },
      { mime: "image/png" },
    ]) {
      expect(thumbnailSrc(bad)).toBeNull();
    }
  });

  it("makes an <img> with an empty alt (the text stands beside it)", () => {
    const img = thumbnailImage({ mime: "image/png", base64: PNG }, "t");
    expect(img?.tagName).toBe("IMG");
    expect(img?.dataset.testid).toBe("t");
    expect(img?.getAttribute("src")).toBe(`data:image/png;base64,${PNG}`);
    expect(img?.getAttribute("alt")).toBe("");
    expect(img?.getAttribute("onerror")).toBeNull();
    expect(thumbnailImage({ mime: "image/svg+xml", base64: PNG }, "t")).toBeNull();
  });

  it("reads thumbnails of hover_texts replies, for the rows that have one", () => {
    const thumb = { mime: "image/png", base64: PNG };
    const rows = chunkRows({ start: 0, texts: ["a", "b"], ids: [1, 2], thumbnails: [thumb, null] }, 0, 2);
    expect(rows[0].thumbnail).toEqual(thumb);
    expect("thumbnail" in rows[1]).toBe(false);
    expect("thumbnail" in chunkRows({ start: 0, texts: ["a"] }, 0, 1)[0]).toBe(false);
  });
});

describe("explorer thumbnails", () => {
  let el: HTMLElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("shows an image record's thumbnail above its text, and nothing for the others", () => {
    const traits: ExplorerTraits = { collections: ["pics"], collection: "pics", k: 5, query: "", results: [], status: "", error: "" };
    const model = new MockModel(traits);
    mockPython(model, () => ({ ok: true }));
    explorer.render(renderProps(model, el));
    model.update({
      results: [
        { rank: 1, score: 0.9, text: "a red square", thumbnail: { mime: "image/png", base64: PNG } },
        { rank: 2, score: 0.8, text: HOSTILE },
        { rank: 3, score: 0.7, text: "bad type", thumbnail: { mime: "image/svg+xml", base64: PNG } },
      ],
    });
    const rows = allByTestId(el, "explorer-row");
    expect(rows.map((r) => r.querySelector("td.text")?.textContent)).toEqual(["a red square", HOSTILE, "bad type"]);
    const thumbs = allByTestId(el, "explorer-thumbnail") as HTMLImageElement[];
    expect(thumbs.length).toBe(1);
    expect(rows[0].contains(thumbs[0])).toBe(true);
    expect(thumbs[0].getAttribute("src")).toBe(`data:image/png;base64,${PNG}`);
    expect(thumbs[0].getAttribute("alt")).toBe("");
    expect(el.querySelectorAll("img").length).toBe(1);
    expect(byTestId(el, "explorer-results").querySelector("script")).toBeNull();
  });
});

describe("saved page thumbnails", () => {
  it("answers hover_texts and hover with the saved thumbnails, as Python does", () => {
    const thumb = { mime: "image/webp", base64: "UklGRg==" };
    const local = new LocalMap({ texts: ["p", "t", "q"], collections: ["c", "c", "c"], ids: [0, 1, 2], thumbnails: [thumb, null, null] });
    expect(local.answer("hover_texts", { start: 0, count: 3 }, [])).toMatchObject({ thumbnails: [thumb, null, null] });
    expect("thumbnails" in local.answer("hover_texts", { start: 1, count: 2 }, [])).toBe(false);
    expect(local.answer("hover", { row: 0 }, [])).toMatchObject({ text: "p", thumbnail: thumb });
    expect("thumbnail" in local.answer("hover", { row: 1 }, [])).toBe(false);
    expect(() => new LocalMap({ texts: ["a"], collections: ["c"], ids: [0], thumbnails: [] })).toThrow(/thumbnails for 0 rows/);
  });
});
