"""The three widgets in a real JupyterLab page in headless Chromium (contract: docs/widgets.md).

Each test opens its own notebook (own kernel), builds small collections with the fake encoder,
drives the widget with the mouse and keyboard, and checks what the page shows against what
Python computes in the same kernel. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

T = 60_000  # ms: generous, for a shared 2-core machine

DATA = """\
import random
TOPICS = {
    "cats": "cat kitten whiskers purr mouse windowsill nap fur",
    "finance": "stock bond market price interest bank loan dividend",
    "space": "planet rocket orbit star galaxy moon astronaut comet",
    "cooking": "recipe oven flour butter sauce garlic pasta bake",
}
rng = random.Random(0)
for coll in ("a", "b"):
    for topic, words in TOPICS.items():
        batch = [f"{coll}{i} {topic}: " + " ".join(rng.sample(words.split(), 4))
                 for i in range(25)]
        get_ipython().run_line_magic("embed", f"{coll} --from batch --meta topic={topic}")

def top_texts(query, k, colls=("a", "b")):
    hits = []
    for c in colls:
        res = get_ipython().run_line_magic("neighbors", f"{query} -c {c} -k {k}")
        hits += [(-h.score, c, h.id, h.text) for h in res.hits]
    return [t for *_, t in sorted(hits)[:k]]

