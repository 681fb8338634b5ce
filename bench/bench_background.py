"""A cell's latency while `%embed --background` encodes, and the job's speed vs the foreground.

    python bench/bench_background.py               # 100,000 texts (MiniLM, 2 cores: ~12 min a run)
    python bench/bench_background.py --n 4000      # a shorter run, the same table
    python bench/bench_background.py --quick       # 600 texts, fake-384 encoder (CI smoke run)

Texts: the Lee background corpus (gensim's wheel) split into sentences, repeated with a short
varying tail ("(note 17)") so that every text is distinct and the engine's cache cannot help;
30-odd MiniLM tokens each, like real notes. One process, one real IPython shell with embmagic:

1. idle: the latency of a tiny cell (`x = 1 + 1` through `shell.run_cell`) and of a tiny
   function call, sampled every 20 ms, and of a `%neighbors` query (a new text each time, so
   it is encoded) on a small collection;
2. the same samples while `%embed big --from texts --background` runs;
3. the job's throughput vs the same texts embedded in the foreground (cache cleared first).
Prints p50/p95 (and the worst) of each latency idle and during the job, and texts/s with the
ratio.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import print_table

from embmagic.engine.corpus import lee_sentences


def texts(n: int) -> list[str]:
    """n distinct realistic short texts: Lee sentences with a varying tail."""
    base = lee_sentences()
    return [f"{base[i % len(base)]} (note {i // len(base)})" for i in range(n)]


def sample(probes: dict[str, Callable[[], Any]], until: Callable[[], bool], rounds: int,
           into: dict[str, list[float]]) -> None:
    """Milliseconds of each probe, round-robin, every 20 ms, until `until()` or `rounds`."""
    for _ in range(rounds):
        if until():
            return
        for name, fn in probes.items():
            start = time.perf_counter()
            fn()
            into[name].append((time.perf_counter() - start) * 1000)
            time.sleep(0.02)


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="texts to embed")
    parser.add_argument("--model", default="minilm", help="embedding model")
    parser.add_argument("--quick", action="store_true", help="600 texts, fake-384 encoder")
    args = parser.parse_args()
    n, model = (600, "fake-384") if args.quick else (args.n, args.model)

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "embmagic")
    shell.run_line_magic("config", f"EmbMagics.model = {model!r}")
    shell.run_line_magic("config", "EmbMagics.show_progress = False")
    ws = shell.magics_manager.registry["EmbMagics"].session
    big = texts(n)
    shell.user_ns["texts"] = big
    shell.user_ns["small"] = lee_sentences()[:200]
    shell.run_line_magic("embed", "small --from small")  # loads the model, warms it up
    engine = ws.engine(ws.options.model)

    counter = itertools.count()  # every %neighbors query is new: really encoded
    probes: dict[str, Callable[[], Any]] = {
        "tiny cell (x = 1 + 1)": lambda: shell.run_cell("x = 1 + 1", store_history=False),
        "tiny function call": lambda: sum(range(1000)),
        "%neighbors, new query text": lambda: shell.run_line_magic(
            "neighbors", f"the fire near Sydney, day {next(counter)} -c small -k 3"),
    }
    idle: dict[str, list[float]] = {name: [] for name in probes}
    sample(probes, lambda: False, 100, idle)

    engine.cache.clear()
    start = time.perf_counter()
    shell.run_line_magic("embed", "fore --from texts")
    fore = n / (time.perf_counter() - start)

    engine.cache.clear()
    start = time.perf_counter()
    job = shell.run_line_magic("embed", "back --from texts --background")
    started_ms = (time.perf_counter() - start) * 1000
    during: dict[str, list[float]] = {name: [] for name in probes}
    sample(probes, lambda: job.wait(0), 10**9, during)
    job.result()
    back = n / (time.perf_counter() - start)
    assert len(ws.collection("back")) == len(ws.collection("fore")) == n

    print(f"{n:,} texts (Lee sentences, mean {sum(map(len, big)) / n:.0f} chars), model "
          f"{engine.model_id} on {engine.device} ({engine.backend_name}), "
          f"{os.cpu_count()} CPU cores; %embed --background returned in {started_ms:.0f} ms")
    rows = [[name, f"{pct(idle[name], 50):.2f}", f"{pct(idle[name], 95):.2f}",
             f"{pct(during[name], 50):.2f}", f"{pct(during[name], 95):.2f}",
             f"{max(during[name], default=float('nan')):.2f}", f"{len(during[name])}"]
            for name in probes]  # fmt: skip
    print_table(["latency (ms)", "idle p50", "idle p95", "during job p50", "during job p95",
                 "during job max", "samples"], rows)
    print()
    print_table(["embed", "texts/s", "vs foreground"],
                [["foreground %embed", f"{fore:,.0f}", "1.00x"],
                 ["background job (cells running meanwhile)", f"{back:,.0f}",
                  f"{back / fore:.2f}x"]])


if __name__ == "__main__":
    main()
