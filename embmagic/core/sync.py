"""Bringing a collection in line with a set of files (`%embed COLL --files GLOB --sync`, and
`--images GLOB --sync`, whose records carry the hash as `sha256`).

Each record made from a file carries the file's SHA-256 in its metadata (`file_sha256`), next to
its `path`. A sync hashes every matching file and compares:

- a file whose records all carry its current hash is *unchanged*: it is not read, not encoded;
- a file with records under another (or no) hash is *updated*: its records are replaced;
- a file with no records is *new*; records whose `path` no longer matches are *removed*.

New records always get fresh ids from the collection's `next_id` (ids are never reused), and
are added by id, so two files with the same paragraph each own a record. Everything slow
(hashing, reading, encoding) happens before the collection is touched; `commit` then adds the
new records and deletes the stale ones with Ctrl-C held back, undoing the add if the delete
fails: an interrupted or failed sync leaves the collection exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from embmagic.types import Metadata, Vectors

if TYPE_CHECKING:
    from embmagic.core.ingest import Ingest
    from embmagic.store import BaseCollection

HASH_KEY = "file_sha256"
"""Metadata key holding the SHA-256 of the file a record was read from."""

_BLOCK = 1 << 20


def matching_files(pattern: str) -> list[str]:
    """The files `%embed --files` reads for `pattern`, in its order (InvalidArgumentError when
    nothing matches)."""
    from embmagic.core import documents

    return [str(p) for p in documents.expand_paths([pattern])]


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def hash_files(paths: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`(hashes, unreadable)`: the SHA-256 of each readable file, and the reason for the others."""
    hashes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for path in paths:
        try:
            hashes[path] = file_sha256(path)
        except OSError as exc:
            unreadable[path] = f"cannot read: {exc.strerror or exc}"
    return hashes, unreadable


@dataclass
class SyncPlan:
    """Which files to read again and which records go, from the hashes and the stored records."""

    unchanged: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    stale_ids: list[int] = field(default_factory=list)
    replaced: dict[str, list[int]] = field(default_factory=dict)
    """The ids of each updated file's old records (part of `stale_ids`)."""

    @property
    def to_read(self) -> list[str]:
        """Files whose records are (re)made, in the order the glob listed them."""
        return self.new + self.updated

    def drop_unread(self, paths: Iterable[str]) -> None:
        """Files of `to_read` that their loader skipped (a truncated PDF, invalid UTF-8): a
        new one is not counted as new, an updated one keeps its old records. Like files that
        cannot be opened, a sync never drops what it could not read."""
        unread = set(paths)
        self.new = [p for p in self.new if p not in unread]
        kept = {i for p in self.updated if p in unread for i in self.replaced.pop(p, [])}
        self.updated = [p for p in self.updated if p not in unread]
        self.stale_ids = [i for i in self.stale_ids if i not in kept]


def plan_sync(collection: BaseCollection | None, hashes: dict[str, str],
              keep: Iterable[str] = (), hash_key: str = HASH_KEY) -> SyncPlan:
    """Compare the files' current hashes (in glob order) with the records' `path` and hash
    (`hash_key`: `file_sha256` for documents, `sha256` for image records).

    Records without a `path` (cells, `--from` values) are never touched, nor those of the files
    in `keep` (matched but unreadable just now: a sync never drops what it could not check).
    """
    held: dict[str, tuple[set[str | None], list[int]]] = {}
    for record in collection.records() if collection is not None else []:
        path = record.metadata.get("path")
        if isinstance(path, str):
            digests, ids = held.setdefault(path, (set(), []))
            digests.add(_as_digest(record.metadata.get(hash_key)))
            ids.append(record.id)
    plan = SyncPlan()
    for path, digest in hashes.items():
        if path not in held:
            plan.new.append(path)
        elif held[path][0] == {digest}:
            plan.unchanged.append(path)
        else:
            plan.updated.append(path)
            plan.stale_ids += held[path][1]
            plan.replaced[path] = held[path][1]
    kept = set(keep)
    for path, (_, ids) in held.items():
        if path not in hashes and path not in kept:
            plan.removed.append(path)
            plan.stale_ids += ids
    return plan


def _as_digest(value: object) -> str | None:
    return value if isinstance(value, str) else None


def stamp(metadata: Sequence[Metadata], hashes: dict[str, str]) -> list[Metadata]:
    """Each record's metadata with the hash of the file named by its `path`."""
    return [{**m, HASH_KEY: hashes[str(m["path"])]} for m in metadata]


def commit(ingest: Ingest, texts: list[str], vectors: Vectors | None, metadata: list[Metadata],
           model_id: str, stale_ids: Sequence[int]) -> int:
    """Add the new records (fresh ids) and delete the stale ones, all or nothing; returns how
    many records were removed."""
    from embmagic.store.interrupts import deferred_interrupts

    with deferred_interrupts():
        if texts and vectors is not None:
            ingest.add(texts, vectors, metadata, model_id, fresh_ids=True)
        try:
            removed = ingest.collection.delete(list(stale_ids)) if (
                stale_ids and ingest.collection is not None) else 0
        except BaseException:
            ingest.rollback()
            raise
    return removed
