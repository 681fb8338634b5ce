"""The RAG panel: the same answer as %rag, streamed into the answer trait, sources numbered."""

from __future__ import annotations

from collections.abc import Iterator

from IPython.core.interactiveshell import InteractiveShell

from embmagic.widgets import RagPanel
from tests.conftest import snapshot
from tests.widgets.conftest import invoke


def test_panel_answer_equals_the_magic(docs: InteractiveShell) -> None:
    panel = docs.run_line_magic("rag", "what is food note number 7? -c docs --widget")
    assert isinstance(panel, RagPanel) and panel.result is not None
    magic = docs.run_line_magic("rag", "what is food note number 7? -c docs")
    assert panel.answer == magic.answer and panel.cited == magic.cited
    assert [s["id"] for s in panel.sources] == [h.id for h in magic.sources]
    assert [s["n"] for s in panel.sources] == [1, 2, 3, 4]
    assert panel.generator.startswith("extractive") and not panel.busy


class Chunky:
    """A streaming generator: the answer arrives in three chunks, citing source 2."""

    name, model = "chunky", "test"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        assert stream
        yield from ["The answer ", "is here ", "[2]."]


def test_streamed_chunks_grow_the_answer_trait(docs: InteractiveShell) -> None:
    panel = RagPanel("docs", generator=Chunky())
    seen: list[str] = []
    panel.observe(lambda change: seen.append(change["new"]), names="answer")
    reply = invoke(panel, "ask", {"question": "which note?"})
    assert reply["ok"] and reply["answer"] == "The answer is here [2]."
    assert seen[:4] == ["The answer ", "The answer is here ", "The answer is here [2].",
                        "The answer is here [2]."][: len(seen[:4])]  # fmt: skip
    assert "The answer is here " in seen  # an intermediate state reached the front end
    assert panel.cited == [2] and reply["cited"] == [2]
    assert panel.result is not None and panel.result.cited == [2]


def test_errors_reach_the_front_end_and_change_nothing(docs: InteractiveShell) -> None:
    panel = RagPanel("docs")
    before = snapshot(docs)
    reply = invoke(panel, "ask", {"question": "  "})
    assert reply == {"ok": False, "error": "empty question: type what you want to know"}
    assert panel.error == reply["error"] and not panel.busy and snapshot(docs) == before


class Broken:
    name, model = "broken", "test"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        yield "partial "
        raise ConnectionError("server went away")


def test_a_failing_generator_is_reported_not_swallowed(docs: InteractiveShell) -> None:
    panel = RagPanel("docs", generator=Broken())
    reply = invoke(panel, "ask", {"question": "anything?"})
    assert reply == {"ok": False, "error": "server went away"}
    assert panel.error == "server went away" and not panel.busy


def test_an_extractive_answer_shows_no_warning(docs: InteractiveShell) -> None:
    """Sources retrieved but not cited are normal (the extractive answer cites the best ones):
    the panel lists every source and raises no warning line for them."""
    panel = RagPanel("docs", question="space note number 4", k=4)
    assert panel.cited and len(panel.sources) == 4 and len(panel.cited) < 4
    assert panel.warnings == []
