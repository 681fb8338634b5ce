"""split_text, split_sentences, chunk_text and expand_braces."""

from __future__ import annotations

import pytest

from embmagic.core.text import chunk_text, expand_braces, split_sentences, split_text
from embmagic.errors import InvalidArgumentError


def test_auto_splits_paragraphs_when_there_are_blank_lines() -> None:
    body = "first para\nstill first\n\n  second para  \n \n\nthird\n"
    assert split_text(body, "auto") == ["first para\nstill first", "second para", "third"]


def test_auto_splits_lines_without_blank_lines() -> None:
    assert split_text("  cat  \ndog\n\tbird\n", "auto") == ["cat", "dog", "bird"]


def test_line_mode_drops_empty_lines() -> None:
    assert split_text("a\n\n  \nb", "line") == ["a", "b"]


def test_none_mode_keeps_body_whole_but_stripped() -> None:
    assert split_text("\n a\n\nb \n", "none") == ["a\n\nb"]
    assert split_text("   \n", "none") == []


def test_sentence_mode_splits_each_paragraph() -> None:
    body = "One. Two!\n\nThree? Four."
    assert split_text(body, "sentence") == ["One.", "Two!", "Three?", "Four."]


def test_unknown_mode_lists_valid_ones() -> None:
    with pytest.raises(InvalidArgumentError, match="auto, line, paragraph, sentence, none"):
        split_text("x", "words")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith arrived. He sat.", ["Dr. Smith arrived.", "He sat."]),
        ("Use tools e.g. Hammers and nails. Then stop.", ["Use tools e.g. Hammers and nails.",
                                                          "Then stop."]),
        ("Pi is 3.14 roughly. It is irrational.", ["Pi is 3.14 roughly.", "It is irrational."]),
        ('He said "Stop." Then left.', ['He said "Stop."', "Then left."]),
        ("J. R. Tolkien wrote it. Yes!", ["J. R. Tolkien wrote it.", "Yes!"]),
        ("Costs rose i.e. sharply. Fine", ["Costs rose i.e. sharply.", "Fine"]),
        ("Wait... what? No.", ["Wait... what?", "No."]),
        ("no end punctuation", ["no end punctuation"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_chunks_respect_size_overlap_and_offsets() -> None:
    text = "The quick brown fox jumps over the lazy dog and runs away quickly."
    pieces = chunk_text(text, 20, 8)
    assert [p for _, p in pieces] == [
        "The quick brown fox",
        "fox jumps over the",
        "over the lazy dog",
        "lazy dog and runs",
        "and runs away",
        "away quickly.",
    ]
    for offset, piece in pieces:
        assert text[offset : offset + len(piece)] == piece
        assert len(piece) <= 20


def test_chunks_without_overlap_cover_every_word_once() -> None:
    text = " ".join(f"w{i}" for i in range(100))
    pieces = chunk_text(text, 30, 0)
    assert " ".join(p for _, p in pieces).split() == text.split()


def test_long_word_is_cut_and_short_text_is_one_chunk() -> None:
    assert chunk_text("a" * 25 + " bb", 10, 3) == [(0, "a" * 10), (10, "a" * 10), (20, "aaaaa bb")]
    assert chunk_text("  hello world ", 100, 10) == [(2, "hello world")]
    assert chunk_text("   ", 10, 0) == []


@pytest.mark.parametrize(("chunk", "overlap"), [(0, 0), (10, 10), (10, 11), (10, -1)])
def test_chunk_arguments_are_validated(chunk: int, overlap: int) -> None:
    with pytest.raises(InvalidArgumentError):
        chunk_text("some text", chunk, overlap)


class _Obj:
    name = "Ada"


def test_expand_braces_substitutes_names_and_attributes() -> None:
    ns = {"x": 42, "who": _Obj()}
    assert expand_braces("q {x} by {who.name}", ns) == "q 42 by Ada"


def test_double_braces_are_literal() -> None:
    assert expand_braces("{{x}} and {{{x}}}", {"x": 1}) == "{x} and {1}"


@pytest.mark.parametrize(
    "code",
    [
        "int main() { return 0; }",
        'd = {"a": 1}',
        "s = set(); t = {}",
        "x = {y[0]}",
        "f({ x })",
        "unbalanced { brace",
        "closing } only",
    ],
)
def test_other_braces_pass_through(code: str) -> None:
    assert expand_braces(code, {"y": [1], "x": 2}) == code


def test_unknown_name_is_named_in_error() -> None:
    with pytest.raises(InvalidArgumentError, match="'missing'"):
        expand_braces("find {missing}", {})


def test_unknown_attribute_is_named_in_error() -> None:
    with pytest.raises(InvalidArgumentError, match="'nope'"):
        expand_braces("{who.nope}", {"who": _Obj()})


def test_chunk_documents_marks_pieces_with_chunk_and_offset() -> None:
    from embmagic.core.text import Document, chunk_documents

    docs = [Document("a.md", "one two three four", {"path": "a.md"}), Document("b.md", "short")]
    pieces = chunk_documents(docs, 9, 0)
    assert [(d.path, d.text, d.metadata) for d in pieces] == [
        ("a.md", "one two", {"path": "a.md", "chunk": 0, "offset": 0}),
        ("a.md", "three", {"path": "a.md", "chunk": 1, "offset": 8}),
        ("a.md", "four", {"path": "a.md", "chunk": 2, "offset": 14}),
        ("b.md", "short", {}),  # whole: not a piece of anything
    ]
