"""`DiskCollection`: a read-only collection searched from files (see ondisk_write.py for them).

The `BaseCollection` reading API (search, get, vectors_for, records, ids, id_for_text, len, save,
memory, estimate_for); add, delete and reindex raise `ReadOnlyCollectionError`. RAM holds the IVF
centroids, the PQ codebooks and a few cached Parquet row groups; the rest is mapped or read per hit.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.errors import (
    InvalidArgumentError,
    ReadOnlyCollectionError,
    RecordNotFoundError,
    StoreFormatError,
)
from embmagic.store import persist
from embmagic.store.base import BaseCollection, PathLike, StorageFormat
from embmagic.store.batches import AddBatch, AddPlan, RecordChunk
from embmagic.store.collection import Collection
from embmagic.store.disk_records import ParquetRecords
from embmagic.store.kinds.ondisk import READ_ONLY, OnDiskIvfPq, VectorFile
from embmagic.store.lexical import LexicalIndex
from embmagic.store.memory import MemoryEstimate, estimate, records_bytes
from embmagic.store.ondisk_write import (
    FILES,
    HASH_AT_OPEN_MAX,
    IDS,
    INDEX,
    ORDER,
    RECORDS,
    VECTORS,
    DiskWriter,
)
from embmagic.store.topk import IdArray
from embmagic.store.validate import as_id_array, content_hash, digest_array, metadata_json
from embmagic.types import Hit, Record, Vectors


class DiskCollection(BaseCollection):
    """An on-disk `ivfpq` collection; `path` is its directory (kept open while in use)."""

    path: Path

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        source = persist.locate(Path(path))
        manifest = persist.read_manifest(source, max_version=persist.ONDISK_VERSION)
        try:
            self.name = name or str(manifest["name"])
            self.model_id, self.dim = str(manifest["model_id"]), persist.int64(manifest["dim"])
            params, self._next_free = dict(manifest["params"]), persist.int64(manifest["next_id"])
            counts = manifest["counts"]
            count = persist.int64(counts["records"])
            files = manifest["files"]
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{source / persist.MANIFEST} is incomplete or malformed ({exc})"
            raise StoreFormatError(msg) from exc
        if manifest.get("kind") != "ivfpq":
            msg = (f"{source / persist.MANIFEST} says kind {manifest.get('kind')!r}, but an "
                   "on-disk collection is always ivfpq (modified or corrupt)")
            raise StoreFormatError(msg)
        _verify(source, files)
        self.path = source
        self._index = _open_index(source, self.dim, params, count, self._next_free)
        self._records = ParquetRecords(source / RECORDS)
        if len(self._records) != count:
            msg = f"{source}: records.parquet holds {len(self._records):,} rows, not {count:,}"
            raise StoreFormatError(msg)
        self._chars = _record_chars(counts, self._records)
        if isinstance(files, dict) and persist.LEXICAL in files:
            persist.verify_file(source, persist.LEXICAL, manifest)
            self._lexical = LexicalIndex.from_bytes((source / persist.LEXICAL).read_bytes(),
                                                    self.ids(), str(source))

    # -- description -----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._index.kind

    @property
    def index_status(self) -> str:
        return self._index.status

    @property
    def index_params(self) -> dict[str, Any]:
        return self._index.params

    @property
    def next_id(self) -> int:
        return self._next_free

    def __len__(self) -> int:
        return self._index.ntotal

    def __repr__(self) -> str:
        return (f"DiskCollection({self.name!r}, model_id={self.model_id!r}, dim={self.dim}, "
                f"records={len(self):,}, path={str(self.path)!r})")

    def tune(self, nprobe: int | None = None, k_factor: int | None = None) -> None:
        """Change the search settings (lists probed, candidates re-ranked per result); nothing
        is rebuilt or written. None keeps a setting."""
        self._index.tune(nprobe=nprobe, k_factor=k_factor)

    # -- memory ----------------------------------------------------------------------------

    def memory(self) -> MemoryEstimate:
        disk = sum((self.path / name).stat().st_size for name in FILES)
        return MemoryEstimate("ivfpq on disk", len(self), self._index.ram_bytes(), 0, disk)

    def estimate_for(self, kind: str, **params: Any) -> MemoryEstimate:
        """RAM if these records were read into memory as `kind` (see `to_memory`); records'
        sizes come from the manifest (older saves: the Parquet column sizes)."""
        n = len(self)
        return estimate(kind, self.dim, n, params, records_bytes(*self._chars, n))

    # -- read-only -------------------------------------------------------------------------

    def check_writable(self) -> None:
        raise ReadOnlyCollectionError(READ_ONLY)

    def compare_stored(self, ids: list[int], batch: AddBatch) -> tuple[set[int], set[int]]:
        raise ReadOnlyCollectionError(READ_ONLY)

    def apply_add(self, plan: AddPlan, batch: AddBatch) -> None:
        raise ReadOnlyCollectionError(READ_ONLY)

    def delete(self, ids: Any) -> int:
        raise ReadOnlyCollectionError(READ_ONLY)

    def reindex(self, kind: str, **params: Any) -> None:
        raise ReadOnlyCollectionError(READ_ONLY)

    # -- reading ---------------------------------------------------------------------------

    def ids_for_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        """A scan of the sha256 column per digest."""
        rows = {d: self._records.row_for_hash(d) for d in set(hashes)}
        found = {d: r for d, r in rows.items() if r is not None}
        ids = self._index.ids_at(np.array(list(found.values()), dtype=np.int64))
        return {d: int(i) for d, i in zip(found, ids, strict=True)}

    def content_digests(self) -> np.ndarray:
        """A scan of the sha256 column."""
        return digest_array(self._records.digests())

    def _rows(self, ids: Any) -> IdArray:
        """Rows of ids, RecordNotFoundError naming the missing ones."""
        arr = as_id_array(ids)
        found = self._index.has(arr)
        if not found.all():
            shown = ", ".join(str(int(i)) for i in arr[~found][:10])
            msg = f"no record with id {shown} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return self._index.rows_of(arr)

    def get(self, id: int) -> Record:
        if not isinstance(id, (int, np.integer)) or isinstance(id, bool):
            msg = f"no record with id {id!r} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return self._records.at(self._rows([int(id)]))[0]

    def vectors_for(self, ids: Any) -> Vectors:
        """Stored vectors (float16 on disk, returned as float32: within 5e-4 of what was added)."""
        return self._index.vectors_at(self._rows(ids))

    def records(self) -> list[Record]:
        """Every record in storage order (reads the whole Parquet file)."""
        return list(self._records.all())

    def ids(self) -> IdArray:
        return self._index.live_ids()

    def iter_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, `chunk` storage rows at a time."""
        for s in range(0, len(self), chunk):
            rows = np.arange(s, min(s + chunk, len(self)), dtype=np.int64)
            records = self._records.at(rows)
            yield RecordChunk(np.array([r.id for r in records], dtype=np.int64),
                              self._index.vectors_at(rows), [r.text for r in records],
                              [content_hash(r.text) for r in records],
                              [metadata_json(r.metadata) for r in records])

    def matching_ids(self, where: dict[str, Any]) -> IdArray:
        """A scan of the metadata column."""
        return self._index.ids_at(self._records.rows_where(where))

    def search_vectors(self, queries: Vectors, k: int,
                       allowed: IdArray | None) -> list[list[Hit]]:
        results = self._index.search(queries, k, allowed)
        out = []
        for ids, scores in results:
            records = self._records.at(self._index.rows_of(ids)) if len(ids) else []
            out.append([Hit(r.id, float(s), r.text, r.metadata)
                        for r, s in zip(records, scores, strict=True)])
        return out

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Copy the directory (renamed into place like every save)."""
        target = Path(path)
        if target.resolve() == self.path.resolve():
            return
        started = time.time()
        tmp = persist.make_temp_dir(target)
        try:
            shutil.copytree(self.path, tmp, dirs_exist_ok=True)
            persist.swap_into_place(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        persist.clean_stale(target, started)

    def to_memory(self, kind: str = "flat", **params: Any) -> Collection:
        """An in-memory (mutable) collection of the same records, vectors and next_id."""
        return Collection.copy_of(self, kind, **params)


def _open(path: PathLike, name: str | None, mmap: bool) -> BaseCollection:
    disk = DiskCollection(path, name=name)
    if mmap:
        return disk
    # an in-memory ivfpq takes these; its 4-bit PQ re-chooses m
    kept = {k: v for k, v in disk.index_params.items() if k in ("nlist", "nprobe", "k_factor")}
    return disk.to_memory("ivfpq", **kept)


def _write(source: BaseCollection, path: PathLike, chunk: int,
           params: dict[str, Any]) -> BaseCollection:
    ids = source.ids()
    with DiskWriter(path, name=source.name, model_id=source.model_id, dim=source.dim,
                    total=len(ids), sample=source.vectors_for(ids), params=params) as writer:
        for part in source.iter_chunks(chunk):
            writer.add(part.ids, part.vectors, part.texts, part.sha256, part.metadata_json)
        writer.next_id = max(writer.next_id, source.next_id)
        writer.lexical = source.lexical_snapshot()
    return DiskCollection(path)


DISK_FORMAT = StorageFormat("on-disk", persist.is_on_disk, _open, _write)
"""`to_disk`'s directories (format embmagic.collection, version 2, "storage": "on-disk")."""