print(len(get_ipython().run_line_magic("emb", "list").plain().splitlines()) > 0)
"""

XSS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '<a href="javascript:window.__xss=3">javascript:window.__xss=3</a>',
]
NO_XSS_JS = """(roots) => {
  const found = [];
  for (const id of roots) {
    for (const root of document.querySelectorAll(`[data-testid=${id}]`)) {
      for (const el of root.querySelectorAll('img, script, iframe, object, embed, a[href]')) {
        found.push(id + ': <' + el.tagName.toLowerCase() + '>');
      }
    }
  }
  return {found, xss: typeof window.__xss === 'undefined' ? null : String(window.__xss)};
}"""


def py_json(p: Any, expr: str) -> Any:
    """Evaluate `expr` in the kernel; its value, through JSON."""
    out = p.run(f"print(json.dumps({expr}))")
    return json.loads(out.strip().splitlines()[-1])


# -- map helpers -----------------------------------------------------------------------------


def canvas_box(root: Any) -> dict[str, Any]:
    """The map canvas's page box, with `transform`: the widget's data→canvas mapping
    (`data-transform`, [a, b, c, d, e, f] in CSS px from the canvas's top-left corner)."""
    canvas = root.locator("[data-testid=map-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, "map canvas has no size"
    transform = canvas.get_attribute("data-transform")
    assert transform, "the map canvas has no data-transform (the map draws nothing yet?)"
    return {**box, "transform": json.loads(transform)}


def to_page(xy: list[float], box: dict[str, Any]) -> tuple[float, float]:
    """Page pixel of map coordinates, through the camera's transform the widget exposes."""
    a, b, c, d, e, f = box["transform"]
    x, y = xy[0], xy[1]
    return box["x"] + a * x + c * y + e, box["y"] + b * x + d * y + f


def isolated_rows(coords: list[list[float]], box: dict[str, Any], count: int) -> list[int]:
    """Rows whose nearest other point is farthest away on screen (unambiguous hover targets)."""
    pix = [to_page(c, box) for c in coords]
    gaps = []
    for i, (x, y) in enumerate(pix):
        nearest = min(((x - u) ** 2 + (y - v) ** 2 for j, (u, v) in enumerate(pix) if j != i),
                      default=1e9)  # fmt: skip
        inside = box["x"] + 8 < x < box["x"] + box["width"] - 8 and (
            box["y"] + 8 < y < box["y"] + box["height"] - 8
        )
        if inside:
            gaps.append((nearest, i))
    return [i for _, i in sorted(gaps, reverse=True)[:count]]


def hover(page: Any, root: Any, point: list[float], want: str) -> str:
    """Move the mouse onto the map point `point` and wait for the tooltip to show `want`.

    The canvas is measured here, after any cell ran (running a cell scrolls the notebook)."""
    xy = to_page(point, canvas_box(root))
    tooltip = root.locator("[data-testid=map-tooltip]")
    page.mouse.move(xy[0] - 30, xy[1] - 30)
    page.mouse.move(xy[0], xy[1], steps=4)
    page.mouse.move(xy[0] + 0.5, xy[1] + 0.5)
    expect(tooltip).to_be_visible(timeout=T)
    expect(tooltip).to_contain_text(want, timeout=T)  # "…" while the kernel answers
    return str(tooltip.text_content() or "")


def open_widget(p: Any, code: str, name: str) -> Any:
    """Run `code` (which shows a widget) and return the visible widget called `name`."""
    p.run(code)
    root = p.nb.widget(name)
    expect(root).to_be_visible(timeout=T)
    return root


def open_map(p: Any, call: str, var: str = "m") -> Any:
    p.run(f"{var} = {call}\n{var}")
    root = p.nb.widget("embmagic-map")
    expect(root).to_have_attribute("data-painted", "1", timeout=T)
    return root


# -- tests -----------------------------------------------------------------------------------


def test_map_legend_hover_query_and_selection(notebook: Any) -> None:
    p = notebook()
    p.run(DATA)
    root = open_map(p, "%emb map a b --color-by topic")
    page = p.page

    # legend: one entry per label, in the kernel's order
    labels = py_json(p, '[e["label"] for e in m.legend]')
    assert sorted(labels) == ["cats", "cooking", "finance", "space"]
    items = root.locator("[data-testid=map-legend] [data-testid=map-legend-item]")
    expect(items).to_have_text(labels, timeout=T)
    expect(root.locator("[data-testid=map-status]")).to_contain_text("200 points")

    # hover: the tooltip shows the record under the mouse
    coords = py_json(p, "m.coords.tolist()")
    categories = py_json(p, "m.data.category.tolist()")
    box = canvas_box(root)
    rows = isolated_rows(coords, box, 2)
    wants = py_json(p, f"[m.data.record(r)[1].text for r in {rows}]")
    for row, want in zip(rows, wants, strict=True):
        hover(page, root, coords[row], want)
        tip = root.locator("[data-testid=map-tooltip]")
        assert tip.get_attribute("data-row") == str(row)
        assert tip.locator(".text").count() == 0 or tip.locator(".text").text_content() == want

    # query box: the hits are the nearest records over both collections, as %neighbors says
    k = int(root.locator("[data-testid=map-k]").input_value())
    query = "kitten whiskers nap"
    root.locator("[data-testid=map-query]").fill(query)
    root.locator("[data-testid=map-query]").press("Enter")
    expected = py_json(p, f"top_texts({query!r}, {k})")
    hit_texts = root.locator("[data-testid=map-hits] [data-testid=map-hit] .text")
    expect(hit_texts).to_have_text(expected, timeout=T)
    assert py_json(p, "[h['text'] for h in m.last_hits]") == expected
    assert len(py_json(p, "m.highlighted")) == k
    expect(root.locator("[data-testid=map-highlight]")).to_have_count(k, timeout=T)
    p.nb.screenshot(root, "map")

    # selection: shift + drag a rectangle; Python gets the rows inside it
    # a rectangle over the middle of the first legend category's points
    first = [i for i, cat in enumerate(categories) if cat == 0]
    inside, near = lasso_around(page, root, coords, first)
    assert inside, "no point inside the dragged rectangle: pick another one"
    try:  # the front end's own count, shown as it sends the rows to Python
        expect(root.locator("[data-testid=map-selected]")).to_contain_text(
            "selected", timeout=10_000
        )
    except AssertionError as exc:
        msg = (
            f"Shift+drag selected nothing; {len(inside)} points lie inside the rectangle. In "
            "JupyterLab a Shift+mousedown inside a cell starts the notebook's cell-range "
            "selection, which swallows the following mousemove/mouseup events: the map must "
            "stop mousedown from propagating out of its canvas"
        )
        raise AssertionError(msg) from exc
    out = p.run("print(len(m.selected), sorted(m.selected)[:5])")
    count = int(out.split()[0])
    got = set(py_json(p, "[m.data.row_of(c, i) for c, i in m.selected]"))
    assert count == len(got) > 0, out
    assert inside <= got <= near, (sorted(inside), sorted(got), sorted(near))
    shown = root.locator("[data-testid=map-selected]").text_content() or ""
    assert shown.startswith(f"{count} "), shown
    p.nb.screenshot(root, "map_selection")
    frame = py_json(p, "list(m.selection_frame().columns)")
    assert frame[:3] == ["collection", "id", "text"] and "topic" in frame


# what the map draws: read back from the canvas (regl-scatterplot copies each frame into it)
PIXELS_JS = """([canvas, x, y, half]) => {
  const ctx = canvas.getContext('2d');
  const s = canvas.width / canvas.clientWidth;
  const left = Math.round((x - half) * s), top = Math.round(y * s);
  const row = ctx.getImageData(left, top, Math.round(2 * half * s) + 1, 1).data;
  const out = [];
  for (let i = 0; i < row.length; i += 4) out.push([row[i], row[i + 1], row[i + 2]]);
  return {scale: s, row: out};
}"""
SELECT_RGB = "rgb(255, 109, 0)"  # the selection colour (js/src/map/view.ts SELECT_COLOR)
MARGIN = 11  # px: a highlight marker with its selection halo (MARKER_RADIUS in view.ts)


def pixel_row(root: Any, page_xy: tuple[float, float], half: int) -> list[list[int]]:
    """RGB of the canvas pixels on a horizontal line of 2·half px centred on `page_xy`."""
    box = canvas_box(root)
    canvas = root.locator("[data-testid=map-canvas] canvas").element_handle()
    x, y = page_xy[0] - box["x"], page_xy[1] - box["y"]
    got = root.page.evaluate(PIXELS_JS, [canvas, x, y, half])
    return list(got["row"])


def is_background(rgb: list[int]) -> bool:
    return all(c > 235 for c in rgb)


def inside(inner: dict[str, float], outer: dict[str, float], pad: float = 0.0) -> bool:
    return (
        inner["x"] >= outer["x"] + pad - 0.5
        and inner["y"] >= outer["y"] + pad - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] - pad + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] - pad + 0.5
    )


