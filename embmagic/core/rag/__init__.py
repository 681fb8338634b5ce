"""Retrieval-augmented answers: numbered sources, a prompt, a generator by name, checked citations.

Modules, each importing only those above it: `types` (data and generator protocols) <-
`citations` (the `[n]` syntax and the support check) <- `grounding` (numbers and names no
source contains) <- `prompt` <- `pipeline` (retrieve, answer,
ask); `config` (OpenAI endpoint settings) and `generators` (one module per backend and the
name -> factory registry) use `types`/`prompt`/`config`, never `pipeline`.
"""

from __future__ import annotations

from embmagic.core.rag.citations import check_citations, parse_citations, strip_citations
from embmagic.core.rag.config import OpenAIConfig, Secret, resolve_openai_config
from embmagic.core.rag.generators import (
    CallableGenerator,
    ExtractiveGenerator,
    GeneratorSettings,
    generator_names,
    load_generator,
    register_generator,
    streams,
    unregister_generator,
)
from embmagic.core.rag.grounding import check_grounding
from embmagic.core.rag.pipeline import answer, ask, retrieve
from embmagic.core.rag.prompt import build_messages, build_prompt
from embmagic.core.rag.types import (
    ChatGenerator,
    Generator,
    GeneratorInfo,
    Misattribution,
    RagAnswer,
    Source,
    SourceGenerator,
    Unsupported,
    describe_origin,
)

__all__ = [
    "CallableGenerator",
    "ChatGenerator",
    "ExtractiveGenerator",
    "Generator",
    "GeneratorInfo",
    "GeneratorSettings",
    "Misattribution",
    "OpenAIConfig",
    "RagAnswer",
    "Secret",
    "Source",
    "SourceGenerator",
    "Unsupported",
    "answer",
    "ask",
    "build_messages",
    "build_prompt",
    "check_citations",
    "check_grounding",
    "describe_origin",
    "generator_names",
    "load_generator",
    "parse_citations",
    "register_generator",
    "resolve_openai_config",
    "retrieve",
    "streams",
    "strip_citations",
    "unregister_generator",
]
