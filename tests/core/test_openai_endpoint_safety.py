"""`openai` against scripted servers on 127.0.0.1: redirects, a key echoed back, malformed
streams, bad settings and `.env` files. Every failure must be one line without the key."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from embmagic.core.rag import OpenAIConfig, Secret, resolve_openai_config
from embmagic.core.rag.generators.openai import OpenAIGenerator
from embmagic.errors import GenerationError
from tests.core.test_generators_servers import (
    FAKE_KEY,
    Received,
    Reply,
    completion,
    delta,
    echo_key,
    event_stream,
    key_fragments,
    scripted_server,
)

MESSAGES = [{"role": "user", "content": "How tall is the tower?"}]


def generator(url: str, key: str | None = FAKE_KEY, timeout: float = 10) -> OpenAIGenerator:
    config = OpenAIConfig(url, "m", Secret(key) if key else None, timeout)
    return OpenAIGenerator(config, max_tokens=16)


def assert_no_key(text: str) -> None:
    for fragment in key_fragments():
        assert fragment not in text, f"{fragment!r} shows in {text!r}"


def fails(url: str, stream: bool, key: str | None = FAKE_KEY) -> str:
    """The one-line message of the GenerationError that asking `url` raises."""
    with pytest.raises(GenerationError) as info:
        list(generator(url, key).generate_chat(MESSAGES, stream=stream))
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert_no_key(message)
    return message


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("stream", [False, True])
def test_a_redirect_to_another_origin_is_refused_and_gets_nothing(
    status: int, stream: bool
) -> None:
    with scripted_server(lambda got: completion("elsewhere")) as other:

        def redirect(got: Received) -> Reply:
            return status, {"Location": f"{other.url}/v1/chat/completions"}, b""

        with scripted_server(redirect) as endpoint:
            message = fails(f"{endpoint.url}/v1", stream)
        assert endpoint.received[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert other.received == []  # neither the key nor the prompt went there
    assert f"HTTP {status}" in message and f"redirects to {other.url}" in message
    assert "EmbMagics.openai_base_url" in message


@pytest.mark.parametrize("stream", [False, True])
def test_a_key_echoed_at_the_end_of_a_long_error_body_is_masked(stream: bool) -> None:
    """The old client cut such a body to 160 characters, then scrubbed: a cut key escaped."""
    with scripted_server(echo_key) as server:
        message = fails(f"{server.url}/v1", stream)
    assert "HTTP 401" in message and "invalid: Bearer ****" in message


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_echoing_the_key_is_scrubbed_even_split_across_chunks(stream: bool) -> None:
    with scripted_server(echo_key) as server:
        gen = generator(f"{server.url}/ok/v1")
        chunks = list(gen.generate_chat(MESSAGES, stream=stream))
    answer = "".join(chunks)
    assert answer == "The tower is 330 metres tall [1]. You sent Bearer ****."
    assert len(chunks) > (5 if stream else 0) and all(chunks)  # still streamed, in pieces
    assert gen.render([{"role": "user", "content": f"my key is {FAKE_KEY}"}]).count("****") == 1
    assert_no_key(repr(gen))


def test_secret_masks_the_key_and_its_pieces_in_whole_and_streamed_text() -> None:
    key = Secret(FAKE_KEY)
    text = f"a {FAKE_KEY} b {FAKE_KEY[:9]} c {FAKE_KEY[5:12]} d {FAKE_KEY}{FAKE_KEY}!"
    assert key.scrub(text) == f"a **** b **** c {FAKE_KEY[5:12]} d ********!"
    rng = random.Random(0)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, 12)))
        chunks = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        streamed = list(key.scrub_stream(chunks))
        assert "".join(streamed) == key.scrub(text) and all(streamed)
    assert Secret("abc").scrub("abcd abc") == "****d ****"  # short keys: whole matches only


def test_no_key_sends_no_authorization_header() -> None:
    with scripted_server(lambda got: completion("fine")) as server:
        assert list(generator(f"{server.url}/v1", key=None).generate_chat(MESSAGES, stream=False))
    headers = server.received[0].headers
    assert "authorization" not in headers and "openai-organization" not in headers


def test_the_request_is_deterministic_and_within_the_timeout() -> None:
    with scripted_server(lambda got: completion("fine")) as server:
        list(generator(f"{server.url}/v1").generate_chat(MESSAGES, stream=False))
    body = server.received[0].body
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0.0, 0, 16)
    assert body["messages"] == MESSAGES and server.received[0].path == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["[1, 2]"], "malformed event stream"),
        (["{oops"], "malformed event stream"),
        (['{"choices": [{"delta": {"content": 5}}]}'], "malformed event stream"),
        ([json.dumps({"error": {"message": f"boom for {FAKE_KEY}"}})], "failed: boom for ****"),
        ([delta("Half an answer "), "[1]"], "malformed event stream"),
    ],
)
def test_a_malformed_stream_is_one_line(events: list[str], expected: str) -> None:
    with scripted_server(lambda got: event_stream(*events)) as server:
        assert expected in fails(f"{server.url}/v1", stream=True)


@pytest.mark.parametrize(
    "reply",
    [
        (200, {"Content-Type": "text/html"}, b"<html>not an API</html>"),
        (200, {"Content-Type": "application/json"}, b'{"choices": []}'),
        (200, {"Content-Type": "application/json"}, b"[1, 2]"),
    ],
)
def test_an_answer_without_content_is_one_line(reply: Reply) -> None:
    with scripted_server(lambda got: reply) as server:
        assert "choices[0].message.content" in fails(f"{server.url}/v1", stream=False)


@pytest.mark.parametrize(
    ("url", "timeout", "expected"),
    [
        ("not a url", 60, "must start with http"),
        ("http://[::1/v1", 60, "Invalid IPv6 URL"),
        ("http://host:port/v1", 60, "Port could not be cast"),
        ("http://not a host/v1", 60, "no valid host"),
        ("http://127.0.0.1:9/v1", float("nan"), "openai_timeout must be a number of seconds"),
        ("http://127.0.0.1:9/v1", float("inf"), "got inf"),
        ("http://127.0.0.1:9/v1", 0, "got 0"),
    ],
)
def test_unusable_settings_are_refused_in_one_line(url: str, timeout: float, expected: str) -> None:
    with pytest.raises(GenerationError, match=expected) as info:
        generator(url, timeout=timeout)
    assert "\n" not in str(info.value)


def test_a_password_in_the_url_is_not_shown() -> None:
    gen = generator("http://user:hunter22@127.0.0.1:9/v1")
    assert "hunter22" not in repr(gen) and "user:****@" in repr(gen)


def test_a_dotenv_that_is_not_utf8_is_ignored_with_a_warning(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"OPENAI_BASE_URL=http://file/v1\nOPENAI_API_KEY=caf\xe9\n")
    with pytest.warns(RuntimeWarning, match=r"\.env ignored: it is not UTF-8") as record:
        config = resolve_openai_config(env={"OPENAI_BASE_URL": "http://env/v1"}, dotenv=dotenv)
    assert config.base_url == "http://env/v1" and config.api_key is None
    assert len(record) == 1 and "\n" not in str(record[0].message)


def test_an_unreadable_dotenv_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dotenv

    def refuse(path: Path, **kwargs: object) -> dict[str, str]:
        raise PermissionError(13, "Permission denied", str(path))  # as chmod 0 (tests run as root)

    (tmp_path / ".env").write_text("OPENAI_BASE_URL=http://file/v1\n")
    monkeypatch.setattr(dotenv, "dotenv_values", refuse)
    with pytest.warns(RuntimeWarning, match=r"\.env ignored: Permission denied$"):
        assert resolve_openai_config(env={}, dotenv=tmp_path / ".env").configured is False


def test_dotenv_syntax_comes_from_python_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        'OPENAI_BASE_URL="http://file/v1"\nEMBMAGIC_OPENAI_MODEL\nOPENAI_API_KEY=${NOT_SET_X}\n'
        "EXTRA='multi\nline'\n"
    )
    config = resolve_openai_config(env={}, dotenv=dotenv)
    assert (config.base_url, config.model, config.api_key) == (
        "http://file/v1",
        "gpt-4o-mini",
        None,
    )


def test_a_missing_openai_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now fails
    with pytest.raises(GenerationError, match=r'pip install "embmagic\[openai\]"'):
        list(generator("http://127.0.0.1:9/v1").generate_chat(MESSAGES, stream=False))


def test_loading_the_extension_imports_neither_openai_nor_dotenv() -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'embmagic')\n"
        "import embmagic.core.rag\n"
        "loaded = [m for m in ('openai', 'httpx', 'httpx2', 'dotenv') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120,
        env={**os.environ, "PYTHONPATH": root},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
