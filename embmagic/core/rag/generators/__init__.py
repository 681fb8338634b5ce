"""RAG generators: one module per backend, each registered by name with `register_generator`.

Importing this package registers the built-ins (`extractive`, `local`, `openai`); nothing heavy
is loaded: the local model loads on its first answer. Other packages add generators through the
`embmagic.generators` entry-point group (see `registry`).
"""

from __future__ import annotations

from embmagic.core.rag.generators import extractive, local, openai  # noqa: F401  (register)
from embmagic.core.rag.generators.base import (
    CallableGenerator,
    delta_texts,
    estimate_tokens,
    render_messages,
    streams,
)
from embmagic.core.rag.generators.extractive import EXTRACTIVE_PREFIX, ExtractiveGenerator
from embmagic.core.rag.generators.registry import (
    ENTRY_POINT_GROUP,
    Factory,
    generator_descriptions,
    generator_names,
    load_generator,
    register_generator,
    unregister_generator,
)
from embmagic.core.rag.generators.settings import GeneratorSettings

__all__ = [
    "ENTRY_POINT_GROUP",
    "EXTRACTIVE_PREFIX",
    "CallableGenerator",
    "ExtractiveGenerator",
    "Factory",
    "GeneratorSettings",
    "delta_texts",
    "estimate_tokens",
    "generator_descriptions",
    "generator_names",
    "load_generator",
    "register_generator",
    "render_messages",
    "streams",
    "unregister_generator",
]
