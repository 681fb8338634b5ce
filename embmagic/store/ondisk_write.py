"""Writing an on-disk collection, streamed: memory stays bounded by one chunk and the centroids.

    <dir>/manifest.json    format embmagic.collection, version 2, "storage": "on-disk"
    <dir>/index.faiss      trained IndexIVFPQ whose inverted lists live in lists.ivfdata
    <dir>/lists.ivfdata    FAISS OnDiskInvertedLists (PQ codes + storage rows, per list)
    <dir>/vectors.f16      (n, dim) float16, row-major: re-ranking and vectors_for
    <dir>/ids.npy          int64 storage row -> id;  order.npy: rows sorted by id
    <dir>/records.parquet  id, sha256, text, metadata JSON, in storage order

Each `add` encodes its chunk into a shard (a copy of the trained, empty index) written beside
the output; `close` merges the shards' lists into lists.ivfdata (faiss.contrib.ondisk) and
renames the directory into place like `persist.write`, so a crash leaves the old save or none.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from embmagic.errors import InvalidArgumentError
from embmagic.store import persist
from embmagic.store._faiss import faiss, write_index
from embmagic.store.disk_records import RecordsWriter
from embmagic.store.kinds.ondisk import check_disk_params, train_ivfpq
from embmagic.store.topk import IdArray
from embmagic.types import Vectors

INDEX, LISTS, VECTORS = "index.faiss", "lists.ivfdata", "vectors.f16"
IDS, ORDER, RECORDS = "ids.npy", "order.npy", "records.parquet"
FILES = (INDEX, LISTS, VECTORS, IDS, ORDER, RECORDS)
HASH_AT_OPEN_MAX = 128 * 2**20
"""Every file's SHA-256 is written to the manifest; opening verifies those of files up to this
size (ids and order to ~16M vectors, vectors.f16 to ~170k x 384: 51 ms for 100k x 384 measured)
and checks larger ones by size: hashing gigabytes on every open would cost more than the search
it prepares (`ids`/`order` are also checked for consistency at open, see ondisk.py)."""


class DiskWriter:
    """`with DiskWriter(path, ...) as w: w.add(...)`; the save appears when the block ends."""

    def __init__(self, path: str | os.PathLike[str], *, name: str, model_id: str, dim: int,
                 total: int, sample: Vectors, params: dict[str, Any] | None = None) -> None:
        self.target = Path(path)
        persist.check_target(self.target)
        self.params = check_disk_params(dim, total, params or {})
        self.name, self.model_id, self.dim = name, model_id, dim
        self._trained = train_ivfpq(dim, self.params, sample)
        self._started = time.time()
        self._tmp = persist.make_temp_dir(self.target)
        self._vectors = open(self._tmp / VECTORS, "wb")  # noqa: SIM115 - closed in close/abort
        self._records = RecordsWriter(self._tmp / RECORDS)
        self._ids: list[IdArray] = []
        self._shards: list[str] = []
        self.rows, self.next_id = 0, 0
        self.text_chars = self.metadata_chars = 0
        self.lexical: bytes | None = None
        """`lexical.npz` (store/lexical.py) to write with the save, if set before it closes."""

    def add(self, ids: IdArray, vectors: Vectors, texts: list[str], sha256: list[str],
            metadata_json: list[str]) -> None:
        """Append one chunk (validated by the caller: unit vectors, distinct new ids)."""
        n = len(ids)
        if n == 0:
            return
        shard = faiss.clone_index(self._trained)
        shard.add_with_ids(vectors, np.arange(self.rows, self.rows + n, dtype=np.int64))
        fname = str(self._tmp / f"shard-{len(self._shards):05d}.ivf")
        write_index(shard, fname)
        del shard
        self._shards.append(fname)
        self._vectors.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
        self._records.write(ids, sha256, texts, metadata_json)
        self._ids.append(np.asarray(ids, dtype=np.int64).copy())
        self.rows += n
        self.text_chars += sum(len(t) for t in texts)
        self.metadata_chars += sum(len(m) for m in metadata_json)
        self.next_id = max(self.next_id, int(np.max(ids)) + 1)

    def close(self, next_id: int | None = None) -> None:
        """Merge, write the manifest and rename into place."""
        from faiss.contrib.ondisk import merge_ondisk

        self._vectors.close()
        self._records.close()
        ids = np.concatenate(self._ids) if self._ids else np.empty(0, np.int64)
        if len(np.unique(ids)) != len(ids):
            msg = "ids written to an on-disk collection must be distinct"
            raise InvalidArgumentError(msg)
        merge_ondisk(self._trained, self._shards, str(self._tmp / LISTS))
        write_index(self._trained, str(self._tmp / INDEX))
        self._trained = None  # closes the lists file
        for shard in self._shards:
            os.remove(shard)
        np.save(self._tmp / IDS, ids)
        np.save(self._tmp / ORDER, np.argsort(ids, kind="stable").astype(np.int64))
        self._write_manifest(max(self.next_id, next_id or 0))
        persist.swap_into_place(self._tmp, self.target)
        persist.clean_stale(self.target, self._started)

    def _write_manifest(self, next_id: int) -> None:
        files: dict[str, dict[str, Any]] = {}
        names = list(FILES)
        if self.lexical is not None:
            (self._tmp / persist.LEXICAL).write_bytes(self.lexical)
            names.append(persist.LEXICAL)
        for name in names:
            files[name] = {"bytes": (self._tmp / name).stat().st_size,
                           "sha256": persist.sha256_file(self._tmp / name)}
            persist.fsync(self._tmp / name)
        manifest = {
            "format": persist.FORMAT, "version": persist.ONDISK_VERSION, "storage": "on-disk",
            "name": self.name, "model_id": self.model_id, "dim": self.dim, "kind": "ivfpq",
            "params": self.params, "next_id": next_id,
            "counts": {"records": self.rows, "vectors": self.rows, "tombstones": 0,
                       "text_chars": self.text_chars, "metadata_chars": self.metadata_chars},
            "files": files,
        }
        (self._tmp / persist.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n",
                                                  encoding="utf-8")
        persist.fsync(self._tmp / persist.MANIFEST)
        persist.fsync(self._tmp)

    def abort(self) -> None:
        """Drop everything written so far."""
        self._vectors.close()
        self._records.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> DiskWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()
