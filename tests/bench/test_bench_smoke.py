"""The benchmarks still run: each quick mode prints its table with side-by-side ratios.

Numbers are not asserted here (shared, noisy machines); the benchmarks' own full runs are
reported in the issues' closing notes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


QUICK_RUNS = [
    pytest.param("bench_engine.py",
                 [r"engine default \(onnx fp32\)\s+\d+\s+[\d.]+x\s+1\.0000",
                  r"engine precision=int8\s+\d+\s+[\d.]+x\s+0\.99\d+\s+0\.99\d+\s+\d+\s+\d+%",
                  "NumPy sgemm here", "cache"],
                 marks=pytest.mark.model, id="engine"),
    pytest.param("bench_search.py",
                 [r"exact, 100 queries batched .* [\d.]+x\s+same ids", "recall@10"], id="search"),
    pytest.param("bench_train.py",
                 [r"torch cpu float32\s+20,000\s+[\d.]+\s+[\d.e+]+\s+[\d.]+\s+1\.0x",
                  "extrapolated: 20 iterations of 16,777,216 points x 65,536 centroids"],
                 id="train"),
    pytest.param("bench_retrieval.py",
                 [r"rare words \(\d+ queries\)\s+hit@1(\s+[\d.]+){3}\s+[\d.]+x",
                  r"questions \(\d+ queries\)\s+nDCG@10(\s+[\d.]+){3}\s+[\d.]+x",
                  r"time per query, 10,000 records .*\s+ms(\s+[\d.]+){3}\s+[\d.]+x"],
                 marks=pytest.mark.model, id="retrieval"),
    pytest.param("bench_lance.py",
                 [r"exact search, 1 query\s+mem\s+[\d.]+ ms",
                  r"IVF_PQ search, 1 query\s+lance\s+[\d.]+ ms\s+recall@10 [\d.]+"],
                 id="lance"),
    pytest.param("bench_background.py",
                 [r"tiny cell \(x = 1 \+ 1\)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[1-9]",
                  r"background job \(cells running meanwhile\)\s+[\d,]+\s+[\d.]+x"],
                 id="background"),
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("script", "patterns"), QUICK_RUNS)
def test_quick_run_prints_its_side_by_side_table(script: str, patterns: list[str]) -> None:
    out = run_bench(f"bench/{script}", "--quick")
    for pattern in patterns:
        assert re.search(pattern, out), out


def test_gpu_bench_says_why_it_cannot_run_without_cuda() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "bench/bench_gpu.py", "-n", "100"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    import torch

    if torch.cuda.is_available():
        assert done.returncode == 0 and "vs raw32" in done.stdout, done.stdout
    else:
        assert done.returncode == 2 and "cuda" in (done.stdout + done.stderr).lower()

