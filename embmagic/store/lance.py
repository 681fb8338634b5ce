"""`LanceCollection`: a writable collection whose records and vectors live in a LanceDB table.

    <path>/records.lance    one LanceDB table: id, seq, text, metadata (JSON), sha256, vector

`path` is a directory or any URI `lancedb.connect` accepts (s3://, gs://, az://, db://...). The
name, model, dim, next_id and index settings are JSON in the `id` field's metadata, so they travel
with the table. `seq` is the insertion order (an upsert keeps its place), as in `Collection`.
Python keeps no records: each read is a LanceDB scan or filtered query, each add one LanceDB commit
(an append, or a merge-insert when it replaces records), planned by BaseCollection's code.

Search is exact (vectors stream from the table in blocks through the flat kind's NumPy top-k:
score desc, then id asc) unless `reindex("ivfpq")` built LanceDB's IVF_PQ index. `lancedb` is
imported only when a LanceCollection is made.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from embmagic.errors import (
    EmbmagicError,
    InvalidArgumentError,
    RecordNotFoundError,
    StoreFormatError,
)
from embmagic.store import persist
from embmagic.store.base import BaseCollection, PathLike, StorageFormat
from embmagic.store.batches import AddBatch, AddPlan, RecordChunk, check_name_and_dim
from embmagic.store.collection import Collection
from embmagic.store.filters import matches
from embmagic.store.memory import MemoryEstimate
from embmagic.store.topk import IdArray, Neighbours, Scores, sort_hits, top_k
from embmagic.store.validate import as_id_array, digest_array, metadata_json
from embmagic.types import Hit, Record, Vectors

LANCEDB_INSTALL = 'pip install "embmagic[lancedb]"'
TABLE = "records"
FORMAT, VERSION = "embmagic.lancedb", 1
_META_KEY = "embmagic"
_INDEX_PARAMS = ("nlist", "pq_m", "nprobe", "k_factor")
_K_FACTOR = 10
"""Default re-ranking depth of IVF_PQ searches (LanceDB's refine_factor): k_factor * k full
vectors are read and scored exactly."""
_IN_LIST = 2_000
"""Up to this many ids or digests are looked up with a SQL IN list; more are matched in a scan."""
_SCAN_BYTES = 32 << 20
"""Vector bytes per scanned block."""


class LanceDBNotInstalledError(EmbmagicError, ImportError):
    """A LanceDB collection without the `lancedb` package."""


def require_lancedb() -> ModuleType:
    """The `lancedb` module, or LanceDBNotInstalledError saying what to install."""
    try:
        import lancedb
    except ImportError:
        msg = f"LanceDB is not installed: {LANCEDB_INSTALL}"
        raise LanceDBNotInstalledError(msg) from None
    return lancedb


def is_lance_path(path: str | os.PathLike[str]) -> bool:
    """True for a URI (scheme://...) or a local directory holding records.lance."""
    text = os.fspath(path)
    return "://" in text or (Path(text) / f"{TABLE}.lance").is_dir()


class LanceCollection(BaseCollection):
    """The LanceDB collection at `path` (made by `create`, `Collection.to_lance` or `save`)."""

    path: str

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        lancedb = require_lancedb()
        self.path = os.fspath(path)
        missing = StoreFormatError(f"no LanceDB collection at {self.path}")
        if not is_lance_path(self.path):  # connecting would create the directory
            raise missing
        try:
            self._table: Any = lancedb.connect(self.path).open_table(TABLE)
        except (ValueError, OSError, RuntimeError) as exc:
            raise missing from exc
        self._saved = _read_meta(self._table.schema, self.path)
        self.name = name or str(self._saved["name"])
        self.model_id, self.dim = str(self._saved["model_id"]), int(self._saved["dim"])
        index = self._saved.get("index")
        self._index_params: dict[str, Any] = dict(index) if index else {}
        top_id, top_seq = self._largest("id", "seq")
        self._next_free = max(int(self._saved["next_id"]), top_id + 1)
        self._next_seq = top_seq + 1

    @classmethod
    def create(cls, path: str | os.PathLike[str], name: str, model_id: str,
               dim: int) -> LanceCollection:
        """A new, empty collection at `path`; refuses a path that already holds a collection."""
        lancedb = require_lancedb()
        check_name_and_dim(name, dim)
        target = os.fspath(path)
        _refuse_foreign(target)
        db = lancedb.connect(target)
        if is_lance_path(target) and TABLE in _table_names(db):
            msg = f"{target} already holds a LanceDB collection: use LanceCollection.open"
            raise InvalidArgumentError(msg)
        db.create_table(TABLE, schema=_schema(dim, _meta(name, str(model_id), dim, 0, None)))
        return cls(target)

    @classmethod
    def copy_of(cls, source: BaseCollection, path: str | os.PathLike[str], *,
                chunk: int = 100_000) -> LanceCollection:
        """`source`'s records, ids, vectors and next_id written to `path` in one commit."""
        lancedb = require_lancedb()
        _refuse_foreign(os.fspath(path))
        schema = _schema(source.dim, _meta(source.name, source.model_id, source.dim,
                                           source.next_id, None))

        def batches() -> Iterator[pa.RecordBatch]:
            seq = 0
            for part in source.iter_chunks(chunk):
                n = len(part.ids)
                yield _batch(source.dim, part.ids, np.arange(seq, seq + n), part.texts,
                             part.metadata_json, part.sha256, part.vectors)
                seq += n

        reader = pa.RecordBatchReader.from_batches(schema, batches())
        _write_table(lancedb, os.fspath(path), reader)
        return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike[str], name: str | None = None, *,
             mmap: bool = True) -> BaseCollection:
        """The collection at `path`; mmap=False reads it into an in-memory flat Collection."""
        lance = cls(path, name=name)
        return lance if mmap else lance.to_memory()

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> LanceCollection:
        return cls(path, name=name)

    # -- description -----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return "lancedb"

    @property
    def index_params(self) -> dict[str, Any]:
        """nlist, pq_m, nprobe, k_factor of the IVF_PQ index (None: LanceDB's default); {} when
        search is exact."""
        return dict(self._index_params)

    @property
    def index_status(self) -> str:
        n = len(self)
        if not self._index_params:
            return f"lancedb (exact search, {n:,} vectors)"
        shown = ", ".join(f"{k}={'auto' if v is None else v}"
                          for k, v in self._index_params.items())
        name = _vector_index(self._table)
        stats = self._table.index_stats(name) if name is not None else None
        waiting = int(stats.num_unindexed_rows) if stats is not None else n
        late = f"; {waiting:,} not indexed yet, searched exactly" if waiting else ""
        return f"lancedb IVF_PQ ({shown}), {n:,} vectors{late}"

    @property
    def next_id(self) -> int:
        return self._next_free

    def __len__(self) -> int:
        return int(self._table.count_rows())

    def __repr__(self) -> str:
        return (f"LanceCollection({self.name!r}, model_id={self.model_id!r}, dim={self.dim}, "
                f"records={len(self):,}, path={self.path!r})")

    def memory(self) -> MemoryEstimate:
        return self.estimate_for("ivfpq" if self._index_params else "flat", **self.index_params)

    def estimate_for(self, kind: str, **params: Any) -> MemoryEstimate:
        """RAM if searched as `kind`: exact scans hold one block of vectors; IVF_PQ caches its
        codes (pq_m bytes per vector, LanceDB's default d/16) and centroids. Records stay on
        disk; disk bytes are measured for local paths (0 for remote URIs)."""
        params = self._check_index(kind, params)
        n, index = len(self), 0
        if kind == "ivfpq":
            pq_m = params["pq_m"] or max(1, self.dim // 16)
            nlist = params["nlist"] or max(1, int(np.sqrt(n)))
            index = n * (pq_m + 8) + 4 * self.dim * nlist
        label = "lancedb IVF_PQ" if kind == "ivfpq" else "lancedb"
        return MemoryEstimate(label, n, index, 0, _disk_bytes(self.path))

    # -- adding (BaseCollection.add validates and plans; these hooks read and write the table)

    def ids_for_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        first: dict[str, tuple[int, int]] = {}
        found = self._fetch("sha256", sorted(set(hashes)), ["sha256", "id", "seq"])
        for digest, id_, seq in zip(*(found[c].to_pylist() for c in ("sha256", "id", "seq")),
                                    strict=True):
            if digest not in first or seq < first[digest][0]:
                first[digest] = (seq, id_)
        return {digest: id_ for digest, (_, id_) in first.items()}

    def compare_stored(self, ids: list[int], batch: AddBatch) -> tuple[set[int], set[int]]:
        found = self._fetch("id", ids, ["id", "text", "metadata", "vector"])
        row_of = {i: row for row, i in enumerate(ids)}
        stored = _vectors(found["vector"], self.dim)
        present: set[int] = set()
        unchanged: set[int] = set()
        columns = (found[c].to_pylist() for c in ("id", "text", "metadata"))
        for p, (id_, text, meta) in enumerate(zip(*columns, strict=True)):
            present.add(id_)
            row = row_of[id_]
            if (text == batch.texts[row] and json.loads(meta) == batch.metadata[row]
                    and np.array_equal(stored[p], batch.vectors[row])):
                unchanged.add(id_)
        return present, unchanged

    def apply_add(self, plan: AddPlan, batch: AddBatch) -> None:
        """One LanceDB commit: an append, or a merge-insert on id when records are replaced
        (they keep their seq, so their place in `records()`)."""
        pairs = plan.inserts + plan.replaces
        if pairs:
            seqs = [self._next_seq + n for n in range(len(plan.inserts))]
            if plan.replaces:
                old = self._fetch("id", [i for i, _ in plan.replaces], ["id", "seq"])
                kept = dict(zip(old["id"].to_pylist(), old["seq"].to_pylist(), strict=True))
                seqs += [kept[i] for i, _ in plan.replaces]
            rows = [row for _, row in pairs]
            table = _batch(self.dim, [i for i, _ in pairs], seqs,
                           [batch.texts[r] for r in rows],
                           [metadata_json(batch.metadata[r]) for r in rows],
                           [batch.hashes[r] for r in rows], batch.vectors[rows])
            if plan.replaces:
                (self._table.merge_insert("id").when_matched_update_all()
                 .when_not_matched_insert_all().execute(table))
            else:
                self._table.add(table)
            self._next_seq += len(plan.inserts)
        self._next_free = max(self._next_free, plan.next_id)

    # -- reading ---------------------------------------------------------------------------

    def content_digests(self) -> np.ndarray:
        digests: set[str] = set()
        for batch in self._scan(["sha256"]):
            digests.update(batch["sha256"].to_pylist())
        return digest_array(digests)

    def get(self, id: int) -> Record:
        found = None
        if isinstance(id, (int, np.integer)) and 0 <= int(id) < 2**63:
            found = self._fetch("id", [int(id)], ["id", "text", "metadata"])
        if found is None or found.num_rows == 0:
            msg = f"no record with id {id!r} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        return Record(int(id), found["text"][0].as_py(), json.loads(found["metadata"][0].as_py()))

    def vectors_for(self, ids: Any) -> Vectors:
        """Stored vectors in the order given (float32, exactly as added)."""
        arr = as_id_array(ids)
        found = self._fetch("id", np.unique(arr), ["id", "vector"])
        stored = found["id"].to_numpy()
        missing = [int(i) for i in arr[~np.isin(arr, stored)]]
        if missing:
            shown = ", ".join(map(str, missing[:10]))
            msg = f"no record with id {shown} in collection {self.name!r}"
            raise RecordNotFoundError(msg)
        order = np.argsort(stored)
        return _vectors(found["vector"], self.dim)[order[np.searchsorted(stored, arr,
                                                                          sorter=order)]]

    def records(self) -> list[Record]:
        """Every record, in insertion order (an upsert keeps its place)."""
        table = self._scan(["id", "seq", "text", "metadata"]).read_all()
        ids, texts, metas = (table[c].to_pylist() for c in ("id", "text", "metadata"))
        order = np.argsort(table["seq"].to_numpy(), kind="stable")
        return [Record(ids[p], texts[p], json.loads(metas[p])) for p in order]

    def ids(self) -> IdArray:
        """Every id as int64, in insertion order."""
        table = self._scan(["id", "seq"]).read_all()
        order = np.argsort(table["seq"].to_numpy(), kind="stable")
        return np.asarray(table["id"].to_numpy()[order], dtype=np.int64)

    def search_vectors(self, queries: Vectors, k: int,
                       allowed: IdArray | None) -> list[list[Hit]]:
        """Exact unless an IVF_PQ index exists; a `where` filter (a scan of the metadata column)
        is always searched exactly over the matching ids."""
        if self._index_params and allowed is None:
            found = [self._ann(query, k) for query in queries]
        else:
            found = self._exact(queries, k, allowed)
        return self._hits(found)

    def _exact(self, queries: Vectors, k: int, allowed: IdArray | None) -> Neighbours:
        """Blocks of the table (or of the allowed ids) through top_k, merged per query."""
        best: Neighbours = [(np.empty(0, np.int64), np.empty(0, np.float32)) for _ in queries]
        blocks = self._scan(["id", "vector"]) if allowed is None else \
            self._scan_in("id", allowed, ["id", "vector"])
        for batch in blocks:
            ids = np.asarray(batch["id"].to_numpy(), dtype=np.int64)
            part = top_k(queries, _vectors(batch["vector"], self.dim), ids, k)
            best = [sort_hits(np.concatenate([b_ids, p_ids]), np.concatenate([b_s, p_s]), k)
                    for (b_ids, b_s), (p_ids, p_s) in zip(best, part, strict=True)]
        return best

    def _ann(self, query: Vectors, k: int) -> tuple[IdArray, Scores]:
        """LanceDB's IVF_PQ candidates (rows not yet indexed are scanned by LanceDB), re-scored
        exactly from their stored vectors and ordered by score desc, then id asc."""
        nprobe = self._index_params.get("nprobe")
        builder = (self._table.search(query, vector_column_name="vector").distance_type("dot")
                   .limit(k).refine_factor(self._index_params["k_factor"])
                   .select(["id", "vector", "_distance"]))
        if nprobe:
            builder = builder.nprobes(nprobe)
        got = builder.to_arrow()
        ids = np.asarray(got["id"].to_numpy(), dtype=np.int64)
        scores = (_vectors(got["vector"], self.dim) @ query).astype(np.float32)
        return sort_hits(ids, scores, k)

    def hits_for(self, ids: IdArray, scores: Any) -> list[Hit]:
        """One query for all the hits' texts and metadata (lexical search)."""
        return self._hits([(ids, scores)])[0] if len(ids) else []

    def texts_for(self, ids: list[int]) -> list[str]:
        rows = self._fetch("id", np.asarray(ids, np.int64), ["id", "text"])
        by_id = dict(zip(rows["id"].to_pylist(), rows["text"].to_pylist(), strict=True))
        return [by_id[i] for i in ids]

    def _hits(self, found: Neighbours) -> list[list[Hit]]:
        wanted = np.unique(np.concatenate([ids for ids, _ in found]))
        rows = self._fetch("id", wanted, ["id", "text", "metadata"])
        by_id = {i: (t, m) for i, t, m in zip(
            *(rows[c].to_pylist() for c in ("id", "text", "metadata")), strict=True)}
        return [[Hit(int(i), float(s), by_id[int(i)][0], json.loads(by_id[int(i)][1]))
                 for i, s in zip(ids, scores, strict=True)] for ids, scores in found]

    def matching_ids(self, where: dict[str, Any]) -> IdArray:
        found: list[int] = []
        for batch in self._scan(["id", "metadata"]):
            for id_, meta in zip(batch["id"].to_pylist(), batch["metadata"].to_pylist(),
                                 strict=True):
                if matches(json.loads(meta), where):
                    found.append(id_)
        return np.array(found, dtype=np.int64)

    # -- deleting --------------------------------------------------------------------------

    def delete(self, ids: Any) -> int:
        """Remove records by id (one commit); next_id is persisted first, so ids are never
        reused after a reopen."""
        present = self._fetch("id", np.unique(as_id_array(ids)), ["id"])["id"].to_numpy()
        if len(present):
            self.lexical_forget(present)
            if int(self._saved["next_id"]) < self._next_free:
                self._save_meta(next_id=self._next_free)
            self._table.delete(_sql_in("id", present))
        return len(present)

    # -- index -----------------------------------------------------------------------------

    def reindex(self, kind: str, **params: Any) -> None:
        """"flat": drop LanceDB's vector index (exact search); "ivfpq": build LanceDB's IVF_PQ
        index (dot product; params nlist, pq_m, nprobe, k_factor). Checked first: on an error
        nothing changes. Other kinds raise InvalidArgumentError."""
        checked = self._check_index(kind, params)
        nlist = checked.get("nlist")
        if kind == "ivfpq" and nlist is not None and nlist > len(self):
            msg = f"nlist={nlist} is more than the {len(self):,} vectors to cluster"
            raise InvalidArgumentError(msg)
        existing = _vector_index(self._table)
        if kind == "flat":
            if existing is not None:
                self._table.drop_index(existing)
        else:
            from lancedb.index import IvfPq

            config = IvfPq(distance_type="dot", num_partitions=nlist,
                           num_sub_vectors=checked["pq_m"])
            self._table.create_index("vector", config=config, replace=True)
        self._index_params = {**checked, "k_factor": checked["k_factor"] or _K_FACTOR} \
            if kind == "ivfpq" else {}
        self._save_meta(index=self._index_params or None, next_id=self._next_free)

    def _check_index(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        if kind not in ("flat", "ivfpq"):
            msg = (f"a lancedb collection searches exactly (kind flat) or with LanceDB's IVF_PQ "
                   f"index (kind ivfpq), not {kind!r}")
            raise InvalidArgumentError(msg)
        allowed = _INDEX_PARAMS if kind == "ivfpq" else ()
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            msg = f"lancedb {kind} takes no parameter {', '.join(unknown)}"
            raise InvalidArgumentError(msg)
        for name, value in params.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value <= 0):
                msg = f"{name} must be a positive integer, got {value!r}"
                raise InvalidArgumentError(msg)
        pq_m = params.get("pq_m")
        if pq_m is not None and self.dim % pq_m:
            msg = f"pq_m={pq_m} must divide the dimension {self.dim}"
            raise InvalidArgumentError(msg)
        return {name: params.get(name) for name in allowed}

    # -- persistence and copies ------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Copy the table to `path` (one LanceDB commit, streamed; an existing LanceDB collection
        there is replaced by a new version); an IVF_PQ index is rebuilt on the copy."""
        target = os.fspath(path)
        if _same_place(target, self.path):
            return
        lancedb = require_lancedb()
        _refuse_foreign(target)
        meta = _meta(self.name, self.model_id, self.dim, self._next_free, None)
        schema = _schema(self.dim, meta)
        batches = (pa.RecordBatch.from_arrays([b[c] for c in schema.names], schema=schema)
                   for b in self._scan(schema.names))
        _write_table(lancedb, target, pa.RecordBatchReader.from_batches(schema, batches))
        if self._index_params:
            LanceCollection(target).reindex("ivfpq", **self._index_params)

    def to_lance(self, path: str | os.PathLike[str], *, chunk: int = 100_000) -> LanceCollection:
        """A copy at `path` (see save), opened; this collection itself when `path` is its own."""
        self.save(path)
        return self if _same_place(os.fspath(path), self.path) else LanceCollection(path)

    def to_memory(self, kind: str = "flat", **params: Any) -> Collection:
        """An in-memory collection of the same records, ids, order, vectors and next_id."""
        return Collection.copy_of(self, kind, **params)

    def iter_chunks(self, chunk: int) -> Iterator[RecordChunk]:
        """Every record with its vector, in storage order (to_disk)."""
        columns = ["id", "text", "metadata", "sha256", "vector"]
        for batch in self._scan(columns, rows=chunk):
            yield RecordChunk(np.asarray(batch["id"].to_numpy(), dtype=np.int64),
                              _vectors(batch["vector"], self.dim), batch["text"].to_pylist(),
                              batch["sha256"].to_pylist(), batch["metadata"].to_pylist())

    # -- table access ----------------------------------------------------------------------

    def _scan(self, columns: Sequence[str], where: str | None = None,
              rows: int | None = None) -> pa.RecordBatchReader:
        """The table's `columns` in blocks of about _SCAN_BYTES of vectors (or `rows` rows)."""
        query = self._table.search().select(list(columns)).limit(None)
        if where is not None:
            query = query.where(where)
        return query.to_batches(rows or max(1_024, _SCAN_BYTES // (4 * self.dim)))

    def _scan_in(self, column: str, values: Sequence[Any] | np.ndarray,
                 columns: list[str]) -> pa.RecordBatchReader:
        """Rows whose `column` is one of `values`: a SQL IN list when short, else a scan
        filtered block by block."""
        if len(values) <= _IN_LIST:
            return self._scan(columns, _sql_in(column, values))
        reader = self._scan(columns)
        keep = pa.array(np.asarray(values).tolist())
        filtered = (b.filter(pc.is_in(b[column], value_set=keep)) for b in reader)
        return pa.RecordBatchReader.from_batches(reader.schema, filtered)

    def _fetch(self, column: str, values: Sequence[Any] | np.ndarray,
               columns: list[str]) -> pa.Table:
        return self._scan_in(column, values, columns).read_all()

    def _largest(self, *columns: str) -> list[int]:
        """The largest value of each int64 column, -1 for an empty table."""
        best = [-1] * len(columns)
        for batch in self._scan(columns):
            if batch.num_rows:
                best = [max(b, int(pc.max(batch[c]).as_py())) for b, c in zip(best, columns,
                                                                                strict=True)]
        return best

    def _save_meta(self, **changes: Any) -> None:
        self._saved = {**self._saved, **changes}
        self._table.update_field_metadata(
            {"path": "id", "metadata": {_META_KEY: json.dumps(self._saved)}})


def _open(path: PathLike, name: str | None, mmap: bool) -> BaseCollection:
    return LanceCollection.open(path, name=name, mmap=mmap)


def _write(source: BaseCollection, path: PathLike, chunk: int,
           params: dict[str, Any]) -> BaseCollection:
    return LanceCollection.copy_of(source, path, chunk=chunk)


LANCE_FORMAT = StorageFormat("lancedb", is_lance_path, _open, _write)
"""LanceDB collections: `<path>/records.lance`, or any URI."""


def _meta(name: str, model_id: str, dim: int, next_id: int,
          index: dict[str, Any] | None) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "name": name, "model_id": model_id, "dim": dim,
            "next_id": next_id, "index": index}


def _read_meta(schema: pa.Schema, path: str) -> dict[str, Any]:
    """The embmagic settings in the id field's metadata; StoreFormatError if absent or foreign."""
    foreign = f"{path} holds a LanceDB table that is not an embmagic collection"
    try:
        meta = json.loads((schema.field("id").metadata or {})[_META_KEY.encode()])
        if not (all(isinstance(meta[key], int) for key in ("version", "dim", "next_id"))
                and all(isinstance(meta[key], str) for key in ("name", "model_id"))):
            raise StoreFormatError(foreign)
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreFormatError(foreign) from exc
    if meta.get("format") != FORMAT:
        raise StoreFormatError(foreign)
    if meta["version"] > VERSION:
        msg = (f"{path} was saved in LanceDB format version {meta['version']}, newer than this "
               f"embmagic reads ({VERSION}): upgrade embmagic")
        raise StoreFormatError(msg)
    vector: Any = schema.field("vector").type if "vector" in schema.names else pa.null()
    if not pa.types.is_fixed_size_list(vector) or vector.list_size != meta["dim"]:
        msg = f"{path}: the vector column is not {meta['dim']}-d"
        raise StoreFormatError(msg)
    result: dict[str, Any] = meta
    return result


def _schema(dim: int, meta: dict[str, Any] | None = None) -> pa.Schema:
    """The table's columns; `meta` goes in the id field's metadata."""
    id_meta = {_META_KEY: json.dumps(meta)} if meta is not None else None
    return pa.schema([
        pa.field("id", pa.int64(), nullable=False, metadata=id_meta),
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), dim), nullable=False),
    ])


