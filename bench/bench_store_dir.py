"""`%%embed` of a small cell into a big collection: in memory vs in a `store_dir` (full atomic
save after each change), side by side in one run.

Run: python bench/bench_store_dir.py [N ...]   (default: 10000 100000)
For each size N: a flat collection of N records (384-d, like MiniLM), then the median of 5
`embed_text` calls of a 3-line cell in memory and with store_dir (appended to the change log),
and the median full atomic save that each change would cost without the log; prints them side
by side, and the time a new workspace takes to reopen the collection (save + log replay).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

import numpy as np

from embmagic.app import Workspace
from embmagic.app.options import Options
from embmagic.store import Collection

DIM = 384
MODEL = "fake-384"
RUNS = 5


def filled(n: int) -> Collection:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"record {i}: a sentence of about the length a paragraph chunk has, {i * 7}"
             for i in range(n)]
    c = Collection("big", MODEL, DIM)
    c.add(texts, vectors, [{"path": f"docs/{i % 100}.md", "n": i} for i in range(n)])
    return c


def median_embed(ws: Workspace, runs: int = RUNS) -> float:
    times = []
    for run in range(runs):
        cell = f"new line one {run}\nnew line two {run}\nnew line three {run}"
        start = time.perf_counter()
        ws.embed_text("big", cell)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(ws: Workspace) -> float:
    """One full atomic save of the collection (what each change costs without the log)."""
    start = time.perf_counter()
    ws.persist("big", full=True)
    return time.perf_counter() - start


def main(sizes: list[int]) -> int:
    print(f"{'records':>8} {'memory s':>9} {'log s':>7} {'full save s':>12} {'open s':>7}")
    for n in sizes:
        memory = Workspace(options=Options(model=MODEL, show_progress=False))
        memory.add_collection(filled(n))
        with tempfile.TemporaryDirectory() as folder:
            stored = Workspace(options=Options(model=MODEL, show_progress=False))
            stored.add_collection(filled(n))
            stored.options.store_dir = folder  # writes the collection once
            memory.embed_text("big", "warm up")
            stored.embed_text("big", "warm up")
            mem_s, disk_s = median_embed(memory), median_embed(stored)
            full_s = statistics.median(_timed(stored) for _ in range(3)) + mem_s
            start = time.perf_counter()
            reopened = Workspace(options=Options(model=MODEL, store_dir=folder))
            len(reopened.collection("big"))
            open_s = time.perf_counter() - start
        print(f"{n:>8} {mem_s:>9.4f} {disk_s:>7.4f} {full_s:>12.4f} {open_s:>7.2f}"
              f"   (full save / log: {full_s / disk_s:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [10_000, 100_000]))
