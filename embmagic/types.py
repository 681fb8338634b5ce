"""Shared dataclasses and protocols used across layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""A C-contiguous float32 array of shape (n, d), rows L2-normalised."""

Metadata = dict[str, Any]
Where = Mapping[str, Any] | str | Sequence[str]
"""A metadata filter: key -> value (or `store.filters.Condition`), or `KEY<op>VALUE` text."""

SearchMode = Literal["dense", "lexical", "hybrid"]
"""How records are found: by embedding similarity, by BM25 over their words, or both fused."""
SEARCH_MODES: tuple[SearchMode, ...] = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class Record:
    """One stored item of a collection."""

    id: int
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One search result: a record and its cosine similarity to the query."""

    id: int
    score: float
    text: str
    metadata: Metadata = field(default_factory=dict)


@runtime_checkable
class Encoder(Protocol):
    """What core/ needs from an engine: text in, normalised vectors out."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def device(self) -> str: ...

    @property
    def max_tokens(self) -> int | None:
        """Tokens the model reads per text (special tokens included); None: no limit."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Each text's tokens as the model counts them, before truncation."""
        ...