def _record_chars(counts: Any, records: ParquetRecords) -> tuple[int, int]:
    """Characters of text and of metadata JSON: the manifest's counts, else (saves written
    before they were counted) the Parquet columns' uncompressed sizes less their offsets."""
    try:
        return int(counts["text_chars"]), int(counts["metadata_chars"])
    except (KeyError, TypeError, ValueError):
        n = len(records)
        text, meta = records.column_bytes("text"), records.column_bytes("metadata")
        return max(text - 4 * n, 0), max(meta - 4 * n, 0)


def _verify(source: Path, files: Any) -> None:
    for name in FILES:
        try:
            expected = files[name]
            size = int(expected["bytes"])
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{source / persist.MANIFEST} lists no size for {name}"
            raise StoreFormatError(msg) from exc
        path = source / name
        if not path.is_file():
            msg = f"{path} is missing"
            raise StoreFormatError(msg)
        if path.stat().st_size != size:
            msg = f"{path} is {path.stat().st_size:,} bytes, the manifest says {size:,}"
            raise StoreFormatError(msg)
        if ("sha256" in expected and size <= HASH_AT_OPEN_MAX
                and persist.sha256_file(path) != expected["sha256"]):
            msg = f"{path} does not match its SHA-256 in the manifest (modified or corrupt)"
            raise StoreFormatError(msg)


