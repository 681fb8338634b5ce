"""`Collection`: the in-memory collection, over one FAISS-backed index kind (kinds/).

It keeps records, content hashes and ids in Python; the index kind only stores vectors by id and
searches them. The contract, validation and add planning are `BaseCollection`'s (base.py).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

from embmagic.errors import InvalidArgumentError, RecordNotFoundError, StoreFormatError
from embmagic.store import persist
from embmagic.store.base import BaseCollection, PathLike, StorageFormat
from embmagic.store.batches import AddBatch, AddPlan, AddResult, RecordChunk, check_name_and_dim
from embmagic.store.filters import matching_ids
from embmagic.store.interrupts import deferred_interrupts
from embmagic.store.kinds import VectorIndex, kind_class, make_index
from embmagic.store.lexical import LexicalIndex
from embmagic.store.memory import MemoryEstimate, estimate, records_bytes
from embmagic.store.topk import IdArray
from embmagic.store.validate import as_id_array, digest_array, metadata_json
from embmagic.types import Hit, Metadata, Record, Vectors

F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """Run the method holding the collection's lock: a reader never sees half of a change."""

    @functools.wraps(method)
    def run(self: Collection, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(F, run)


_QUANTISED_TOLERANCE = 0.01
"""Max per-component difference under which a re-added vector counts as unchanged when the
index keeps quantised vectors (SQ8 rounds each component by under half of 2/255)."""


@dataclass(slots=True)
class _Entry:
    text: str
    metadata: Metadata
    metadata_json: str
    sha256: str


class Collection(BaseCollection):
    """Records searchable by cosine similarity, held in memory; `kind` picks the index.

    Thread-safe for one writer and any number of readers: every change (add, delete, index
    swap) and every read of records or index holds one lock, so a search in another thread sees
    the collection before or after a whole add, never half of one (background jobs, app/jobs.py).
    """

    revision: int = 0
    """Changes made to this object (adds, deletes, index swaps), counted from 0 however it was
    made (new or loaded): a store_dir reader reloads a collection from its folder only while
    this is what it was when read (app/store_dir.py)."""

    def __init__(self, name: str, model_id: str, dim: int, kind: str = "flat",
                 **index_params: Any) -> None:
        check_name_and_dim(name, dim)
        self.name, self.model_id, self.dim = name, str(model_id), dim
        self._index: VectorIndex = make_index(kind, dim, index_params)
        self._entries: dict[int, _Entry] = {}
        self._by_hash: dict[str, list[int]] = {}
        self._next_free = 0
        self._lock = threading.RLock()

    # -- description -----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The index kind: a name registered in kinds.KINDS ("flat", "hnsw", "ivfpq", ...)."""
        return self._index.kind

    @property
    def index_status(self) -> str:
        """One line saying which index is in use and how, e.g. whether ivfpq is trained yet."""
        return self._index.status

    @property
    def index_params(self) -> dict[str, Any]:
        """Parameters of the index kind (None: chosen automatically)."""
        return self._index.params

    @property
    def next_id(self) -> int:
        return self._next_free

    @classmethod
    def copy_of(cls, source: BaseCollection, kind: str = "flat", **params: Any) -> Collection:
        """An in-memory copy of any collection: same records, ids, order, vectors, next_id."""
        out = cls(source.name, source.model_id, source.dim, kind, **params)
        records = source.records()
        if records:
            ids = [r.id for r in records]
            out.add([r.text for r in records], source.vectors_for(ids),
                    [r.metadata for r in records], ids=ids)
        out.reserve_ids(source.next_id)
        return out

    def reserve_ids(self, next_id: int) -> None:
        """Never hand out ids below `next_id` (a copy keeps its source's numbering)."""
        self._next_free = max(self._next_free, int(next_id))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (f"Collection({self.name!r}, model_id={self.model_id!r}, dim={self.dim}, "
                f"kind={self.kind!r}, records={len(self):,})")

    # -- adding (hooks of BaseCollection.add) ------------------------------------------------

    @_locked
    def ids_for_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        return {d: self._by_hash[d][0] for d in set(hashes) if d in self._by_hash}

    @_locked
    def compare_stored(self, ids: list[int], batch: AddBatch) -> tuple[set[int], set[int]]:
        present = [(i, row) for row, i in enumerate(ids) if i in self._entries]
        stored = self._index.reconstruct(np.array([i for i, _ in present], dtype=np.int64))
        tol = 0.0 if self._index.exact_vectors else _QUANTISED_TOLERANCE
        unchanged = {
            i for (i, row), old_vec in zip(present, stored, strict=True)
            if self._entries[i].text == batch.texts[row]
            and self._entries[i].metadata == batch.metadata[row]
            and float(np.abs(old_vec - batch.vectors[row]).max(initial=0.0)) <= tol
        }
        return {i for i, _ in present}, unchanged

    def apply_add(self, plan: AddPlan, batch: AddBatch) -> None:
        pairs = plan.inserts + plan.replaces
        ids = np.array([i for i, _ in pairs], dtype=np.int64)
        vectors = np.ascontiguousarray(batch.vectors[[row for _, row in pairs]])
        replaced = np.array([i for i, _ in plan.replaces], dtype=np.int64)
        entries = [(i, _Entry(batch.texts[row], batch.metadata[row],
                              metadata_json(batch.metadata[row]), batch.hashes[row]))
                   for i, row in pairs]
        # entries are made outside the lock (readers wait only for the commit itself); the one
        # writer that may run here is the lease holder (base.py), so nothing changes meanwhile
        with self._lock, self._change(ids, replaced, [e.sha256 for _, e in entries]):
            self._index.remove(replaced)
            self._index.add(ids, vectors)
            for i, _ in plan.replaces:
                self._forget_hash(i)
            self._entries.update(entries)
            by_hash = self._by_hash
            for i, entry in entries:
                by_hash.setdefault(entry.sha256, []).append(i)
            self._next_free = max(self._next_free, plan.next_id)

    @contextmanager
    def _change(self, added: IdArray, removed: IdArray, digests: Sequence[str] = (), *,
                keep_order: bool = False) -> Iterator[None]:
        """All or nothing: Ctrl-C is held back over the body (interrupts.py), and any exception
        raised inside it (an interrupt from elsewhere, MemoryError, ...) is undone with `_Undo`
        before it propagates. `added`: ids the body gives (new) vectors; `removed`: present ids
        whose vectors it removes; `digests`: text hashes it adds."""
        undo = _Undo.before(self, added, removed, digests, keep_order)
        with deferred_interrupts():
            try:
                yield
            except BaseException:
                undo.restore(self)
                raise
            self.revision += 1

    # -- reading ---------------------------------------------------------------------------

    @_locked
    def content_digests(self) -> np.ndarray:
        return digest_array(self._by_hash)

    @_locked
    def get(self, id: int) -> Record:
        entry = self._entries.get(id) if isinstance(id, (int, np.integer)) else None
        if entry is None:
            msg = f"no record with id {id!r} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return Record(int(id), entry.text, _copy_metadata(entry))

    @_locked
    def vectors_for(self, ids: Any) -> Vectors:
        """Stored vectors in the order given (ivfpq: reconstructed from its SQ8 codes)."""
        arr = as_id_array(ids)
        missing = [int(i) for i in arr if int(i) not in self._entries]
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            msg = f"no record with id {shown} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return self._index.reconstruct(arr)

    @_locked
    def records(self) -> list[Record]:
        return [Record(i, e.text, _copy_metadata(e)) for i, e in self._entries.items()]

    @_locked
    def ids(self) -> IdArray:
        return np.fromiter(self._entries.keys(), dtype=np.int64, count=len(self._entries))

    def iter_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, `chunk` at a time, in `ids()` order."""
        ids = self.ids()
        for s in range(0, len(ids), chunk):
            part = ids[s:s + chunk]
            with self._lock:  # a record deleted meanwhile is skipped
                part = part[[int(i) in self._entries for i in part]]
                entries = [self._entries[int(i)] for i in part]
                vectors = np.ascontiguousarray(self._index.reconstruct(part))
            yield RecordChunk(part, vectors, [e.text for e in entries],
                              [e.sha256 for e in entries], [e.metadata_json for e in entries])

    # -- searching (hooks of BaseCollection.search) ------------------------------------------

    @_locked
    def search(self, vectors: Any, k: int, where: Any = None) -> list[list[Hit]]:
        """As BaseCollection.search, on one state of the collection (size, filter and index
        read together, so a concurrent add or delete is seen whole or not at all)."""
        return super().search(vectors, k, where)

    @_locked
    def matching_ids(self, where: dict[str, Any]) -> IdArray:
        found = matching_ids(((i, e.metadata) for i, e in self._entries.items()), where)
        return np.array(found, dtype=np.int64)

    @_locked
    def search_vectors(self, queries: Vectors, k: int,
                       allowed: IdArray | None) -> list[list[Hit]]:
        results = self._index.search(queries, k, allowed)
        return [[self._hit(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
                for ids, scores in results]

    def hits_for(self, ids: IdArray, scores: Any) -> list[Hit]:
        return [self._hit(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def texts_for(self, ids: list[int]) -> list[str]:
        return [self._entries[i].text for i in ids]

    def _hit(self, id_: int, score: float) -> Hit:
        entry = self._entries[id_]
        return Hit(id_, score, entry.text, _copy_metadata(entry))

    # -- deleting --------------------------------------------------------------------------

    @_locked
    def delete(self, ids: Any) -> int:
        self.check_writable()
        present = [int(i) for i in np.unique(as_id_array(ids)) if int(i) in self._entries]
        if not present:
            return 0
        self.lexical_forget(present)
        with self._change(np.empty(0, np.int64), np.array(present, dtype=np.int64),
                          keep_order=True):
            self._index.remove(np.array(present, dtype=np.int64))
            for i in present:
                self._forget_hash(i)
                del self._entries[i]
        return len(present)

    def _forget_hash(self, id_: int) -> None:
        digest = self._entries[id_].sha256
        remaining = [i for i in self._by_hash[digest] if i != id_]
        if remaining:
            self._by_hash[digest] = remaining
        else:
            del self._by_hash[digest]

    # -- index kind and memory --------------------------------------------------------------

    def memory(self) -> MemoryEstimate:
        """Estimated RAM of the index and the records now (see memory.py)."""
        return self.estimate_for(self._index.memory_kind, **self.index_params)

    @_locked
    def estimate_for(self, kind: str, **params: Any) -> MemoryEstimate:
        chars = sum(len(e.text) for e in self._entries.values())
        meta = sum(len(e.metadata_json) for e in self._entries.values())
        return estimate(kind, self.dim, len(self), params,
                        records_bytes(chars, meta, len(self)))

    def reindex(self, kind: str, **params: Any) -> None:
        """Rebuild the index as `kind` from the stored vectors (ivfpq: their SQ8 reconstruction).
        The kind validates its parameters against dim and len(self) before anything changes;
        the new index is built beside the old one and swapped in by one assignment, so an
        interruption (Ctrl-C included) leaves the old index in place."""
        self.use_index(self.build_index(kind, **params))

    def build_index(self, kind: str, **params: Any) -> VectorIndex:
        """A new index of `kind` over the stored vectors, not yet in use (searches keep the old
        one meanwhile); parameters validated first. `use_index` swaps it in."""
        self.check_writable()
        kind_class(kind).validate(self.dim, params, n=len(self))
        fresh = make_index(kind, self.dim, params)
        with self._lock:
            ids = self.ids()
            vectors = np.ascontiguousarray(self._index.reconstruct(ids)) if len(ids) else None
        if vectors is not None:
            fresh.add(ids, vectors)
        return fresh

    def use_index(self, fresh: VectorIndex) -> None:
        """Swap in an index made by `build_index` (it must hold exactly the stored ids)."""
        self.check_writable()
        with self._lock:
            if not np.array_equal(np.sort(fresh.live_ids()), np.sort(self.ids())):
                msg = f"collection {self.name!r} changed while its index was rebuilt"
                raise InvalidArgumentError(msg)
            self._index = fresh
            self.revision += 1

    def faiss_index(self) -> Any:
        """The FAISS index as it would be saved (read it, do not change it): for sizes, tools."""
        return self._index.faiss_index()

    # -- persistence -----------------------------------------------------------------------

    @_locked
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to a directory atomically (see persist.py for the format)."""
        records = [persist.StoredRecord(i, e.text, e.metadata, e.metadata_json, e.sha256)
                   for i, e in self._entries.items()]
        persist.write(path, persist.Saved(
            name=self.name, model_id=self.model_id, dim=self.dim, kind=self.kind,
            params=self._index.params, next_id=self._next_free, index=self._index.faiss_index(),
            records=records, tombstones=self._index.tombstones(),
            lexical=self.lexical_snapshot()))

    @classmethod
    def read_saved(cls, path: str | os.PathLike[str], name: str | None = None) -> Collection:
        """An in-memory save (`save`'s format, version 1); StoreFormatError if missing, foreign,
        newer or corrupt. `open_collection` opens every other kind of save too."""
        saved = persist.read(path)
        try:
            kind = kind_class(saved.kind)
        except InvalidArgumentError as exc:
            msg = f"{path}: unknown index kind {saved.kind!r} in the manifest"
            raise StoreFormatError(msg) from exc
        if int(saved.index.d) != saved.dim:
            msg = f"{path}: index is {saved.index.d}-d but the manifest says {saved.dim}-d"
            raise StoreFormatError(msg)
        self = cls.__new__(cls)
        self.name, self.model_id, self.dim = name or saved.name, saved.model_id, saved.dim
        try:
            self._index = kind.restore(saved.dim, saved.params, saved.index, saved.tombstones)
        except InvalidArgumentError as exc:  # parameters out of range, e.g. edited by hand
            msg = f"{path}: {exc}"
            raise StoreFormatError(msg) from exc
        self._entries, self._by_hash, self._lock = {}, {}, threading.RLock()
        for rec in saved.records:
            self._entries[rec.id] = _Entry(rec.text, rec.metadata, rec.metadata_json, rec.sha256)
            self._by_hash.setdefault(rec.sha256, []).append(rec.id)
        self._next_free = saved.next_id
        self._check_loaded(str(path))
        if saved.lexical is not None:
            self._lexical = LexicalIndex.from_bytes(saved.lexical, self.ids(), f"{path}")
        return self

    def _check_loaded(self, path: str) -> None:
        """Records and index must hold the same ids, all below next_id."""
        ids = np.sort(self.ids())
        if len(ids) != len(self._entries) or not np.array_equal(
                ids, np.sort(self._index.live_ids())):
            msg = f"{path}: records and index hold different ids"
            raise StoreFormatError(msg)
        if len(ids) and int(ids[-1]) >= self._next_free:
            msg = f"{path}: manifest next_id is not above every id"
            raise StoreFormatError(msg)


@dataclass
class _Undo:
    """What one change needs to be taken back: the old entries of the ids it touches, the old id
    lists of the digests it touches, next_id, the index's checkpoint, the ids it adds and the
    ids (with their stored vectors) it removes, and for deletes the order of every id. Taken
    before the change: O(ids touched), plus O(records) for the order when deleting."""

    entries: dict[int, _Entry | None]
    hashes: dict[str, list[int] | None]
    next_free: int
    checkpoint: object
    added: IdArray
    removed: IdArray
    removed_vectors: Vectors
    order: list[int] | None

    @classmethod
    def before(cls, c: Collection, added: IdArray, removed: IdArray, digests: Sequence[str],
               keep_order: bool) -> _Undo:
        touched = [int(i) for i in np.union1d(added, removed)]
        entries = {i: c._entries.get(i) for i in touched}
        old_digests = {e.sha256 for e in entries.values() if e is not None}
        hashes = {d: (list(c._by_hash[d]) if d in c._by_hash else None)
                  for d in old_digests.union(digests)}
        return cls(entries, hashes, c._next_free, c._index.checkpoint(), added, removed,
                   c._index.reconstruct(removed), list(c._entries) if keep_order else None)

    def restore(self, c: Collection) -> None:
        """Put `c` back as it was: the index first (consistent, then the same live ids with the
        same stored vectors; append-only kinds may keep the undone rows as tombstones), then the
        records, digests and next_id."""
        c._index.recover(self.checkpoint)
        stale = self.added[np.isin(self.added, c._index.live_ids())]
        c._index.remove(stale)
        missing = ~np.isin(self.removed, c._index.live_ids())
        c._index.add(self.removed[missing], np.ascontiguousarray(self.removed_vectors[missing]))
        for i, entry in self.entries.items():
            if entry is None:
                c._entries.pop(i, None)
            else:
                c._entries[i] = entry
        if self.order is not None:
            c._entries = {i: c._entries[i] for i in self.order}
        for digest, ids in self.hashes.items():
            if ids is None:
                c._by_hash.pop(digest, None)
            else:
                c._by_hash[digest] = ids
        c._next_free = self.next_free


def _write_copy(source: BaseCollection, path: PathLike, chunk: int,
                params: dict[str, Any]) -> BaseCollection:
    copy = Collection.copy_of(source, **params)
    copy.save(path)
    return copy


MEMORY_FORMAT = StorageFormat(
    "memory", recognises=lambda path: True,  # the default: persist.read says what is wrong
    open=lambda path, name, mmap: Collection.read_saved(path, name), write=_write_copy)
"""`save`'s directories (format embmagic.collection, version 1), read into memory."""


def _copy_metadata(entry: _Entry) -> Metadata:
    """A fresh copy, so callers cannot change stored metadata by mutating a result."""
    copied: Metadata = json.loads(entry.metadata_json)
    return copied


__all__ = ["MEMORY_FORMAT", "AddResult", "Collection", "RecordChunk", "check_name_and_dim"]
