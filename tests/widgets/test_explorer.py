"""The neighbours explorer: searches through core like %neighbors, errors reach the front end."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.widgets import Explorer
from tests.conftest import snapshot
from tests.widgets.conftest import invoke


def test_initial_query_and_results_equal_the_magic(docs: InteractiveShell) -> None:
    ex = docs.run_line_magic("neighbors", "music note number 5 -c docs -k 4 --widget")
    assert isinstance(ex, Explorer)
    table = docs.run_line_magic("neighbors", "music note number 5 -c docs -k 4")
    assert [r["id"] for r in ex.results] == [h.id for h in table.hits]
    assert [r["rank"] for r in ex.results] == [1, 2, 3, 4]
    assert ex.hits is not None and ex.hits.plain() == table.plain()
    assert (ex.query, ex.k, ex.collection) == ("music note number 5", 4, "docs")
    assert ex.collections == ["docs", "faq"]


def test_search_command_switches_collection_and_k(docs: InteractiveShell) -> None:
    ex = Explorer("docs")
    reply = invoke(ex, "search", {"text": "question 3", "k": 2, "collection": "faq"})
    assert reply["ok"] and len(reply["hits"]) == 2 and reply["hits"][0]["text"] == "question 3"
    assert (ex.collection, ex.k, ex.query) == ("faq", 2, "question 3")
    assert ex.status == "2 neighbours of 'question 3' in 'faq'"


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        ({"text": "x", "k": 51}, "k must be between 1 and 50, got 51"),
        ({"text": "", "k": 3}, "empty query: type the text to look for"),
        ({"text": "x", "collection": "gone"}, "no collection named 'gone'"),
    ],
)
def test_errors_are_shown_and_results_kept(docs: InteractiveShell, msg: dict, error: str) -> None:
    ex = Explorer("docs", query="space note number 0")
    kept, before = list(ex.results), snapshot(docs)
    reply = invoke(ex, "search", msg)
    assert not reply["ok"] and reply["error"].startswith(error)
    assert ex.error.startswith(error) and ex.results == kept and snapshot(docs) == before


def test_a_dropped_collection_is_reported_on_the_next_search(docs: InteractiveShell) -> None:
    ex = Explorer("faq", query="question 1")
    docs.run_line_magic("emb", "drop faq")
    reply = invoke(ex, "search", {"text": "question 1", "k": 3})
    assert not reply["ok"] and "no collection named 'faq'" in ex.error


def test_widget_rejects_options_it_cannot_show(docs: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="--widget takes a query, -c, -k and --mode"):
        docs.run_line_magic("neighbors", "x -c docs --mmr --widget")
    with pytest.raises(UsageError, match="no collection named 'nope'"):
        docs.run_line_magic("neighbors", "x -c nope --widget")
