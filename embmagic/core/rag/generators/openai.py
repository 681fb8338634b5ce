"""`openai`: any OpenAI-compatible chat-completions endpoint, through the official `openai` client.

The client does HTTP, SSE streaming and timeouts; this module maps its errors to one-line
`GenerationError`s that say what to do. It never follows a redirect: the key and the prompt go
to the configured endpoint or nowhere. The key is scrubbed from every text it hands back (error
details before they are shortened, the answer, the prompt shown). `openai` is imported on the
first answer, never by `%load_ext` (`pip install "embmagic[openai]"`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from embmagic.core.rag.config import DEFAULT_CONTEXT_TOKENS, OpenAIConfig, shown_url
from embmagic.core.rag.generators.base import estimate_tokens, render_messages
from embmagic.core.rag.generators.registry import register_generator
from embmagic.core.rag.generators.settings import GeneratorSettings
from embmagic.core.rag.types import ChatMessage
from embmagic.errors import GenerationError
from embmagic.types import Encoder

if TYPE_CHECKING:
    import openai

INSTALL_HINT = 'the openai generator needs the openai package: pip install "embmagic[openai]"'
_HINTS = {
    401: "the endpoint refused the API key: set a valid one in OPENAI_API_KEY, a .env file or "
    "%config EmbMagics.openai_api_key",
    403: "the API key may not use this model or endpoint: check the key's permissions",
    404: "no chat-completions endpoint or model there: check EmbMagics.openai_base_url "
    "(usually ending in /v1) and EmbMagics.openai_model",
    429: "rate limited or out of quota: wait a moment and retry, or check the account's quota",
}
_TRANSPORTS = ("httpx", "httpx2", "httpcore", "httpcore2")
_NO_KEY = "no-key"  # the client insists on a key; its Authorization header is then left out


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
        problem = config.problem()
        if problem is not None:
            raise GenerationError(problem)
        self.config = config
        self.model = config.model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.context_tokens = context_tokens

    def __repr__(self) -> str:
        url = shown_url(self.config.base_url)
        return f"OpenAIGenerator(base_url={url!r}, model={self.model!r})"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        """A flat prompt, sent as one user message."""
        return self.generate_chat([{"role": "user", "content": prompt}], stream=stream)

    def generate_chat(self, messages: Sequence[ChatMessage], *, stream: bool) -> Iterator[str]:
        """The answer, scrubbed of the key: one chunk, or the deltas as they arrive."""
        chunks = self._chat(messages, stream)
        key = self.config.api_key
        return key.scrub_stream(chunks) if key else chunks

    def render(self, messages: Sequence[ChatMessage]) -> str:
        """The messages as sent (the endpoint applies its own chat template), key scrubbed."""
        return self._scrub(render_messages(messages))

    def count_tokens(self, text: str) -> int:
        """A 4-characters-per-token estimate: the endpoint's tokenizer is not at hand."""
        return estimate_tokens(text)

    def _chat(self, messages: Sequence[ChatMessage], stream: bool) -> Iterator[str]:
        api = _import_openai()
        request = self._request(messages, api)
        try:
            with self._connect(api) as client:
                if not stream:
                    yield _message_content(client.chat.completions.create(**request))
                    return
                with client.chat.completions.create(**request, stream=True) as events:
                    for event in events:
                        yield from _delta_texts(event)
        except GenerationError:
            raise
        except Exception as exc:
            error = self._translate(exc, api, stream)
            if error is None:
                raise
            raise error from None

    def _translate(self, exc: Exception, api: Any, stream: bool) -> GenerationError | None:
        """The one-line error for what the client raised (None: not the endpoint's doing)."""
        if isinstance(exc, api.APIStatusError):
            return self._status_error(exc)
        if isinstance(exc, api.APITimeoutError) or _is_transport(exc, "Timeout"):
            return self._error(
                f"no answer from {self._url} within {self.config.timeout:g} s: check the "
                "server, or raise EmbMagics.openai_timeout"
            )
        if isinstance(exc, api.APIConnectionError) or _is_transport(exc):
            reason = _one_line(self._scrub(_reason(exc)))
            return self._error(
                f"cannot reach the OpenAI-compatible endpoint {self._url} ({reason}): "
                "check EmbMagics.openai_base_url / OPENAI_BASE_URL and that the server runs"
            )
        if isinstance(exc, api.APIError):  # an `error` event in the stream
            detail = _one_line(self._scrub(_detail(exc.body) or exc.message))
            return self._error(f"the endpoint failed: {detail}")
        if isinstance(exc, ValueError | _Malformed):  # not JSON, or JSON but not a chunk
            what = "event stream" if stream else "answer"
            return self._error(f"{self._url} sent a malformed {what}: is it OpenAI-compatible?")
        return None

    def _request(self, messages: Sequence[ChatMessage], api: Any) -> dict[str, Any]:
        """The arguments of `create`. Only the key embmagic resolved is sent: no Authorization
        header without one, and none of the client's OPENAI_ORG_ID/OPENAI_PROJECT_ID headers."""
        omitted = ["OpenAI-Organization", "OpenAI-Project"]
        if not self.config.api_key:
            omitted.append("Authorization")
        request: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "extra_headers": {name: api.Omit() for name in omitted},
        }
        if self.seed is not None:
            request["seed"] = self.seed
        return request

    def _connect(self, api: Any) -> openai.OpenAI:
        """A client for one answer (closed after it): no redirect followed, no retry."""
        key = self.config.api_key.reveal() if self.config.api_key else ""
        client: openai.OpenAI = api.OpenAI(
            base_url=self.config.base_url,
            api_key=key or _NO_KEY,
            timeout=self.config.timeout,
            max_retries=0,
            http_client=api.DefaultHttpxClient(follow_redirects=False),
        )
        return client

    @property
    def _url(self) -> str:
        return shown_url(f"{self.config.base_url}/chat/completions")

    def _status_error(self, exc: openai.APIStatusError) -> GenerationError:
        status = exc.status_code
        if 300 <= status < 400:
            target = _one_line(self._scrub(exc.response.headers.get("location", "elsewhere")))
            msg = (
                f"HTTP {status} from {self._url}: the endpoint redirects to {target}, and "
                "redirects are not followed (the key and prompt stay with the configured "
                "endpoint): set EmbMagics.openai_base_url to the URL it should use"
            )
            return self._error(msg)
        hint = _HINTS.get(status)
        if hint is None:
            hint = (
                "the server failed: retry later, or check its logs"
                if status >= 500
                else "the endpoint rejected the request"
            )
        detail = _one_line(self._scrub(_detail(exc.body)))
        said = f" (server says: {detail})" if detail else ""
        return self._error(f"HTTP {status} from {self._url}: {hint}{said}")

    def _error(self, message: str) -> GenerationError:
        return GenerationError(self._scrub(message))

    def _scrub(self, text: str) -> str:
        key = self.config.api_key
        return key.scrub(text) if key is not None else text


