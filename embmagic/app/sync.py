"""`%embed COLL --files GLOB --sync`: make a collection's file records match the files now.

The plan (which files changed) and the all-or-nothing commit are `core.sync`'s; this module
reads the changed files with the same reader and chunking as `%embed --files`, encodes them, and
reports `files: 3 unchanged, 1 updated, 1 removed · records: +2 −3`.
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from embmagic.app.ingest import Batch, _ingest_with_engine, _register, chunking, files_batch
from embmagic.app.results import EmbedResult, Skipped
from embmagic.app.session import Session
from embmagic.types import Metadata

if TYPE_CHECKING:
    from embmagic.core.ingest import Ingest
    from embmagic.core.sync import SyncPlan
    from embmagic.engine import Engine


@dataclass(repr=False)
class SyncResult(EmbedResult):
    """`EmbedResult` of a sync: which files were unchanged, new, updated or removed, and the
    ids of the records removed."""

    unchanged: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    removed: int = 0

    def summary(self) -> str:
        files = [f"{len(self.unchanged)} unchanged"]
        files += [f"{len(group)} {word}" for group, word in
                  ((self.new, "new"), (self.updated, "updated"), (self.removed_files, "removed"))
                  if group]  # fmt: skip
        return (
            f"{self.collection}: files: {', '.join(files)} · records: +{len(self.added)} "
            f"−{self.removed} ({self.total} records) · model {self.model} · device {self.device} "
            f"· in {self.seconds:.2f} s"
        )


def sync_files(session: Session, name: str, pattern: str, *, chunk: int | None = None,
               overlap: int = 0, meta: Metadata | None = None, model: str | None = None
               ) -> SyncResult:
    """Replace the records of changed files, remove those of files gone, skip unchanged ones."""
    from embmagic.core import sync

    start = time.perf_counter()
    ingest, engine = _ingest_with_engine(session, name, model)
    held = ingest.collection
    chunking(engine, chunk, overlap)  # a bad --chunk/--overlap is refused before any reading
    hashes, unreadable = sync.hash_files(sync.matching_files(pattern))
    plan = sync.plan_sync(held, hashes, keep=unreadable)
    batch = (files_batch([glob.escape(p) for p in plan.to_read], chunk, overlap, meta,
                         allow_empty=True, encoder=engine)
             if plan.to_read else Batch())  # fmt: skip
    plan.drop_unread(s.path for s in batch.skipped)
    metadata = sync.stamp(batch.metadata, hashes)
    before = engine.encoded_count
    vectors = engine.embed(batch.texts) if batch.texts else None
    removed = sync.commit(ingest, batch.texts, vectors, metadata, engine.model_id,
                          plan.stale_ids)
    skipped = [Skipped(p, r) for p, r in unreadable.items()] + batch.skipped
    return finish_sync(session, name, ingest, engine, plan, removed=removed, skipped=skipped,
                       start=start, encoded_before=before)


def finish_sync(session: Session, name: str, ingest: Ingest, engine: Engine, plan: SyncPlan, *,
                removed: int, skipped: list[Skipped], start: float, encoded_before: int
                ) -> SyncResult:
    """Register the synced collection with the session and describe what the sync did."""
    collection = _register(session, ingest, changed=removed > 0)
    return SyncResult(
        collection=name, added=ingest.added, existing=[], model=engine.model_id,
        device=engine.device, seconds=time.perf_counter() - start,
        total=len(collection) if collection is not None else 0,
        encoded=engine.encoded_count - encoded_before, skipped=skipped,
        unchanged=plan.unchanged, new=plan.new, updated=plan.updated,
        removed_files=plan.removed, removed=removed,
    )  # fmt: skip
