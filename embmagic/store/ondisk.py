"""`DiskCollection`: a read-only collection searched from files (see ondisk_write.py for them).

The same reading API as `Collection` (search, get, vectors_for, records, ids, id_for_text, len,
save, load); add and delete raise `ReadOnlyCollectionError`. RAM holds the IVF centroids, the PQ
codebooks and a few cached Parquet row groups; everything else is memory-mapped or read per hit.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.errors import ReadOnlyCollectionError, RecordNotFoundError, StoreFormatError
from embmagic.store import persist
from embmagic.store.collection import AddResult, Collection, RecordChunk
from embmagic.store.disk_records import ParquetRecords
from embmagic.store.kinds.ondisk import _READ_ONLY, OnDiskIvfPq, VectorFile
from embmagic.store.memory import MemoryEstimate
from embmagic.store.ondisk_write import FILES, IDS, INDEX, ORDER, RECORDS, VECTORS
from embmagic.store.topk import IdArray
from embmagic.store.validate import as_id_array, content_hash, metadata_json
from embmagic.types import Hit, Record, Vectors


class DiskCollection(Collection):
    """An on-disk `ivfpq` collection; `path` is its directory (kept open while in use)."""

    _index: OnDiskIvfPq
    path: Path

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        source = persist.locate(Path(path))
        manifest = persist.read_manifest(source, max_version=persist.ONDISK_VERSION)
        try:
            self.name = name or str(manifest["name"])
            self.model_id, self.dim = str(manifest["model_id"]), int(manifest["dim"])
            params, self._next_id = dict(manifest["params"]), int(manifest["next_id"])
            count = int(manifest["counts"]["records"])
            files = manifest["files"]
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{source / persist.MANIFEST} is incomplete or malformed ({exc})"
            raise StoreFormatError(msg) from exc
        _verify(source, files)
        self.path = source
        self._index = _open_index(source, self.dim, params, count)
        self._records = ParquetRecords(source / RECORDS)
        if len(self._records) != count:
            msg = f"{source}: records.parquet holds {len(self._records):,} rows, not {count:,}"
            raise StoreFormatError(msg)

    # -- description -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._index.ntotal

    def __repr__(self) -> str:
        return (f"DiskCollection({self.name!r}, model_id={self.model_id!r}, dim={self.dim}, "
                f"records={len(self):,}, path={str(self.path)!r})")

    def memory(self) -> MemoryEstimate:
        disk = sum((self.path / name).stat().st_size for name in FILES)
        return MemoryEstimate("ivfpq on disk", len(self), self._index.ram_bytes(), 0, disk)

    # -- read-only -------------------------------------------------------------------------

    def check_writable(self) -> None:
        raise ReadOnlyCollectionError(_READ_ONLY)

    def add(self, texts: Any, vectors: Any, metadata: Any = None, ids: Any = None, *,
            model_id: str | None = None) -> AddResult:
        raise ReadOnlyCollectionError(_READ_ONLY)

    def delete(self, ids: Any) -> int:
        raise ReadOnlyCollectionError(_READ_ONLY)

    def reindex(self, kind: str, **params: Any) -> None:
        raise ReadOnlyCollectionError(_READ_ONLY)

    # -- reading ---------------------------------------------------------------------------

    def _ids_for_hashes(self, hashes: list[str]) -> dict[str, int]:
        rows = {d: self._records.row_for_hash(d) for d in set(hashes)}
        return {d: int(self._index._row_ids[r]) for d, r in rows.items() if r is not None}

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

    def _matching(self, where: dict[str, Any]) -> IdArray:
        """A scan of the metadata column."""
        rows = self._records.rows_where(where)
        return np.asarray(self._index._row_ids[rows], dtype=np.int64)

    def _search(self, queries: Vectors, k: int, allowed: IdArray | None) -> list[list[Hit]]:
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
        persist.refuse_foreign(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
        try:
            shutil.copytree(self.path, tmp)
            persist.swap_into_place(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _record_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, `chunk` storage rows at a time (to_disk, to_lance)."""
        for s in range(0, len(self), chunk):
            rows = np.arange(s, min(s + chunk, len(self)), dtype=np.int64)
            records = self._records.at(rows)
            yield RecordChunk(np.array([r.id for r in records], dtype=np.int64),
                              self._index.vectors_at(rows), [r.text for r in records],
                              [content_hash(r.text) for r in records],
                              [metadata_json(r.metadata) for r in records])

    def to_memory(self, kind: str = "flat", **params: Any) -> Collection:
        """An in-memory (mutable) collection of the same records and vectors."""
        out = Collection(self.name, self.model_id, self.dim, kind, **params)
        records = self.records()
        if records:
            vectors = self._index.vectors_at(np.arange(len(records), dtype=np.int64))
            out.add([r.text for r in records], vectors, [r.metadata for r in records],
                    ids=[r.id for r in records])
        out._next_id = max(out._next_id, self._next_id)
        return out


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
        if "sha256" in expected and persist.sha256_file(path) != expected["sha256"]:
            msg = f"{path} does not match its SHA-256 in the manifest (modified or corrupt)"
            raise StoreFormatError(msg)


def _open_index(source: Path, dim: int, params: dict[str, Any], count: int) -> OnDiskIvfPq:
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
    row_ids = np.load(source / IDS, mmap_mode="r")
    order = np.load(source / ORDER, mmap_mode="r")
    vectors = VectorFile(str(source / VECTORS), count, dim)
    if row_ids.shape != (count,) or order.shape != (count,):
        msg = f"{source}: ids.npy / order.npy do not hold {count:,} rows"
        raise StoreFormatError(msg)
    checked = OnDiskIvfPq.check_params(params)
    return OnDiskIvfPq(dim, checked, index, vectors, row_ids, order, str(source))
