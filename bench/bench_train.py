"""IVF training at scale: one k-means iteration on a GPU vs on CPU cores, the same torch code.

    python bench/bench_train.py            # GPU: 2,000,000 x 384 points, 65,536 centroids
    python bench/bench_train.py --quick    # 20,000 points, 1,024 centroids (CI smoke run)

docs/scale.md plans to train the coarse quantiser of a 1B-vector IVF-PQ index on a GPU: 65,536
lists, trained on 256 points per list (16.8M points). This measures what one spherical k-means
iteration (assign every point to its nearest centroid by inner product, then move each centroid
to the normalised mean of its points) costs on each device, with one torch implementation:

- `cpu`: float32 on every CPU core, on `--cpu-n` points (a full-size CPU run takes hours);
- `cuda`: float16 matmuls (float32 sums) on `--n` points, and on the CPU's points too, so the
  two devices are also compared on one identical problem (same points, same start);
- `faiss-cpu` (when faiss is installed): `faiss.Kmeans(spherical=True)` for one iteration on the
  CPU's points, the usual CPU baseline.

Rates are compared in "point-centroid dot products per second" (n x k per iteration), which is
what the iteration's cost scales with; the last lines extrapolate 20 iterations of the 16.8M x
65,536 training. `agree` is the share of points that both devices assign to the same centroid;
the score gap is what float16's choices lose in the objective (float64 inner products).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np
from benchlib import clustered

DIM = 384
PLAN_N, PLAN_K, PLAN_ITERS = 16_777_216, 65_536, 20
"""docs/scale.md's training: 256 points per list x 65,536 lists, 20 iterations."""


def iteration(x: Any, c: Any, chunk: int) -> tuple[Any, Any]:
    """One spherical k-means step: (assignment per point, new unit centroids)."""
    import torch

    assign = torch.empty(len(x), dtype=torch.int64, device=x.device)
    for start in range(0, len(x), chunk):
        assign[start : start + chunk] = (x[start : start + chunk] @ c.T).argmax(dim=1)
    sums = torch.zeros(c.shape, dtype=torch.float32, device=x.device)
    sums.index_add_(0, assign, x.float())
    norms = sums.norm(dim=1, keepdim=True)
    empty = norms[:, 0] == 0
    new = torch.where(empty[:, None], c.float(), sums / norms.clamp_min(1e-12))
    return assign, new.to(c.dtype)


def timed(device: str, x_np: np.ndarray, c_np: np.ndarray, chunk: int) -> tuple[float, np.ndarray]:
    """Seconds for one iteration from centroids `c_np` (after a warm-up one), its assignment."""
    import torch

    dtype = torch.float16 if device == "cuda" else torch.float32
    x = torch.from_numpy(x_np).to(device=device, dtype=dtype)
    c = torch.from_numpy(c_np).to(device=device, dtype=dtype)
    iteration(x[: min(len(x), 4 * chunk)], c, chunk)  # warm-up: kernels, allocator
    sync(device)
    start = time.perf_counter()
    assign, _ = iteration(x, c, chunk)
    sync(device)
    return time.perf_counter() - start, assign.cpu().numpy()


def faiss_seconds(x: np.ndarray, c: np.ndarray) -> float | None:
    try:
        import faiss
    except ImportError:
        return None
    kmeans = faiss.Kmeans(DIM, len(c), niter=1, spherical=True, seed=0, min_points_per_centroid=1,
                          max_points_per_centroid=10**9, verbose=False)  # fmt: skip
    start = time.perf_counter()
    kmeans.train(x, init_centroids=c.copy())
    return time.perf_counter() - start


def score_gap(x: np.ndarray, c: np.ndarray, exact: np.ndarray, other: np.ndarray) -> float:
    """Mean float64 score lost by `other`'s choice against the float32 choice `exact`."""
    def scores(assign: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", x.astype(np.float64), c[assign].astype(np.float64))

    return float(np.mean(scores(exact) - scores(other)))


def sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000, help="points on the GPU")
    parser.add_argument("--cpu-n", type=int, default=100_000, help="points on the CPU")
    parser.add_argument("--k", type=int, default=65_536, help="centroids")
    parser.add_argument("--chunk", type=int, default=16_384, help="points per assignment matmul")
    parser.add_argument("--quick", action="store_true", help="20,000 points, 1,024 centroids")
    args = parser.parse_args()
    import torch

    if args.quick:
        args.n, args.cpu_n, args.k, args.chunk = 20_000, 20_000, 1_024, 4_096
    gpu = torch.cuda.is_available()
    name = torch.cuda.get_device_name(0) if gpu else "no GPU"
    print(f"torch {torch.__version__}, {name}, {os.cpu_count()} CPU cores (torch threads "
          f"{torch.get_num_threads()}); {DIM}-d, {args.k:,} centroids", flush=True)  # fmt: skip
    groups = max(1, args.k // 4)  # so k-means has structure to find
    start = clustered(args.k, groups, seed=0)  # the same initial centroids on every side
    small = clustered(args.cpu_n, groups, seed=1)
    rows: list[tuple[str, int, float]] = []
    cpu_s, cpu_assign = timed("cpu", small, start, args.chunk)
    rows.append(("torch cpu float32", args.cpu_n, cpu_s))
    agree = gap = None
    if gpu:
        same_s, same_assign = timed("cuda", small, start, args.chunk)
        rows.append(("torch cuda float16, same points", args.cpu_n, same_s))
        agree = float(np.mean(same_assign == cpu_assign))
        gap = score_gap(small, start, cpu_assign, same_assign)
        big = clustered(args.n, groups, seed=2) if args.n != args.cpu_n else small
        big_s, _ = timed("cuda", big, start, args.chunk)
        rows.append(("torch cuda float16", args.n, big_s))
    faiss_s = faiss_seconds(small, start)
    if faiss_s is not None:
        rows.append(("faiss cpu (Kmeans, 1 iteration)", args.cpu_n, faiss_s))
    base = args.cpu_n * args.k / cpu_s
    print(f"\n{'side':34} {'points':>10} {'s/iter':>9} {'dots/s':>10} {'TFLOP/s':>8} "
          f"{'vs cpu':>8}")  # fmt: skip
    for label, n, s in rows:
        rate = n * args.k / s
        print(f"{label:34} {n:10,} {s:9.3f} {rate:10.2e} {rate * 2 * DIM / 1e12:8.2f} "
              f"{rate / base:7.1f}x")  # fmt: skip
    if agree is not None:
        print(f"\nagree (same centroid on cpu float32 and cuda float16): {agree:.4f}; mean "
              f"score lost by float16's choices: {gap:.2e}")  # fmt: skip
    print(f"\nextrapolated: {PLAN_ITERS} iterations of {PLAN_N:,} points x {PLAN_K:,} centroids")
    for label, n, s in rows:
        rate = n * args.k / s
        total = PLAN_ITERS * PLAN_N * PLAN_K / rate
        print(f"  {label:34} {total / 60:10.1f} min")


if __name__ == "__main__":
    sys.exit(main())
