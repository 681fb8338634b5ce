"""Records of an on-disk collection in one Parquet file, read lazily by storage row.

Columns: id (int64), sha256 (of the text), text, metadata (JSON). Row r of the file is storage row
r of the index and of the vector file. A lookup reads only the row groups holding the rows asked
for (a few recent groups are cached); filters and text lookups scan one or two columns.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from embmagic.store.filters import matches
from embmagic.store.topk import IdArray
from embmagic.types import Metadata, Record

ROW_GROUP = 8_192
SCHEMA = pa.schema([("id", pa.int64()), ("sha256", pa.string()), ("text", pa.string()),
                    ("metadata", pa.string())])
_CACHED_GROUPS = 16
_SCAN_BATCH = 65_536


class RecordsWriter:
    """Appends records to a Parquet file in row groups of ROW_GROUP."""

    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(str(path), SCHEMA, compression="zstd")

    def write(self, ids: IdArray, sha256: Sequence[str], texts: Sequence[str],
              metadata_json: Sequence[str]) -> None:
        table = pa.table({"id": pa.array(ids, pa.int64()), "sha256": list(sha256),
                          "text": list(texts), "metadata": list(metadata_json)}, schema=SCHEMA)
        self._writer.write_table(table, row_group_size=ROW_GROUP)

    def close(self) -> None:
        self._writer.close()


class ParquetRecords:
    """Row-addressed, lazily read records."""

    def __init__(self, path: Path) -> None:
        self._file = pq.ParquetFile(str(path), memory_map=True)
        meta = self._file.metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self._cache: OrderedDict[int, pa.Table] = OrderedDict()

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _group(self, g: int) -> pa.Table:
        hit = self._cache.get(g)
        if hit is None:  # kept as Arrow: converting 8,192 rows to Python per hit was the cost
            hit = self._file.read_row_group(g, columns=["id", "text", "metadata"])
            self._cache[g] = hit
            if len(self._cache) > _CACHED_GROUPS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(g)
        return hit

    def at(self, rows: IdArray) -> list[Record]:
        """The records at these storage rows, in the order given (metadata freshly parsed)."""
        groups = np.searchsorted(self._starts, rows, side="right") - 1
        out: list[Record] = []
        for row, g in zip(rows.tolist(), groups.tolist(), strict=True):
            table = self._group(g)
            i = row - int(self._starts[g])
            out.append(Record(int(table.column(0)[i].as_py()), table.column(1)[i].as_py(),
                              json.loads(table.column(2)[i].as_py())))
        return out

    def all(self) -> Iterator[Record]:
        """Every record in storage order."""
        for batch in self._file.iter_batches(batch_size=_SCAN_BATCH,
                                             columns=["id", "text", "metadata"]):
            cols = batch.to_pydict()
            for id_, text, meta in zip(cols["id"], cols["text"], cols["metadata"], strict=True):
                out_meta: Metadata = json.loads(meta)
                yield Record(int(id_), text, out_meta)

    def rows_where(self, where: dict[str, Any]) -> IdArray:
        """Storage rows whose metadata match (a scan of the metadata column)."""
        found: list[int] = []
        row = 0
        for batch in self._file.iter_batches(batch_size=_SCAN_BATCH, columns=["metadata"]):
            for meta in batch.column(0).to_pylist():
                if matches(json.loads(meta), where):
                    found.append(row)
                row += 1
        return np.array(found, dtype=np.int64)

    def row_for_hash(self, digest: str) -> int | None:
        """The first storage row whose text has this SHA-256 (a scan of the sha256 column)."""
        row = 0
        for batch in self._file.iter_batches(batch_size=_SCAN_BATCH, columns=["sha256"]):
            col = batch.column(0)
            hits = np.flatnonzero(np.asarray(col.to_numpy(zero_copy_only=False) == digest))
            if len(hits):
                return row + int(hits[0])
            row += len(col)
        return None

    def digests(self) -> list[str]:
        """Every sha256 value (a scan of that column)."""
        out: list[str] = []
        for batch in self._file.iter_batches(batch_size=_SCAN_BATCH, columns=["sha256"]):
            out.extend(batch.column(0).to_pylist())
        return out

    def column_bytes(self, name: str) -> int:
        """A column's uncompressed size from the file's metadata (nothing read)."""
        meta = self._file.metadata
        col = meta.schema.names.index(name)
        return sum(int(meta.row_group(g).column(col).total_uncompressed_size)
                   for g in range(meta.num_row_groups))
