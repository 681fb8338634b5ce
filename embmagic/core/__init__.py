"""The operations users think in: neighbours, analogies, RAG and text preparation.

Magics and widgets call these; neither re-implements them. core imports engine and store,
never magics or widgets.
"""

from __future__ import annotations

from embmagic.core.analogy import (
    AnalogyEval,
    SectionResult,
    WordSpace,
    analogy,
    evaluate_analogies,
    load_word_space,
    parse_analogy,
)
from embmagic.core.documents import Document, SkippedFile, read_documents
from embmagic.core.neighbors import mmr_select, neighbors
from embmagic.core.rag import (
    CallableGenerator,
    ExtractiveGenerator,
    Generator,
    GeneratorInfo,
    RagAnswer,
    Source,
    SourceGenerator,
    answer,
    ask,
    build_prompt,
    parse_citations,
    retrieve,
)
from embmagic.core.text import (
    chunk_documents,
    chunk_text,
    expand_braces,
    split_sentences,
    split_text,
)

__all__ = [
    "AnalogyEval",
    "CallableGenerator",
    "Document",
    "ExtractiveGenerator",
    "Generator",
    "GeneratorInfo",
    "RagAnswer",
    "SectionResult",
    "SkippedFile",
    "Source",
    "SourceGenerator",
    "WordSpace",
    "analogy",
    "answer",
    "ask",
    "build_prompt",
    "chunk_documents",
    "chunk_text",
    "evaluate_analogies",
    "expand_braces",
    "load_word_space",
    "mmr_select",
    "neighbors",
    "parse_analogy",
    "parse_citations",
    "read_documents",
    "retrieve",
    "split_sentences",
    "split_text",
]
