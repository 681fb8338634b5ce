"""What several benchmarks share: the side-by-side table they print, clustered test vectors, and
this machine's limits (sgemm GFLOP/s, memory bandwidth) measured in the same run, so a figure can be
printed as a share of what the hardware allows.

Imported by the scripts in this folder (`python bench/x.py` puts bench/ on sys.path).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def print_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns as wide as their widest cell, a rule under the header."""
    table = [tuple(head), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def clustered(n: int, centres: int, seed: int, dim: int = 384) -> np.ndarray:
    """n unit vectors (float32) scattered tightly around `centres` random centres."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim)).astype(np.float32)
    x = rng.standard_normal((n, dim), dtype=np.float32) / np.float32(np.sqrt(dim))
    x += middle[rng.integers(0, centres, n)]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Fastest of `repeat` runs, in seconds (the machine is shared: the minimum is the signal)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def sgemm_gflops(m: int = 1_000, n: int = 50_000, d: int = 384, repeat: int = 3) -> float:
    """float32 matrix-multiply throughput of NumPy's BLAS on all its threads, GFLOP/s: the compute
    limit for batched exact search and for a transformer encoder (their work is sgemm)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, d), dtype=np.float32)
    b = rng.standard_normal((n, d), dtype=np.float32)
    return 2 * m * n * d / best_of(lambda: a @ b.T, repeat) / 1e9


def memory_bandwidth_gbs(gib: float = 1.0, repeat: int = 3) -> float:
    """Read bandwidth from RAM, GB/s: the faster of a NumPy sum (one thread, SIMD) and a
    matrix-vector product (all BLAS threads) over `gib` GiB of float32; both do far less arithmetic
    than they read, so memory bounds them. The limit for a single exact query, which reads every
    stored vector once."""
    cols = 384
    x = np.ones((int(gib * 2**30) // (4 * cols), cols), np.float32)
    v = np.ones(cols, np.float32)
    fastest = min(best_of(lambda: x.sum(), repeat), best_of(lambda: x @ v, repeat))
    return x.nbytes / fastest / 1e9


def share(value: float, limit: float) -> str:
    """`value` as a percentage of `limit`, for the "share of the machine's limit" columns."""
    return f"{100 * value / limit:.0f}%"
