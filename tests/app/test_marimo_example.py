"""notebooks/07_marimo.py, the marimo example, runs top to bottom as a script (real MiniLM)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "notebooks" / "07_marimo.py"


@pytest.mark.model
def test_the_marimo_example_runs_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "notes: 9 added, 0 already present (9 records) · model minilm · device cpu"
    assert lines[1] == "The cat sleeps on the warm windowsill all afternoon."
    assert "Jupiter is the largest planet in the solar system. [1]" in lines[2]
    clusters = lines[3]
    assert clusters.startswith("{0: ") and "cat" in clusters and "jupiter" in clusters
