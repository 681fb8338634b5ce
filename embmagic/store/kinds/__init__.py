"""Index kinds by name: one small class per kind behind `VectorIndex`, one registry line each.

A new kind is a module with a `VectorIndex` subclass (its `kind` name, `param_specs`, `validate`,
memory model and FAISS storage) plus one `register_kind(NewIndex)` line below (or in a plugin or
test fixture). Collections, memory estimates, saves and `%emb index` flags follow from it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from embmagic.errors import InvalidArgumentError
from embmagic.store.kinds.base import Param, VectorIndex
from embmagic.store.kinds.flat import FlatIndex
from embmagic.store.kinds.hnsw import HnswIndex
from embmagic.store.kinds.ivfpq import IvfPqIndex

KINDS: dict[str, type[VectorIndex]] = {}
"""Kind name -> index class, in registration order (the order error messages list them)."""

_K = TypeVar("_K", bound=type[VectorIndex])


def register_kind(cls: _K) -> _K:
    """Make `cls` available by its `kind` name (usable as a decorator); a name already taken by
    another class is refused."""
    name = getattr(cls, "kind", None)
    if not isinstance(name, str) or not name:
        msg = f"{cls.__name__} needs a `kind` name to be registered"
        raise InvalidArgumentError(msg)
    if KINDS.get(name, cls) is not cls:
        msg = f"index kind {name!r} is already registered ({KINDS[name].__name__})"
        raise InvalidArgumentError(msg)
    KINDS[name] = cls
    return cls


def unregister_kind(name: str) -> None:
    """Forget a registered kind (plugins and tests); unknown names are ignored."""
    KINDS.pop(name, None)


def kind_class(kind: str) -> type[VectorIndex]:
    """The class for a kind name; InvalidArgumentError listing the valid names otherwise."""
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        msg = f"unknown index kind {kind!r}; choose one of: {', '.join(KINDS)}"
        raise InvalidArgumentError(msg) from None


def make_index(kind: str, dim: int, params: dict[str, Any]) -> VectorIndex:
    """A new, empty index of that kind (parameters validated first)."""
    return kind_class(kind).create(dim, params)


def kind_flags(kind: str) -> dict[str, str]:
    """`%emb index` flag -> parameter name for one kind, e.g. hnsw: {"--m": "M", ...}."""
    return {p.flag: p.name for p in kind_class(kind).param_specs}


register_kind(FlatIndex)
register_kind(HnswIndex)
register_kind(IvfPqIndex)

__all__ = ["KINDS", "FlatIndex", "HnswIndex", "IvfPqIndex", "Param", "VectorIndex",
           "kind_class", "kind_flags", "make_index", "register_kind", "unregister_kind"]
