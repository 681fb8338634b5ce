"""On-disk ivfpq benchmark: a collection bigger than RAM, built in chunks, searched memory-mapped.

    python bench/bench_ondisk.py                 # 10,000,000 x 384 synthetic vectors in /tmp
    python bench/bench_ondisk.py --n 1000000     # scale it
    python bench/bench_ondisk.py --quick         # 20,000 vectors: a CI smoke run (seconds)

Vectors are generated chunk by chunk (never all in memory), streamed into a DiskWriter (IVF-PQ
shards merged into FAISS OnDiskInvertedLists, float16 vectors, Parquet records). While each
chunk is in memory its exact scores against the queries are folded into a running top-10, so the
ground truth is exact search over all N vectors. The searching runs in a fresh process that only
opens the directory, so its resident memory is what a notebook would hold: RSS split into anon
(heap) and file (mapped pages touched, reclaimable page cache). Files were just written, so the
page cache is warm: latencies are warm-cache numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import print_table

from embmagic.store.kinds import kind_class
from embmagic.store.memory import human_bytes
from embmagic.store.ondisk_write import DiskWriter

DIM, K = 384, 10


def chunk_vectors(seed: int, index: int, n: int, centres: np.ndarray | None) -> np.ndarray:
    """Chunk `index` of the data: uniform unit vectors, or a Gaussian mixture around centres."""
    rng = np.random.default_rng([seed, index + 2])  # -2, -1: queries, centres
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    if centres is not None:
        x /= np.float32(np.sqrt(DIM))
        x += centres[rng.integers(0, len(centres), n)]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def make_centres(seed: int, n: int, data: str) -> np.ndarray | None:
    if data == "uniform":
        return None
    return chunk_vectors(seed, -1, max(16, n // 1_000), None)


def fold_top_k(best: tuple[np.ndarray, np.ndarray], scores: np.ndarray,
               offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge one chunk's scores (q, c) into the running exact top-K (scores, ids)."""
    part = np.argpartition(-scores, K - 1, axis=1)[:, :K]
    s = np.concatenate([best[0], np.take_along_axis(scores, part, 1)], axis=1)
    i = np.concatenate([best[1], part + offset], axis=1)
    keep = np.argsort(-s, axis=1, kind="stable")[:, :K]
    return np.take_along_axis(s, keep, 1), np.take_along_axis(i, keep, 1)


def build(args: argparse.Namespace, directory: Path, queries: np.ndarray) -> dict[str, Any]:
    centres = make_centres(args.seed, args.n, args.data)
    chunks = range(0, args.n, args.chunk)
    best = (np.full((len(queries), K), -np.inf, np.float32), np.zeros((len(queries), K), np.int64))
    t0 = time.perf_counter()
    first = chunk_vectors(args.seed, 0, min(args.chunk, args.n), centres)
    params = {"nlist": args.nlist} if args.nlist else {}
    writer = DiskWriter(directory, name="bench", model_id="synthetic", dim=DIM, total=args.n,
                        sample=first, params=params)
    train_s = time.perf_counter() - t0
    with writer:
        for c, start in enumerate(chunks):
            x = first if c == 0 else chunk_vectors(args.seed, c, min(args.chunk, args.n - start),
                                                   centres)
            best = fold_top_k(best, queries @ x.T, start)
            texts = [f"r{i}" for i in range(start, start + len(x))]
            sha = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
            writer.add(np.arange(start, start + len(x), dtype=np.int64), x, texts, sha,
                       ["{}"] * len(x))
            if not args.quick:
                print(f"  added {start + len(x):,} / {args.n:,} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"truth": best[1], "train_s": train_s, "build_s": time.perf_counter() - t0,
            "params": writer.params}


