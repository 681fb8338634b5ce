"""%%embed and %embed: records, metadata, dedup, summaries, sources."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

ANIMALS = "the small cat sleeps\nthe big dog barks\na tiny kitten plays\n"


def collection(ip: InteractiveShell, name: str = "default") -> Any:
    return ip.magics_manager.registry["EmbMagics"].session.collections[name]


def collection_engines(ip: InteractiveShell) -> list[Any]:
    return list(ip.magics_manager.registry["EmbMagics"].session.engines.values())


def test_cell_embed_adds_one_record_per_line(ip: InteractiveShell) -> None:
    result = ip.run_cell_magic("embed", "animals", ANIMALS)
    coll = collection(ip, "animals")
    assert [r.text for r in coll.records()] == [
        "the small cat sleeps",
        "the big dog barks",
        "a tiny kitten plays",
    ]
    assert len(result.added) == 3
    assert result.existing == []
    assert coll.model_id == "fake-64"


def test_summary_line_states_counts_model_device_time(ip: InteractiveShell) -> None:
    result = ip.run_cell_magic("embed", "animals", ANIMALS)
    plain = result._repr_mimebundle_()["text/plain"]
    assert plain.startswith("animals: 3 added, 0 already present (3 records)")
    assert "model fake-64" in plain
    assert "device cpu" in plain
    assert plain.rstrip().endswith(" s")
    assert "\n" not in plain


def test_rerunning_an_unchanged_cell_adds_and_encodes_nothing(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "animals", ANIMALS)
    engine = next(iter(collection_engines(ip)))
    encoded = engine.encoded_count
    again = ip.run_cell_magic("embed", "animals", ANIMALS)
    assert again.added == []
    assert len(again.existing) == 3
    assert again.encoded == 0
    assert engine.encoded_count == encoded
    assert len(collection(ip, "animals")) == 3


def test_metadata_has_cell_execution_count_and_meta(ip: InteractiveShell) -> None:
    ip.run_cell("%%embed notes --meta lang=en --meta topic=pets\none\ntwo\n", store_history=True)
    records = collection(ip, "notes").records()
    assert [r.metadata for r in records] == [
        {"cell": 1, "lang": "en", "topic": "pets"},
        {"cell": 1, "lang": "en", "topic": "pets"},
    ]


def test_default_collection_and_paragraph_split(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "", "first para\nstill first\n\nsecond para\n")
    assert [r.text for r in collection(ip).records()] == ["first para\nstill first", "second para"]


def test_split_none_and_sentence(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "whole --split none", "One. Two.\nThree.")
    ip.run_cell_magic("embed", "sent --split sentence", "One cat. Two dogs.")
    assert [r.text for r in collection(ip, "whole").records()] == ["One. Two.\nThree."]
    assert [r.text for r in collection(ip, "sent").records()] == ["One cat.", "Two dogs."]


def test_brace_expansion_in_body_and_literal_braces(ip: InteractiveShell) -> None:
    ip.user_ns["animal"] = "cat"
    ip.run_cell_magic("embed", "x", "a {animal} sleeps\nliteral {{animal}}\ncode {'a': 1}")
    assert [r.text for r in collection(ip, "x").records()] == [
        "a cat sleeps",
        "literal {animal}",
        "code {'a': 1}",
    ]


def test_capture_binds_result_and_still_shows_summary(ip: InteractiveShell) -> None:
    with capture_output() as captured:
        returned = ip.run_cell_magic("embed", "res << animals --split line", ANIMALS)
    assert returned is None
    result = ip.user_ns["res"]
    assert len(result.added) == 3
    shown = captured.stdout + "".join(o.data["text/plain"] for o in captured.outputs)
    assert "animals: 3 added" in shown


def test_from_list_series_and_dataframe_column(ip: InteractiveShell) -> None:
    ip.user_ns["docs"] = ["alpha text", "beta text", ""]
    ip.user_ns["series"] = pd.Series(["gamma", "delta"])
    ip.user_ns["frame"] = pd.DataFrame({"body": ["eps", "zeta"], "n": [1, 2]})
    first = ip.run_line_magic("embed", "c --from docs")
    ip.run_line_magic("embed", "c --from series")
    ip.run_line_magic("embed", "c --from frame --column body")
    assert len(first.added) == 2  # the empty string is not a record
    texts = [r.text for r in collection(ip, "c").records()]
    assert texts == ["alpha text", "beta text", "gamma", "delta", "eps", "zeta"]
    assert collection(ip, "c").records()[0].metadata == {"source": "docs", "row": 0}


def test_files_with_chunks_and_skipped_binary(ip: InteractiveShell, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one two three four five six seven eight nine ten")
    (tmp_path / "b.md").write_text("# Title\n\nSome markdown text")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01\x02binary")
    # the fake model's tokens are words: chunks of at most 4 words sharing 1
    result = ip.run_line_magic("embed", f"files --files {tmp_path}/* --chunk 4 --overlap 1")
    records = collection(ip, "files").records()
    assert {r.metadata["path"] for r in records} == {
        str(tmp_path / "a.txt"),
        str(tmp_path / "b.md"),
    }
    chunks = [r for r in records if r.metadata["path"].endswith("a.txt")]
    assert len(chunks) > 1
    assert [r.metadata["chunk"] for r in chunks] == list(range(len(chunks)))
    assert [r.text for r in chunks] == ["one two three four", "four five six seven",
                                        "seven eight nine ten"]  # fmt: skip
    assert [s.path for s in result.skipped] == [str(tmp_path / "c.bin")]
    assert "c.bin: binary file" in result._repr_mimebundle_()["text/plain"]


def test_files_notebook_cells(ip: InteractiveShell, tmp_path: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Hi\n", "there"]},
            {"cell_type": "code", "source": "x = 1", "execution_count": 3},
        ]
    }
    (tmp_path / "n.ipynb").write_text(json.dumps(nb))
    ip.run_line_magic("embed", f"nb --files {tmp_path}/n.ipynb")
    assert [r.text for r in collection(ip, "nb").records()] == ["# Hi\nthere", "x = 1"]


def test_cells_embeds_cells_run_so_far(ip: InteractiveShell) -> None:
    ip.run_cell("x = 'first cell'", store_history=True)
    ip.run_cell("y = 'second cell'", store_history=True)
    result = ip.run_cell("%embed nb --cells", store_history=True)
    result.raise_error()
    records = collection(ip, "nb").records()
    assert [r.text for r in records] == ["x = 'first cell'", "y = 'second cell'"]
    assert [r.metadata["cell"] for r in records] == [1, 2]


def test_explicit_model_option(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "small --model fake-16", "hello world")
    assert collection(ip, "small").dim == 16


@pytest.mark.model
def test_real_minilm_embed_and_search(shell_with: Callable[..., InteractiveShell]) -> None:
    shell = shell_with(model="minilm")
    shell.run_cell_magic(
        "embed", "facts", "Paris is the capital of France\nBananas are yellow fruit\n"
    )
    hits = shell.run_line_magic("neighbors", "French capital city -c facts -k 1")
    assert hits[0].text == "Paris is the capital of France"
    assert collection(shell, "facts").dim == 384
