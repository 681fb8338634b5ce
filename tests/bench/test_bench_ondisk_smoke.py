"""bench/bench_ondisk.py --quick still runs and prints its one table (numbers not asserted)."""

from __future__ import annotations

import re

import pytest
from test_bench_smoke import run_bench


@pytest.mark.slow
def test_ondisk_bench_quick_prints_recall_rss_and_latency(tmp_path: object) -> None:
    out = run_bench("bench/bench_ondisk.py", "--quick", "--dir", f"{tmp_path}/ondisk")
    assert re.search(r"recall@10, nprobe=\d+, k_factor=\d+\s+20,000\s+[\d.]+\s+1\.000", out), out
    assert re.search(r"RSS growth, .* [\d.]+x", out), out
    assert "latency, 1 query" in out and "files on disk" in out
