"""%rag / %%rag with the extractive generator, and the result objects' rendering."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from embmagic.app.results import NeighborsResult
from embmagic.types import Hit

FACTS = (
    "The Eiffel Tower is 330 metres tall.\n\n"
    "Bananas are rich in potassium.\n\n"
    "The Eiffel Tower stands in Paris.\n"
)


@pytest.fixture
def facts(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic("embed", "facts", FACTS)
    return ip


def test_rag_line_answers_with_numbered_cited_sources(facts: InteractiveShell) -> None:
    result = facts.run_line_magic("rag", "How tall is the Eiffel Tower? -c facts -k 2")
    assert result.question == "How tall is the Eiffel Tower?"
    assert result.generator.startswith("extractive")
    assert "330 metres" in result.answer
    assert result.cited and all(1 <= n <= 2 for n in result.cited)
    plain = result._repr_mimebundle_()["text/plain"]
    assert "Answer · extractive" in plain and "[1]" in plain
    assert list(result.to_pandas()["source"]) == [1, 2]


def test_rag_cell_takes_the_question_from_the_body_and_captures(facts: InteractiveShell) -> None:
    with capture_output():
        facts.run_cell_magic("rag", "ans << -c facts --show-prompt", "How tall is the tower?")
    result = facts.user_ns["ans"]
    assert result.question == "How tall is the tower?"
    assert result.prompt is not None and "How tall is the tower?" in result.prompt
    assert "Prompt:" in result._repr_mimebundle_()["text/plain"]


def test_apostrophes_in_free_text_do_not_swallow_options(facts: InteractiveShell) -> None:
    result = facts.run_line_magic("rag", "What's the tower's height? -c facts")
    assert result.question == "What's the tower's height?"


def hits_with(text: str) -> NeighborsResult:
    hit = Hit(id=7, score=0.123456, text=text, metadata={"b": 2, "a": "<x>"})
    return NeighborsResult("q", "c", [hit])


def test_html_escapes_document_text() -> None:
    html = hits_with("<script>alert('x')</script> & co")._repr_mimebundle_()["text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;x&gt;" in html


def test_plain_text_is_deterministic_rounded_and_sorted() -> None:
    plain = hits_with("some text")._repr_mimebundle_()["text/plain"]
    assert plain == hits_with("some text")._repr_mimebundle_()["text/plain"]
    assert plain.splitlines() == [
        "1 neighbour of 'q' in 'c'",
        "rank  score   text       id  metadata",
        "----  ------  ---------  --  ----------",
        "1     0.1235  some text  7   a=<x>, b=2",
    ]


def test_long_text_is_shortened_in_plain_and_limit_applies() -> None:
    hits = [Hit(i, 1.0 - i / 10, "word " * 40) for i in range(5)]
    result = NeighborsResult("q", "c", hits, limit=2, width=20)
    lines = result._repr_mimebundle_()["text/plain"].splitlines()
    assert len(lines) == 1 + 2 + 2 + 1
    assert "…" in lines[3]
    assert lines[-1] == "… 3 more rows (see .to_pandas())"
    assert len(result.to_pandas()) == 5


def test_every_retrieved_source_is_shown_and_the_cited_ones_marked(
    facts: InteractiveShell,
) -> None:
    result = facts.run_line_magic("rag", "How tall is the Eiffel Tower? -c facts -k 3")
    plain = result.plain()
    assert plain.splitlines()[0] == "Answer · extractive · fake-64"
    assert "Retrieved but not cited" not in plain and result.notes() == []
    assert f"Sources (3 retrieved, {len(result.cited)} cited):" in plain
    rows = result.source_table().rows
    assert [r[0] for r in rows] == ["[1]", "[2]", "[3]"]
    assert [r[1] == "cited" for r in rows] == [n in result.cited for n in (1, 2, 3)]
    html_table = result._repr_mimebundle_()["text/html"]
    assert html_table.count("<tr>") == 4  # the header and every source


def test_document_text_cannot_escape_the_markdown(ip: InteractiveShell) -> None:
    hostile = [
        "The fence ends here\n```\n<img src=x onerror=alert(1)> and ![x](http://example.com/x.png)",
        "A [link](javascript:alert(2)) and **bold** <script>alert(3)</script>",
    ]
    ip.user_ns["hostile"] = hostile
    ip.run_line_magic("embed", "h --from hostile")
    for flags in ("", "--show-prompt", "--no-generate"):
        md = ip.run_line_magic("rag", f"fence image link -c h -k 2 {flags}").markdown()
        assert "```" not in md and "<img" not in md and "<script" not in md, flags
        assert "![" not in md and "](" not in md and "**bold**" not in md, flags
