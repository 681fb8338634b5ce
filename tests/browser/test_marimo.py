"""The three widgets in a real marimo app (`marimo run`) in headless Chromium: the same
scenario as in JupyterLab and Notebook 7 (test_widgets_browser.py), in a host that has no
anywidget `invoke` and no IPython. Python's side is read from a state file the app writes
whenever a widget's state changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labkit import ARTIFACTS
from marimokit import MarimoApp
from playwright.sync_api import expect
from test_widgets_browser import (
    T,
    canvas_box,
    hover,
    isolated_rows,
    lasso_around,
    set_range_by_mouse,
    wait_rows,
)
from widget_data import build

from embmagic.app import Workspace

pytestmark = pytest.mark.browser

APP = '''\
import marimo

app = marimo.App()


@app.cell
def _():
    import json
    import os
    import sys

    import marimo as mo

    sys.path.insert(0, {here!r})
    from widget_data import build

    from embmagic import Workspace
    from embmagic.widgets import Explorer, Map, RagPanel

    ws = Workspace()
    coll = build(ws)
    m = Map(coll, color_by="topic")
    ex = Explorer(coll, query="kitten nap", k=5)
    panel = RagPanel(coll)

    def dump(*_):
        state = {{
            "selected": sorted(int(i) for i in m.selected),
            "last_hits": [h["text"] for h in m.last_hits],
            "explorer": {{"query": ex.query, "k": ex.k,
                          "results": [r["text"] for r in ex.results]}},
            "panel": {{"answer": panel.answer, "cited": list(panel.cited), "busy": panel.busy,
                       "sources": [s["text"] for s in panel.sources]}},
        }}
        path = os.environ["EMBMAGIC_STATE"]
        with open(path + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(path + ".tmp", path)

    m.observe(dump, names=["selected", "highlight"])
    ex.observe(dump, names=["results"])
    panel.observe(dump, names=["answer", "cited", "busy"])
    dump()
    return ex, m, mo, panel


@app.cell
def _(m, mo):
    mo.ui.anywidget(m)
    return


@app.cell
def _(ex):
    ex
    return


@app.cell
def _(mo, panel):
    mo.ui.anywidget(panel)
    return


if __name__ == "__main__":
    app.run()
'''


@pytest.fixture(scope="module")
def marimo(tmp_path_factory: pytest.TempPathFactory, bundles: None) -> Iterator[MarimoApp]:
    root = tmp_path_factory.mktemp("marimo")
    source = APP.format(here=str(Path(__file__).parent))
    with MarimoApp(root, source, env={"EMBMAGIC_STATE": str(root / "state.json")}) as app:
        yield app


@pytest.fixture(scope="module")
def expected() -> Workspace:
    ws = Workspace()
    build(ws)
    return ws


def state(app: MarimoApp) -> dict[str, Any]:
    return json.loads((app.root / "state.json").read_text())


def wait_state(app: MarimoApp, check: Any, timeout_s: float = 60) -> dict[str, Any]:
    """The app's Python state once `check(state)` holds."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        got = state(app)
        if check(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


# every control a widget draws, and the widget's root: they carry their own border (item 8 of
# issue #14: marimo's reset stylesheet strips the browser's)
CONTROLS = {
    "embmagic-map": ["map-query", "map-k", "map-find", "map-mode-lasso", "map-mode-box"],
    "embmagic-explorer": ["explorer-query", "explorer-collection"],
    "embmagic-rag": ["rag-question", "rag-ask"],
}
BORDER_JS = """el => { const s = getComputedStyle(el);
  return {width: parseFloat(s.borderTopWidth), style: s.borderTopStyle, color: s.borderTopColor,
          radius: parseFloat(s.borderTopLeftRadius), padding: parseFloat(s.paddingLeft)}; }"""


def check_controls(page: Any) -> None:
    """Inputs, selects and buttons of all three widgets have a visible border and padding."""
    for widget, ids in CONTROLS.items():
        root = page.locator(f"[data-testid={widget}]").first
        for testid in ids:
            got = root.locator(f"[data-testid={testid}]").evaluate(BORDER_JS)
            assert got["width"] > 0 and got["style"] == "solid", (testid, got)
            assert got["color"] not in ("rgba(0, 0, 0, 0)", "transparent"), (testid, got)
            assert got["padding"] > 0, (testid, got)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(ARTIFACTS / f"marimo_{widget.removeprefix('embmagic-')}.png"))


