"""Engine throughput vs raw `SentenceTransformer.encode`, MiniLM, real sentences, one process.

    python bench/bench_engine.py            # 2,000 stdlib docstring sentences
    python bench/bench_engine.py --quick    # 300 sentences, < 1 minute (CI smoke run)

Prints sentences/s for raw encode (batch 32, fp32) and for `Engine.embed` on each backend
(fresh cache each, so every text is really encoded), the speed ratio and the minimum cosine
to the raw vectors, then the speed of a second `embed` of the same texts (cache).
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

from embmagic.engine import Engine, load_engine
from embmagic.engine.corpus import stdlib_sentences


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 sentences, one timed run")
    parser.add_argument("-n", type=int, default=None, help="number of sentences")
    args = parser.parse_args()
    n = args.n or (300 if args.quick else 2000)
    repeat = 1 if args.quick else 3
    texts = stdlib_sentences(n)
    print(f"{len(texts)} sentences, mean {np.mean([len(t) for t in texts]):.0f} chars, "
          f"{os.cpu_count()} CPUs, best of {repeat}")  # fmt: skip

    torch_engine = load_engine("minilm", device="cpu", backend="torch", progress=False)
    onnx_engine = load_engine("minilm", device="cpu", backend="onnx", progress=False)
    model = torch_engine.backend.model  # type: ignore[attr-defined]

    def raw() -> Any:
        return model.encode(texts, batch_size=32, normalize_embeddings=True)

    results = race(
        {
            "raw SentenceTransformer.encode": raw,
            "engine torch pipeline": lambda: fresh(torch_engine)(texts),
            "engine onnx": lambda: fresh(onnx_engine)(texts),
        },
        repeat,
    )
    raw_s, raw_vecs = results["raw SentenceTransformer.encode"]
    print(f"\n{'what':34} {'sent/s':>9} {'vs raw':>7} {'min cos':>8}")
    for label, (secs, vecs) in results.items():
        cos = float(np.min(np.sum(vecs * raw_vecs, axis=1)))
        print(f"{label:34} {len(texts) / secs:9.0f} {raw_s / secs:6.2f}x {cos:8.5f}")

    default = load_engine("minilm", device="cpu").backend_name
    engine = onnx_engine if default == "onnx" else torch_engine
    first = results[f"engine {'onnx' if default == 'onnx' else 'torch pipeline'}"][0]
    second, _ = timed(lambda: engine.embed(texts), max(repeat, 3))
    print(f"\ncache ({engine.backend_name}, the CPU default): first embed {first:.3f} s, "
          f"second {second * 1000:.1f} ms = {first / second:.0f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
