"""%rag flags numbers and names of a generated answer that no retrieved source contains."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from embmagic.core.rag import CallableGenerator, register_generator, unregister_generator

FACTS = (
    "The Eiffel Tower is 330 metres tall.\n\n"
    "Bananas are rich in potassium.\n\n"
    "The Eiffel Tower stands in Paris.\n"
)
WALL = "The Great Wall of China is 27,231.25 metres tall [3]. O'Brien's Tower is 9 m [1]."


@pytest.fixture
def wall(ip: InteractiveShell) -> Iterator[InteractiveShell]:
    """The facts, and a generator `wall` that answers as SmolLM2 did in the issue."""
    ip.run_cell_magic("embed", "facts", FACTS)
    register_generator("wall", lambda encoder, settings: CallableGenerator(
        lambda prompt: WALL, "wall", "fixed"))  # fmt: skip
    yield ip
    unregister_generator("wall")


def test_unsupported_terms_are_one_warning_line_in_every_rendering(
    wall: InteractiveShell,
) -> None:
    result = wall.run_line_magic("rag", "How tall is the Eiffel Tower? -c facts -k 3 --llm wall")
    assert result.unsupported == ["Great Wall", "China", "27,231.25", "O'Brien's Tower", "9"]
    line = (
        "Warning: not in any source: 'Great Wall', 'China', '27,231.25', \"O'Brien's Tower\", "
        "'9'."
    )
    assert line in result.plain().splitlines()
    bundle = result._repr_mimebundle_()
    escaped = (
        "Warning: not in any source: &#x27;Great Wall&#x27;, &#x27;China&#x27;, "
        "&#x27;27,231.25&#x27;, &quot;O&#x27;Brien&#x27;s Tower&quot;, &#x27;9&#x27;."
    )
    assert f"<p><i>{escaped}</i></p>" in bundle["text/html"]
    assert "not in any source" in bundle["text/markdown"]
    assert result.answer == WALL  # the answer is shown as generated


def test_extractive_answers_carry_no_grounding_warning(wall: InteractiveShell) -> None:
    for question in ("How tall is the Eiffel Tower?", "Where is it?", "What has potassium?"):
        result = wall.run_line_magic("rag", f"{question} -c facts -k 3")
        assert result.generator.startswith("extractive")
        assert result.unsupported == [] and "not in any source" not in result.plain()
