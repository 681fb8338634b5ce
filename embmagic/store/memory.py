"""Memory estimates: the `MemoryEstimate` record, records' RAM, and `estimate`, which asks the index
kind's class (`VectorIndex.index_bytes`) for the sizes FAISS uses (no serialisation, no copies).

Bytes per vector at 384-d, matching bench/bench_search.py's measured serialised sizes:
flat ~1,552, hnsw ~1,808 (M=32), ivfpq ~496 (PQ 192x4 + SQ8), ivfpq on disk: a few bytes in RAM
(centroids and codebooks only) and ~826 on disk (PQ 48x8 + list id + float16 vector + two ids).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_RECORD_OVERHEAD = 420
"""Python objects per in-memory record: the entry object, its dict slot, the hash index entry, the
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


def records_bytes(text_chars: int, metadata_chars: int, n: int) -> int:
    """RAM of n in-memory records holding that many characters of text and metadata JSON."""
    return text_chars + 2 * metadata_chars + n * _RECORD_OVERHEAD


def estimate(kind: str, dim: int, n: int, params: dict[str, Any],
             records: int) -> MemoryEstimate:
    """The in-memory cost of an index of `kind` over n vectors, with records of `records` bytes;
    the kind's class (kinds/) owns the model. InvalidArgumentError for an unknown kind."""
    from embmagic.store.kinds import kind_class

    return MemoryEstimate(kind, n, kind_class(kind).index_bytes(dim, n, params), records)


def available_ram() -> int | None:
    """Bytes of memory available now (Linux/macOS sysconf), None where unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None
