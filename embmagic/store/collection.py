"""`Collection`: named records (id, text, metadata, vector) over one FAISS-backed index kind.

The collection owns records, content-hash dedup, ids, validation and filters; the index kind
(kinds/) only stores vectors by id and searches them. Every add is validated and planned in full
before anything changes, so a failed add leaves the collection exactly as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embmagic.errors import (
    InvalidArgumentError,
    ModelMismatchError,
    RecordNotFoundError,
    StoreFormatError,
)
from embmagic.store import persist
from embmagic.store.filters import check_where, matching_ids
from embmagic.store.kinds import VectorIndex, kind_class, make_index
from embmagic.store.memory import MemoryEstimate, estimate, records_bytes
from embmagic.store.topk import IdArray
from embmagic.store.validate import (
    as_id_array,
    check_ids,
    check_k,
    check_metadata,
    check_queries,
    check_texts,
    check_vectors,
    content_hash,
    digest_array,
    metadata_json,
)
from embmagic.types import Hit, Metadata, Record, Vectors

if TYPE_CHECKING:
    from embmagic.store.lance import LanceCollection

_QUANTISED_TOLERANCE = 0.01
"""Max per-component difference under which a re-added vector counts as unchanged when the
index keeps quantised vectors (SQ8 rounds each component by under half of 2/255)."""


@dataclass
class AddResult:
    """Ids an add stored anew, found already present (unchanged), and replaced (upserts)."""

    added: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    text: str
    metadata: Metadata
    metadata_json: str
    sha256: str


@dataclass
class _Plan:
    """What one add will do: (id, input row) pairs to insert and to replace."""

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


class Collection:
    """Records searchable by cosine similarity (inner product of unit vectors)."""

    path: str | os.PathLike[str] | None = None
    """Where the records live when they are not in memory (on-disk ivfpq, LanceDB); else None."""

    def __init__(self, name: str, model_id: str, dim: int, kind: str = "flat",
                 **index_params: Any) -> None:
        check_name_and_dim(name, dim)
        self.name, self.model_id, self.dim = name, str(model_id), dim
        self._index: VectorIndex = make_index(kind, dim, index_params)
        self._entries: dict[int, _Entry] = {}
        self._by_hash: dict[str, list[int]] = {}
        self._next_id = 0

    # -- description -----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The index kind: "flat", "hnsw" or "ivfpq"."""
        return self._index.kind

    @property
    def index_status(self) -> str:
        """One line saying which index is in use and how, e.g. whether ivfpq is trained yet."""
        return self._index.status

    @property
    def index_params(self) -> dict[str, Any]:
        """Parameters of the index kind (None: chosen automatically)."""
        return self._index.params

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (f"Collection({self.name!r}, model_id={self.model_id!r}, dim={self.dim}, "
                f"kind={self.kind!r}, records={len(self):,})")

    # -- adding ----------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Nothing here; read-only collections (on-disk ivfpq) raise ReadOnlyCollectionError,
        so a caller can refuse before doing expensive work (embedding) for an add."""

    def add(self, texts: Sequence[str], vectors: Any, metadata: Any = None, ids: Any = None, *,
            model_id: str | None = None) -> AddResult:
        """Store texts with their vectors. Without ids, texts already present (same SHA-256) are
        reported as existing and skipped; with ids, present ids are replaced (upsert)."""
        if model_id is not None and model_id != self.model_id:
            msg = (f"collection {self.name!r} holds {self.model_id!r} vectors, "
                   f"not {model_id!r}; use another collection")
            raise ModelMismatchError(msg)
        texts = check_texts(texts)
        vecs = check_vectors(vectors, len(texts), self.dim)
        metas = check_metadata(metadata, len(texts))
        given = check_ids(ids, len(texts))
        hashes = [content_hash(t) for t in texts]
        if given is None:
            plan = self._plan_by_hash(hashes)
        else:
            plan = self._plan_by_id(given, texts, metas, vecs)
        self._apply(plan, texts, metas, hashes, vecs)
        return plan.result

    def _plan_by_hash(self, hashes: list[str]) -> _Plan:
        plan = _Plan(AddResult(), [], [], self._next_id)
        known = self._ids_for_hashes(hashes)
        batch: dict[str, int] = {}
        for row, digest in enumerate(hashes):
            found = batch.get(digest, known.get(digest))
            if found is not None:
                plan.result.existing.append(found)
                continue
            batch[digest] = plan.next_id
            plan.inserts.append((plan.next_id, row))
            plan.result.added.append(plan.next_id)
            plan.next_id += 1
        return plan

    def _plan_by_id(self, given: list[int], texts: list[str], metas: list[Metadata],
                    vecs: Vectors) -> _Plan:
        plan = _Plan(AddResult(), [], [], max(self._next_id, max(given, default=-1) + 1))
        present, unchanged = self._compare_stored(given, texts, metas, vecs)
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

    def _ids_for_hashes(self, hashes: list[str]) -> dict[str, int]:
        """For each digest already stored: the id of its earliest record."""
        return {d: self._by_hash[d][0] for d in set(hashes) if d in self._by_hash}

    def _compare_stored(self, given: list[int], texts: list[str], metas: list[Metadata],
                        vecs: Vectors) -> tuple[set[int], set[int]]:
        """The given ids already stored, and those of them whose text, metadata and vector
        equal the input row's (within the SQ8 rounding when the index quantises)."""
        present = [(i, row) for row, i in enumerate(given) if i in self._entries]
        stored = self._index.reconstruct(np.array([i for i, _ in present], dtype=np.int64))
        tol = 0.0 if self._index.exact_vectors else _QUANTISED_TOLERANCE
        unchanged = {
            i for (i, row), old_vec in zip(present, stored, strict=True)
            if self._entries[i].text == texts[row] and self._entries[i].metadata == metas[row]
            and float(np.abs(old_vec - vecs[row]).max(initial=0.0)) <= tol
        }
        return {i for i, _ in present}, unchanged

    def _apply(self, plan: _Plan, texts: list[str], metas: list[Metadata], hashes: list[str],
               vecs: Vectors) -> None:
        """Carry out a validated plan: the only place an add changes state."""
        pairs = plan.inserts + plan.replaces
        self._index.remove(np.array([i for i, _ in plan.replaces], dtype=np.int64))
        self._index.add(np.array([i for i, _ in pairs], dtype=np.int64),
                        np.ascontiguousarray(vecs[[row for _, row in pairs]]))
        for i, _ in plan.replaces:
            self._forget_hash(i)
        for i, row in pairs:
            self._entries[i] = _Entry(texts[row], metas[row], metadata_json(metas[row]),
                                      hashes[row])
            self._by_hash.setdefault(hashes[row], []).append(i)
        self._next_id = plan.next_id

    # -- reading ---------------------------------------------------------------------------

    def id_for_text(self, text: str) -> int | None:
        """The id of a record with exactly this text (the earliest stored), or None."""
        return self.ids_for_texts([text])[0]

    def ids_for_texts(self, texts: Sequence[str]) -> list[int | None]:
        """`id_for_text` of each text, looked up together (one query on stored backends)."""
        hashes = [content_hash(t) for t in texts]
        known = self._ids_for_hashes(hashes)
        return [known.get(h) for h in hashes]

    def content_digests(self) -> np.ndarray:
        """The SHA-256 digests of every stored text, sorted, as a `S32` array: what a remote
        job needs to skip texts this collection already holds (`np.searchsorted`)."""
        return digest_array(self._by_hash)

    def get(self, id: int) -> Record:
        """The record with this id; RecordNotFoundError if there is none."""
        entry = self._entries.get(id) if isinstance(id, (int, np.integer)) else None
        if entry is None:
            msg = f"no record with id {id!r} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return Record(int(id), entry.text, _copy_metadata(entry))

    def vectors_for(self, ids: Any) -> Vectors:
        """Stored vectors in the order given (ivfpq: reconstructed from its SQ8 codes)."""
        arr = as_id_array(ids)
        missing = [int(i) for i in arr if int(i) not in self._entries]
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            msg = f"no record with id {shown} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return self._index.reconstruct(arr)

    def records(self) -> list[Record]:
        """Every record, in insertion order (an upsert keeps its place)."""
        return [Record(i, e.text, _copy_metadata(e)) for i, e in self._entries.items()]

    def ids(self) -> IdArray:
        """Every id as int64, in insertion order."""
        return np.fromiter(self._entries.keys(), dtype=np.int64, count=len(self._entries))

    def search(self, vectors: Any, k: int, where: Any = None) -> list[list[Hit]]:
        """The k most similar records per query vector (fewer if fewer match), best first; ties
        go to the lower id. `where`: metadata filter, see filters.py."""
        k = check_k(k)
        wanted = check_where(where)
        queries = check_queries(vectors, self.dim)
        empty: list[list[Hit]] = [[] for _ in range(len(queries))]
        if len(self) == 0:
            return empty
        allowed = None
        if wanted is not None:
            allowed = self._matching(wanted)
            if not len(allowed):
                return empty
        return self._search(queries, min(k, len(self)), allowed)

    def _matching(self, where: dict[str, Any]) -> IdArray:
        """Ids of the records whose metadata passes `where` (a checked, non-empty filter)."""
        found = matching_ids(((i, e.metadata) for i, e in self._entries.items()), where)
        return np.array(found, dtype=np.int64)

    def _search(self, queries: Vectors, k: int, allowed: IdArray | None) -> list[list[Hit]]:
        """`search` after its checks: k at most len(self); `allowed` None or non-empty."""
        results = self._index.search(queries, k, allowed)
        return [[self._hit(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
                for ids, scores in results]

    def _hit(self, id_: int, score: float) -> Hit:
        entry = self._entries[id_]
        return Hit(id_, score, entry.text, _copy_metadata(entry))

    # -- deleting --------------------------------------------------------------------------

    def delete(self, ids: Any) -> int:
        """Remove records by id; ids not present are ignored. Returns how many were removed."""
        present = [int(i) for i in np.unique(as_id_array(ids)) if int(i) in self._entries]
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
        return self.estimate_for(self._memory_kind(), **self.index_params)

    def estimate_for(self, kind: str, **params: Any) -> MemoryEstimate:
        """Estimated RAM if this collection were indexed as `kind` with `params`."""
        chars = sum(len(e.text) for e in self._entries.values())
        meta = sum(len(e.metadata_json) for e in self._entries.values())
        return estimate(kind, self.dim, len(self), params,
                        records_bytes(chars, meta, len(self)))

    def _memory_kind(self) -> str:
        trained = getattr(self._index, "trained", True)
        return self.kind if trained else "flat"  # untrained ivfpq keeps a flat index

    def reindex(self, kind: str, **params: Any) -> None:
        """Rebuild the index as `kind` from the stored vectors (ivfpq: their SQ8 reconstruction).
        Parameters are checked first; on any error the collection is unchanged."""
        fresh = make_index(kind, self.dim, params)
        nlist = params.get("nlist")
        if kind == "ivfpq" and isinstance(nlist, int) and nlist > len(self):
            msg = f"nlist={nlist} is more than the {len(self):,} vectors to cluster"
            raise InvalidArgumentError(msg)
        ids = self.ids()
        if len(ids):
            fresh.add(ids, np.ascontiguousarray(self._index.reconstruct(ids)))
        self._index = fresh

    def to_disk(self, path: str | os.PathLike[str], *, chunk: int = 100_000,
                **params: Any) -> None:
        """Write an on-disk `ivfpq` copy (ondisk_write.py): open it with Collection.load.
        params: nlist, pq_m, nprobe, k_factor. This collection is left as it is."""
        from embmagic.store.ondisk_write import DiskWriter

        ids = self.ids()
        with DiskWriter(path, name=self.name, model_id=self.model_id, dim=self.dim,
                        total=len(ids), sample=self.vectors_for(ids), params=params) as writer:
            for part in self._record_chunks(chunk):
                writer.add(part.ids, part.vectors, part.texts, part.sha256, part.metadata_json)
            writer.next_id = max(writer.next_id, self._next_id)

    def to_lance(self, path: str | os.PathLike[str], *, chunk: int = 100_000) -> LanceCollection:
        """Copy into a LanceDB table at `path` (a directory or any URI `lancedb.connect` takes),
        streamed `chunk` records at a time in one LanceDB commit; returns the writable
        LanceCollection there (lance.py). This collection is left as it is."""
        from embmagic.store.lance import LanceCollection

        return LanceCollection.copy_of(self, path, chunk=chunk)

    def _record_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, `chunk` at a time, in `ids()` order."""
        ids = self.ids()
        for s in range(0, len(ids), chunk):
            part = ids[s:s + chunk]
            entries = [self._entries[int(i)] for i in part]
            yield RecordChunk(part, np.ascontiguousarray(self._index.reconstruct(part)),
                              [e.text for e in entries], [e.sha256 for e in entries],
                              [e.metadata_json for e in entries])

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to a directory atomically (see persist.py for the format)."""
        records = [persist.StoredRecord(i, e.text, e.metadata, e.metadata_json, e.sha256)
                   for i, e in self._entries.items()]
        persist.write(path, persist.Saved(
            name=self.name, model_id=self.model_id, dim=self.dim, kind=self.kind,
            params=self._index.params, next_id=self._next_id, index=self._index.faiss_index(),
            records=records, tombstones=self._index.tombstones()))

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> Collection:
        """A collection saved by `save` (or `to_disk`: then a read-only DiskCollection; or
        `to_lance`: then a LanceCollection); StoreFormatError if missing, foreign, newer or
        corrupt."""
        if _is_lance(path) or persist.is_on_disk(path):
            return cls.open(path, name=name)
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
        self._index = kind.restore(saved.dim, saved.params, saved.index, saved.tombstones)
        self._entries, self._by_hash = {}, {}
        for rec in saved.records:
            self._entries[rec.id] = _Entry(rec.text, rec.metadata, rec.metadata_json, rec.sha256)
            self._by_hash.setdefault(rec.sha256, []).append(rec.id)
        self._next_id = saved.next_id
        self._check_loaded(str(path))
        return self

    @classmethod
    def open(cls, path: str | os.PathLike[str], name: str | None = None, *,
             mmap: bool = True) -> Collection:
        """An on-disk collection: memory-mapped and read-only (mmap=True), or read into a
        mutable in-memory `ivfpq` collection. A LanceDB collection opens as a LanceCollection
        (mmap=False: read into an in-memory flat one). Other saves load as `load` does."""
        if _is_lance(path):
            from embmagic.store.lance import LanceCollection

            return LanceCollection.open(path, name=name, mmap=mmap)
        if not persist.is_on_disk(path):
            return cls.load(path, name=name)
        from embmagic.store.ondisk import DiskCollection

        disk = DiskCollection(path, name=name)
        return disk if mmap else disk.to_memory("ivfpq", **_memory_params(disk.index_params))

    def _check_loaded(self, path: str) -> None:
        """Records and index must hold the same ids, all below next_id."""
        ids = np.sort(self.ids())
        if len(ids) != len(self._entries) or not np.array_equal(
                ids, np.sort(self._index.live_ids())):
            msg = f"{path}: records and index hold different ids"
            raise StoreFormatError(msg)
        if len(ids) and int(ids[-1]) >= self._next_id:
            msg = f"{path}: manifest next_id is not above every id"
            raise StoreFormatError(msg)


def _is_lance(path: str | os.PathLike[str]) -> bool:
    from embmagic.store.lance import is_lance_path

    return is_lance_path(path)


def _memory_params(params: dict[str, Any]) -> dict[str, Any]:
    """On-disk ivfpq parameters an in-memory ivfpq accepts (its PQ is 4-bit: m is re-chosen)."""
    return {k: v for k, v in params.items() if k in ("nlist", "nprobe", "k_factor")}


def _copy_metadata(entry: _Entry) -> Metadata:
    """A fresh copy, so callers cannot change stored metadata by mutating a result."""
    copied: Metadata = json.loads(entry.metadata_json)
    return copied
