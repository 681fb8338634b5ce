"""`--mode dense|lexical|hybrid` on %neighbors and %rag, the search_mode option, Workspace mode=."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic import Workspace
from embmagic.app.options import Options
from embmagic.errors import InvalidArgumentError

NOTES = ("ticket ZQ-4471 printer jam on floor two\nlunch menu for friday\n"
         "printer toner is low\nthe server ZQ-4471 rebooted overnight\nquarterly budget review\n")


@pytest.fixture
def notes(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic("embed", "notes", NOTES)
    return ip


def texts(result: Any) -> list[str]:
    return [h.text for h in result]


def test_lexical_mode_finds_the_exact_identifier(notes: InteractiveShell, magics: Any) -> None:
    hits = notes.run_line_magic("neighbors", "zq-4471 -c notes -k 2 --mode lexical")
    assert set(texts(hits)) == {"ticket ZQ-4471 printer jam on floor two",
                                "the server ZQ-4471 rebooted overnight"}
    coll = magics.session.collections["notes"]
    assert [(h.id, h.score) for h in hits] == [
        (h.id, h.score) for h in coll.search_lexical("zq-4471", 2)]


def test_modes_differ_and_hybrid_fuses(notes: InteractiveShell, magics: Any) -> None:
    dense = notes.run_line_magic("neighbors", "printer -c notes -k 5 --mode dense")
    lexical = notes.run_line_magic("neighbors", "printer -c notes -k 5 --mode lexical")
    hybrid = notes.run_line_magic("neighbors", "printer -c notes -k 5 --mode hybrid")
    assert len(lexical) == 2  # only records with the word
    assert len(dense) == len(hybrid) == 5
    assert [h.score for h in hybrid] != [h.score for h in dense]  # fused scores
    assert set(texts(lexical)) <= set(texts(hybrid)[:3])


def test_where_applies_to_lexical_and_hybrid(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "m --meta site=a", "printer jam ZQ-1")
    ip.run_cell_magic("embed", "m --meta site=b", "printer jam ZQ-2")
    for mode in ("lexical", "hybrid"):
        hits = ip.run_line_magic("neighbors", f"printer jam -c m --where site=b --mode {mode}")
        assert texts(hits) == ["printer jam ZQ-2"]


def test_search_mode_option_is_the_default(notes: InteractiveShell, magics: Any) -> None:
    explicit = notes.run_line_magic("neighbors", "budget -c notes --mode lexical")
    magics.search_mode = "lexical"
    assert texts(notes.run_line_magic("neighbors", "budget -c notes")) == texts(explicit)
    assert texts(explicit) == ["quarterly budget review"]
    notes.run_line_magic("config", 'EmbMagics.search_mode = "dense"')
    assert len(notes.run_line_magic("neighbors", "budget -c notes")) == 5


@pytest.mark.parametrize("line", ["printer -c notes --mode fuzzy", "printer -c notes --mode",
                                  "-c notes --id 0 --mode semantic"])
def test_a_bad_mode_is_one_line_and_changes_nothing(
        notes: InteractiveShell, snap: Callable[[], dict[str, Any]], line: str) -> None:
    before = snap()
    with pytest.raises(UsageError) as caught:
        notes.run_line_magic("neighbors", line)
    assert "\n" not in str(caught.value)
    assert "--mode" in str(caught.value) or "mode" in str(caught.value)
    assert snap() == before


def test_a_bad_search_mode_option_is_refused(notes: InteractiveShell, magics: Any) -> None:
    with pytest.raises(Exception, match="search_mode"):
        magics.search_mode = "fuzzy"
    assert magics.search_mode == "hybrid"  # the default (docs/retrieval.md), unchanged


def test_rag_retrieves_by_mode(notes: InteractiveShell,
                               snap: Callable[[], dict[str, Any]]) -> None:
    result = notes.run_line_magic("rag", "What happened to ZQ-4471 -c notes -k 2 --mode lexical")
    assert {h.text for h in result.sources} == {"ticket ZQ-4471 printer jam on floor two",
                                                "the server ZQ-4471 rebooted overnight"}
    before = snap()
    with pytest.raises(UsageError) as caught:
        notes.run_line_magic("rag", "What happened? -c notes --mode fuzzy")
    assert "\n" not in str(caught.value)
    assert snap() == before


def test_workspace_takes_mode() -> None:
    ws = Workspace(Options(model="fake-64", show_progress=False))
    ws.embed("notes", NOTES.splitlines())
    hits = ws.neighbors("ZQ-4471", collection="notes", k=2, mode="lexical")
    assert {h.text for h in hits} == {"ticket ZQ-4471 printer jam on floor two",
                                      "the server ZQ-4471 rebooted overnight"}
    assert len(ws.neighbors("ZQ-4471", collection="notes", k=3, mode="hybrid")) == 3
    answer = ws.ask("Which server rebooted?", collection="notes", k=1, mode="lexical")
    assert [h.text for h in answer.sources] == ["the server ZQ-4471 rebooted overnight"]
    with pytest.raises(InvalidArgumentError, match="unknown search mode"):
        ws.neighbors("x", collection="notes", mode="fuzzy")  # type: ignore[arg-type]
