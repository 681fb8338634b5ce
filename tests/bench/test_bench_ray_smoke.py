"""bench/bench_ray.py --quick still runs and prints its side-by-side table (not asserted)."""

from __future__ import annotations

import re

import pytest

from tests.bench.test_bench_smoke import run_bench


@pytest.mark.slow
@pytest.mark.model
def test_ray_bench_quick_prints_ratios_and_driver_peaks() -> None:
    out = run_bench("bench/bench_ray.py", "--quick")
    for side in ("local", "ray", "ray-shards"):
        assert re.search(rf"^{side}\s+2,000\s+[\d.]+\s+\d+\s+[\d.]+x\s+\d+$", out, re.M), out
