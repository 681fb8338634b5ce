"""The boundary (`EmbMagics._run`, boundary.py): whatever the input or the environment does, a
magic fails with one UsageError line and changes nothing; a bug keeps its traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from test_errors import BAD_INPUTS

from embmagic.magics.boundary import user_message

# (magic, line, cell or None, a fragment the one-line message must contain); {tmp} is tmp_path
HOSTILE_INPUTS: list[tuple[str, str, str | None, str]] = [
    ("embed", "animals --from surrogate", None, "lone surrogate"),
    ("embed", "animals", "fine\nbad \ud800 text", "lone surrogate"),
    ("embed", "animals --files {tmp}/surrogate.ipynb", None, "lone surrogate"),
    ("neighbors", "cat\udfff -c animals", None, "lone surrogate"),
    ("rag", "why\ud800 -c animals", None, "lone surrogate"),
    ("embed", "animals --files {tmp}/cells.ipynb", None, "not a valid notebook"),
    ("embed", "animals --files {tmp}/deep.ipynb", None, "not a valid notebook"),
    ("embed", 'animals --files "a\x00b"', None, "NUL character"),
    ("emb", 'save animals "a\x00b"', None, "NUL character"),
    ("emb", "save animals {nul}", None, "NUL character"),
    ("emb", 'load "a\x00b"', None, "NUL character"),
    ("analogy", '--eval "a\x00b" --space animals', None, "NUL character"),
    ("analogy", "--eval {tmp}/latin1.txt --space animals", None, "is not UTF-8 text"),
    ("emb", "index animals --kind hnsw --ef-search 99999999999999999999", None,
     "ef_search must be an integer from 1 to 1,000,000"),
    ("emb", "index animals --kind hnsw --m 99999999999", None, "M must be an integer from 1"),
    ("emb", "index animals --kind ivfpq --k-factor 1000000", None, "k_factor must be"),
    ("emb", "load {tmp}/huge-ef", None, "ef_search must be an integer from 1"),
    ("emb", "load {tmp}/inf-number", None, "number 1e400 is too large"),
    ("emb", "load {tmp}/deep-manifest", None, "nested too deeply"),
    ("embed", "animals --files {tmp}/fifo", None, "nothing to embed"),
    ("emb", "save animals {tmp}/fifo", None, "fifo"),
    ("emb", "load /dev/zero", None, "/dev/zero"),
    ("analogy", "--eval /dev/zero --space animals", None, "not a regular file"),
    ("analogy", "--eval {tmp}/fifo --space animals", None, "not a regular file"),
    ("emb", "load {tmp}/loop", None, "loop"),
    ("emb", "save animals {tmp}/loop", None, "loop"),
]


@pytest.fixture
def hostile(filled: InteractiveShell, tmp_path: Path) -> InteractiveShell:
    """`filled` plus the variables and files the hostile inputs refer to."""
    filled.user_ns.update(surrogate=["ok", "\ud800"], nul="a\x00b")
    (tmp_path / "surrogate.ipynb").write_text('{"cells": [{"source": "x \\ud800 y"}]}')
    (tmp_path / "cells.ipynb").write_text(json.dumps({"cells": 5}))
    (tmp_path / "deep.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "latin1.txt").write_bytes(b": capitals\nAthens Greece Bern Schw\xe4iz\n")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    filled.run_line_magic("emb", "index other --kind hnsw")
    for name, edit in [("huge-ef", '"ef_search": 99999999999999999999'),
                       ("inf-number", '"ef_search": 1e400'),
                       ("deep-manifest", '"ef_search": ' + "[" * 100_000 + "]" * 100_000)]:
        filled.run_line_magic("emb", f"save other {tmp_path}/{name}")
        manifest = tmp_path / name / "manifest.json"
        manifest.write_text(manifest.read_text().replace('"ef_search": 128', edit))
    return filled


def run(ip: InteractiveShell, magic: str, line: str, cell: str | None) -> Any:
    if cell is None:
        return ip.run_line_magic(magic, line)
    return ip.run_cell_magic(magic, line, cell)


def assert_one_line(ip: InteractiveShell, snap: Any, magic: str, line: str, cell: str | None,
                    fragment: str) -> None:
    before = snap()
    with pytest.raises(UsageError) as caught:
        run(ip, magic, line, cell)
    message = str(caught.value)
    assert type(caught.value) is UsageError
    assert "\n" not in message and "Traceback" not in message
    assert fragment in message, message
    assert message.startswith((f"%{magic}", f"%%{magic}"))
    assert snap() == before


@pytest.mark.parametrize(("magic", "line", "cell", "fragment"), HOSTILE_INPUTS + BAD_INPUTS)
def test_hostile_input_is_one_line_and_changes_nothing(
    hostile: InteractiveShell, snap: Any, magic: str, line: str, cell: str | None, fragment: str
) -> None:
    line = line.replace("{tmp}", hostile.user_ns["tmp"])
    assert_one_line(hostile, snap, magic, line, cell, fragment)


def test_a_full_disk_is_one_line_and_keeps_the_previous_save(
    filled: InteractiveShell, snap: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    filled.run_line_magic("emb", f"save animals {tmp_path}/saved")
    before_files = sorted((p.name, p.read_bytes()) for p in (tmp_path / "saved").iterdir())
    filled.run_cell_magic("embed", "animals", "a new record")

    def full_disk(*args: Any) -> None:
        raise RuntimeError("Error in void faiss::write_index at index_write.cpp:42: "
                           "Error: 'ret == (n)' failed: write error")

    monkeypatch.setattr(faiss, "write_index", full_disk)
    assert_one_line(filled, snap, "emb", f"save animals {tmp_path}/saved", None, "write error")
    assert sorted((p.name, p.read_bytes()) for p in (tmp_path / "saved").iterdir()) == before_files
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".saved")]


def test_a_bug_keeps_its_traceback(
    filled: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embmagic.magics.query as query

    def broken(*args: Any) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(query, "run_neighbors", broken)
    with pytest.raises(TypeError, match="unsupported operand"):
        filled.run_line_magic("neighbors", "cat -c animals")


def test_keyboard_interrupt_passes_through_unchanged(
    filled: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import embmagic.magics.query as query

    stop = KeyboardInterrupt()

    def interrupted(*args: Any) -> None:
        raise stop

    monkeypatch.setattr(query, "run_neighbors", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        filled.run_line_magic("neighbors", "cat -c animals")
    assert caught.value is stop


@pytest.mark.parametrize(("exc", "expected"), [
    (OverflowError("Python int too large to convert to C long"), "a number is too large"),
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
    (MemoryError(), "out of memory"),
    (UnicodeDecodeError("utf-8", b"\xe4", 0, 1, "invalid"), "not valid Unicode"),
    (RuntimeError("Error in faiss::Index::search: Error: 'k > 0' failed"), "FAISS failed: 'k"),
    (ValueError("embedded null byte"), "NUL character"),
    (ValueError("something else"), None),
    (TypeError("'NoneType' object is not subscriptable"), None),
    (RuntimeError("dictionary changed size during iteration"), None),
])
def test_user_message_converts_only_input_and_environment_failures(
    exc: Exception, expected: str | None
) -> None:
    message = user_message(exc)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message
