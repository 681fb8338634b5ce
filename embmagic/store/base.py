"""`BaseCollection`: the contract every collection implements (in memory, on disk, LanceDB).

The shared logic lives here once: argument validation, the add plan (dedup by content hash, or
upsert by id), filter and query checks, copies through the registered storage formats, and
`open_collection`. A backend implements the reading API plus hooks, called with checked inputs:

- `ids_for_hashes(hashes)`: the stored id of each known SHA-256 digest;
- `compare_stored(ids, batch)`: which given ids exist, and which of those are unchanged;
- `apply_add(plan, batch)`: carry out a validated plan (the only place an add changes state);
- `matching_ids(where)`: ids whose metadata pass a checked filter;
- `search_vectors(queries, k, allowed)`: the search itself;
- `iter_chunks(chunk)`: every record with its vector, for copies.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from embmagic.errors import (
    CollectionBusyError,
    InvalidArgumentError,
    ModelMismatchError,
    StoreFormatError,
)
from embmagic.store.batches import AddBatch, AddPlan, AddResult, RecordChunk
from embmagic.store.filters import check_where
from embmagic.store.lexical import LexicalIndex
from embmagic.store.memory import MemoryEstimate
from embmagic.store.topk import IdArray
from embmagic.store.validate import (
    check_ids,
    check_k,
    check_metadata,
    check_queries,
    check_texts,
    check_vectors,
    content_hash,
)
from embmagic.types import Hit, Record, Vectors

PathLike = str | os.PathLike[str]


class BaseCollection(ABC):
    """Records (id, text, metadata, unit vector) searchable by cosine similarity."""

    name: str
    model_id: str
    dim: int
    path: str | os.PathLike[str] | None = None
    """Where the records live when they are not in memory (on-disk ivfpq, LanceDB); else None."""
    _lexical: LexicalIndex | None = None
    """BM25 over the texts (lexical.py): built on the first lexical query, kept up to date."""

    # -- description -----------------------------------------------------------------------

    @property
    @abstractmethod
    def kind(self) -> str:
        """The index kind, e.g. "flat", "hnsw", "ivfpq", "lancedb"."""

    @property
    @abstractmethod
    def index_status(self) -> str:
        """One line saying which index is in use and how."""

    @property
    @abstractmethod
    def index_params(self) -> dict[str, Any]:
        """Parameters of the index (None: chosen automatically)."""

    @property
    @abstractmethod
    def next_id(self) -> int:
        """The id the next auto-numbered record gets: above every id ever used."""

    @abstractmethod
    def __len__(self) -> int:
        """Records stored."""

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def get(self, id: int) -> Record:
        """The record with this id (a copy); RecordNotFoundError if there is none."""

    @abstractmethod
    def vectors_for(self, ids: Any) -> Vectors:
        """Stored vectors in the order given; RecordNotFoundError naming unknown ids."""

    @abstractmethod
    def records(self) -> list[Record]:
        """Every record, in insertion order (an upsert keeps its place)."""

    @abstractmethod
    def ids(self) -> IdArray:
        """Every id as int64, in insertion order."""

    @abstractmethod
    def content_digests(self) -> np.ndarray:
        """The SHA-256 digests of every stored text, sorted, as a `S32` array (for remote jobs
        that skip texts already held: `np.searchsorted`)."""

    @abstractmethod
    def iter_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, up to `chunk` at a time."""

    def id_for_text(self, text: str) -> int | None:
        """The id of a record with exactly this text (the earliest stored), or None."""
        return self.ids_for_texts([text])[0]

    def ids_for_texts(self, texts: Sequence[str]) -> list[int | None]:
        """`id_for_text` of each text, looked up together (one query on stored backends)."""
        hashes = [content_hash(t) for t in texts]
        known = self.ids_for_hashes(hashes)
        return [known.get(h) for h in hashes]

    # -- adding ----------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Nothing for writable collections; read-only ones raise ReadOnlyCollectionError, so
        a caller can refuse before expensive work (embedding) for an add. While a background
        job leases the collection (`lease_writes`), other threads get CollectionBusyError."""
        lease = self._write_lease
        if lease is not None and lease[0] is not threading.current_thread():
            msg = (f"collection {self.name!r} is busy: {lease[1]} is running; wait for it "
                   "(job.result()) or cancel it (job.cancel()) first")
            raise CollectionBusyError(msg)

    _write_lease: tuple[threading.Thread, str] | None = None
    """(thread, what holds it) while one thread alone may change this collection."""

    @contextmanager
    def lease_writes(self, holder: str, thread: threading.Thread | None = None
                     ) -> Iterator[None]:
        """Only `thread` (default: this one) may change the collection inside the block; any
        other writer gets a one-line CollectionBusyError. Reading stays open to every thread."""
        self.check_writable()
        self._write_lease = (thread or threading.current_thread(), holder)
        try:
            yield
        finally:
            self._write_lease = None

    def add(self, texts: Sequence[str], vectors: Any, metadata: Any = None, ids: Any = None, *,
            model_id: str | None = None) -> AddResult:
        """Store texts with their vectors. Without ids, texts already present (same SHA-256) are
        reported as existing and skipped; with ids, present ids are replaced (upsert). Everything
        is checked before anything changes."""
        self.check_writable()
        if model_id is not None and model_id != self.model_id:
            msg = (f"collection {self.name!r} holds {self.model_id!r} vectors, "
                   f"not {model_id!r}; use another collection")
            raise ModelMismatchError(msg)
        texts = check_texts(texts)
        vecs = check_vectors(vectors, len(texts), self.dim)
        metas = check_metadata(metadata, len(texts))
        given = check_ids(ids, len(texts))
        batch = AddBatch(texts, metas, [content_hash(t) for t in texts], vecs)
        plan = self._plan_by_hash(batch) if given is None else self._plan_by_id(given, batch)
        if plan.inserts or plan.replaces:
            self.lexical_forget(i for i, _ in plan.replaces)
        self.apply_add(plan, batch)
        return plan.result

    def _plan_by_hash(self, batch: AddBatch) -> AddPlan:
        plan = AddPlan(AddResult(), [], [], self.next_id)
        known = self.ids_for_hashes(batch.hashes)
        seen: dict[str, int] = {}
        for row, digest in enumerate(batch.hashes):
            found = seen.get(digest, known.get(digest))
            if found is not None:
                plan.result.existing.append(found)
                continue
            seen[digest] = plan.next_id
            plan.inserts.append((plan.next_id, row))
            plan.result.added.append(plan.next_id)
            plan.next_id += 1
        return plan

    def _plan_by_id(self, given: list[int], batch: AddBatch) -> AddPlan:
        plan = AddPlan(AddResult(), [], [], max(self.next_id, max(given, default=-1) + 1))
        present, unchanged = self.compare_stored(given, batch)
        for row, i in enumerate(given):
            if i in unchanged:
                plan.result.existing.append(i)
            elif i in present:
                plan.replaces.append((i, row))
                plan.result.updated.append(i)
            else:
                plan.inserts.append((i, row))
                plan.result.added.append(i)
        return plan

    @abstractmethod
    def ids_for_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        """Hook: for each digest already stored, the id of its earliest record."""

    @abstractmethod
    def compare_stored(self, ids: list[int], batch: AddBatch) -> tuple[set[int], set[int]]:
        """Hook: the given ids already stored, and those of them whose text, metadata and vector
        equal the batch row at the same position (within the index's quantisation)."""

    @abstractmethod
    def apply_add(self, plan: AddPlan, batch: AddBatch) -> None:
        """Hook: carry out a validated plan; afterwards `next_id` is at least `plan.next_id`."""

    # -- searching -------------------------------------------------------------------------

    def search(self, vectors: Any, k: int, where: Any = None) -> list[list[Hit]]:
        """The k most similar records per query vector (fewer if fewer match), best first; ties
        go to the lower id. `where`: metadata filter, see filters.py."""
        k = check_k(k)
        wanted = check_where(where)
        queries = check_queries(vectors, self.dim)
        empty: list[list[Hit]] = [[] for _ in range(len(queries))]
        n = len(self)
        if n == 0:
            return empty
        allowed = None
        if wanted is not None:
            allowed = self.matching_ids(wanted)
            if not len(allowed):
                return empty
        return self.search_vectors(queries, min(k, n), allowed)

    def search_lexical(self, query: str, k: int, where: Any = None) -> list[Hit]:
        """The k records scoring best by BM25 for the words of `query` (bm25s, lexical.py),
        best first, ties to the lower id; records sharing no word with the query are left out.
        `where`: metadata filter, as for `search`. The first query after a change rebuilds the
        BM25 matrix (tokenising only new records)."""
        k = check_k(k)
        wanted = check_where(where)
        if not isinstance(query, str) or not query.strip():
            msg = "the lexical query is empty: type some words to search for"
            raise InvalidArgumentError(msg)
        if len(self) == 0:
            return []
        allowed = None
        if wanted is not None:
            allowed = self.matching_ids(wanted)
            if not len(allowed):
                return []
        ids, scores = self.lexical_index().search(query, k, allowed)
        return self.hits_for(ids, scores)

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index, brought up to date with the records (built on first use)."""
        if self._lexical is None:
            self._lexical = LexicalIndex()
        self._lexical.sync(self.ids(), self.texts_for)
        return self._lexical

    def lexical_snapshot(self) -> bytes:
        """`lexical.npz` for a save: every record's tokens (tokenising those not seen yet)."""
        if self._lexical is None:
            self._lexical = LexicalIndex()
        ids = self.ids()
        self._lexical.tokenize_missing(ids, self.texts_for)
        return self._lexical.to_bytes(ids)

    def lexical_forget(self, ids: Any) -> None:
        """Hook for changes: the records `ids` are about to change or go (call before)."""
        if self._lexical is not None:
            self._lexical.forget(ids)

    def texts_for(self, ids: list[int]) -> list[str]:
        """The texts of stored records, in the order given (backends may do it in one go)."""
        if len(ids) > 1000:
            by_id = {r.id: r.text for r in self.records()}
            return [by_id[i] for i in ids]
        return [self.get(i).text for i in ids]

    def hits_for(self, ids: IdArray, scores: Any) -> list[Hit]:
        """Hits for stored ids with the given scores."""
        out = []
        for i, s in zip(ids, scores, strict=True):
            rec = self.get(int(i))
            out.append(Hit(rec.id, float(s), rec.text, rec.metadata))
        return out

    @abstractmethod
    def matching_ids(self, where: dict[str, Any]) -> IdArray:
        """Hook: ids of the records whose metadata pass `where` (checked, non-empty)."""

    @abstractmethod
    def search_vectors(self, queries: Vectors, k: int,
                       allowed: IdArray | None) -> list[list[Hit]]:
        """Hook: `search` after its checks: queries (q, dim) unit rows, 1 <= k <= len(self),
        `allowed` None or a non-empty array of ids."""

    # -- changing --------------------------------------------------------------------------

    @abstractmethod
    def delete(self, ids: Any) -> int:
        """Remove records by id; ids not present are ignored. Returns how many were removed."""

    @abstractmethod
    def reindex(self, kind: str, **params: Any) -> None:
        """Rebuild the index as `kind`; parameters checked first, unchanged on any error."""

    # -- memory ----------------------------------------------------------------------------

    @abstractmethod
    def memory(self) -> MemoryEstimate:
        """Estimated RAM (and disk) of this collection now."""

    @abstractmethod
    def estimate_for(self, kind: str, **params: Any) -> MemoryEstimate:
        """Estimated RAM if this collection were indexed as `kind` with `params`."""

    # -- persistence and copies ------------------------------------------------------------

    @abstractmethod
    def save(self, path: PathLike) -> None:
        """Write to `path` so that `open_collection(path)` reads it back."""

    @classmethod
    def load(cls, path: PathLike, name: str | None = None) -> BaseCollection:
        """Whatever `save`, `to_disk` or `to_lance` wrote at `path` (see `open_collection`)."""
        return open_collection(path, name)

    @classmethod
    def open(cls, path: PathLike, name: str | None = None, *,
             mmap: bool = True) -> BaseCollection:
        """As `load`; mmap=False reads an on-disk or LanceDB collection into memory."""
        return open_collection(path, name, mmap=mmap)

    def to_disk(self, path: PathLike, *, chunk: int = 100_000, **params: Any) -> None:
        """Write a read-only on-disk `ivfpq` copy (ondisk_write.py), streamed `chunk` records at
        a time; params: nlist, pq_m, nprobe, k_factor. This collection is left as it is."""
        storage_format("on-disk").write(self, path, chunk, params)

    def to_lance(self, path: PathLike, *, chunk: int = 100_000) -> BaseCollection:
        """Copy into a LanceDB table at `path` (a directory or any URI `lancedb.connect` takes)
        in one commit; returns the writable LanceCollection there. This one is left as it is."""
        return storage_format("lancedb").write(self, path, chunk, {})


@dataclass(frozen=True)
class StorageFormat:
    """One way collections are saved: how to recognise it at a path, open it (path, name, mmap),
    and write a copy of any collection there (source, path, chunk, params) -> the opened copy.
    Registered in `embmagic/store/__init__.py`; `open_collection` tries them in that order."""

    name: str
    recognises: Callable[[PathLike], bool]
    open: Callable[[PathLike, str | None, bool], BaseCollection]
    write: Callable[[BaseCollection, PathLike, int, dict[str, Any]], BaseCollection]


FORMATS: dict[str, StorageFormat] = {}


def register_format(fmt: StorageFormat) -> None:
    """Add (or replace) a storage format; the last registered is tried last."""
    FORMATS.pop(fmt.name, None)
    FORMATS[fmt.name] = fmt


def storage_format(name: str) -> StorageFormat:
    """A registered format by name."""
    try:
        return FORMATS[name]
    except KeyError:
        msg = f"no storage format {name!r}; registered: {', '.join(FORMATS) or 'none'}"
        raise InvalidArgumentError(msg) from None


def open_collection(path: PathLike, name: str | None = None, *,
                    mmap: bool = True) -> BaseCollection:
    """The collection saved at `path` (renamed `name` if given), by the first registered format
    that recognises it: a LanceDB collection -> LanceCollection, an on-disk ivfpq directory ->
    DiskCollection (read-only), a `save` directory -> Collection. mmap=False reads the first two
    into memory. StoreFormatError (one line) for anything else."""
    for fmt in FORMATS.values():
        if fmt.recognises(path):
            return fmt.open(path, name, mmap)
    msg = f"{path} is not a saved collection"
    raise StoreFormatError(msg)


__all__ = ["AddBatch", "AddPlan", "AddResult", "BaseCollection", "RecordChunk", "StorageFormat",
           "open_collection", "register_format"]
