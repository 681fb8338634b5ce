"""Plain data passed between `BaseCollection` and its backends: an add's input, plan and result,
and chunks of records for copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.store.topk import IdArray
from embmagic.types import Metadata, Vectors


@dataclass
class AddResult:
    """Ids an add stored anew, found already present (unchanged), and replaced (upserts)."""

    added: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class AddBatch:
    """The validated input of one add: texts, metadata, SHA-256 of each text, unit vectors."""

    texts: list[str]
    metadata: list[Metadata]
    hashes: list[str]
    vectors: Vectors


@dataclass
class AddPlan:
    """What one add will do: (id, input row) pairs to insert and to replace, and the next id."""

    result: AddResult
    inserts: list[tuple[int, int]]
    replaces: list[tuple[int, int]]
    next_id: int


@dataclass(frozen=True)
class RecordChunk:
    """Consecutive records with their vectors, for copying a collection (to_disk, to_lance)."""

    ids: IdArray
    vectors: Vectors
    texts: list[str]
    sha256: list[str]
    metadata_json: list[str]


def check_name_and_dim(name: Any, dim: Any) -> None:
    """A non-empty name and a positive int dimension, else InvalidArgumentError."""
    if not isinstance(name, str) or not name:
        msg = "a collection needs a non-empty name"
        raise InvalidArgumentError(msg)
    if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
        msg = f"dim must be a positive integer, got {dim!r}"
        raise InvalidArgumentError(msg)
