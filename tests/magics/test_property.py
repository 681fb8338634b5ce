"""Property: whatever a user types, only UsageError escapes, and failures change nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
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


def test_the_fuzzed_flags_come_from_the_parsers() -> None:
    for flag in ("--widget", "--show", "--on", "--out", "--kind", "--on-disk", "--yes",
                 "--color-by", "--nprobe", "--ef-search", "--as", "--mmr", "--llm"):
        assert flag in FLAGS, flag


def ensure_collections(ip: InteractiveShell) -> None:
    """Keep the collections the random lines refer to in place (a random `%emb drop` may win)."""
    ip.run_cell_magic("embed", "animals", "small cat\nbig dog\nking\nman\nwoman")
    ip.run_cell_magic("embed", "other", "red car")


@pytest.mark.slow
@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
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
    (tmp_path / "a.txt").write_text("some text")
    ip.user_ns.update(docs=["one", "two"], number=3, frame=None)
    ensure_collections(ip)
    before = snap()
    try:
        if cell is not None and magic in CELL_MAGICS:
            ip.run_cell_magic(magic, line, cell)
        else:
            ip.run_line_magic(magic, line)
    except UsageError as exc:
        assert "\n" not in str(exc)
        assert snap() == before
        return
    if magic not in MUTATING:
        assert snap() == before