def rss() -> dict[str, int]:
    """Resident memory of this process (Linux /proc), bytes."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields


def search_only(directory: str, queries_file: str, configs: list[str]) -> None:
    """Child process: open the on-disk collection, measure RSS, recall@10 and latency."""
    from embmagic.store import Collection

    faiss.omp_set_num_threads(1)
    data = np.load(queries_file)
    queries, truth = data["queries"], data["truth"]
    before = rss()
    t = time.perf_counter()
    coll: Any = Collection.load(directory)
    open_s = time.perf_counter() - t
    opened = rss()
    out: dict[str, Any] = {"open_s": open_s, "rss_before": before, "rss_open": opened,
                           "status": coll.index_status, "runs": []}
    for config in configs:
        nprobe, _, k_factor = config.partition(":")
        coll.tune(nprobe=int(nprobe), k_factor=int(k_factor or 10))
        coll.search(queries[:5], K)  # warm-up: first touches of the mapped files
        times = []
        got = []
        for q in queries:
            t = time.perf_counter()
            got.append([h.id for h in coll.search(q, K)[0]])
            times.append(time.perf_counter() - t)
        recall = float(np.mean([len(set(g) & set(tr.tolist())) / K
                                for g, tr in zip(got, truth, strict=True)]))
        probed = min(coll.index_params["nprobe"], coll.index_params["nlist"])
        out["runs"].append({"nprobe": f"{probed}, k_factor={k_factor or 10}",
                            "recall": recall,
                            "p50_ms": float(np.median(times) * 1e3),
                            "mean_ms": float(np.mean(times) * 1e3), "rss": rss()})
    print(json.dumps(out))


def report(args: argparse.Namespace, built: dict[str, Any], res: dict[str, Any],
           directory: Path) -> None:
    n = f"{args.n:,}"
    flat_ram = kind_class("flat").bytes_per_vector(DIM, {}) * args.n
    ivf_ram = kind_class("ivfpq").bytes_per_vector(DIM, {}) * args.n
    disk = sum(f.stat().st_size for f in directory.iterdir())
    rows: list[tuple[str, ...]] = [
        ("build (train + add + merge)", n, f"{built['build_s']:.0f} s", "", "",
         f"train {built['train_s']:.0f} s on {min(args.chunk, args.n):,}; {built['params']}"),
        ("files on disk", n, human_bytes(disk), human_bytes(flat_ram), f"{disk / flat_ram:.2f}x",
         "baseline: flat index in RAM (estimate)"),
        ("open", n, f"{res['open_s'] * 1e3:.0f} ms", "", "", res["status"]),
    ]
    for run in res["runs"]:
        r = run["rss"]
        grown = r["VmRSS"] - res["rss_before"]["VmRSS"]
        rows.append((f"RSS growth, nprobe={run['nprobe']}", n,
                     human_bytes(grown), human_bytes(ivf_ram), f"{grown / ivf_ram:.3f}x",
                     f"total RSS {human_bytes(r['VmRSS'])} = anon {human_bytes(r['RssAnon'])} "
                     f"+ mapped {human_bytes(r['RssFile'])}; baseline: in-RAM ivfpq (estimate)"))
        rows.append((f"recall@10, nprobe={run['nprobe']}", n, f"{run['recall']:.3f}", "1.000",
                     f"{run['recall']:.3f}", "vs exact search over all N"))
        rows.append((f"latency, 1 query, nprobe={run['nprobe']}", n,
                     f"{run['p50_ms']:.1f} ms p50", "", "", f"mean {run['mean_ms']:.1f} ms"))
    print(f"{DIM}-d {args.data} unit vectors, {args.n:,} on disk in {directory}; "
          f"faiss {faiss.__version__}, search on 1 thread, warm page cache; "
          f"RSS before open {human_bytes(res['rss_before']['VmRSS'])} (Python + numpy + faiss)\n")
    print_table(("measure", "N", "on-disk ivfpq", "in-RAM baseline", "ratio", "notes"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="vectors")
    parser.add_argument("--quick", action="store_true", help="20,000 vectors (CI smoke run)")
    parser.add_argument("--dir", default="/tmp/embmagic-bench-ondisk", help="output directory")
    parser.add_argument("--chunk", type=int, default=500_000, help="vectors per added chunk")
    parser.add_argument("--nlist", type=int, default=0, help="IVF lists (0: sqrt(n))")
    parser.add_argument("--probe", nargs="+", default=["16:10", "64:10", "64:50", "256:50"],
                        metavar="NPROBE[:K_FACTOR]", help="search settings to measure")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--data", choices=("clustered", "uniform"), default="clustered")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the directory afterwards")
    parser.add_argument("--search-only", nargs=2, metavar=("DIR", "NPZ"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_only:
        search_only(args.search_only[0], args.search_only[1], args.probe)
        return
    if args.quick:
        args.n, args.chunk, args.queries, args.probe = 20_000, 5_000, 20, ["8:10", "32:50"]
    directory = Path(args.dir)
    shutil.rmtree(directory, ignore_errors=True)
    centres = make_centres(args.seed, args.n, args.data)
    queries = chunk_vectors(args.seed, -2, args.queries, centres)
    built = build(args, directory, queries)
    npz = directory.parent / f"{directory.name}.queries.npz"
    np.savez(npz, queries=queries, truth=built["truth"])
    done = subprocess.run([sys.executable, __file__, "--search-only", str(directory), str(npz),
                           "--probe", *args.probe],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    report(args, built, json.loads(done.stdout.strip().splitlines()[-1]), directory)
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
        npz.unlink()


if __name__ == "__main__":
    main()
