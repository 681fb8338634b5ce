"""Image records in real pages (issue #19): the map's hover tooltip and the explorer's rows show
the record's thumbnail as a decoded <img>, the text beside it stays text.

The records are built in the kernel with the fake encoder (captions embedded, Pillow-drawn WebP
thumbnails kept as metadata), so no CLIP model is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_widgets_browser import T, canvas_box, hover, isolated_rows, open_map, open_widget, py_json

pytestmark = pytest.mark.browser

IMAGES = """\
import base64, io
import pandas as pd
from PIL import Image, ImageDraw

def webp(colour):
    img = Image.new("RGB", (48, 48), "white")
    ImageDraw.Draw(img).ellipse((6, 6, 42, 42), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="WEBP", quality=80)
    return base64.b64encode(buf.getvalue()).decode("ascii")

COLOURS = ["red", "green", "blue", "orange", "purple", "black"]
frame = pd.DataFrame({
    "text": [f"a {c} disc <b>{i}</b>" for i, c in enumerate(COLOURS)],
    "path": [f"photos/{c}.png" for c in COLOURS],
    "width": [48] * len(COLOURS), "height": [48] * len(COLOURS),
    "thumbnail": [webp(c) for c in COLOURS],
})
%embed pics --from frame --column text --meta path,width,height,thumbnail
captions = ["a caption with no image", "another caption, no image"]
%embed pics --from captions
print(len(frame))
"""

DECODED_JS = "img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0"


def test_map_hover_and_explorer_rows_show_thumbnails(notebook: Any) -> None:
    p = notebook()
    p.run(IMAGES)
    root = open_map(p, "%emb map pics")
    coords = py_json(p, "m.coords.tolist()")
    has_thumb = py_json(
        p, "['thumbnail' in m.data.record(r)[1].metadata for r in range(m.data.size)]"
    )
    rows = isolated_rows(coords, canvas_box(root), len(coords))
    image_row = next(r for r in rows if has_thumb[r])
    text_row = next(r for r in rows if not has_thumb[r])

    # an image record: its text and, above it, its thumbnail decoded by the browser
    text, thumb = py_json(p, f"[m.data.record({image_row})[1].text, "
                             f"m.data.record({image_row})[1].metadata['thumbnail']]")  # fmt: skip
    hover(p.page, root, coords[image_row], text)
    img = root.locator("[data-testid=map-tooltip] [data-testid=map-thumbnail]")
    expect(img).to_have_count(1, timeout=T)
    expect(img).to_have_attribute("src", f"data:image/webp;base64,{thumb}")
    p.page.wait_for_function(DECODED_JS, arg=img.element_handle(), timeout=T)
    assert img.get_attribute("alt") == ""  # the text stands beside it
    tip = root.locator("[data-testid=map-tooltip] .text")
    assert tip.text_content() == text and tip.locator("b").count() == 0
    box, tooltip_box = canvas_box(root), root.locator("[data-testid=map-tooltip]").bounding_box()
    assert tooltip_box and tooltip_box["y"] + tooltip_box["height"] <= box["y"] + box["height"] + 1
    p.nb.screenshot(root, "map_thumbnail")

    # a text record of the same map: no image
    hover(p.page, root, coords[text_row], py_json(p, f"m.data.record({text_row})[1].text"))
    expect(root.locator("[data-testid=map-tooltip] img")).to_have_count(0)

    # the saved page (no kernel): the same thumbnail, allowed by its Content-Security-Policy
    saved = py_json(p, "str(m.save_html('pics_map.html').resolve())")
    page = p.page.context.new_page()
    try:
        page.goto(Path(saved).as_uri())
        alone = page.locator("[data-testid=embmagic-map]")
        expect(alone).to_have_attribute("data-painted", "1", timeout=T)
        hover(page, alone, coords[image_row], text)
        img = alone.locator("[data-testid=map-tooltip] [data-testid=map-thumbnail]")
        expect(img).to_have_attribute("src", f"data:image/webp;base64,{thumb}", timeout=T)
        page.wait_for_function(DECODED_JS, arg=img.element_handle(), timeout=T)
    finally:
        page.close()

    # the explorer: one decoded thumbnail per image hit, none for the captions
    ex = open_widget(p, "ex = %neighbors a red disc -c pics -k 8 --widget\nex", "embmagic-explorer")
    expect(ex.locator("[data-testid=explorer-row]")).to_have_count(8, timeout=T)
    hits = py_json(p, "[[h.text, h.metadata.get('thumbnail')] for h in ex.hits]")
    cells = ex.locator("[data-testid=explorer-row] td.text")
    expect(cells).to_have_text([t for t, _ in hits], timeout=T)
    for i, (_, want) in enumerate(hits):
        img = cells.nth(i).locator("img")
        if want is None:
            expect(img).to_have_count(0)
            continue
        expect(img).to_have_attribute("src", f"data:image/webp;base64,{want}")
        p.page.wait_for_function(DECODED_JS, arg=img.element_handle(), timeout=T)
    assert ex.locator("b, script").count() == 0
    p.nb.screenshot(ex, "explorer_thumbnails")
