"""File loaders with real files made here: PDF (written by pypdf), HTML with boilerplate, nested
Markdown, a notebook, and malformed ones (truncated PDF, invalid UTF-8, empty, binary)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from embmagic.core.documents import read_documents
from embmagic.core.loaders import Document, load_file, loader_for, register_loader
from embmagic.core.loaders import registry as loader_registry
from embmagic.errors import InvalidArgumentError
from tests.core.docfiles import HTML, MARKDOWN, PAGES, ascii_pdf_bytes, pdf_bytes


def test_pdf_gives_one_document_per_page_with_page_and_title(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(pdf_bytes(PAGES))
    docs = load_file(tmp_path / "report.pdf")
    assert [d.text for d in docs] == PAGES
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert docs[0].metadata == {"path": str(tmp_path / "report.pdf"), "page": 1,
                                "title": "Plant report"}  # fmt: skip


@pytest.mark.parametrize("name", ["report.txt", "report", "report.md"])
def test_ascii_pdf_is_read_as_pdf_whatever_its_name(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(ascii_pdf_bytes(PAGES))
    docs, skipped = read_documents(tmp_path / name)
    assert skipped == []
    assert [d.text for d in docs] == PAGES
    assert not any("%PDF" in d.text or "obj" in d.text for d in docs)


def test_pdf_after_leading_junk_is_still_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "mail.txt").write_bytes(b"X-Mailer: junk\r\n" + ascii_pdf_bytes(PAGES))
    assert [d.text for d in load_file(tmp_path / "mail.txt")] == PAGES


def test_text_that_mentions_the_pdf_header_is_text(tmp_path: Path) -> None:
    code = '"""Recognised by its `%PDF-1.4` header."""\nHEADER = b"%PDF-"\n'
    (tmp_path / "sniff.py").write_text(code)
    assert [d.text for d in load_file(tmp_path / "sniff.py")] == [code]


def test_pdf_blank_pages_are_left_out_and_a_textless_pdf_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "gaps.pdf").write_bytes(pdf_bytes(["first", " ", "third"]))
    assert [d.metadata["page"] for d in load_file(tmp_path / "gaps.pdf")] == [1, 3]
    (tmp_path / "scan.pdf").write_bytes(pdf_bytes([" "]))
    _, skipped = read_documents(tmp_path / "scan.pdf")
    assert [s.reason for s in skipped] == ["PDF has no text layer (1 page(s); scanned images?)"]


def test_pdf_with_an_owner_password_is_read_and_one_needing_a_password_is_skipped(
    tmp_path: Path,
) -> None:
    from pypdf import PdfWriter

    for user in ("", "secret"):
        writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(PAGES)))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
        writer.write(tmp_path / f"locked_{user or 'open'}.pdf")
    docs, skipped = read_documents(tmp_path)
    assert [d.text for d in docs] == PAGES
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("locked_secret.pdf", "encrypted PDF (it needs a password)")
    ]


def test_html_keeps_the_main_text_and_drops_boilerplate(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(HTML)
    (doc,) = load_file(tmp_path / "page.html")
    assert "Ferns like their soil moist" in doc.text
    assert "In winter, water less often" in doc.text
    for noise in ("SCRIPTSECRET", "color: red", "NAVSHOP", "FOOTERTEXT", "<p>", "</"):
        assert noise not in doc.text
    assert doc.metadata["path"] == str(tmp_path / "page.html")
    assert doc.metadata["title"] in {"Watering ferns", "Plant care"}


def test_html_is_recognised_without_a_suffix(tmp_path: Path) -> None:
    (tmp_path / "saved_page").write_text(HTML)
    assert loader_for(tmp_path / "saved_page", HTML.encode()).name == "html"
    (doc,) = load_file(tmp_path / "saved_page")
    assert "SCRIPTSECRET" not in doc.text and "Ferns like" in doc.text


def test_markdown_splits_at_headings_with_heading_paths(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(MARKDOWN)
    docs = load_file(tmp_path / "guide.md")
    assert [d.metadata.get("heading") for d in docs] == [
        None, "Guide > Watering", "Guide > Watering > In winter", "Guide > Light"
    ]
    assert docs[0].text == "Intro before any heading."
    assert docs[1].text.startswith("## Watering\n") and "# not a heading" in docs[1].text
    assert docs[2].text == "### In *winter*\n\nLess water."
    assert all(d.metadata["path"] == str(tmp_path / "guide.md") for d in docs)
    # every line of the file is in exactly one record, except the body-less "# Guide"
    joined = "\n".join(d.text for d in docs)
    assert [ln for ln in MARKDOWN.splitlines() if ln.strip() and ln != "# Guide"] == [
        ln for ln in joined.splitlines() if ln.strip()
    ]


def test_markdown_of_headings_only_and_setext_headings(tmp_path: Path) -> None:
    (tmp_path / "h.md").write_text("# beta")
    assert [(d.text, d.metadata.get("heading")) for d in load_file(tmp_path / "h.md")] == [
        ("# beta", "beta")
    ]
    (tmp_path / "s.md").write_text("Title\n=====\n\nbody\n\nSub\n---\nmore\n")
    docs = load_file(tmp_path / "s.md")
    assert [d.metadata["heading"] for d in docs] == ["Title", "Title > Sub"]


def test_markdown_line_ends_and_odd_separators_keep_sections_aligned(tmp_path: Path) -> None:
    text = "# A\r\nform\x0cfeed and\u2028line sep\r\n\r\n## B\rbody b\n"
    (tmp_path / "odd.md").write_bytes(text.encode())
    docs = load_file(tmp_path / "odd.md")
    assert [(d.metadata["heading"], d.text) for d in docs] == [
        ("A", "# A\nform\x0cfeed and\u2028line sep"), ("A > B", "## B\nbody b")
    ]


def test_notebook_cells_with_kind_and_cell(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": ["# Title\n", "Intro"], "metadata": {}},
        {"cell_type": "code", "source": "", "metadata": {}, "execution_count": None},
        {"cell_type": "code", "source": ["x = 1\n", "print(x)"], "execution_count": 4,
         "metadata": {}, "outputs": [{"output_type": "stream", "text": "OUTPUT"}]},
    ]  # fmt: skip
    (tmp_path / "n.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    docs = load_file(tmp_path / "n.ipynb")
    assert [(d.text, d.metadata["cell"], d.metadata["kind"]) for d in docs] == [
        ("# Title\nIntro", 0, "markdown"), ("x = 1\nprint(x)", 2, "code")
    ]
    assert docs[1].metadata["execution_count"] == 4 and "execution_count" not in docs[0].metadata


def test_malformed_files_are_skipped_with_one_reason_each_and_nothing_else_lost(
    tmp_path: Path,
) -> None:
    good = pdf_bytes(PAGES)
    (tmp_path / "a_good.pdf").write_bytes(good)
    (tmp_path / "b_truncated.pdf").write_bytes(good[: len(good) // 2])
    (tmp_path / "c_latin1.txt").write_bytes("café au lait".encode("latin-1"))
    (tmp_path / "d_empty.md").write_text("")
    (tmp_path / "e_blank.txt").write_text("  \n\n ")
    (tmp_path / "f_image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "g_notes.md").write_text("# Notes\n\nkept")
    (tmp_path / "h_bad.ipynb").write_text("{not json")
    docs, skipped = read_documents(tmp_path)
    assert [d.text for d in docs] == [*PAGES, "# Notes\n\nkept"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"b_truncated.pdf", "c_latin1.txt", "d_empty.md", "e_blank.txt",
                            "f_image.png", "h_bad.ipynb"}  # fmt: skip
    assert reasons["b_truncated.pdf"].startswith("unreadable PDF (")
    assert reasons["c_latin1.txt"] == "not UTF-8 text"
    assert reasons["d_empty.md"] == reasons["e_blank.txt"] == "empty file"
    assert reasons["f_image.png"] == "binary file"
    assert all("\n" not in r for r in reasons.values())


class _CsvRows:
    """A loader added from outside: one document per line of a `.rows` file."""

    name = "rows"
    suffixes = (".rows",)

    def sniff(self, head: bytes) -> bool:
        return False

    def load(self, path: Path, raw: bytes) -> list[Document]:
        lines = raw.decode().splitlines()
        return [Document(str(path), ln, {"path": str(path), "row": i}) for i, ln in
                enumerate(lines)]  # fmt: skip


def test_a_new_file_type_is_one_registration(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader_registry, "_loaders", dict(loader_registry._loaders))
    (tmp_path / "t.rows").write_text("one\ntwo")
    assert [d.text for d in load_file(tmp_path / "t.rows")] == ["one\ntwo"]  # text fallback
    register_loader(_CsvRows())
    assert [(d.text, d.metadata["row"]) for d in load_file(tmp_path / "t.rows")] == [
        ("one", 0), ("two", 1)
    ]
    with pytest.raises(InvalidArgumentError, match="already registered"):
        register_loader(_CsvRows())
