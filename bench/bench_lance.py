"""LanceDB backend vs the in-memory `flat` collection, side by side in one process.

    python bench/bench_lance.py             # 200,000 x 384
    python bench/bench_lance.py --quick     # 5,000 vectors: a CI smoke run (seconds)

Measures what a notebook user feels: adding records in cell-sized batches (each add checks the
texts already stored: a scan of the sha256 column for LanceDB, a dict lookup in memory), copying
a collection into LanceDB (`to_lance`), one-query latency of exact search, and LanceDB's IVF_PQ
index (build time, latency, recall@10 against exact search).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import clustered, print_table

from embmagic.store import Collection
from embmagic.store.lance import LanceCollection

DIM, K, QUERIES = 384, 10, 20
INDEX_SETTINGS: list[dict[str, int]] = [{}, {"nprobe": 64, "pq_m": 48, "k_factor": 100}]
"""LanceDB's defaults (nlist ~sqrt(n), d/16 sub-vectors, its nprobes; our k_factor 10), and a
setting for tightly clustered data, where PQ codes cannot order near neighbours."""


def per_query(fn: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    """Median seconds of one-query calls."""
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def recall(got: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(g) & set(t)) / len(t) for g, t in zip(got, truth, strict=True)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1_000, help="records per add (a cell)")
    parser.add_argument("--quick", action="store_true", help="5,000 vectors")
    args = parser.parse_args()
    n = 5_000 if args.quick else args.n
    vectors = clustered(n, max(8, n // 1_000), 0)
    texts = [f"record {i}" for i in range(n)]
    queries = clustered(QUERIES, 8, 1)
    folder = Path(tempfile.mkdtemp(prefix="bench-lance-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        memory = Collection("mem", "bench", DIM)
        lance = LanceCollection.create(folder / "added", "lance", "bench", DIM)
        seconds = {"mem": [0.0, 0.0], "lance": [0.0, 0.0]}  # first batch, last batch
        for key, coll in (("mem", memory), ("lance", lance)):
            start_all = time.perf_counter()
            for s in range(0, n, args.batch):
                start = time.perf_counter()
                coll.add(texts[s : s + args.batch], vectors[s : s + args.batch])
                took = time.perf_counter() - start
                seconds[key][0 if s == 0 else 1] = took
            total = time.perf_counter() - start_all
            rows.append((f"add {n:,} in batches of {args.batch:,}", key, f"{total:.2f} s",
                         f"first batch {seconds[key][0] * 1e3:.0f} ms, last "
                         f"{seconds[key][1] * 1e3:.0f} ms"))  # fmt: skip
        start = time.perf_counter()
        copy = memory.to_lance(folder / "copy")
        rows.append(("to_lance (one commit)", "lance", f"{time.perf_counter() - start:.2f} s",
                     f"{len(copy):,} records"))  # fmt: skip
        truth = [[h.id for h in hits] for hits in memory.search(queries, K)]
        for key, coll in (("mem", memory), ("lance", copy)):
            latency = per_query(lambda q, c=coll: c.search(q, K), queries)
            rows.append(("exact search, 1 query", key, f"{latency * 1e3:.1f} ms", ""))
        assert [[h.id for h in hits] for hits in copy.search(queries, K)] == truth
        for params in INDEX_SETTINGS:
            start = time.perf_counter()
            copy.reindex("ivfpq", **params)
            shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "LanceDB defaults"
            rows.append((f"IVF_PQ build ({shown})", "lance",
                         f"{time.perf_counter() - start:.2f} s", copy.index_status))  # fmt: skip
            got = [[h.id for h in hits] for hits in copy.search(queries, K)]
            latency = per_query(lambda q: copy.search(q, K), queries)
            rows.append(("IVF_PQ search, 1 query", "lance", f"{latency * 1e3:.1f} ms",
                         f"recall@10 {recall(got, truth):.3f} vs exact"))  # fmt: skip
        disk = copy.memory().disk_bytes
        rows.append(("files on disk", "lance", f"{disk / 2**20:.0f} MiB",
                     f"{disk / n:.0f} B/vector (float32 vectors 1,536 B)"))  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{n:,} x {DIM} clustered unit vectors; {QUERIES} queries, k={K}\n")
    print_table(("measure", "store", "value", "notes"), rows)


if __name__ == "__main__":
    main()
