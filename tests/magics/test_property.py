"""Property: whatever a user types, only UsageError escapes, and failures change nothing.

Three derandomized runs, 4,200 examples in all (~25 s on a 2-core machine, the fake encoder):
2,000 random lines and 2,000 lines built from hostile values (unicode edge cases, huge numbers,
special files as --files / save / load / --eval targets), both `slow`, plus 200 hostile ones in
the inner loop. Each call runs under a timer, so a call that
blocks (a FIFO opened for reading...) fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell


def parser_flags() -> list[str]:
    """Every flag of every magic's parser and of each `%emb` subcommand's parser: a new flag
    is fuzzed without anyone adding it here."""
    from embmagic.magics import manage
    from embmagic.magics.embmagics import MAGIC_METHODS

    parsers = [m.parser for m in MAGIC_METHODS] + [manage.parser(n) for n in manage.SUBCOMMANDS]
    return sorted({flag for p in parsers for flag in p._option_string_actions})


FLAGS = [*parser_flags(), "--help", "-h", "--", "-", "--bogus", "-x", "<<", "res"]
VALUES = [
    "animals", "other", "nope", "", "0", "-1", "3", "1.5", "two", "999999", "line", "paragraph",
    "sentence", "none", "auto", "fake-16", "fake-64", "no-such-model", "lang=en", "k=v", "=",
    "docs", "number", "frame", "body", "*.txt", "missing/*", "add", "mul", "extractive", "gpt",
    "list", "info", "drop", "save", "load", "models", "saved", "king", "man", "woman", "cat",
    "+", "::", "man:king::woman:?", "{docs}", "{nope}", "{{", "}}", "'quoted text'", '"x',
    "What's", "🙂", "\\", "%", "$x", "flat", "hnsw", "pca",
]  # fmt: skip
WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
TOKEN = st.one_of(st.sampled_from(FLAGS), st.sampled_from(VALUES), WORDS)
LINE = st.lists(TOKEN, max_size=8).map(" ".join)
CELL = st.one_of(st.none(), st.sampled_from(["", "cat\ndog", "{docs}", "x {{y}}"]), WORDS)
MAGICS = st.sampled_from(["embed", "neighbors", "analogy", "rag", "emb"])
CELL_MAGICS = frozenset({"embed", "rag"})
MUTATING = frozenset({"embed", "emb"})  # a successful %%embed / %emb drop|load changes things
CALL_TIMEOUT_S = 30

UNICODE_EDGES = [
    "\ud800", "a\udfffb", "\udc80", "\u200f", "\u202e", "abc\u202edef", "\u200d",
    "\U0001f468\u200d\U0001f469", "e\u0301", "\u0301", "\x00", "a\x00b", "\ufeff", "\u2028",
    "\x85", "\x1b[31m", "\uffff", "\U0010ffff", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
]  # lone surrogates, RTL marks and overrides, zero-width joiners, combining marks, NUL...
HUGE_NUMBERS = [
    str(10**30), "-" + str(10**30), "1e400", "-1e400", "-0", "0", "nan", "inf", "-inf", "0x10",
    "1_000", "99999999999999999999", "2147483647", "2147483648", "9223372036854775808",
    "1" * 5000,
]
SPECIAL_FILES = [
    "fifo", "/dev/zero", "/dev/null", "loop", "dir", "dir/", "zero_link", "fifo*", "a.txt",
    "cells.ipynb", "surrogate.ipynb", "latin1.txt", "deep.ipynb", "saved",
]
HOSTILE = st.sampled_from(UNICODE_EDGES + HUGE_NUMBERS + SPECIAL_FILES)
TEMPLATES = [
    ("embed", "animals --files {}", None), ("embed", "fresh --files {} --chunk {}", None),
    ("embed", "animals --from {}", None), ("embed", "{}", "{}"), ("embed", "animals", "{} {}"),
    ("emb", "save animals {}", None), ("emb", "load {}", None), ("emb", "load {} --as {}", None),
    ("emb", "info {}", None), ("emb", "drop {}", None),
    ("emb", "index animals --kind hnsw --ef-search {} --m {}", None),
    ("emb", "index animals --kind ivfpq --nprobe {} --k-factor {}", None),
    ("emb", "index animals --kind {} --nlist {}", None),
    ("emb", "map animals --clusters {} --html {}", None),
    ("analogy", "--eval {} --space animals", None), ("analogy", "--eval {} --space {}", None),
    ("analogy", "{} - man + woman --space animals -k {}", None),
    ("neighbors", "{} -c animals -k {}", None), ("neighbors", "--id {} -c animals", None),
    ("neighbors", "cat -c animals --where {}={}", None), ("rag", "{} -c animals -k {}", None),
    ("rag", "-c animals --llm {}", "{}"), ("embed", "animals --meta {}={}", "text"),
]
"""Lines where a hostile value lands where it can do harm: a path, a count, a name, a text."""
VARIABLES = {"surrogate": ["ok", "\ud800"], "nul": "a\x00b", "rtl": ["\u202e abc"],
             "docs": ["one", "two"], "number": 3, "frame": None}


def test_the_fuzzed_flags_come_from_the_parsers() -> None:
    for flag in ("--widget", "--show", "--on", "--out", "--kind", "--on-disk", "--yes",
                 "--color-by", "--nprobe", "--ef-search", "--as", "--mmr", "--llm"):
        assert flag in FLAGS, flag


def ensure_collections(ip: InteractiveShell) -> None:
    """The same two collections before every example: a random `%emb drop`, `load --as` or
    `index --on-disk` (read-only afterwards) may have changed them."""
    ip.magics_manager.registry["EmbMagics"].session.collections.clear()
    ip.run_cell_magic("embed", "animals", "small cat\nbig dog\nking\nman\nwoman")
    ip.run_cell_magic("embed", "other", "red car")


def make_special_files(ip: InteractiveShell, tmp_path: Path) -> None:
    """Files and variables the lines may name (tmp_path is shared by a test's examples)."""
    ip.user_ns.update(VARIABLES)
    if (tmp_path / "fifo").exists():
        return
    (tmp_path / "a.txt").write_text("some text")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    (tmp_path / "zero_link").symlink_to("/dev/zero")
    (tmp_path / "dir").mkdir()
    (tmp_path / "cells.ipynb").write_text('{"cells": 5}')
    (tmp_path / "surrogate.ipynb").write_text('{"cells": [{"source": "x \\ud800 y"}]}')
    (tmp_path / "deep.ipynb").write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "latin1.txt").write_bytes(b": capitals\nAthens Greece Bern Schw\xe4iz\n")
    ensure_collections(ip)
    ip.run_line_magic("emb", f"save other {tmp_path / 'saved'}")


