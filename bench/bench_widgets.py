"""Map widget benchmark in a real JupyterLab page (headless Chromium), side by side in one run.

    python bench/bench_widgets.py            # first paint of 1,000,000 points; queries on 100,000
    python bench/bench_widgets.py --quick    # 20,000 points, queries on 10,000: CI smoke run

Prints one table:
- the kernel side: projection (gather vectors + PCA + colours) and the whole `Map()` constructor;
- first paint: from the widget's creation in the kernel (`m.created_at`) to the browser's first
  draw (`m.first_paint_ms`, reported by the front end's `painted` command);
- the bytes the page received on its kernel websocket from the cell's start to the first paint,
  against the raw arrays (float32 n×2 points + the category bytes): target ≤ 1.1x;
- hover latency on the big map: the mouse moves to a random spot of the cloud (every other
  move: back to the previous spot), timed in the page from the canvas's pointermove to the
  tooltip showing a row's text (performance.now); p50/p95 of --hovers moves, split into rows
  whose text chunk was fetched from the kernel (`hover_texts`, 512 rows per message) and rows
  already cached in the page: target p95 <= 50 ms. Beside it (unless --no-baseline), the same
  hovers on the same map in a second server started without embmagic.serverext, that is with
  Nagle's algorithm on the kernel websocket as jupyter_server leaves it;
- the query box round trip: Enter in `map-query` until `map-hits` is filled, and until the
  highlight is drawn (two animation frames later), measured with performance.now in the page;
  median of --queries queries, against the same query run by `m.query` in the kernel.

Needs chromium-headless-shell (apt-get) and the built front ends (cd js && npm ci && npm run
build); the harness is tests/browser/labkit.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from benchlib import print_table  # noqa: E402
from labkit import JupyterLab, Notebook, check_bundles, launch_browser  # noqa: E402

DIM = 64
PAINT_TIMEOUT_MS = 600_000
VIEWPORT = {"width": 1280, "height": 900}

SETUP = """\
%load_ext embmagic
%config EmbMagics.model = "fake-64"
%config EmbMagics.show_progress = False
import gc, json, random, time
import numpy as np
from embmagic.store import Collection
from embmagic.widgets import Map
from embmagic.widgets.buffers import from_wire
from embmagic.app.map_data import build_map_data

def unit(rng, n, dim):
    out = np.empty((n, dim), np.float32)
    for s in range(0, n, 100_000):
        c = rng.standard_normal((min(100_000, n - s), dim), dtype=np.float32)
        out[s : s + len(c)] = c / np.linalg.norm(c, axis=1, keepdims=True)
    return out
