"""%rag with the generator registry: streaming display, --no-generate, errors, and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from embmagic.magics.rag import StreamDisplay
from tests.core.test_generators_servers import (
    FAKE_KEY,
    closed_port,
    echo_key,
    failing_server,
    key_fragments,
    scripted_server,
)


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
    assert "Sources (" in bundle["text/plain"] and "facts" in bundle["text/plain"]
    assert "**Answer · extractive · fake\\-64**" in bundle["text/markdown"]


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


def test_a_server_echoing_the_key_shows_it_nowhere(facts: InteractiveShell) -> None:
    """A careless endpoint echoes the Authorization header in a 401 and in its answer."""
    texts: list[str] = []
    with capture_output() as out, scripted_server(echo_key) as server:
        facts.run_line_magic("config", f"EmbMagics.openai_api_key = {FAKE_KEY!r}")
        facts.run_line_magic("config", f"EmbMagics.openai_base_url = '{server.url}/v1'")
        with pytest.raises(UsageError) as info:
            facts.run_line_magic("rag", "How tall? -c facts --llm openai")
        texts.append(str(info.value))
        facts.run_line_magic("config", f"EmbMagics.openai_base_url = '{server.url}/ok/v1'")
        result = facts.run_line_magic("rag", "How tall? -c facts --llm openai --show-prompt")
        panel = facts.run_line_magic("rag", "How tall? -c facts --llm openai --widget")
    assert "HTTP 401" in texts[0] and "\n" not in texts[0]
    assert result.answer.endswith("You sent Bearer ****.") and result.cited == [1]
    assert panel.answer == result.answer and len(out.outputs) > 3  # streamed into one display
    texts += [repr(result), str(result.raw), repr(result._repr_mimebundle_()), str(result)]
    texts += [repr(panel.get_state()), repr(panel.result), out.stdout, out.stderr]
    texts += [repr([o.data for o in out.outputs])]
    for text in texts:
        for fragment in key_fragments():
            assert fragment not in text


def test_a_dotenv_that_is_not_utf8_never_breaks_rag(
    facts: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_bytes(b"OPENAI_BASE_URL=http://127.0.0.1:9/v1\nX=\xff\xfe\n")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(RuntimeWarning, match=r"\.env ignored: it is not UTF-8"):
        result = facts.run_line_magic("rag", "How tall is the tower? -c facts --llm extractive")
    assert "330" in result.answer
    with pytest.warns(RuntimeWarning), pytest.raises(UsageError, match="no OpenAI-compatible"):
        facts.run_line_magic("rag", "How tall? -c facts --llm openai")


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("openai_base_url", "'not a url'", "must start with http:// or https://"),
        ("openai_base_url", "'http://[::1/v1'", "Invalid IPv6 URL"),
        ("openai_timeout", "float('nan')", "got nan"),
        ("openai_timeout", "float('inf')", "got inf"),
        ("openai_timeout", "0", "got 0"),
    ],
)
def test_an_unusable_endpoint_option_is_refused_and_rolled_back(
    facts: InteractiveShell,
    caplog: pytest.LogCaptureFixture,
    option: str,
    value: str,
    expected: str,
) -> None:
    magics = facts.magics_manager.registry["EmbMagics"]
    facts.run_line_magic("config", "EmbMagics.openai_base_url = 'http://127.0.0.1:9/v1'")
    facts.run_line_magic("config", f"EmbMagics.{option} = {value}")  # IPython logs one line
    assert f"EmbMagics.{option}" in caplog.text and expected in caplog.text
    assert "Traceback" not in caplog.text
    assert magics.openai_base_url == "http://127.0.0.1:9/v1" and magics.openai_timeout == 60.0


def test_an_unusable_url_from_the_environment_is_one_line(
    facts: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://[::1/v1")
    with pytest.raises(UsageError, match=r"Invalid IPv6 URL.*OPENAI_BASE_URL") as info:
        facts.run_line_magic("rag", "How tall? -c facts --llm auto")
    assert "\n" not in str(info.value)
    assert facts.run_line_magic("rag", "How tall? -c facts --llm extractive").answer
