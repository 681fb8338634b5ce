"""Where an OpenAI-compatible endpoint's URL, model and key come from, and a key that never shows.

Precedence: explicit values (`%config EmbMagics.openai_*`) > environment variables
(`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `EMBMAGIC_OPENAI_MODEL`) > a `.env` file in the working
directory (simple `KEY=VALUE` lines; python-dotenv is not needed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_API_KEY = "OPENAI_API_KEY"
ENV_MODEL = "EMBMAGIC_OPENAI_MODEL"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_CONTEXT_TOKENS = 8192
"""The context assumed for an endpoint, which does not report one (`GeneratorSettings` sets it)."""


class Secret:
    """A string that is never shown: `repr`/`str` mask it; `reveal()` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear value, for the one place that needs it (an HTTP header)."""
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with every occurrence of the secret masked (for server messages we echo)."""
        return text.replace(self._value, "****") if self._value else text

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


def read_dotenv(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines of a `.env` file (`export`, quotes and `#` comments allowed)."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


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
        base_url=pick(base_url, ENV_BASE_URL).rstrip("/"),
        model=pick(model, ENV_MODEL) or DEFAULT_OPENAI_MODEL,
        api_key=Secret(key) if key else None,
        timeout=timeout,
    )
