"""The search mode (dense, lexical, hybrid) in the explorer and in the map's query box."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from embmagic.widgets import Explorer, Map
from tests.conftest import magics_of, snapshot
from tests.widgets.conftest import invoke

MODES = ["dense", "lexical", "hybrid"]


def expected_ids(shell: InteractiveShell, text: str, collection: str, k: int, mode: str
                 ) -> list[int]:
    ws = magics_of(shell).session
    return [h.id for h in ws.neighbors(text, collection=collection, k=k, mode=mode)]


def test_explorer_offers_the_modes_and_starts_with_the_option(docs: InteractiveShell) -> None:
    ex = Explorer("docs")
    assert ex.modes == MODES and ex.mode == magics_of(docs).search_mode
    docs.run_line_magic("config", "EmbMagics.search_mode = 'lexical'")
    assert Explorer("docs").mode == "lexical"
    assert Explorer("docs", mode="hybrid").mode == "hybrid"


@pytest.mark.parametrize("mode", MODES)
def test_explorer_search_follows_the_chosen_mode(docs: InteractiveShell, mode: str) -> None:
    ex = Explorer("docs")
    reply = invoke(ex, "search", {"text": "music note 7", "k": 4, "mode": mode})
    assert reply["ok"] and ex.mode == mode
    assert [h["id"] for h in reply["hits"]] == expected_ids(docs, "music note 7", "docs", 4, mode)
    assert ex.hits is not None and [h.id for h in ex.hits] == [r["id"] for r in ex.results]


def test_the_modes_really_differ_here(docs: InteractiveShell) -> None:
    # the fake encoder knows no words: dense and lexical rankings must differ, or the mode
    # tests above could pass while ignoring the mode
    assert expected_ids(docs, "music note 7", "docs", 4, "dense") != expected_ids(
        docs, "music note 7", "docs", 4, "lexical")  # fmt: skip


def test_explorer_keeps_its_mode_until_changed(docs: InteractiveShell) -> None:
    ex = Explorer("docs", mode="lexical")
    reply = invoke(ex, "search", {"text": "space note 3", "k": 3})
    assert reply["ok"] and ex.mode == "lexical"
    assert [h["id"] for h in reply["hits"]] == expected_ids(docs, "space note 3", "docs", 3,
                                                            "lexical")  # fmt: skip


def test_magic_opens_the_explorer_in_the_mode_given(docs: InteractiveShell) -> None:
    ex = docs.run_line_magic("neighbors", "food note 4 -c docs -k 3 --mode lexical --widget")
    assert isinstance(ex, Explorer) and ex.mode == "lexical"
    assert [r["id"] for r in ex.results] == expected_ids(docs, "food note 4", "docs", 3, "lexical")


def test_an_unknown_mode_is_refused_and_changes_nothing(docs: InteractiveShell) -> None:
    ex = Explorer("docs", query="space note number 0", mode="dense")
    kept, before = list(ex.results), snapshot(docs)
    for bad in ("fuzzy", 3):
        reply = invoke(ex, "search", {"text": "x", "mode": bad})
        assert not reply["ok"] and reply["error"].startswith(f"unknown search mode {bad!r}")
    assert ex.results == kept and ex.mode == "dense" and snapshot(docs) == before
    with pytest.raises(ValueError, match="unknown search mode 'fuzzy'"):
        Explorer("docs", mode="fuzzy")


@pytest.mark.parametrize("mode", MODES)
def test_map_query_highlights_the_neighbours_of_the_mode(docs: InteractiveShell, mode: str
                                                         ) -> None:
    m = Map("docs")
    reply = invoke(m, "query", {"text": "food note number 4", "k": 5, "mode": mode})
    ids = expected_ids(docs, "food note number 4", "docs", 5, mode)
    assert reply["ok"] and [h["id"] for h in reply["hits"]] == ids and m.mode == mode
    assert m.highlighted == [m.data.row_of("docs", i) for i in ids] == reply["rows"]
    # wherever the hits come from, the query lands by the map's projection of its embedding
    engine = magics_of(docs).session.engine("fake-64")
    place = m.data.projection.transform(engine.embed(["food note number 4"]))[0]
    assert m.query_point == pytest.approx([float(place[0]), float(place[1])], abs=1e-6)


def test_map_over_two_collections_merges_each_modes_hits(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"], mode="lexical")
    assert m.modes == MODES and m.mode == "lexical"
    hits = m.query("space question", k=12)  # "space": 10 records of docs; "question": faq
    assert [h["collection"] for h in hits] == ["docs"] * 10 + ["faq"] * 2
    assert all(h["text"].startswith("space note") for h in hits[:10])
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_map_refuses_an_unknown_mode(docs: InteractiveShell) -> None:
    m = Map("docs", mode="dense")
    m.query("food note number 4", k=3)
    highlighted = m.highlighted
    reply = invoke(m, "query", {"text": "x", "k": 3, "mode": "semantic"})
    assert reply == {"ok": False, "error": "unknown search mode 'semantic': use one of dense, "
                                           "lexical, hybrid"}  # fmt: skip
    assert m.highlighted == highlighted and m.mode == "dense"


def test_rag_panel_retrieves_in_the_mode_given(docs: InteractiveShell) -> None:
    from embmagic.widgets import RagPanel

    panel = RagPanel("docs", question="music note 7", mode="lexical", k=3)
    expected = magics_of(docs).session.ask("music note 7", collection="docs", k=3, mode="lexical")
    assert [s["id"] for s in panel.sources] == [h.id for h in expected.sources]
    with pytest.raises(ValueError, match="--rerank-depth N goes with --rerank MODEL"):
        RagPanel("docs", rerank_depth=10)
    with pytest.raises(ValueError, match="unknown search mode 'fuzzy'"):
        RagPanel("docs", mode="fuzzy")
