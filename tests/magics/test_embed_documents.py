"""`%embed --files` over a folder of mixed documents, and `%rag` citing their pages and headings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.conftest import magics_of
from tests.core.docfiles import HTML, MARKDOWN, PAGES, pdf_bytes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "report.pdf").write_bytes(pdf_bytes(PAGES))
    (tmp_path / "page.html").write_text(HTML)
    (tmp_path / "guide.md").write_text(MARKDOWN)
    cells = [{"cell_type": "markdown", "source": "Repotting happens in spring."},
             {"cell_type": "code", "source": "pots = 3", "execution_count": 1}]  # fmt: skip
    (tmp_path / "n.ipynb").write_text(json.dumps({"cells": cells}))
    (tmp_path / "broken.pdf").write_bytes(pdf_bytes(PAGES)[:300])
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "empty.md").write_text("")
    return tmp_path


def records(ip: InteractiveShell, name: str) -> list[Any]:
    return list(magics_of(ip).session.collections[name].records())


def test_mixed_folder_gives_pages_sections_cells_and_main_text(ip: InteractiveShell,
                                                               folder: Path) -> None:
    result = ip.run_line_magic("embed", f"docs --files {folder}/*")
    got = records(ip, "docs")
    by_file: dict[str, list[Any]] = {}
    for r in got:
        by_file.setdefault(Path(r.metadata["path"]).name, []).append(r)
    assert set(by_file) == {"report.pdf", "page.html", "guide.md", "n.ipynb"}
    assert [(r.text, r.metadata["page"]) for r in by_file["report.pdf"]] == [
        (PAGES[0], 1), (PAGES[1], 2)
    ]
    assert [r.metadata.get("heading") for r in by_file["guide.md"]] == [
        None, "Guide > Watering", "Guide > Watering > In winter", "Guide > Light"
    ]
    assert [(r.metadata["cell"], r.metadata["kind"]) for r in by_file["n.ipynb"]] == [
        (0, "markdown"), (1, "code")
    ]
    (html,) = by_file["page.html"]
    assert "Ferns like their soil moist" in html.text and "SCRIPTSECRET" not in html.text
    assert not any("%PDF" in r.text for r in got)
    lines = result._repr_mimebundle_()["text/plain"].splitlines()
    assert lines[1:] == [
        "skipped 3 file(s):",
        f"  {folder / 'broken.pdf'}: " + next(s.reason for s in result.skipped
                                              if s.path.endswith("broken.pdf")),
        f"  {folder / 'empty.md'}: empty file",
        f"  {folder / 'latin.txt'}: not UTF-8 text",
    ]  # fmt: skip
    assert len(result.added) == len(got) == 9  # 2 pages, 1 page, 4 sections, 2 cells


def test_rag_cites_the_page_and_the_heading(ip: InteractiveShell, folder: Path) -> None:
    ip.run_line_magic("embed", f"docs --files {folder}/*")
    pdf = ip.run_line_magic("rag", "Do cacti need little water in winter? -c docs -k 2")
    assert pdf.origins[0] == f"{folder / 'report.pdf'} p. 2"
    assert "report.pdf p. 2" in pdf._repr_mimebundle_()["text/plain"]
    md = ip.run_line_magic("rag", "Water ferns weekly -c docs -k 1 --show-prompt")
    assert md.origins == [f"{folder / 'guide.md'} > Guide > Watering"]
    assert f'origin="{folder / "guide.md"} > Guide > Watering"' in (md.prompt or "")


def test_split_none_longer_than_the_window_warns_in_one_line(ip: InteractiveShell) -> None:
    body = " ".join(f"w{i}" for i in range(400))
    result = ip.run_cell_magic("embed", "long --split none", body)
    plain = result._repr_mimebundle_()["text/plain"]
    assert [ln for ln in plain.splitlines() if "window" in ln] == [
        "Warning: 1 record(s) longer than fake-64's 256-token window: it reads only their "
        "first 256 tokens (--split sentence, or --files with --chunk, keeps every word)"
    ]