class _Malformed(Exception):
    """An answer or stream chunk that is not shaped like a chat completion."""


def _import_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise GenerationError(INSTALL_HINT) from None
    return openai


def _message_content(completion: Any) -> str:
    """`choices[0].message.content` of a non-streamed completion."""
    try:
        content = completion.choices[0].message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        msg = "the endpoint's answer has no choices[0].message.content: is it OpenAI-compatible?"
        raise GenerationError(msg) from None
    if content is not None and not isinstance(content, str):
        raise _Malformed(content)
    return content or ""


def _delta_texts(event: Any) -> Iterator[str]:
    """The `choices[].delta.content` pieces of one streamed chunk."""
    choices = getattr(event, "choices", None)
    if not isinstance(choices, list):
        raise _Malformed(event)
    for choice in choices:
        content = getattr(getattr(choice, "delta", None), "content", None)
        if content is not None and not isinstance(content, str):
            raise _Malformed(content)
        if content:
            yield content


def _is_transport(exc: Exception, kind: str = "") -> bool:
    """An httpx/httpcore error: older clients let them out of a stream unwrapped."""
    module = type(exc).__module__.partition(".")[0]
    return module in _TRANSPORTS and kind in type(exc).__name__


def _detail(body: object) -> str:
    """The server's own error message from an error body ("" when it sent none)."""
    if isinstance(body, dict):
        body = body.get("error", body)
    if isinstance(body, dict):
        body = body.get("message", body)
    return "" if body is None else str(body)


def _reason(exc: BaseException) -> str:
    """What the transport said, e.g. "ConnectError: [Errno 111] Connection refused"."""
    cause = exc.__cause__ or exc
    text = str(cause)
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _one_line(value: object, limit: int = 160) -> str:
    """Shortened to one line: give it scrubbed text (a cut key would escape the scrub)."""
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
