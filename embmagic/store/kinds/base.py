"""The small contract every index kind implements (one kind per module, txtai style).

An index only holds vectors under int64 ids; texts, metadata, dedup and validation live in the
collection. Ids passed in are already checked: `add` gets ids not present, `remove` ids present.
Each kind class also owns its parameter schema (`param_specs`, with the `%emb index` flag of each),
their validation (`validate`) and its memory model (`index_bytes`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store._faiss import faiss
from embmagic.store.topk import IdArray, Neighbours, top_k
from embmagic.types import Vectors

EXACT_SUBSET_MAX = 20_000
"""A filter that leaves at most this many vectors is searched exactly over just those vectors:
cheaper than steering a graph or inverted lists around a sparse selector, and exact."""

ID_BYTES = 8
"""An int64 id in an IndexIDMap2's table (and again in IVF lists)."""

INT32_MAX = 2**31 - 1
"""The largest value FAISS's `int` parameters (efSearch, M...) take: the default upper bound of
every index parameter, so a value a flag or a manifest gives never overflows at search time."""


@dataclass(frozen=True)
class Param:
    """One index parameter: its name, the `%emb index` flag that sets it, a help line, its
    default (None: chosen automatically) and its largest value. Values are positive integers."""

    name: str
    flag: str
    help: str
    default: Any = None
    maximum: int = INT32_MAX


class VectorIndex(ABC):
    """Vectors by id, searchable by inner product; persisted as one FAISS index + JSON state."""

    kind: ClassVar[str]
    param_specs: ClassVar[tuple[Param, ...]] = ()
    """The parameters this kind takes (also what `%emb index` derives its flags from)."""
    exact_vectors: ClassVar[bool] = True
    """False when `reconstruct` returns quantised approximations of what was added."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    # -- parameters --------------------------------------------------------------------------

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each parameter's default, by name."""
        return {p.name: p.default for p in cls.param_specs}

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults merged with `params`; unknown names are refused, listing the valid ones."""
        defaults = cls.defaults()
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            valid = ", ".join(sorted(defaults)) or "none"
            msg = f"unknown {cls.kind} index parameter(s) {', '.join(unknown)}; valid: {valid}"
            raise InvalidArgumentError(msg)
        merged = {**defaults, **params}
        for spec in cls.param_specs:
            value = merged[spec.name]
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 0 < value <= spec.maximum):
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
                msg = (f"{cls.kind} parameter {spec.name} must be an integer from 1 to "
                       f"{spec.maximum:,}, got {shown}")
                raise InvalidArgumentError(msg)
        return merged

    @classmethod
    def validate(cls, dim: int, params: dict[str, Any], n: int | None = None) -> dict[str, Any]:
        """`check_params`, then what depends on the data: `dim`, and `n` (the vectors an index
        is about to be built from; None for a new, empty index). InvalidArgumentError if not."""
        return cls.check_params(params)

    @classmethod
    def create(cls, dim: int, params: dict[str, Any]) -> VectorIndex:
        """A new, empty index with these (unchecked) parameters."""
        return cls(dim, cls.validate(dim, params))  # type: ignore[call-arg]

    # -- memory model ------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def bytes_per_vector(cls, dim: int, params: dict[str, Any]) -> float:
        """RAM per vector (ids included), from the sizes FAISS uses."""

    @classmethod
    def fixed_bytes(cls, dim: int, n: int, params: dict[str, Any]) -> int:
        """RAM independent of the vector count (e.g. IVF centroids)."""
        return 0

    @classmethod
    def index_bytes(cls, dim: int, n: int, params: dict[str, Any]) -> int:
        """Estimated RAM of this kind over n vectors (`params` as given: None is automatic)."""
        return int(cls.bytes_per_vector(dim, params) * n + cls.fixed_bytes(dim, n, params))

    @property
    def memory_kind(self) -> str:
        """The kind whose memory model fits this index now (an untrained ivfpq is flat)."""
        return self.kind

    # -- vectors -----------------------------------------------------------------------------

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters to rebuild this index with (JSON-serialisable)."""

    @property
    @abstractmethod
    def status(self) -> str:
        """One line for a user: the kind and what it is doing now."""

    @property
    @abstractmethod
    def ntotal(self) -> int:
        """Live vectors."""

    @abstractmethod
    def add(self, ids: IdArray, vectors: Vectors) -> None:
        """Store vectors under new ids."""

    @abstractmethod
    def remove(self, ids: IdArray) -> None:
        """Forget present ids (other ids never move)."""

    @abstractmethod
    def reconstruct(self, ids: IdArray) -> Vectors:
        """Stored vectors of present ids, in the given order."""

    @abstractmethod
    def live_ids(self) -> IdArray:
        """Ids of every live vector (any order)."""

    @abstractmethod
    def search(self, queries: Vectors, k: int, allowed: IdArray | None = None) -> Neighbours:
        """Per query, up to k (ids, scores) ordered by score desc then id asc; `allowed` filters."""

    @abstractmethod
    def faiss_index(self) -> Any:
        """The FAISS index to serialise."""

    def tombstones(self) -> list[int]:
        """Internal rows deleted but still inside the FAISS index (persisted in the manifest)."""
        return []

    # -- recovery from an interrupted change (see Collection._change) --------------------------

    def checkpoint(self) -> object:
        """What `recover` needs to undo a structural swap made by the next `add`/`remove` (e.g.
        ivfpq's exact -> trained index); None for kinds that never swap."""
        return None

    def recover(self, checkpoint: object) -> None:
        """After an `add` or `remove` was interrupted (any exception, at any line): make the
        index consistent with its FAISS storage again and undo structural swaps made since
        `checkpoint`. The collection then removes or re-adds ids to restore the live set."""
        return

    @classmethod
    @abstractmethod
    def restore(cls, dim: int, params: dict[str, Any], index: Any,
                tombstones: list[int]) -> VectorIndex:
        """Rebuild from a deserialised FAISS index; StoreFormatError when it is not ours."""

    def exact_subset(self, queries: Vectors, k: int, allowed: IdArray) -> Neighbours:
        """Exact search restricted to `allowed` ids, over their stored vectors."""
        return top_k(queries, self.reconstruct(allowed), allowed, k)


def expect_type(index: Any, cls: type[Any], what: str) -> Any:
    """`index` as a `cls` (downcast if needed), else StoreFormatError.

    A downcast wrapper does not own the C++ object: callers keep the owner alive.
    """
    down = index if isinstance(index, cls) else faiss.downcast_index(index)
    if not isinstance(down, cls):
        msg = f"index file holds a {type(down).__name__}, expected {cls.__name__} for {what}"
        raise StoreFormatError(msg)
    return down


def id_map_view(index: Any) -> IdArray:
    """Zero-copy view of an IndexIDMap2's row -> id table (invalid after the next add/remove)."""
    n = int(index.ntotal)
    if n == 0:
        return np.empty(0, np.int64)
    view: npt.NDArray[np.int64] = faiss.rev_swig_ptr(index.id_map.data(), n)
    return view


def flat_codes_view(flat: Any, dim: int) -> Vectors:
    """Zero-copy (n, dim) float32 view of an IndexFlat's storage (invalid after add/remove)."""
    n = int(flat.ntotal)
    if n == 0:
        return np.empty((0, dim), np.float32)
    view: Vectors = faiss.rev_swig_ptr(flat.get_xb(), n * dim).reshape(n, dim)
    return view
