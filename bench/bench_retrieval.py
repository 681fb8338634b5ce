"""Retrieval quality and speed of the three search modes, side by side in one process.

    python bench/bench_retrieval.py            # Lee sets (MiniLM) + speed at 100,000 records
    python bench/bench_retrieval.py --quick    # the same Lee sets, speed at 10,000: a CI smoke run

1. Quality on the sets that ship with embmagic (embmagic/datasets, 293 Lee news articles
   embedded with MiniLM): hit@1 on the rare-word set (each query a word found in one article
   only) and nDCG@10 on the question set (questions written in other words than the
   articles'), for dense, lexical and hybrid search, and hybrid / dense.
2. Time per query of each mode through `Workspace.neighbors` (query encoding included) over a
   collection of N records: real Lee sentences repeated with a numbered suffix, with random
   unit vectors (the search cost does not depend on what the vectors mean).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import clustered, print_table

from embmagic import Workspace
from embmagic.datasets import QUESTIONS, RARE_WORDS, lee_articles, read_jsonl
from embmagic.store import Collection
from embmagic.types import SEARCH_MODES

K = 10


def quality(ws: Workspace) -> list[tuple[str, ...]]:
    """hit@1 (rare words) and nDCG@10 (questions) of each mode on the Lee collection."""
    ws.embed("lee", lee_articles())
    rows = []
    sets = (("rare words", RARE_WORDS, "hit1"), ("questions", QUESTIONS, "ndcg"))
    for name, path, metric in sets:
        result = ws.evaluate_retrieval("lee", path, k=K)
        values = {m: getattr(result.score("lee", m), metric) for m in SEARCH_MODES}
        label = "hit@1" if metric == "hit1" else "nDCG@10"
        rows.append((f"{name} ({result.scores[0].queries} queries)", label,
                     *(f"{values[m]:.4f}" for m in SEARCH_MODES),
                     f"{values['hybrid'] / values['dense']:.2f}x"))
    return rows


def big_collection(ws: Workspace, n: int) -> Collection:
    """n records: Lee sentences with a numbered suffix, random clustered unit vectors."""
    sentences = [s.strip() for a in lee_articles() for s in re.split(r"(?<=[.!?])\s+", a)
                 if len(s.strip()) > 20]
    texts = [f"{sentences[i % len(sentences)]} (copy {i // len(sentences)})" for i in range(n)]
    engine = ws.engine(ws.options.model)
    collection = Collection("big", engine.model_id, engine.dim)
    collection.add(texts, clustered(n, 100, seed=0, dim=engine.dim))
    ws.add_collection(collection)
    return collection


def speed(ws: Workspace, n: int, queries: list[str]) -> list[tuple[str, ...]]:
    """Mean time per query of each mode over `n` records (best of 3 passes)."""
    start = time.perf_counter()
    big_collection(ws, n)
    built = time.perf_counter() - start
    for q in queries[:3]:  # warm up: engine, lexical index, caches
        for mode in SEARCH_MODES:
            ws.neighbors(q, collection="big", k=K, mode=mode)
    per_query = {}
    for mode in SEARCH_MODES:
        passes = []
        for _ in range(3):
            t = time.perf_counter()
            for q in queries:
                ws.neighbors(q, collection="big", k=K, mode=mode)
            passes.append((time.perf_counter() - t) / len(queries))
        per_query[mode] = min(passes)
    return [(f"time per query, {n:,} records (built in {built:.1f} s)", "ms",
             *(f"{per_query[m] * 1e3:.1f}" for m in SEARCH_MODES),
             f"{per_query['hybrid'] / per_query['dense']:.2f}x")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records for the speed part")
    parser.add_argument("-n", type=int, default=None, help="records for the speed part")
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    ws = Workspace()
    ws.options.show_progress = False
    rows = quality(ws)
    queries = [str(e["query"]) for e in read_jsonl(QUESTIONS)][:50]
    rows += speed(ws, n, queries)
    print_table(["measure", "metric", *SEARCH_MODES, "hybrid/dense"], rows)


if __name__ == "__main__":
    main()
