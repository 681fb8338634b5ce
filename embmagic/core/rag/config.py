"""Where an OpenAI-compatible endpoint's URL, model and key come from, and a key that never shows.

Precedence: explicit values (`%config EmbMagics.openai_*`) > environment variables
(`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `EMBMAGIC_OPENAI_MODEL`) > a `.env` file in the working
directory, read by python-dotenv. A `.env` that cannot be read is ignored with a warning, so it
never stops `%rag` (extractive included); a bad URL or timeout is refused by the generator.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_API_KEY = "OPENAI_API_KEY"
ENV_MODEL = "EMBMAGIC_OPENAI_MODEL"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_CONTEXT_TOKENS = 8192
"""The context assumed for an endpoint, which does not report one (`GeneratorSettings` sets it)."""
MASK = "****"
MIN_PARTIAL = 8
"""A run of this many characters of a key is masked too (a server may echo part of it)."""


class Secret:
    """A string that is never shown: `repr`/`str` mask it; `reveal()` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear value, for the one place that needs it (the HTTP client)."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with the secret, and any run of `MIN_PARTIAL`+ of its characters, masked.

        Scrub before shortening a text: a cut key is a partial key."""
        parts, done = [], 0
        for start, end in self._spans(text):
            parts += [text[done:start], MASK]
            done = end
        return "".join([*parts, text[done:]]) if parts else text

    def scrub_stream(self, chunks: Iterable[str]) -> Iterator[str]:
        """Scrub streamed text as `scrub` would the whole: a key split across chunks is masked
        too. The end that could still grow into a key is held back until the next chunk."""
        held = ""
        for chunk in chunks:
            text = held + chunk
            cut = self._settled(text)
            held = text[cut:]
            if cut:
                yield self.scrub(text[:cut])
        if held:
            yield self.scrub(held)

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where `text` shows the key or a run of `MIN_PARTIAL`+ of its characters."""
        key = self._value
        if not key or len(text) < min(len(key), MIN_PARTIAL):
            return []
        if len(key) < MIN_PARTIAL:
            return [(m.start(), m.end()) for m in re.finditer(re.escape(key), text)]
        grams = {key[i : i + MIN_PARTIAL] for i in range(len(key) - MIN_PARTIAL + 1)}
        spans: list[tuple[int, int]] = []
        for start in range(len(text) - MIN_PARTIAL + 1):
            if text[start : start + MIN_PARTIAL] not in grams:
                continue
            end = start + MIN_PARTIAL
            while end < len(text) and text[start : end + 1] in key:
                end += 1
            if spans and start < spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        return spans

    def _settled(self, text: str) -> int:
        """How much of `text` later text cannot change: up to its longest end that is part of
        the key, or up to a masked run that reaches into that end."""
        key = self._value
        tail = next(
            (i for i in range(max(0, len(text) - len(key) + 1), len(text)) if text[i:] in key),
            len(text),
        )
        return next((start for start, end in self._spans(text) if start < tail < end), tail)

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:  # pickling would write the key to disk
        msg = "a Secret cannot be pickled"
        raise TypeError(msg)


@dataclass(frozen=True)
class OpenAIConfig:
    """Endpoint settings. `configured` is true once a base URL is known from any source."""

    base_url: str = ""
    model: str = DEFAULT_OPENAI_MODEL
    api_key: Secret | None = None
    timeout: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def problem(self) -> str | None:
        """Why these settings cannot work (one line), or None."""
        url = base_url_problem(self.base_url)
        if url is not None:
            return (
                f"the endpoint URL {url}; set it in EmbMagics.openai_base_url, OPENAI_BASE_URL "
                "or .env"
            )
        timeout = timeout_problem(self.timeout)
        return None if timeout is None else f"openai_timeout {timeout}"


def base_url_problem(url: str) -> str | None:
    """Why `url` is not an http(s) URL with a host, as "'URL' is not usable (...): give ...",
    or None."""
    why = ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as exc:
        why = str(exc)
    else:
        if parts.scheme not in ("http", "https"):
            why = "it must start with http:// or https://"
        elif not parts.hostname or any(c.isspace() for c in parts.netloc):
            why = "it has no valid host"
    if not why:
        return None
    return (
        f"{shown_url(url)!r} is not usable ({why}): give http(s)://HOST[:PORT]/PATH, "
        "e.g. http://localhost:11434/v1"
    )


def timeout_problem(timeout: float) -> str | None:
    """Why `timeout` is not a usable number of seconds ("must be ..."), or None."""
    if isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0:
        return None
    return f"must be a number of seconds above 0, got {timeout!r}"


def shown_url(url: str) -> str:
    """`url` for messages: a password in it is masked."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    netloc = parts.netloc.replace(f":{password}@", f":{MASK}@", 1)
    return parts._replace(netloc=netloc).geturl()


def read_dotenv(path: Path) -> dict[str, str]:
    """The values of a `.env` file (python-dotenv's syntax); {} when there is none, and a
    one-line warning when it cannot be read (not UTF-8, no permission)."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # paid by the first %rag, not by %load_ext

    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is not UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        warnings.warn(f"{path} ignored: {reason}", RuntimeWarning, stacklevel=3)
        return {}
    return {key: value or "" for key, value in values.items()}


def resolve_openai_config(
    base_url: str = "",
    model: str = "",
    api_key: Secret | str | None = None,
    *,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
) -> OpenAIConfig:
    """Merge explicit values, the environment and `.env` (in that order of precedence)."""
    environ = os.environ if env is None else env
    file_values = read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")

    def pick(explicit: str, name: str) -> str:
        return explicit or environ.get(name, "") or file_values.get(name, "")

    key = api_key.reveal() if isinstance(api_key, Secret) else (api_key or "")
    key = pick(key, ENV_API_KEY)
    return OpenAIConfig(
        base_url=pick(base_url, ENV_BASE_URL).strip().rstrip("/"),
        model=pick(model, ENV_MODEL) or DEFAULT_OPENAI_MODEL,
        api_key=Secret(key) if key else None,
        timeout=timeout,
    )
