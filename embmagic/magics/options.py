"""A snapshot of the `%config EmbMagics` options, passed to the code behind each magic."""

from __future__ import annotations

from dataclasses import dataclass

from embmagic.core.llm_config import Secret


@dataclass(frozen=True)
class Options:
    """The configurable defaults one magic call runs with (see `EmbMagics` for their help)."""

    model: str = "minilm"
    collection: str = "default"
    k: int = 5
    device: str = "auto"
    batch_size: int = 32
    display_limit: int = 20
    text_width: int = 80
    generator: str = "extractive"
    show_progress: bool | None = None
    analogy_space: str = "glove-50"
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: Secret | None = None
    openai_timeout: float = 60.0
    max_answer_tokens: int = 128