class Hang(BaseException):
    """A magic call ran past CALL_TIMEOUT_S (BaseException: no `except Exception` hides it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (SIGALRM interrupts a blocking open())."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"a magic call took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_one_call(ip: InteractiveShell, snap: Callable[[], dict[str, Any]], magic: str,
                   line: str, cell: str | None) -> None:
    """Run one magic call: only UsageError (one line) may escape, and a failure, or any call
    of a magic that cannot change anything, leaves every collection as it was."""
    ensure_collections(ip)
    before = snap()
    try:
        with time_limit(CALL_TIMEOUT_S):
            if cell is not None and magic in CELL_MAGICS:
                ip.run_cell_magic(magic, line, cell)
            else:
                ip.run_line_magic(magic, line)
    except UsageError as exc:
        assert type(exc) is UsageError
        assert "\n" not in str(exc)
        assert snap() == before
        return
    if magic not in MUTATING:
        assert snap() == before


def hostile_call(template: tuple[str, str, str | None], values: list[str]) -> tuple[str, str,
                                                                                   str | None]:
    """A template filled with hostile values (quoted: a value may hold spaces)."""
    magic, line, cell = template
    quoted = iter(f'"{v}"' if " " in v or not v else v for v in values)
    filled_line = line.format(*(next(quoted) for _ in range(line.count("{}"))))
    rest = values[line.count("{}"):]
    filled_cell = cell.format(*rest[: cell.count("{}")]) if cell is not None else None
    return magic, filled_line, filled_cell


HOSTILE_CALL = st.builds(hostile_call, st.sampled_from(TEMPLATES),
                         st.lists(HOSTILE, min_size=4, max_size=4))
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@settings(SETTINGS, max_examples=2_000)
@given(magic=MAGICS, line=LINE, cell=CELL)
def test_random_arguments_raise_only_usage_error(
    ip: InteractiveShell,
    snap: Callable[[], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    magic: str,
    line: str,
    cell: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)  # `%emb save X PATH` and `--files` stay inside tmp_path
    make_special_files(ip, tmp_path)
    check_one_call(ip, snap, magic, line, cell)


@pytest.mark.slow
@settings(SETTINGS, max_examples=2_000)
@given(call=HOSTILE_CALL)
def test_hostile_values_raise_only_usage_error(
    ip: InteractiveShell,
    snap: Callable[[], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    call: tuple[str, str, str | None],
) -> None:
    monkeypatch.chdir(tmp_path)
    make_special_files(ip, tmp_path)
    check_one_call(ip, snap, *call)


@settings(SETTINGS, max_examples=200)
@given(call=HOSTILE_CALL)
def test_hostile_values_raise_only_usage_error_quick(
    ip: InteractiveShell,
    snap: Callable[[], dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    call: tuple[str, str, str | None],
) -> None:
    """The inner-loop share of the hostile run (not `slow`): 200 of the 4,200 examples."""
    monkeypatch.chdir(tmp_path)
    make_special_files(ip, tmp_path)
    check_one_call(ip, snap, *call)


def test_the_timer_turns_a_blocking_call_into_a_failure(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(Hang), time_limit(0.2):
        open(tmp_path / "fifo").close()  # blocks until a writer opens it: never