def test_widgets_work_in_marimo(marimo: MarimoApp, expected: Workspace, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    errors: list[str] = []
    context.on("weberror", lambda err: errors.append(str(err.error)))
    page = context.new_page()
    try:
        page.goto(marimo.base + "/", timeout=T)
        root = page.locator("[data-testid=embmagic-map]").first
        expect(root).to_have_attribute("data-painted", "1", timeout=T)
        expect(root.locator("[data-testid=map-error]")).to_be_hidden()

        # hover: the record under the mouse, from texts the page holds (no kernel call each)
        ws = Workspace()
        coll = build(ws)
        from embmagic.widgets import Map

        local = Map(coll, color_by="topic", workspace=ws)  # same data, same projection
        coords = local.coords.tolist()
        box = canvas_box(root)
        for row in isolated_rows(coords, box, 2):
            hover(page, root, coords[row], local.data.record(row)[1].text)

        # query box: the hits are the nearest records, as the Python API ranks them
        query = "kitten whiskers nap"
        root.locator("[data-testid=map-query]").fill(query)
        root.locator("[data-testid=map-query]").press("Enter")
        want = [h.text for h in expected.neighbors(query, collection="a", k=10)]
        expect(root.locator("[data-testid=map-hits] [data-testid=map-hit] .text")).to_have_text(
            want, timeout=T
        )
        expect(root.locator("[data-testid=map-highlight]")).to_have_count(10, timeout=T)
        assert wait_state(marimo, lambda s: s["last_hits"] == want)["last_hits"] == want

        # lasso: the rows inside come back to Python as m.selected
        inside, near = lasso_around(page, root, coords, list(range(len(coords))), size=0.12,
                                    right=1.0, bottom=1.0)  # fmt: skip
        got = wait_state(marimo, lambda s: bool(s["selected"]))["selected"]
        rows = {local.data.row_of("a", i) for i in got}
        assert inside and inside <= rows <= near, (sorted(inside), sorted(rows))

        # explorer: typing searches; the k slider changes the count
        ex = page.locator("[data-testid=embmagic-explorer]").first
        query = "rocket orbit galaxy"
        ex.locator("[data-testid=explorer-query]").fill(query)
        wait_rows(page, ex, [h.text for h in expected.neighbors(query, collection="a", k=5)])
        set_range_by_mouse(page, ex.locator("[data-testid=explorer-k]"), 3)
        want = [h.text for h in expected.neighbors(query, collection="a", k=3)]
        wait_rows(page, ex, want)
        assert wait_state(marimo, lambda s: s["explorer"]["k"] == 3)["explorer"] == {
            "query": query, "k": 3, "results": want}

        # RAG panel: ask, then click a citation to read its source
        rag = page.locator("[data-testid=embmagic-rag]").first
        rag.locator("[data-testid=rag-question]").fill("What does the kitten do on the windowsill?")
        rag.locator("[data-testid=rag-ask]").click()
        cite = rag.locator("[data-testid=rag-cite]").first
        expect(cite).to_be_visible(timeout=T)
        answer = wait_state(marimo, lambda s: s["panel"]["cited"] and not s["panel"]["busy"])
        expect(rag.locator("[data-testid=rag-answer]")).to_have_text(answer["panel"]["answer"])
        n = int(cite.get_attribute("data-n") or "0")
        assert n in answer["panel"]["cited"]
        cite.click()
        expect(rag.locator("[data-testid=rag-source-text]")).to_have_text(
            answer["panel"]["sources"][n - 1], timeout=T
        )
        check_controls(page)
        for testid in ("map-error", "explorer-error", "rag-error"):
            expect(page.locator(f"[data-testid={testid}]").first).to_be_hidden()
        assert not errors, errors
    finally:
        context.close()


