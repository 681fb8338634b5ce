"""The Python API and the widgets work with no IPython shell (a script, marimo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from embmagic.app import Workspace, default_workspace, use_workspace
from embmagic.errors import CollectionNotFoundError, InvalidArgumentError

SCRIPT = Path(__file__).with_name("plain_python.py")


def test_widgets_open_on_a_collection_in_a_process_without_ipython() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          env=env, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ipython_shell"] is False
    assert out["map_hits"][0] == "food note number 4" and len(out["map_hits"]) == 3
    assert out["select_reply"] == {"ok": True, "count": 2}
    assert out["selected"] == out["selected_ids"]  # the lasso's rows came back as record ids
    assert out["explorer"][0] == "music note number 7" and len(out["explorer"]) == 2
    assert out["explorer_status"] == "2 neighbours of 'music note number 7' in 'notes'"
    assert "space note number 5 [1]" in out["answer"] and out["cited"][0] == 1
    assert out["ws_hits"] == out["map_hits"]  # the workspace ranks as the map's query box


def test_every_magic_is_one_workspace_call(ws: Workspace, tmp_path: Path) -> None:
    first = ws.embed_text("notes", "The cat sleeps.\nThe dog barks.\nFish swim.")
    assert (len(first.added), first.total) == (3, 3)
    again = ws.embed("notes", ["The cat sleeps.", "Birds sing."], meta={"lang": "en"})
    assert (len(again.added), len(again.existing), again.encoded) == (1, 1, 1)
    hits = ws.neighbors("cat sleeps", collection="notes", k=2)
    assert hits[0].text == "The cat sleeps." and len(hits) == 2
    assert ws.neighbors(id=hits[0].id, collection="notes", k=1)[0].id != hits[0].id
    answer = ws.ask("What does the dog do?", collection="notes", k=2)
    assert "The dog barks." in answer.answer and answer.cited
    (tmp_path / "a.md").write_text("Guides explain watering.\n\nPlants need light.")
    files = ws.embed_files("guide", str(tmp_path / "*.md"))
    assert files.total == 1 and ws.collection("guide").records()[0].metadata["path"]
    saved = tmp_path / "notes.emb"
    ws.save("notes", str(saved))
    ws.load(str(saved), as_name="copy")
    assert len(ws.collection("copy")) == 4
    assert "copy" in ws.list_collections().plain()
    assert ws.index("copy", "hnsw", M=8).data["kind"].startswith("hnsw")
    assert ws.drop("copy").name == "copy" and "copy" not in ws.collections


def test_bad_calls_are_typed_errors_that_change_nothing(ws: Workspace) -> None:
    ws.embed("notes", ["one", "two"])
    before = [(r.id, r.text) for r in ws.collection("notes").records()]
    with pytest.raises(InvalidArgumentError, match="empty query"):
        ws.neighbors("   ", collection="notes")
    with pytest.raises(CollectionNotFoundError, match="collections: notes"):
        ws.ask("why?", collection="nope")
    with pytest.raises(InvalidArgumentError, match="no non-empty text"):
        ws.embed("notes", ["", "  "])
    with pytest.raises(InvalidArgumentError, match="on='gpu'"):
        ws.embed("notes", ["three"], on="gpu")
    assert [(r.id, r.text) for r in ws.collection("notes").records()] == before


def test_options_are_validated_where_they_are_declared(ws: Workspace) -> None:
    from traitlets import TraitError

    with pytest.raises(TraitError, match="k must be at least 1"):
        ws.options.k = 0
    ws.options.k = 3
    ws.embed("notes", [f"note {i}" for i in range(10)])
    assert len(ws.neighbors("note 1", collection="notes")) == 3


def test_the_default_workspace_resolves_names_and_engines() -> None:
    mine = Workspace()
    use_workspace(mine)
    try:
        assert default_workspace() is mine
        mine.options.model = "fake-32"
        mine.embed("words", ["alpha", "beta"])
        from embmagic.widgets import Explorer

        ex = Explorer("words", query="alpha", k=1)
        assert ex.results[0]["text"] == "alpha"
        assert ("fake-32", "auto") in mine.engines  # the engine came from the collection's model
    finally:
        use_workspace(Workspace())
