"""`openai`: any OpenAI-compatible chat-completions endpoint over stdlib HTTP, SSE-streamed or not.

Every failure is a one-line `GenerationError` that says what to do; the API key is sent in one
header and scrubbed from anything a server echoes back.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import IO, Any

from embmagic.core.rag.config import DEFAULT_CONTEXT_TOKENS, OpenAIConfig
from embmagic.core.rag.generators.base import delta_texts, estimate_tokens, render_messages
from embmagic.core.rag.generators.registry import register_generator
from embmagic.core.rag.generators.settings import GeneratorSettings
from embmagic.core.rag.types import ChatMessage
from embmagic.errors import GenerationError
from embmagic.types import Encoder

_HINTS = {
    401: "the endpoint refused the API key: set a valid one in OPENAI_API_KEY, a .env file or "
    "%config EmbMagics.openai_api_key",
    403: "the API key may not use this model or endpoint: check the key's permissions",
    404: "no chat-completions endpoint or model there: check EmbMagics.openai_base_url "
    "(usually ending in /v1) and EmbMagics.openai_model",
    429: "rate limited or out of quota: wait a moment and retry, or check the account's quota",
}


class OpenAIGenerator:
    """Chat completions from `config.base_url`; deterministic settings by default."""

    name = "openai"

    def __init__(
        self,
        config: OpenAIConfig,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int | None = 0,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    ) -> None:
        if not config.configured:
            msg = (
                "no OpenAI-compatible endpoint configured: set OPENAI_BASE_URL or "
                "EmbMagics.openai_base_url"
            )
            raise GenerationError(msg)
        self.config = config
        self.model = config.model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.context_tokens = context_tokens

    def __repr__(self) -> str:
        return f"OpenAIGenerator(base_url={self.config.base_url!r}, model={self.model!r})"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        """A flat prompt, sent as one user message."""
        return self.generate_chat([{"role": "user", "content": prompt}], stream=stream)

    def generate_chat(self, messages: Sequence[ChatMessage], *, stream: bool) -> Iterator[str]:
        """POST the messages; yield the answer (one chunk, or SSE deltas as they arrive)."""
        response = self._post(self._body(messages, stream))
        with response:
            if not stream:
                yield _message_content(self._read_json(response))
                return
            yield from self._sse_deltas(response)

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The messages as sent (the endpoint applies its own chat template)."""
        return render_messages(messages)

    def count_tokens(self, text: str) -> int:
        """A 4-characters-per-token estimate: the endpoint's tokenizer is not at hand."""
        return estimate_tokens(text)

    def _body(self, messages: Sequence[ChatMessage], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": stream,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    @property
    def _url(self) -> str:
        return f"{self.config.base_url}/chat/completions"

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key.reveal()}"
        request = urllib.request.Request(
            self._url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            return urllib.request.urlopen(request, timeout=self.config.timeout)
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except TimeoutError:
            raise self._timeout() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise self._timeout() from None
            msg = (
                f"cannot reach the OpenAI-compatible endpoint {self._url} ({exc.reason}): "
                "check EmbMagics.openai_base_url / OPENAI_BASE_URL and that the server runs"
            )
            raise GenerationError(self._scrub(msg)) from None
        except OSError as exc:
            msg = f"cannot reach {self._url} ({exc}): check that the server runs"
            raise GenerationError(self._scrub(msg)) from None

    def _http_error(self, exc: urllib.error.HTTPError) -> GenerationError:
        detail = _error_detail(exc)
        hint = _HINTS.get(exc.code)
        if hint is None:
            hint = (
                "the server failed: retry later, or check its logs"
                if exc.code >= 500
                else "the endpoint rejected the request"
            )
        said = f" (server says: {detail})" if detail else ""
        return GenerationError(self._scrub(f"HTTP {exc.code} from {self._url}: {hint}{said}"))

    def _timeout(self) -> GenerationError:
        msg = (
            f"no answer from {self._url} within {self.config.timeout:g} s: check the server, "
            "or raise EmbMagics.openai_timeout"
        )
        return GenerationError(self._scrub(msg))

    def _read_json(self, response: IO[bytes]) -> Any:
        try:
            return json.loads(response.read())
        except TimeoutError:
            raise self._timeout() from None
        except ValueError:
            msg = f"{self._url} did not answer with JSON: is it an OpenAI-compatible endpoint?"
            raise GenerationError(msg) from None

    def _sse_deltas(self, response: IO[bytes]) -> Iterator[str]:
        """The `delta.content` of each `data:` event until `[DONE]`."""
        try:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                event = json.loads(data)
                if "error" in event:
                    raise GenerationError(
                        self._scrub(f"the endpoint failed: {_one_line(event['error'])}")
                    )
                yield from delta_texts(event)
        except TimeoutError:
            raise self._timeout() from None
        except ValueError:
            msg = f"{self._url} sent a malformed event stream: is it OpenAI-compatible?"
            raise GenerationError(msg) from None

    def _scrub(self, text: str) -> str:
        key = self.config.api_key
        return key.scrub(text) if key is not None else text


def _message_content(payload: Any) -> str:
    """`choices[0].message.content` of a non-streamed completion."""
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        msg = "the endpoint's answer has no choices[0].message.content: is it OpenAI-compatible?"
        raise GenerationError(msg) from None
    return str(content or "")


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's own error message, shortened to one line ("" when it sent none)."""
    try:
        body = exc.read().decode("utf-8", "replace")
    except OSError:
        return ""
    try:
        payload = json.loads(body)
    except ValueError:
        return _one_line(body)
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        error = error.get("message", error)
    return _one_line(error)


def _one_line(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def openai_generator(encoder: Encoder, settings: GeneratorSettings) -> OpenAIGenerator:
    """The factory: refuses at once when no endpoint is configured."""
    return OpenAIGenerator(
        settings.openai,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
        context_tokens=settings.openai_context_tokens,
    )


def is_configured(settings: GeneratorSettings) -> bool:
    """`auto` picks openai once a base URL is known."""
    return settings.openai.configured


register_generator(
    "openai",
    openai_generator,
    description="any OpenAI-compatible /chat/completions endpoint",
    available=is_configured,
)
