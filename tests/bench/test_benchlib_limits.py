"""bench/benchlib.py's machine-limit probes return plausible rates, and `share` formats them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from benchlib import memory_bandwidth_gbs, sgemm_gflops, share


def test_limits_are_positive_rates_within_what_a_cpu_can_do() -> None:
    gflops = sgemm_gflops(m=64, n=2_000, d=64, repeat=2)
    bandwidth = memory_bandwidth_gbs(gib=0.05, repeat=2)
    assert 0.1 < gflops < 100_000
    assert 0.1 < bandwidth < 10_000


def test_share_is_a_rounded_percentage() -> None:
    assert share(3, 4) == "75%"
    assert share(93, 71) == "131%"
