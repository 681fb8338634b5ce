"""bench/bench_widgets.py --quick still runs end to end (JupyterLab + Chromium) and prints its
table. Numbers are not asserted (shared, noisy machines)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
@pytest.mark.slow
def test_widgets_bench_quick_prints_table() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, "bench/bench_widgets.py", "--quick"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"first paint \(created -> painted\)\s+20,000\s+[\d.]+ s", out), out
    assert re.search(r"kernel -> browser bytes\s+20,000\s+[\d.]+ MB\s+raw [\d.]+ MB\s+[\d.]+x", out)
    hover = r"hover -> tooltip text, p50 / p95\s+\d+ hovers\s+\d+ / \d+ ms\s+Nagle on: \d+ / \d+ ms"
    assert re.search(hover, out), out
    assert re.search(r"query box -> hits listed .*\s+10,000\s+\d+ ms", out), out
