"""The saved map page (`m.save_html`) opened from `file://` in headless Chromium, with no kernel
and no server: it paints, shows colours and the legend, hover shows the right texts, wheel zoom
and drag pan move the view, Shift+drag selects, the query box is disabled with a note, no
document text becomes markup, and the page makes no network request (docs/widgets.md,
"Standalone HTML")."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from labkit import ARTIFACTS
from playwright.sync_api import expect
from test_widgets_browser import T, canvas_box, hover, isolated_rows, lasso_around

from embmagic.widgets import Map
from embmagic.widgets.standalone import hover_rows

pytestmark = pytest.mark.browser

TOPICS = {
    "cats": "cat kitten whiskers purr mouse windowsill nap fur",
    "finance": "stock bond market price interest bank loan dividend",
    "space": "planet rocket orbit star galaxy moon astronaut comet",
    "cooking": "recipe oven flour butter sauce garlic pasta bake",
}
HOSTILE = [
    "<img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=2</script>",
]
LOCAL = ("file:", "blob:", "data:")


@pytest.fixture
def saved(ip: InteractiveShell, tmp_path: Path) -> Iterator[tuple[Map, Path]]:
    """A two-collection map coloured by topic (with two hostile records), a highlighted row,
    saved to a file; the kernel is gone for the browser: only the file is opened."""
    rng = random.Random(0)
    for coll in ("a", "b"):
        for topic, words in TOPICS.items():
            ip.user_ns["batch"] = [
                f"{coll}{i} {topic}: " + " ".join(rng.sample(words.split(), 4)) for i in range(25)
            ]
            ip.run_line_magic("embed", f"{coll} --from batch --meta topic={topic}")
    ip.user_ns["batch"] = HOSTILE
    ip.run_line_magic("embed", "b --from batch --meta topic=cats")
    m = Map(["a", "b"], color_by="topic")
    m.set_highlight([0])
    path = m.save_html(tmp_path / "map.html")
    yield m, path


def canvas_shot(root: Any) -> bytes:
    return bytes(root.locator("[data-testid=map-canvas] canvas").screenshot())


def marker_at(root: Any) -> tuple[float, float]:
    box = root.locator("[data-testid=map-highlight]").first.bounding_box()
    assert box, "the highlight marker has no box"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def settled(page: Any, root: Any, before: tuple[float, float]) -> tuple[float, float]:
    """The marker's centre once it has moved from `before` and stopped (the camera may animate
    and a loaded machine may draw late)."""
    last = before
    for _ in range(T // 100):
        page.wait_for_timeout(100)
        now = marker_at(root)
        if now != before and now == last:
            return now
        last = now
    raise AssertionError(f"the view did not move: marker still at {before}")


def test_saved_map_works_from_file_without_a_kernel(saved: tuple[Map, Path], browser: Any) -> None:
    m, path = saved
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.on("weberror", lambda err: errors.append(str(err.error)))
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(path.as_uri())
        root = page.locator("[data-testid=embmagic-map]")
        expect(root).to_have_attribute("data-painted", "1", timeout=T)
        expect(page.locator("[data-testid=standalone-failed]")).to_be_hidden()

        # colours: the legend in the kernel's order, each swatch in its colour
        items = root.locator("[data-testid=map-legend-item]")
        expect(items).to_have_text([e["label"] for e in m.legend], timeout=T)
        swatches = root.locator("[data-testid=map-legend-item] .swatch")
        colours = swatches.evaluate_all("(els) => els.map((e) => e.style.backgroundColor)")
        want = [f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)})"
                for c in (e["color"] for e in m.legend)]  # fmt: skip
        assert colours == want
        expect(root.locator("[data-testid=map-status]")).to_have_text(m.status)
        assert "202 points" in m.status

        # the query box is off, and the page says why
        expect(root.locator("[data-testid=map-query]")).to_be_disabled()
        expect(root.locator("[data-testid=map-find]")).to_be_disabled()
        expect(root.locator("[data-testid=map-standalone-note]")).to_be_visible()
        expect(root.locator("[data-testid=map-standalone-note]")).to_contain_text(
            "needs a running Python kernel"
        )
        refused = page.evaluate("""() => new Promise((resolve) => {
          const model = window.embmagicStandalone.model;
          const on = (content) => { if (content.id === "t-query") resolve(content); };
          model.on("msg:custom", on);
          model.send({kind: "embmagic-request", id: "t-query", name: "query",
                      msg: {text: "cats", k: 3}});
        })""")
        assert refused == {"kind": "embmagic-reply", "id": "t-query", "ok": False,
                           "error": "the query box needs a running Python kernel: "
                                    "this is a saved page"}  # fmt: skip

        # hover: the saved texts of two isolated points
        coords = m.coords.tolist()
        texts = hover_rows(m)["texts"]
        rows = isolated_rows(coords, canvas_box(root), 2)
        for row in rows:
            hover(page, root, coords[row], texts[row])
            tip = root.locator("[data-testid=map-tooltip]")
            assert tip.get_attribute("data-row") == str(row)
            assert tip.locator(".text").text_content() == texts[row]
            collection, record = m.data.record(row)
            expect(tip.locator(".where")).to_have_text(f"{collection.name}/{record.id}")

        # selection: Shift+drag around the middle of the first category's points
        first = [i for i, cat in enumerate(m.data.category) if cat == 0]
        inside, near = lasso_around(page, root, coords, first)
        assert inside, "no point inside the dragged rectangle: pick another one"
        selected = root.locator("[data-testid=map-selected]")
        expect(selected).to_contain_text("selected", timeout=T)
        got = set(page.evaluate("window.embmagicStandalone.python.selected"))
        assert inside <= got <= near, (sorted(inside), sorted(got), sorted(near))
        assert selected.text_content() == f"{len(got)} selected"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(ARTIFACTS / "standalone_map.png"))

        # wheel zoom and drag pan move the camera: the marker and the picture move
        page.mouse.move(0, 0)
        expect(root.locator("[data-testid=map-tooltip]")).to_be_hidden(timeout=T)
        box = canvas_box(root)
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        shot, (mx, my) = canvas_shot(root), marker_at(root)
        page.mouse.move(*centre)
        page.mouse.wheel(0, -400)
        zx, zy = settled(page, root, (mx, my))
        spread = abs(zx - centre[0]) + abs(zy - centre[1])
        assert spread > 1.2 * (abs(mx - centre[0]) + abs(my - centre[1])), "wheel did not zoom in"
        zoomed = canvas_shot(root)
        assert zoomed != shot
        page.mouse.move(*centre)
        page.mouse.down()
        page.mouse.move(centre[0] + 120, centre[1] + 60, steps=12)
        page.mouse.up()
        px, py = settled(page, root, (zx, zy))
        assert abs(px - zx - 120) < 6 and abs(py - zy - 60) < 6, ((zx, zy), (px, py))
        assert canvas_shot(root) != zoomed

        # documents stay text; nothing left the page
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert root.locator("img, script, iframe, object, embed").count() == 0
        assert not errors, errors
        outside = [u for u in requests if not u.startswith(LOCAL)]
        assert not outside, outside
        assert requests[0] == path.as_uri()
    finally:
        context.close()
    shutil.copy(path, ARTIFACTS / "standalone_map.html")
