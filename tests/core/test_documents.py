"""read_documents: text files, notebooks, skipped files, globs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embmagic.core.documents import read_documents
from embmagic.errors import InvalidArgumentError


def _notebook(path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": ["# Title\n", "Intro text"], "metadata": {}},
        {"cell_type": "code", "source": "", "metadata": {}, "execution_count": None},
        {"cell_type": "code", "source": "x = 1", "metadata": {}, "execution_count": 7,
         "outputs": []},
    ]
    path.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}))


def test_reads_text_files_and_notebook_cells(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha text")
    (tmp_path / "b.md").write_text("# beta")
    (tmp_path / "c.py").write_text("print('gamma')\n")
    _notebook(tmp_path / "d.ipynb")
    docs, skipped = read_documents(str(tmp_path / "*"))
    assert skipped == []
    assert [d.text for d in docs] == [
        "alpha text", "# beta", "print('gamma')\n", "# Title\nIntro text", "x = 1"
    ]
    assert docs[0].metadata == {"path": str(tmp_path / "a.txt")}
    assert docs[3].metadata["cell"] == 0 and docs[4].metadata["cell"] == 2
    assert docs[4].metadata["execution_count"] == 7
    assert docs[4].metadata["kind"] == "code" and docs[3].metadata["kind"] == "markdown"


def test_binary_and_undecodable_files_are_skipped_with_reason(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "latin.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "bad.ipynb").write_text("{not json")
    docs, skipped = read_documents(tmp_path)
    assert [d.text for d in docs] == ["fine"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {
        "img.png": "binary file",
        "latin.txt": "not UTF-8 text",
        "bad.ipynb": "not a valid notebook (JSON with a 'cells' list)",
    }


def test_recursive_glob_and_list_of_specs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.md").write_text("deep")
    (tmp_path / "top.md").write_text("top")
    docs, _ = read_documents(str(tmp_path / "**" / "*.md"))
    assert sorted(d.text for d in docs) == ["deep", "top"]
    docs, _ = read_documents([tmp_path / "top.md", str(tmp_path / "top.md")])
    assert [d.text for d in docs] == ["top"]  # duplicates read once


def test_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"no files match .*\*\.nothing"):
        read_documents(str(tmp_path / "*.nothing"))
