"""Index kinds by name: one small class per kind behind `VectorIndex`."""

from __future__ import annotations

from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.store.kinds.base import VectorIndex
from embmagic.store.kinds.flat import FlatIndex
from embmagic.store.kinds.hnsw import HnswIndex
from embmagic.store.kinds.ivfpq import IvfPqIndex

KINDS: dict[str, type[VectorIndex]] = {"flat": FlatIndex, "hnsw": HnswIndex, "ivfpq": IvfPqIndex}


def kind_class(kind: str) -> type[VectorIndex]:
    """The class for a kind name; InvalidArgumentError listing the valid names otherwise."""
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        msg = f"unknown index kind {kind!r}; choose one of: {', '.join(KINDS)}"
        raise InvalidArgumentError(msg) from None


def make_index(kind: str, dim: int, params: dict[str, Any]) -> VectorIndex:
    """A new, empty index of that kind."""
    return kind_class(kind).create(dim, params)


__all__ = ["KINDS", "FlatIndex", "HnswIndex", "IvfPqIndex", "VectorIndex", "kind_class",
           "make_index"]
