"""A snapshot of the `%config EmbMagics` options, passed to the code behind each magic."""

from __future__ import annotations

from dataclasses import dataclass


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