def test_map_fits_canvas_rings_hover_and_marks_selection(notebook: Any) -> None:
    """issue #14 item 5: the cloud fills the canvas with every point (and marker) inside, dots
    sized for the count, a hover ring with the dot still drawn, selected hits in the selection
    colour, hit numbers not clipped, the shown query in the box, the selection-shape control."""
    p = notebook()
    p.run(DATA)
    root = open_map(p, "%emb map a")  # one collection: one colour (hover used to paint it white)
    page = p.page
    coords = py_json(p, "m.coords.tolist()")
    box = canvas_box(root)
    pix = [to_page(c, box) for c in coords]

    # 1. every point, with room for its marker/ring, is inside the canvas on all four edges
    for x, y in pix:
        assert box["x"] + MARGIN <= x <= box["x"] + box["width"] - MARGIN, (x, box)
        assert box["y"] + MARGIN <= y <= box["y"] + box["height"] - MARGIN, (y, box)
    # 2. ... and the cloud fills it: both extents over 70% of the canvas (wide canvas)
    xs, ys = [x for x, _ in pix], [y for _, y in pix]
    assert box["width"] > 1.5 * box["height"], box
    assert (max(xs) - min(xs)) / box["width"] > 0.7, (min(xs), max(xs), box)
    assert (max(ys) - min(ys)) / box["height"] > 0.7, (min(ys), max(ys), box)
    # dots sized for 100 points (9 px; 5 px before), and drawn that wide
    size = float(root.locator("[data-testid=map-canvas]").get_attribute("data-point-size") or 0)
    assert size >= 8, size
    row = isolated_rows(coords, box, 1)[0]
    drawn = [c for c in pixel_row(root, pix[row], 10) if not is_background(c)]
    assert len(drawn) >= size - 2, (len(drawn), size)

    # 3. hovering keeps the dot drawn (its own colour under the cursor) and rings it
    want = py_json(p, f"m.data.record({row})[1].text")
    hover(page, root, coords[row], want)
    ring = root.locator("[data-testid=map-hover-ring]")
    expect(ring).to_be_visible(timeout=T)
    rb = ring.bounding_box()
    assert rb and inside(rb, canvas_box(root))
    point = to_page(coords[row], canvas_box(root))
    assert abs(rb["x"] + rb["width"] / 2 - point[0]) < 1.5, (rb, point)
    assert abs(rb["y"] + rb["height"] / 2 - point[1]) < 1.5, (rb, point)
    assert rb["width"] > size + 4, rb
    page.wait_for_timeout(200)  # the next frame
    centre = pixel_row(root, point, 1)
    assert not any(is_background(c) for c in centre), f"the hovered dot is not drawn: {centre}"
    page.mouse.move(0, 0)
    expect(ring).to_be_hidden(timeout=T)

    # 7. the selection-shape control: two options with aria-pressed, and a hint
    lasso_btn = root.locator("[data-testid=map-mode-lasso]")
    box_btn = root.locator("[data-testid=map-mode-box]")
    expect(lasso_btn).to_have_attribute("aria-pressed", "true")
    expect(box_btn).to_have_attribute("aria-pressed", "false")
    expect(root.locator("[data-testid=map-hint]")).to_have_text("Shift+drag to select")

    def around_first() -> tuple[dict[str, Any], tuple[float, float], tuple[float, float]]:
        box = canvas_box(root)  # measured again: running a cell scrolls the notebook
        cx, cy = to_page(coords[0], box)  # a rectangle around the first point, in the canvas
        a = (max(box["x"] + 3, cx - 80), max(box["y"] + 3, cy - 50))
        b = (min(box["x"] + box["width"] - 3, cx + 80), min(box["y"] + box["height"] - 3, cy + 50))
        return box, a, b

    _, a, b = around_first()
    lasso(page, [a, b])  # a lasso along a straight line encloses nothing
    page.wait_for_timeout(500)
    assert py_json(p, "len(m.selected)") == 0
    box_btn.click()
    expect(box_btn).to_have_attribute("aria-pressed", "true")
    expect(lasso_btn).to_have_attribute("aria-pressed", "false")
    expect(root.locator("[data-testid=map-mode]")).to_have_attribute("data-mode", "box")
    box, a, b = around_first()
    lasso(page, [a, b])  # the same drag in box mode: the rectangle it spans
    sure, maybe = rows_in(coords, box, (a[0], a[1], b[0], b[1]))
    assert sure, "no point inside the rectangle: pick another one"
    expect(root.locator("[data-testid=map-selected]")).to_contain_text("selected", timeout=T)
    got = set(py_json(p, "[m.data.row_of('a', i) for i in m.selected]"))
    assert sure <= got <= maybe, (sorted(sure), sorted(got))

    # 5. a query: ten hits, numbered "1." … "10." fully inside the list
    root.locator("[data-testid=map-query]").fill("kitten whiskers nap")
    root.locator("[data-testid=map-query]").press("Enter")
    expect(root.locator("[data-testid=map-hit]")).to_have_count(10, timeout=T)
    hits_box = root.locator("[data-testid=map-hits]").bounding_box()
    ranks = root.locator("[data-testid=map-hit-rank]")
    expect(ranks).to_have_text([f"{i}." for i in range(1, 11)])
    for i in (0, 9):
        rank = ranks.nth(i)
        rank_box = rank.bounding_box()
        assert hits_box and rank_box and rank_box["x"] >= hits_box["x"], (rank_box, hits_box)
        assert rank.evaluate("el => el.scrollWidth <= el.clientWidth + 0.5")
    # 1. the highlight markers are inside the canvas too
    box = canvas_box(root)
    markers = root.locator("[data-testid=map-highlight]")
    expect(markers).to_have_count(10, timeout=T)
    for marker in markers.all():
        mb = marker.bounding_box()
        assert mb and inside(mb, box), (mb, box)

    # 4. selected hits carry the selection colour over the highlight
    rows = [int(m.get_attribute("data-row") or -1) for m in markers.all()]
    hit_pix = [to_page(coords[r], box) for r in rows]
    x0 = max(box["x"] + 2, min(x for x, _ in hit_pix) - 12)
    y0 = max(box["y"] + 2, min(y for _, y in hit_pix) - 12)
    x1 = min(box["x"] + box["width"] - 2, max(x for x, _ in hit_pix) + 12)
    y1 = min(box["y"] + box["height"] - 2, max(y for _, y in hit_pix) + 12)
    page.mouse.move(0, 0)
    lasso(page, [(x0, y0), (x1, y1)])  # box mode
    selected_hits = root.locator("[data-testid=map-highlight][data-selected='1']")
    expect(selected_hits).to_have_count(len(rows), timeout=T)
    border = selected_hits.first.evaluate("el => getComputedStyle(el).borderTopColor")
    assert border == SELECT_RGB, border
    p.nb.screenshot(root, "map_selected_hits")

    # 6. a shown result fills the query box with its query, and searches nothing
    before = py_json(p, "[h['text'] for h in m.last_hits]")
    p.run("res = %neighbors rocket orbit galaxy -c a -k 3 --show m")
    expect(root.locator("[data-testid=map-query]")).to_have_value("rocket orbit galaxy", timeout=T)
    expect(root.locator("[data-testid=map-highlight]")).to_have_count(3, timeout=T)
    expect(root.locator("[data-testid=map-hit]")).to_have_count(0)
    assert py_json(p, "[h['text'] for h in m.last_hits]") == before
    expect(root.locator("[data-testid=map-query-label]")).to_have_text("rocket orbit galaxy")
    p.nb.screenshot(root, "map_shown")