"""

BIG = """\
big = Collection("big", "fake-64", {dim})
big.add([f"p{{i}}" for i in range({n})], unit(np.random.default_rng(0), {n}, {dim}))
t = time.perf_counter(); _d = build_map_data([big]); projection_s = time.perf_counter() - t
del _d; gc.collect()
print(len(big))
"""

MAP = """\
m = Map(big)
ctor_ms = time.time() * 1000 - m.created_at
m
"""

# Query round trip: Enter (keydown, capture phase) -> map-hits holds k new entries; drawn: the
# highlight markers show the same rows as the hits, then two animation frames (regl draws on
# the next frame).
ARM_JS = """([root, k]) => {
  const input = root.querySelector('[data-testid=map-query]');
  const hits = root.querySelector('[data-testid=map-hits]');
  const rowsOf = (sel) => Array.from(root.querySelectorAll(sel)).map(e => e.dataset.row).sort();
  const before = hits.textContent;
  const run = {t0: null, hits: null, drawn: null};
  window.__qrun = run;
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') run.t0 = performance.now(); },
                         {capture: true, once: true});
  const check = () => {
    if (run.t0 === null) return;
    const listed = rowsOf('[data-testid=map-hit]');
    if (run.hits === null && listed.length >= k && hits.textContent !== before) {
      run.hits = performance.now() - run.t0;
    }
    if (run.hits === null) return;
    if (JSON.stringify(rowsOf('[data-testid=map-highlight]')) !== JSON.stringify(listed)) return;
    obs.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      run.drawn = performance.now() - run.t0;
    }));
  };
  const obs = new MutationObserver(check);
  obs.observe(root, {childList: true, subtree: true, characterData: true});
}"""


def py(nb: Notebook, expr: str, timeout_ms: float = 300_000) -> Any:
    out = nb.run(f"print(json.dumps({expr}))", timeout_ms=timeout_ms)
    return json.loads(out.strip().splitlines()[-1])


class Bytes:
    """Payload bytes the page receives on its websockets, counted while `on` is set."""

    def __init__(self) -> None:
        self.on = False
        self.total = 0
        self.frames = 0

    def attach(self, page: Any) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: Any) -> None:
        if self.on:
            self.total += len(payload) if isinstance(payload, bytes) else len(payload.encode())
            self.frames += 1


def paint_big_map(nb: Notebook, n: int, counter: Bytes | None = None) -> None:
    """Make the `n`-point collection, show `Map(big)` and wait for its first paint; `counter`
    counts the bytes from the map cell's start to that paint."""
    nb.run(BIG.format(n=n, dim=DIM), timeout_ms=PAINT_TIMEOUT_MS)
    if counter is not None:
        counter.total = counter.frames = 0
        counter.on = True
    index = nb.start(MAP)
    root = nb.output(index).locator('[data-testid=embmagic-map][data-painted="1"]')
    root.wait_for(timeout=PAINT_TIMEOUT_MS)
    if counter is not None:
        counter.on = False
    nb.wait(index, timeout_ms=PAINT_TIMEOUT_MS)


def first_paint(nb: Notebook, counter: Bytes, n: int) -> list[tuple[str, ...]]:
    paint_big_map(nb, n, counter)
    got = py(
        nb,
        '{"paint": m.first_paint_ms, "ctor": ctor_ms, "proj": projection_s, '
        '"raw": m.coords.nbytes + from_wire(m.category).nbytes, "n": len(m.coords), '
        '"esm": len(str(m._esm).encode())}',
    )
    assert got["n"] == n and got["paint"] is not None, got
    ratio = counter.total / got["raw"]
    data = counter.total - got["esm"]
    size = f"{n:,}"
    return [
        ("projection in kernel (PCA)", size, f"{got['proj']:.2f} s", "", "", "build_map_data"),
        ("Map() in kernel", size, f"{got['ctor'] / 1e3:.2f} s", "", "",
         "projection + wire arrays"),
        ("first paint (created -> painted)", size, f"{got['paint'] / 1e3:.2f} s",
         f"kernel {got['ctor'] / 1e3:.2f} s", f"{got['paint'] / got['ctor']:.1f}x",
         "kernel + websocket + decode + WebGL draw"),
        ("kernel -> browser bytes", size, f"{counter.total / 1e6:.2f} MB",
         f"raw {got['raw'] / 1e6:.2f} MB", f"{ratio:.3f}x",
         f"{counter.frames} frames; target <= 1.1x " + ("OK" if ratio <= 1.1 else "MISSED")),
        ("  the same without the widget's JS", size, f"{data / 1e6:.2f} MB",
         f"raw {got['raw'] / 1e6:.2f} MB", f"{data / got['raw']:.3f}x",
         f"_esm {got['esm'] / 1e3:.0f} kB travels once per widget"),
    ]  # fmt: skip


