"""Memory estimates per index kind, from the sizes FAISS uses (no serialisation, no copies).

Bytes per vector at 384-d, matching bench/bench_search.py's measured serialised sizes:
flat ~1,552, hnsw ~1,808 (M=32), ivfpq ~496 (PQ 192x4 + SQ8), ivfpq on disk: a few bytes in RAM
(centroids and codebooks only) and ~826 on disk (PQ 48x8 + list id + float16 vector + two ids).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

ID_BYTES = 8
"""An int64 id in an IndexIDMap2's table (and again in IVF lists)."""
_RECORD_OVERHEAD = 420
"""Python objects per in-memory record: the _Entry, its dict slot, the hash index entry, the
64-character SHA-256 string, the parsed metadata dict (measured with tracemalloc, short texts)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """What a collection of `vectors` vectors costs: index and records in RAM, files on disk."""

    kind: str
    vectors: int
    index_bytes: int
    records_bytes: int
    disk_bytes: int = 0

    @property
    def ram_bytes(self) -> int:
        return self.index_bytes + self.records_bytes

    def describe(self) -> str:
        disk = f", {human_bytes(self.disk_bytes)} on disk" if self.disk_bytes else ""
        return (f"{self.kind} for {self.vectors:,} vectors: index {human_bytes(self.index_bytes)}"
                f" + records {human_bytes(self.records_bytes)} in memory{disk}")


def human_bytes(n: float) -> str:
    """1,536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"  # pragma: no cover - the loop returns first


def index_bytes_per_vector(kind: str, dim: int, params: dict[str, Any]) -> float:
    """RAM per vector of an in-memory index kind (ids included)."""
    if kind == "flat":
        return 4 * dim + 2 * ID_BYTES
    if kind == "hnsw":
        links = 2 * int(params.get("M") or 32) * 4 * 1.03  # level 0 + ~3% upper levels
        return 4 * dim + links + 2 * ID_BYTES
    if kind == "ivfpq":
        from embmagic.store.kinds.ivfpq import pq_subquantizers

        pq_m = int(params.get("pq_m") or pq_subquantizers(dim))
        return (pq_m + 1) // 2 + dim + 3 * ID_BYTES  # PQ 4-bit + SQ8 re-rank + ids
    msg = f"no memory model for kind {kind!r}"
    raise ValueError(msg)


def index_fixed_bytes(kind: str, dim: int, n: int, params: dict[str, Any]) -> int:
    """RAM independent of the vector count: IVF centroids (the on-disk kind keeps only these)."""
    if kind != "ivfpq" or n == 0:
        return 0
    from embmagic.store.kinds.ivfpq import auto_nlist

    nlist = int(params.get("nlist") or auto_nlist(n))
    return 4 * dim * nlist


def records_bytes(text_chars: int, metadata_chars: int, n: int) -> int:
    """RAM of n in-memory records holding that many characters of text and metadata JSON."""
    return text_chars + 2 * metadata_chars + n * _RECORD_OVERHEAD


def estimate(kind: str, dim: int, n: int, params: dict[str, Any],
             records: int) -> MemoryEstimate:
    """The in-memory cost of an index of `kind` over n vectors, with records of `records` bytes."""
    index = index_bytes_per_vector(kind, dim, params) * n + index_fixed_bytes(kind, dim, n, params)
    return MemoryEstimate(kind, n, int(index), records)


def available_ram() -> int | None:
    """Bytes of memory available now (Linux/macOS sysconf), None where unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None