def lasso(page: Any, corners: list[tuple[float, float]]) -> None:
    """Hold Shift and drag the mouse along `corners` (regl-scatterplot's lasso gesture).

    The lasso starts at the first pointer move (not at the press) and samples moves throttled
    and debounced by lassoMinDelay ms: a small first move pins the start on `corners[0]`, and a
    pause before the release lets the last position in (a box runs from first to last)."""
    page.mouse.move(*corners[0])
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(corners[0][0] + 0.5, corners[0][1] + 0.5)
    page.wait_for_timeout(30)
    for (ax, ay), (bx, by) in itertools.pairwise(corners):
        for s in range(1, 11):
            page.mouse.move(ax + (bx - ax) * s / 10, ay + (by - ay) * s / 10)
            page.wait_for_timeout(20)  # the lasso samples the pointer every lassoMinDelay ms
    page.wait_for_timeout(60)
    page.mouse.up()
    page.keyboard.up("Shift")


def lasso_around(
    page: Any,
    root: Any,
    coords: list[list[float]],
    rows: list[int],
    *,
    size: float = 0.08,
    right: float = 1.2,
    bottom: float = 0.8,
) -> tuple[set[int], set[int]]:
    """Shift+drag a rectangle around the middle of `rows`' points (half-height `size` of the
    canvas, stretched by `right` and `bottom`); the rows surely and possibly inside it."""
    page.mouse.move(0, 0)
    box = canvas_box(root)
    pix = [to_page(coords[r], box) for r in rows]
    cx = sorted(x for x, _ in pix)[len(pix) // 2]
    cy = sorted(y for _, y in pix)[len(pix) // 2]
    half = box["height"] * size
    x0, y0, x1, y1 = cx - half, cy - half, cx + half * right, cy + half * bottom
    # three sides: the lasso closes itself (ending on the start would count as a click)
    lasso(page, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return rows_in(coords, box, (x0, y0, x1, y1))


def rows_in(
    coords: list[list[float]],
    box: dict[str, Any],
    rect: tuple[float, float, float, float],
    margin: float = 4.0,
) -> tuple[set[int], set[int]]:
    """Rows surely inside the rectangle (margin in), and rows possibly inside (margin out)."""
    x0, y0, x1, y1 = rect
    sure, maybe = set(), set()
    for i, c in enumerate(coords):
        x, y = to_page(c, box)
        if x0 + margin < x < x1 - margin and y0 + margin < y < y1 - margin:
            sure.add(i)
        if x0 - margin < x < x1 + margin and y0 - margin < y < y1 + margin:
            maybe.add(i)
    return sure, maybe


def explorer_texts(root: Any) -> list[str]:
    cells = root.locator("[data-testid=explorer-results] [data-testid=explorer-row] td.text")
    return [str(c.text_content()) for c in cells.all()]


def wait_rows(page: Any, root: Any, want: list[str]) -> None:
    """Wait until the explorer shows exactly the texts `want`, in order."""
    page.wait_for_function(
        """([root, want]) => {
             const rows = root.querySelectorAll(
               '[data-testid=explorer-results] [data-testid=explorer-row] td.text');
             const got = Array.from(rows).map(r => r.textContent);
             return JSON.stringify(got) === JSON.stringify(want);
           }""",
        arg=[root.element_handle(), want],
        timeout=T,
    )


def test_explorer_query_k_and_collection(notebook: Any) -> None:
    p = notebook()
    p.run(DATA)
    root = open_widget(p, "ex = %neighbors kitten nap -c a -k 5 --widget\nex", "embmagic-explorer")
    wait_rows(p.page, root, py_json(p, "top_texts('kitten nap', 5, ['a'])"))

    query = "rocket orbit galaxy"
    root.locator("[data-testid=explorer-query]").fill(query)
    wait_rows(p.page, root, py_json(p, f"top_texts({query!r}, 5, ['a'])"))
    assert py_json(p, "[ex.query, ex.k, ex.collection]") == [query, 5, "a"]
    assert py_json(p, "[h.text for h in ex.hits]") == explorer_texts(root)

    # the k slider, dragged with the mouse
    slider = root.locator("[data-testid=explorer-k]")
    set_range_by_mouse(p.page, slider, 3)
    wait_rows(p.page, root, py_json(p, f"top_texts({query!r}, 3, ['a'])"))
    assert py_json(p, "ex.k") == 3

    # the other collection
    root.locator("[data-testid=explorer-collection]").select_option("b")
    wait_rows(p.page, root, py_json(p, f"top_texts({query!r}, 3, ['b'])"))
    assert py_json(p, "ex.collection") == "b"

    # the search mode: lexical (BM25) ranks by the words, as %neighbors --mode lexical does
    root.locator("[data-testid=explorer-mode]").select_option("lexical")
    lexical = f"[h.text for h in ex._ws.neighbors({query!r}, collection='b', k=3, mode='lexical')]"
    wait_rows(p.page, root, py_json(p, lexical))
    assert py_json(p, "ex.mode") == "lexical"
    expect(root.locator("[data-testid=explorer-error]")).to_be_hidden()
    p.nb.screenshot(root, "explorer")
    default = py_json(p, "ex._ws.options.search_mode")  # what %neighbors uses without --mode
    root.locator("[data-testid=explorer-mode]").select_option(default)  # for what follows
    wait_rows(p.page, root, py_json(p, f"top_texts({query!r}, 3, ['b'])"))

    # ... and with the keyboard: JupyterLab's command-mode shortcuts (ArrowLeft/Right move
    # between headings) must not swallow the keys of a focused control in the widget
    slider.focus()
    slider.press("ArrowRight")
    try:
        expect(slider).to_have_value("4", timeout=10_000)
    except AssertionError as exc:
        msg = (
            "ArrowRight on the focused k slider did nothing: JupyterLab's command-mode "
            "shortcut (notebook:move-cursor-heading-above-or-collapse) took the key; controls "
            "need data-lm-suppress-shortcuts or the widget must stop keydown propagation"
        )
        raise AssertionError(msg) from exc
    wait_rows(p.page, root, py_json(p, f"top_texts({query!r}, 4, ['b'])"))


def set_range_by_mouse(page: Any, slider: Any, value: int) -> None:
    """Drag a range input's thumb with the mouse until it reads `value`."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    lo, hi = float(slider.get_attribute("min") or 0), float(slider.get_attribute("max") or 100)
    now = float(slider.input_value())
    y = box["y"] + box["height"] / 2
    # the thumb centre runs from about half a thumb in from each end
    x = box["x"] + 8 + (now - lo) / (hi - lo) * (box["width"] - 16)
    page.mouse.move(x, y)
    page.mouse.down()
    step = -1.0 if value < now else 1.0
    for _ in range(int(box["width"]) + 40):
        if float(slider.input_value()) == value:
            break
        x += step
        page.mouse.move(x, y)
    page.mouse.up()
    assert float(slider.input_value()) == value, f"slider reads {slider.input_value()}"


def test_rag_panel_answers_and_cites(notebook: Any) -> None:
    p = notebook()
    p.run(DATA)
    root = open_widget(p, "panel = %rag --widget -c a\npanel", "embmagic-rag")
    root.locator("[data-testid=rag-question]").fill("What does the kitten do on the windowsill?")
    root.locator("[data-testid=rag-ask]").click()
    cites = root.locator("[data-testid=rag-cite]")
    expect(cites.first).to_be_visible(timeout=T)
    # a cell queued behind the ask command runs once the answer is complete
    result = py_json(
        p,
        "{'answer': panel.result.answer, 'cited': panel.result.cited, 'busy': panel.busy,"
        " 'sources': [s['text'] for s in panel.sources], 'ns': [s['n'] for s in panel.sources]}",
    )
    assert not result["busy"] and result["answer"] and result["cited"]
    expect(root.locator("[data-testid=rag-answer]")).to_have_text(result["answer"], timeout=T)
    items = root.locator("[data-testid=rag-sources] [data-testid=rag-source-item] .text")
    expect(items).to_have_text(result["sources"], timeout=T)

    n = int(cites.first.get_attribute("data-n") or "0")
    assert n in result["cited"]
    cites.first.click()
    source = root.locator("[data-testid=rag-source]")
    expect(source).to_be_visible(timeout=T)
    expect(source.locator("[data-testid=rag-source-text]")).to_have_text(
        result["sources"][result["ns"].index(n)]
    )
    expect(root.locator("[data-testid=rag-error]")).to_be_hidden()
    p.nb.screenshot(root, "rag")


def test_document_text_is_never_markup(notebook: Any) -> None:
    p = notebook()
    console: list[str] = []  # all three front ends load here; anywidget warns in the console
    p.page.on("console", lambda message: console.append(message.text))
    texts = [*XSS, "a plain sentence about cats", "another plain sentence about rockets"]
    p.run(f"texts = {texts!r}\n%embed x --from texts")
    # map: hover every payload; the tooltip shows it as text
    map_root = open_map(p, "%emb map x")
    coords = py_json(p, "m.coords.tolist()")
    rows = py_json(p, "[m.data.row_of('x', i) for i in range(len(texts))]")
    for i, payload in enumerate(XSS):
        hover(p.page, map_root, coords[rows[i]], payload)
    # map query box lists the payloads as hits
    map_root.locator("[data-testid=map-k]").fill("5")
    map_root.locator("[data-testid=map-query]").fill("window xss")
    map_root.locator("[data-testid=map-query]").press("Enter")
    for payload in XSS:
        expect(map_root.locator("[data-testid=map-hits]")).to_contain_text(payload, timeout=T)
    p.nb.screenshot(map_root, "xss_map")

    # explorer rows
    p.run("ex = %neighbors window xss -c x -k 5 --widget\nex")
    ex_root = p.nb.widget("embmagic-explorer")
    for payload in XSS:
        expect(ex_root.locator("[data-testid=explorer-results]")).to_contain_text(
            payload, timeout=T
        )
    p.nb.screenshot(ex_root, "xss_explorer")

    # RAG answer and sources
    p.run("panel = %rag --widget -c x -k 5\npanel")
    rag_root = p.nb.widget("embmagic-rag")
    rag_root.locator("[data-testid=rag-question]").fill("What does window.__xss do in the img?")
    rag_root.locator("[data-testid=rag-ask]").click()
    for payload in XSS:
        expect(rag_root.locator("[data-testid=rag-sources]")).to_contain_text(payload, timeout=T)
    answer = py_json(p, "panel.result.answer")
    expect(rag_root.locator("[data-testid=rag-answer]")).to_have_text(answer, timeout=T)
    cites = rag_root.locator("[data-testid=rag-cite]")
    for i in range(cites.count()):
        cites.nth(i).click()
    for item in rag_root.locator("[data-testid=rag-source-item]").all():
        item.click()
        expect(rag_root.locator("[data-testid=rag-source]")).to_be_visible()
    p.page.wait_for_timeout(300)  # an injected onerror would fire within a few tasks

    found = p.page.evaluate(NO_XSS_JS, ["embmagic-map", "embmagic-explorer", "embmagic-rag"])
    assert found == {"found": [], "xss": None}, found
    assert not p.dialogs, p.dialogs
    p.nb.screenshot(rag_root, "xss_rag")
    # e.g. "Direct export of a 'render' will likely be deprecated" for a bare `export render`
    assert not [m for m in console if "[anywidget]" in m], console


def test_errors_reach_the_front_end(notebook: Any) -> None:
    p = notebook()
    p.run(DATA)
    root = open_widget(p, "ex = %neighbors kitten -c a --widget\nex", "embmagic-explorer")
    p.run("%emb drop a")
    root.locator("[data-testid=explorer-query]").fill("rocket")
    error = root.locator("[data-testid=explorer-error]")
    expect(error).to_contain_text("no collection named 'a'", timeout=T)
    assert "\n" not in (error.text_content() or "").strip()
    p.nb.screenshot(root, "explorer_error")

    # the map: a k the kernel refuses comes back as one error line
    map_root = open_map(p, "%emb map b")
    map_root.locator("[data-testid=map-k]").fill("1000")
    map_root.locator("[data-testid=map-query]").fill("rocket")
    map_root.locator("[data-testid=map-query]").press("Enter")
    map_error = map_root.locator("[data-testid=map-error]")
    expect(map_error).to_contain_text("k must be between 1 and", timeout=T)
    assert "\n" not in (map_error.text_content() or "").strip()
    p.nb.screenshot(map_root, "map_error")
