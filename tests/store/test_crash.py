"""SIGKILL during saves: the directory must always load, as the last complete save or the next."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from crash_saver import version

from embmagic.store import Collection

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def run_and_kill(path: Path, first: int, delay: float) -> list[int]:
    """Start the saver, wait for its first save, kill it `delay` s later; versions it reported."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    child = subprocess.Popen([sys.executable, str(HERE / "crash_saver.py"), str(path), str(first)],
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    first_line = child.stdout.readline()
    assert first_line == f"saved {first}\n", first_line
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate()
    return [first] + [int(line.split()[1]) for line in rest.splitlines()]


@pytest.mark.slow
def test_killed_saves_leave_old_or_new_content(tmp_path: Path) -> None:
    rng = random.Random(1234)
    path = tmp_path / "coll"
    first = 0
    for _ in range(8):
        done = run_and_kill(path, first, rng.uniform(0.0, 0.4))
        loaded = Collection.load(path)
        v = int(loaded.records()[0].text.split()[0][1:])
        assert v in (done[-1], done[-1] + 1)  # last complete save, or the one being written
        texts, vectors = version(v)
        assert [r.text for r in loaded.records()] == texts
        np.testing.assert_array_equal(loaded.vectors_for(loaded.ids()), vectors)
        assert loaded._lexical is not None  # the saved BM25 tokens came with it (lexical.npz)
        assert [h.text for h in loaded.search_lexical("record 17", 1)] == [texts[17]]
        first = done[-1] + 2
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "coll"]
    assert all(name.startswith(".coll.") for name in leftovers)
