"""Engine throughput vs raw `SentenceTransformer.encode`, MiniLM, real sentences, one process.

    python bench/bench_engine.py            # all 2,504 Lee news sentences + 1,000 docstrings
    python bench/bench_engine.py --quick    # 300 of each, one timed run (CI smoke run)

For each corpus (news sentences from gensim's Lee corpus; first sentences of stdlib docstrings),
raw encode (batch 32, fp32), `Engine.embed` on the CPU default (ONNX fp32) and with the opt-in
int8 model run round-robin in one process, fresh cache each. Printed: sentences/s, the ratio to
raw, min and mean cosine to the raw vectors, and the useful arithmetic done (MiniLM's FLOPs for
the real, unpadded token counts) in GFLOP/s and as a share of this machine's sgemm limit,
measured in the same run. Then the speed of a second `embed` of the same texts (cache).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from benchlib import print_table, sgemm_gflops, share

from embmagic.engine import Engine, load_engine
from embmagic.engine.corpus import lee_sentences, stdlib_sentences

LAYERS, HIDDEN, FFN = 6, 384, 1536


def minilm_gflop(token_counts: list[int]) -> float:
    """MiniLM-L6's multiply-adds x 2 for these sequence lengths (no padding): the projections and
    FFN per token, plus attention scores and context per token pair."""
    per_token = 2 * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)
    total = sum(per_token * n + 4 * n * n * HIDDEN for n in token_counts)
    return LAYERS * total / 1e9


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of `repeat` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def race(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, tuple[float, Any]]:
    """Best time of each contender, run round-robin (after a warm-up each) so that a load
    that changes over time on a shared machine hits all of them alike."""
    results: dict[str, tuple[float, Any]] = {}
    for name, fn in contenders.items():
        results[name] = (float("inf"), fn())
    for _ in range(repeat):
        for name, fn in contenders.items():
            secs, out = timed(fn, 1)
            results[name] = (min(results[name][0], secs), out)
    return results


def fresh(engine: Engine) -> Callable[[list[str]], Any]:
    """Embed with an empty cache, so the backend does all the work."""

    def run(texts: list[str]) -> Any:
        engine.cache.clear()
        return engine.embed(texts)

    return run


def compare(texts: list[str], engines: dict[str, Engine], raw: Any, repeat: int) -> list[Any]:
    """One corpus: the table rows of raw encode and each engine, run round-robin."""
    contenders: dict[str, Callable[[], Any]] = {
        "raw SentenceTransformer.encode": lambda: raw.encode(
            texts, batch_size=32, normalize_embeddings=True
        )
    }
    contenders.update({label: (lambda e=e: fresh(e)(texts)) for label, e in engines.items()})
    results = race(contenders, repeat)
    raw_s, raw_vecs = results["raw SentenceTransformer.encode"]
    tokenizer = raw.tokenizer
    counts = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=256)["input_ids"]]
    gflop = minilm_gflop(counts)
    rows = []
    for label, (secs, vecs) in results.items():
        cos = np.sum(vecs * raw_vecs, axis=1)
        rate = gflop / secs
        rows.append((label, f"{len(texts) / secs:.0f}", f"{raw_s / secs:.2f}x",
                     f"{cos.min():.5f}", f"{cos.mean():.5f}", f"{rate:.0f}", rate))  # fmt: skip
    print(f"  mean {np.mean(counts):.1f} tokens, {gflop / len(texts):.2f} GFLOP per sentence")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 sentences each, one timed run")
    parser.add_argument("-n", type=int, default=None, help="sentences per corpus (at most)")
    args = parser.parse_args()
    n = args.n or (300 if args.quick else None)
    repeat = 1 if args.quick else 3
    corpora = {"Lee news": lee_sentences(n), "docstrings": stdlib_sentences(n or 1000)}
    limit = sgemm_gflops()
    print(f"{os.cpu_count()} CPUs, best of {repeat}; NumPy sgemm here: {limit:.0f} GFLOP/s")

    torch_engine = load_engine("minilm", device="cpu", backend="torch", progress=False)
    engines = {
        "engine default (onnx fp32)": load_engine("minilm", device="cpu", progress=False),
        "engine precision=int8": load_engine("minilm-int8", device="cpu", progress=False),
    }
    raw = torch_engine.backend.model  # type: ignore[attr-defined]
    for name, texts in corpora.items():
        print(f"\n{name}: {len(texts)} sentences")
        rows = compare(texts, engines, raw, repeat)
        print_table(
            ("what", "sent/s", "vs raw", "min cos", "mean cos", "GFLOP/s", "of sgemm"),
            [(*r[:6], share(r[6], limit)) for r in rows],
        )
    limit_after = sgemm_gflops()
    print(f"\nsgemm again after the runs: {limit_after:.0f} GFLOP/s (load changes over time)")

    engine = engines["engine default (onnx fp32)"]
    texts = corpora["Lee news"]
    first, _ = timed(lambda: fresh(engine)(texts), 1)
    second, _ = timed(lambda: engine.embed(texts), max(repeat, 3))
    print(f"\ncache ({engine.backend_name}, the CPU default): first embed {first:.3f} s, "
          f"second {second * 1000:.1f} ms = {first / second:.0f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
