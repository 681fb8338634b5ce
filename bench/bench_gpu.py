"""GPU throughput: raw `SentenceTransformer.encode` vs the engine's torch pipeline, MiniLM, CUDA.

    python bench/bench_gpu.py              # 100,000 short sentences
    python bench/bench_gpu.py -n 20000 --batch-size 1024
    python bench/bench_gpu.py --also 1024,2048   # the engine at more batch sizes, same run

Both run in this process on the same texts and the same fp16 weights: raw encode with its
default batch of 32 and with the engine's batch size; the engine with a fresh cache (every
text really encoded). Prints sentences/s, the ratio, and the minimum cosine between them.
Exits with a message when CUDA is not available.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from embmagic.engine import load_engine
from embmagic.engine.corpus import unique_sentences


def seconds(fn: Any) -> tuple[float, Any]:
    """Wall time of one run, with the device synchronised at both ends."""
    import torch

    torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of sentences")
    parser.add_argument("--batch-size", type=int, default=512, help="engine batch size")
    parser.add_argument("--also", default="", help="more engine batch sizes, comma-separated")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("bench_gpu: CUDA is not available here (no NVIDIA GPU or a CPU-only torch); "
              "run it on a machine with a GPU.")  # fmt: skip
        sys.exit(2)
    texts = unique_sentences(args.n)
    print(f"{len(texts)} sentences on {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    engine = load_engine("minilm", device="cuda", batch_size=args.batch_size, progress=False)
    model = engine.backend.model  # type: ignore[attr-defined]  # fp16 on CUDA
    warm = texts[:2000]
    model.encode(warm, batch_size=32, normalize_embeddings=True)
    engine.embed(warm)
    engine.cache.clear()

    rows: list[tuple[str, float, np.ndarray[Any, Any]]] = []
    for batch in (32, args.batch_size):
        secs, vecs = seconds(
            lambda b=batch: model.encode(texts, batch_size=b, normalize_embeddings=True)
        )
        rows.append((f"raw encode, fp16, batch {batch}", secs, np.asarray(vecs)))
    secs, vecs = seconds(lambda: engine.embed(texts))
    rows.append((f"engine torch pipeline, batch {engine.batch_size}", secs, vecs))
    for size in (int(s) for s in args.also.split(",") if s.strip()):
        engine.cache.clear()
        engine.batch_size = size
        secs, vecs = seconds(lambda: engine.embed(texts))
        rows.append((f"engine torch pipeline, batch {size}", secs, vecs))
    engine.batch_size = args.batch_size

    base = rows[0][1]
    print(f"\n{'what':40} {'sent/s':>9} {'vs raw32':>9} {'min cos':>8}")
    for label, secs, out in rows:
        cos = float(np.min(np.sum(out.astype(np.float32) * rows[0][2], axis=1)))
        print(f"{label:40} {len(texts) / secs:9.0f} {base / secs:8.2f}x {cos:8.5f}")
    breakdown(engine, texts)


def breakdown(engine: Any, texts: list[str]) -> None:
    """The pipeline's two stages alone: tokenising, and the model on pre-tokenised batches."""
    backend = engine.backend
    ordered = sorted(texts, key=len, reverse=True)
    size = engine.batch_size
    groups = [ordered[i : i + size * backend.tokenize_group]
              for i in range(0, len(ordered), size * backend.tokenize_group)]  # fmt: skip
    secs, tokenized = seconds(lambda: [backend._tokenize_group(
        [g[i : i + size] for i in range(0, len(g), size)]) for g in groups])  # fmt: skip
    path = "Rust fast path" if backend.fast_tokenize else "model.preprocess"
    print(f"\ntokenise only ({path}): {len(texts) / secs:9.0f} sent/s")
    batches = [b for group in tokenized for b in group]
    import torch

    with torch.inference_mode():
        secs, _ = seconds(lambda: [backend._collect(backend._run(b)) for b in batches])
    print(f"model only, pre-tokenised, fp16:     {len(texts) / secs:9.0f} sent/s")


if __name__ == "__main__":
    main()
