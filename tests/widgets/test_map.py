"""The Map widget's Python half: projection state, binary traits, commands, selection, magics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from ipywidgets.widgets.widget import _remove_buffers

from embmagic.widgets import Map
from embmagic.widgets.buffers import from_wire
from tests.conftest import magics_of, snapshot
from tests.widgets.conftest import TOPICS, invoke, refused_in_one_line


def collection(ip: InteractiveShell, name: str) -> Any:
    return magics_of(ip).session.collections[name]


def test_points_and_categories_travel_as_binary_buffers(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"])
    coords, category = m.coords, from_wire(m.category)
    assert coords.shape == (40, 2) and coords.dtype == np.float32
    assert float(np.abs(coords).max()) == pytest.approx(1.0, abs=1e-6)
    assert [e["label"] for e in m.legend] == ["docs", "faq"]
    assert category.tolist() == [0] * 30 + [1] * 10
    assert m.status == "40 points · PCA · docs, faq · colour: collection"
    state, _, buffers = _remove_buffers(m.get_state())
    raw = coords.nbytes + category.nbytes
    assert sum(len(b) for b in buffers) == raw  # every array byte travels once, in binary
    assert "view" not in str(state["points"])  # the JSON part carries no numbers


def test_colour_by_metadata_with_a_legend_in_frequency_order(docs: InteractiveShell) -> None:
    m = Map("docs", color_by="topic")
    assert m.color_by == "topic" and sorted(e["label"] for e in m.legend) == sorted(TOPICS)
    coll = collection(docs, "docs")
    labels = [m.legend[c]["label"] for c in from_wire(m.category)]
    ids = sorted(r.id for r in coll.records())
    assert labels == [coll.get(i).metadata["topic"] for i in ids]
    assert len({e["color"] for e in m.legend}) == 3


def test_same_collection_same_picture(docs: InteractiveShell) -> None:
    assert np.array_equal(Map("docs").coords, Map("docs").coords)


def test_hover_returns_the_record_text(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"])
    reply = invoke(m, "hover", {"row": 35})
    assert reply["ok"] and reply["collection"] == "faq"
    assert reply["text"] == collection(docs, "faq").get(reply["id"]).text
    bad = invoke(m, "hover", {"row": 40})
    assert bad == {"ok": False, "error": "row 40 is not on this map (0..39)"}


def test_query_highlights_the_true_high_dimensional_neighbours(docs: InteractiveShell) -> None:
    m = Map("docs")
    reply = invoke(m, "query", {"text": "food note number 4", "k": 5})
    expected = docs.run_line_magic("neighbors", "food note number 4 -c docs -k 5")
    assert reply["ok"] and [h["id"] for h in reply["hits"]] == [h.id for h in expected.hits]
    rows = [m.data.row_of("docs", h.id) for h in expected.hits]
    assert m.highlighted == rows == reply["rows"]
    engine = magics_of(docs).session.engine("fake-64")
    place = m.data.projection.transform(engine.embed(["food note number 4"]))[0]
    assert np.allclose(m.query_point, place, atol=1e-6) and m.query_label == "food note number 4"
    # the query text is a stored record: its marker lands exactly on that record's point
    assert np.allclose(m.query_point, m.coords[rows[0]], atol=1e-5)


def test_query_errors_come_back_as_one_line_and_change_nothing(docs: InteractiveShell) -> None:
    m = Map("docs")
    before = snapshot(docs)
    for msg, error in [
        ({"text": "   ", "k": 5}, "empty query: type the text to look for"),
        ({"text": "x", "k": 0}, "k must be between 1 and 100, got 0"),
        ({"k": 3}, "missing field 'text'"),
        ("not a dict", "a command message must be a JSON object, not str"),
    ]:
        reply = invoke(m, "query", msg)
        assert reply == {"ok": False, "error": error}
    assert m.error == "k must be between 1 and 100, got 0" or m.error  # shown in the widget
    assert m.highlighted == [] and snapshot(docs) == before


def test_selection_comes_back_as_record_ids(docs: InteractiveShell) -> None:
    m = Map("docs")
    rows = np.array([2, 0, 7], dtype="<u4")
    assert invoke(m, "select", {"count": 3}, [rows.tobytes()]) == {"ok": True, "count": 3}
    coll = collection(docs, "docs")
    ids = sorted(r.id for r in coll.records())
    assert m.selected == [ids[2], ids[0], ids[7]]
    frame = m.selection_frame()
    assert list(frame.columns) == ["collection", "id", "text", "row", "source", "topic"]
    assert frame["text"].tolist() == [coll.get(i).text for i in m.selected]
    assert invoke(m, "select", {"count": 0}) == {"ok": True, "count": 0} and m.selected == []


def test_selection_over_several_collections_names_them(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"])
    invoke(m, "select", {"count": 2}, [np.array([0, 39], "<u4").tobytes()])
    assert [c for c, _ in m.selected] == ["docs", "faq"]


def test_a_bad_selection_is_refused_and_keeps_the_old_one(docs: InteractiveShell) -> None:
    m = Map("docs")
    invoke(m, "select", {"count": 1}, [np.array([3], "<u4").tobytes()])
    kept = list(m.selected)
    bad = invoke(m, "select", {"count": 2}, [np.array([3], "<u4").tobytes()])
    assert bad == {"ok": False, "error": "selection says 2 rows but carries 1"}
    out = invoke(m, "select", {"count": 1}, [np.array([30], "<u4").tobytes()])
    assert out == {"ok": False, "error": "selected row 30 is not on this map"}
    assert m.selected == kept


def test_first_paint_is_measured_from_creation(docs: InteractiveShell) -> None:
    m = Map("docs")
    reply = invoke(m, "painted", {"at": m.created_at + 250.0})
    assert reply == {"ok": True, "first_paint_ms": 250.0} and m.first_paint_ms == 250.0


def test_emb_map_magic_and_show_results_on_it(docs: InteractiveShell) -> None:
    m = docs.run_line_magic("emb", "map docs faq --color-by topic")
    assert isinstance(m, Map) and [e["label"] for e in m.legend][-1] == "(none)"
    docs.user_ns["m"] = m
    hits = docs.run_line_magic("neighbors", "space note number 3 -c docs -k 3 --show m")
    assert m.highlighted == [m.data.row_of("docs", h.id) for h in hits.hits]
    assert m.query_label == "space note number 3" and m.query_point == []


def test_analogy_answers_are_shown_by_their_text(docs: InteractiveShell) -> None:
    docs.run_cell_magic("embed", "words", "king\nqueen\nman\nwoman\nprince\napple")
    m = Map("words")
    docs.user_ns["wm"] = m
    result = docs.run_line_magic("analogy", "king - man + woman --space words -k 2 --show wm")
    texts = [m.data.record(r)[1].text for r in m.highlighted]
    assert texts == [w for w, _ in result.answers]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("emb map", "usage: %emb map COLL ..."),
        ("emb map nope", "no collection named 'nope'"),
        ("emb map docs docs", "a collection is named twice"),
        ("emb map docs --color-by colour", "no record has metadata 'colour' (keys: row, source"),
        ("emb map docs --method umap", "needs umap-learn"),
        ("emb list --color-by topic", "--method and --clusters work only with %emb map"),
        ("neighbors x -c docs --show nomap", "--show nomap: no variable 'nomap'"),
        ("neighbors x -c docs --show number", "'number' is a int, not a map"),
        ("neighbors x -c docs --widget --show m", "use --widget or --show MAP, not both"),
        ("analogy a - b + c --eval x --show m", "--show does not combine with --eval"),
    ],
)
def test_map_magic_errors_are_one_line_and_change_nothing(
    docs: InteractiveShell, line: str, message: str
) -> None:
    import importlib.util

    if "umap" in line and importlib.util.find_spec("umap") is not None:
        return  # umap-learn installed: that line works
    docs.user_ns["number"] = 3
    refused_in_one_line(docs, line, message)


def test_collections_of_different_models_cannot_share_a_map(docs: InteractiveShell) -> None:
    docs.run_cell_magic("embed", "other --model fake-32", "alpha\nbeta")
    with pytest.raises(UsageError, match="hold different embeddings"):
        docs.run_line_magic("emb", "map docs other")


def test_without_load_ext_names_come_from_the_default_workspace() -> None:
    """No `%load_ext` (a script, marimo): a name is looked up in the default workspace and a
    missing one is the usual one-line error (this used to demand `%load_ext embmagic`)."""
    from IPython.core.interactiveshell import InteractiveShell as Shell

    from embmagic.app import Workspace, default_workspace, use_workspace
    from embmagic.errors import CollectionNotFoundError

    Shell.clear_instance()
    use_workspace(Workspace())
    with pytest.raises(CollectionNotFoundError, match="no collection named 'docs'"):
        Map("docs")
    default_workspace().options.model = "fake-64"
    default_workspace().embed("docs", ["one note", "another note"])
    assert Map("docs").status == "2 points · PCA · docs"