HOVER_ARM_JS = """([root]) => {
  const canvas = root.querySelector('[data-testid=map-canvas]');
  const tip = root.querySelector('[data-testid=map-tooltip]');
  const before = tip.hidden ? null : tip.dataset.row;
  const run = {t0: null, t1: null, row: null, before};
  window.__hv = run;
  canvas.addEventListener('pointermove', () => { if (run.t0 === null) run.t0 = performance.now(); },
                          {capture: true});
  const done = () => {
    const row = tip.hidden ? null : tip.dataset.row;
    if (run.t0 !== null && run.t1 === null && row != null && row !== run.before
        && tip.textContent !== '…') {
      run.t1 = performance.now(); run.row = Number(row); observer.disconnect();
    }
  };
  const observer = new MutationObserver(done);
  observer.observe(tip, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def hover_latency(nb: Notebook, hovers: int) -> dict[str, list[float]]:
    """Move the mouse to random spots of the painted map; time pointermove -> tooltip text.
    The times (ms) of hovers whose chunk came from the kernel (`fetched`) and the rest."""
    import random

    root = nb.page.locator('[data-testid=embmagic-map][data-painted="1"]').first  # the one map
    canvas = root.locator("[data-testid=map-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    rng = random.Random(0)
    fetched: list[float] = []
    cached: list[float] = []
    chunks: set[int] = set()
    x = y = 0.0
    for _ in range(hovers):
        nb.page.mouse.move(box["x"] + 2, box["y"] + 2)  # off the cloud: the tooltip hides
        nb.page.wait_for_timeout(30)
        nb.page.evaluate(HOVER_ARM_JS, [root.element_handle()])
        if not fetched or len(fetched) <= len(cached):  # a new spot, else back to the last one
            x = box["x"] + box["width"] * (0.35 + 0.3 * rng.random())
            y = box["y"] + box["height"] * (0.35 + 0.3 * rng.random())
        nb.page.mouse.move(x, y)  # one pointermove: t0 is the move that lands
        try:
            nb.page.wait_for_function("() => window.__hv.t1 !== null", timeout=10_000)
        except Exception:  # no point under this spot: try another
            continue
        run = nb.page.evaluate("() => window.__hv")
        chunk = int(run["row"]) // 512
        (cached if chunk in chunks else fetched).append(run["t1"] - run["t0"])
        chunks.add(chunk)
    return {"fetched": fetched, "cached": cached}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def hover_rows(
    got: dict[str, list[float]], base: dict[str, list[float]] | None
) -> list[tuple[str, ...]]:
    """Table rows: embmagic's hovers (TCP_NODELAY on the kernel websocket, embmagic.serverext)
    beside the same hovers on a server without it (jupyter_server's default), when measured."""
    got = {**got, "every": got["fetched"] + got["cached"]}
    base = None if base is None else {**base, "every": base["fetched"] + base["cached"]}

    def cell(values: list[float]) -> str:
        return f"{pct(values, 0.5):.0f} / {pct(values, 0.95):.0f} ms"

    def side(key: str) -> tuple[str, str]:
        if base is None:
            return "", ""
        ratio = pct(got[key], 0.95) / pct(base[key], 0.95)
        return f"Nagle on: {cell(base[key])}", f"{ratio:.2f}x p95"

    p95 = pct(got["every"], 0.95)
    return [
        ("hover -> tooltip text, p50 / p95", f"{len(got['every'])} hovers", cell(got["every"]),
         *side("every"), "target p95 <= 50 ms " + ("OK" if p95 <= 50 else "MISSED")),
        ("  rows whose chunk came from the kernel", f"{len(got['fetched'])}", cell(got["fetched"]),
         *side("fetched"), "one hover_texts message (512 rows)"),
        ("  rows already cached in the page", f"{len(got['cached'])}", cell(got["cached"]),
         *side("cached"), "no message"),
    ]  # fmt: skip


def baseline_hovers(context_of: Any, points: int, hovers: int) -> dict[str, list[float]]:
    """The same map and hovers on a server without embmagic.serverext: Nagle's algorithm on
    the kernel websocket, as jupyter_server leaves it."""
    off = {"embmagic.serverext": False}
    with tempfile.TemporaryDirectory() as tmp, JupyterLab(Path(tmp), server_extensions=off) as lab:
        context = context_of()
        nb = Notebook.open(lab, context, "bench_widgets_nagle")
        nb.run(SETUP)
        paint_big_map(nb, points)
        got = hover_latency(nb, hovers)
        nb.close()
        context.close()
    return got


def query_round_trip(nb: Notebook, n: int, queries: int) -> list[tuple[str, ...]]:
    nb.run(
        f"""\
m.close(); del m; gc.collect()
words = "cat dog market price rocket orbit recipe oven flour moon bank loan star kitten".split()
r = random.Random(1)
texts = [f"doc {{i}} " + " ".join(r.choices(words, k=5)) for i in range({n})]
mid = Collection("mid", "fake-64", {DIM})
mid.add(texts, get_ipython()._embmagic_magics.session.engine("fake-64").embed(texts))
q = Map(mid)
q""",
        timeout_ms=PAINT_TIMEOUT_MS,
    )
    root = nb.output().locator('[data-testid=embmagic-map][data-painted="1"]')
    root.wait_for(timeout=PAINT_TIMEOUT_MS)
    k = int(root.locator("[data-testid=map-k]").input_value())
    box = root.locator("[data-testid=map-query]")
    words = ["kitten orbit", "market loan", "recipe flour", "moon star rocket", "dog bank",
             "oven price", "cat moon", "loan recipe"]  # fmt: skip
    hits_ms, drawn_ms = [], []
    for i in range(queries):
        text = f"{words[i % len(words)]} {i}"
        nb.page.evaluate(ARM_JS, [root.element_handle(), k])
        box.fill(text)
        box.press("Enter")
        nb.page.wait_for_function("() => window.__qrun && window.__qrun.drawn !== null",
                                  timeout=120_000)  # fmt: skip
        run = nb.page.evaluate("() => window.__qrun")
        hits_ms.append(run["hits"])
        drawn_ms.append(run["drawn"])
    kernel_ms = py(
        nb,
        f"""(lambda t0: (q.query("kitten orbit", {k}), \
(time.perf_counter() - t0) * 1e3)[1])(time.perf_counter())""",
    )
    hits, drawn = statistics.median(hits_ms), statistics.median(drawn_ms)
    size = f"{n:,}"
    return [
        (f"query box -> hits listed (median of {queries})", size, f"{hits:.0f} ms",
         f"m.query {kernel_ms:.0f} ms", f"{hits / kernel_ms:.1f}x", f"k={k}"),
        (f"query box -> highlight drawn (median of {queries})", size, f"{drawn:.0f} ms",
         f"m.query {kernel_ms:.0f} ms", f"{drawn / kernel_ms:.1f}x",
         "markers on the hits + 2 frames"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points for first paint")
    parser.add_argument("--query-n", type=int, default=100_000, help="records for the queries")
    parser.add_argument("--queries", type=int, default=5, help="query-box round trips")
    parser.add_argument("--hovers", type=int, default=60, help="hovers on the big map")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the hovers on a second server with Nagle's algorithm on (jupyter's default)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="20,000 points, 10,000 records, 3 queries (CI smoke run)",
    )
    args = parser.parse_args()
    points, query_n, queries, hovers = (
        (20_000, 10_000, 3, 10)
        if args.quick
        else (args.points, args.query_n, args.queries, args.hovers)
    )
    check_bundles()
    from playwright.sync_api import sync_playwright

    counter = Bytes()
    with tempfile.TemporaryDirectory() as tmp, JupyterLab(Path(tmp)) as lab, \
            sync_playwright() as p:  # fmt: skip
        browser = launch_browser(p)
        context = browser.new_context(viewport=VIEWPORT)
        t = time.perf_counter()
        nb = Notebook.open(lab, context, "bench_widgets", before_load=counter.attach)
        nb.run(SETUP)
        print(f"JupyterLab {lab.base}, Chromium {browser.version}; {DIM}-d random unit vectors; "
              f"page + kernel ready in {time.perf_counter() - t:.1f} s\n")  # fmt: skip
        rows = first_paint(nb, counter, points)
        hovered = hover_latency(nb, hovers)
        rows += query_round_trip(nb, query_n, queries)
        nb.close()
        context.close()
        base = None
        if not args.no_baseline:
            base = baseline_hovers(lambda: browser.new_context(viewport=VIEWPORT), points, hovers)
        rows[len(rows) - 2 : len(rows) - 2] = hover_rows(hovered, base)
        browser.close()
    print_table(("measure", "N", "embmagic", "baseline", "ratio", "notes"), rows)


if __name__ == "__main__":
    main()