def _batch(dim: int, ids: Any, seqs: Any, texts: list[str], metadata: list[str],
           sha256: list[str], vectors: Vectors) -> pa.RecordBatch:
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.RecordBatch.from_arrays(
        [pa.array(np.asarray(ids, dtype=np.int64)), pa.array(np.asarray(seqs, dtype=np.int64)),
         pa.array(texts, pa.string()), pa.array(metadata, pa.string()),
         pa.array(sha256, pa.string()), pa.FixedSizeListArray.from_arrays(flat, dim)],
        schema=_schema(dim))


def _write_table(lancedb: ModuleType, path: str, reader: pa.RecordBatchReader) -> None:
    """The table at `path` made from `reader` in one commit (a new version if one exists)."""
    db = lancedb.connect(path)
    mode = "overwrite" if is_lance_path(path) and TABLE in _table_names(db) else "create"
    db.create_table(TABLE, data=reader, schema=reader.schema, mode=mode)


def _vectors(column: Any, dim: int) -> Vectors:
    """A fixed-size-list column as a fresh (n, dim) float32 array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return np.array(flat, dtype=np.float32).reshape(-1, dim)


def _sql_in(column: str, values: Sequence[Any] | np.ndarray) -> str:
    """`column IN (...)` for int ids or hex digests (never user text); false when empty."""
    if not len(values):
        return "id < 0"  # ids are never negative
    if column == "id":
        return f"id IN ({', '.join(str(int(v)) for v in values)})"
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def _vector_index(table: Any) -> str | None:
    """The name of the index on the vector column, if any."""
    return next((i.name for i in table.list_indices() if list(i.columns) == ["vector"]), None)


def _table_names(db: Any) -> list[str]:
    return list(db.list_tables().tables)


def _refuse_foreign(path: str) -> None:
    """Never write into a local file or non-empty directory that is not a LanceDB collection."""
    if "://" in path:
        return
    target = Path(path)
    if persist.check_plain_directory(target) and any(target.iterdir()) \
            and not is_lance_path(target):
        msg = f"{target} exists and is not a LanceDB collection; choose another path"
        raise InvalidArgumentError(msg)


def _same_place(a: str, b: str) -> bool:
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    return Path(a).resolve() == Path(b).resolve()


def _disk_bytes(path: str) -> int:
    """Bytes of the files under a local directory (every LanceDB version kept), 0 for URIs."""
    if "://" in path:
        return 0
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