def _open_index(source: Path, dim: int, params: dict[str, Any], count: int,
                next_id: int) -> OnDiskIvfPq:
    from embmagic.store._faiss import faiss

    try:
        index = faiss.read_index(str(source / INDEX),
                                 faiss.IO_FLAG_ONDISK_SAME_DIR | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError as exc:
        msg = f"{source / INDEX} is not a readable FAISS on-disk index"
        raise StoreFormatError(msg) from exc
    if not isinstance(index, faiss.IndexIVFPQ) or int(index.d) != dim:
        msg = f"{source / INDEX} is not a {dim}-d IndexIVFPQ"
        raise StoreFormatError(msg)
    if int(index.ntotal) != count:
        msg = f"{source / INDEX} holds {int(index.ntotal):,} vectors, not {count:,}"
        raise StoreFormatError(msg)
    row_ids, order = _load_rows(source, IDS, count), _load_rows(source, ORDER, count)
    _check_rows(source, row_ids, order, next_id)
    vectors = VectorFile(str(source / VECTORS), count, dim)
    try:
        checked = OnDiskIvfPq.check_params(params)
    except InvalidArgumentError as exc:  # parameters out of range, e.g. edited by hand
        msg = f"{source / persist.MANIFEST}: {exc}"
        raise StoreFormatError(msg) from exc
    return OnDiskIvfPq(dim, checked, index, vectors, row_ids, order, str(source))


def _load_rows(source: Path, name: str, count: int) -> IdArray:
    """ids.npy or order.npy, memory-mapped: `count` int64 values, else StoreFormatError."""
    try:
        rows = np.load(source / name, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        msg = f"{source / name} is not a readable .npy array"
        raise StoreFormatError(msg) from exc
    if rows.dtype != np.int64 or rows.shape != (count,):
        msg = f"{source / name} does not hold {count:,} int64 rows"
        raise StoreFormatError(msg)
    out: IdArray = rows
    return out


def _check_rows(source: Path, row_ids: IdArray, order: IdArray, next_id: int) -> None:
    """The format's invariants, O(n) and cheap (0.2 ms per 100k rows): `order` is a permutation
    of the rows that sorts the ids strictly (so ids are distinct), and ids lie in [0, next_id)."""
    if not len(order):
        return
    if int(order.min()) < 0 or int(order.max()) >= len(order):
        msg = f"{source / ORDER} is not a permutation of the rows (modified or corrupt)"
        raise StoreFormatError(msg)
    keys = np.asarray(row_ids[order])
    if not bool(np.all(keys[1:] > keys[:-1])):
        msg = f"{source}: ids.npy / order.npy do not sort to distinct ids (modified or corrupt)"
        raise StoreFormatError(msg)
    if int(keys[0]) < 0 or int(keys[-1]) >= next_id:
        msg = f"{source / IDS} holds ids outside 0..next_id-1 (modified or corrupt)"
        raise StoreFormatError(msg)
