"""%rag with the generator registry: streaming display, --no-generate, errors, and the key."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from embmagic.magics.rag import StreamDisplay
from tests.core.test_generators_servers import FAKE_KEY, closed_port, failing_server


@pytest.fixture
def facts(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic(
        "embed", "facts", "The Eiffel Tower is 330 metres tall.\n\nBananas are yellow.\n"
    )
    return ip


def test_extractive_answer_is_shown_once_with_no_live_display(facts: InteractiveShell) -> None:
    with capture_output() as out:
        result = facts.run_line_magic("rag", "How tall is the tower? -c facts --llm extractive")
    assert out.outputs == []  # no empty leftover output in the notebook
    assert result.generator == "extractive (fake-64)" and "330" in result.answer
    bundle = result._repr_mimebundle_()
    assert "Cited sources" in bundle["text/plain"] and "facts" in bundle["text/plain"]
    assert "**Answer (extractive (fake-64)):**" in bundle["text/markdown"]


def test_stream_display_updates_one_output_then_clears_it(ip: InteractiveShell) -> None:
    live = StreamDisplay("local (tiny)")
    with capture_output() as out:
        for chunk in ["The tower ", "is 330 ", "metres [1]."]:
            live(chunk)
        live.close()
    ids = {o.transient["display_id"] for o in out.outputs if o.transient}
    assert len(ids) == 1 and len(out.outputs) == 4  # created once, updated per chunk, emptied
    assert all(o.update for o in out.outputs[1:])
    assert out.outputs[-2].data["text/plain"].endswith("The tower is 330 metres [1].")
    assert out.outputs[-1].data == {"text/plain": ""}


@pytest.mark.model
def test_local_model_streams_into_one_display(facts: InteractiveShell) -> None:
    with capture_output() as out:
        result = facts.run_line_magic("rag", "How tall is the Eiffel Tower? -c facts --llm local")
    ids = {o.transient["display_id"] for o in out.outputs if o.transient}
    assert len(ids) == 1 and len(out.outputs) >= 3
    assert result.generator.startswith("local (") and "330" in result.answer


def test_no_generate_shows_the_prompt_only(facts: InteractiveShell) -> None:
    with capture_output():
        facts.run_cell_magic("rag", "ans << -c facts --no-generate --llm extractive", "How tall?")
    ans = facts.user_ns["ans"]
    assert ans.answer == "" and "Question: How tall?" in ans.prompt
    assert "Prompt:" in ans._repr_mimebundle_()["text/plain"] and ans.sources


def test_empty_collection_and_unknown_generator_are_one_line(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "facts", "x\n")
    ip.run_line_magic("emb", "drop facts")
    with pytest.raises(UsageError):
        ip.run_line_magic("rag", "Why? -c facts --llm extractive")
    ip.run_cell_magic("embed", "facts", "x\n")
    with pytest.raises(UsageError, match="unknown generator 'gpt'"):
        ip.run_line_magic("rag", "Why? -c facts --llm gpt")


def test_the_api_key_appears_in_no_output(facts: InteractiveShell) -> None:
    texts: list[str] = []
    with capture_output() as out:
        facts.run_line_magic("config", f"EmbMagics.openai_api_key = {FAKE_KEY!r}")
        facts.run_line_magic("config", "EmbMagics")
        facts.run_line_magic("config", "EmbMagics.openai_api_key")
        with failing_server() as url:
            for status in (401, 429, 500):
                facts.run_line_magic("config", f"EmbMagics.openai_base_url = '{url}/{status}/v1'")
                with pytest.raises(UsageError) as info:
                    facts.run_line_magic("rag", "How tall? -c facts --llm openai --show-prompt")
                texts.append(str(info.value))
        facts.run_line_magic(
            "config", f"EmbMagics.openai_base_url = 'http://127.0.0.1:{closed_port()}/v1'"
        )
        with pytest.raises(UsageError) as info:
            facts.run_line_magic("rag", "How tall? -c facts --llm auto")
        texts.append(str(info.value))
        result = facts.run_line_magic(
            "rag", "How tall? -c facts --llm openai --no-generate --show-prompt"
        )
        texts += [repr(result), str(result.raw), repr(result._repr_mimebundle_())]
    texts += [out.stdout, out.stderr, repr([o.data for o in out.outputs])]
    magics = facts.magics_manager.registry["EmbMagics"]
    texts += [repr(magics.session.options), repr(facts.config), repr(magics.config)]
    assert "HTTP 401" in texts[0] and "cannot reach" in texts[3]
    assert "Secret('****')" in out.stdout
    for text in texts:
        assert FAKE_KEY not in text
