"""The background versions of `embed_batch` and `index` (`--background`, `background=True`).

Everything that can fail on the input (names, the model, an index kind's parameters, room in
RAM) is checked in the calling thread before the job starts, so those errors stay one line at
the cell. The worker then encodes the new texts `CHUNK` at a time (checking for a cancel between
chunks) and commits them to the collection in one add at the end: until then searches see the
collection as it was before the job, after it they see every new record. A cancel or an error
before the commit leaves the collection exactly as it was (nothing was added, next_id included);
the add itself is all or nothing (store/collection.py). A new collection is registered only
after its commit. An index rebuild is built beside the old index and swapped in at the end.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from embmagic.app import jobs
from embmagic.app.ingest import Batch, _ingest_with_engine, _register
from embmagic.app.results import EmbedResult, MessageResult
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.app.jobs import Job, Progress

CHUNK = 256
"""Texts per encoding step: a cancel waits for at most one step (about 2 s for MiniLM on two
CPU cores), and the worker's Python work per step stays small next to the encoding."""


def embed_batch_job(session: Session, name: str, batch: Batch, *,
                    model: str | None = None) -> Job[EmbedResult]:
    """`ingest.embed_batch` in a background job; returns the running Job at once."""
    import numpy as np

    start = time.perf_counter()
    ingest, engine = _ingest_with_engine(session, name, model)  # refuses a busy collection
    held = ingest.collection
    todo = ingest.unseen(batch.texts, batch.metadata)

    def work(progress: Progress) -> EmbedResult:
        parts, encoded = [], 0
        for s in range(0, len(todo.texts), CHUNK):
            progress.check()
            chunk = todo.texts[s:s + CHUNK]
            before = engine.encoded_count
            parts.append(engine.embed(chunk, progress=False))  # the job's bar is the one shown
            encoded += engine.encoded_count - before
            progress.advance(len(chunk))
        progress.check()  # the last point to stop: the commit below is whole or nothing
        if todo.texts:
            ingest.add(todo.texts, np.concatenate(parts), todo.metadata, engine.model_id)
        collection = _register(session, ingest)
        return EmbedResult(
            collection=name, added=ingest.added, existing=ingest.existing,
            model=engine.model_id, device=engine.device, seconds=time.perf_counter() - start,
            total=len(collection) if collection is not None else 0, encoded=encoded,
            skipped=batch.skipped)  # fmt: skip

    what = f"embed {len(todo.texts):,} texts into {name!r}"
    return jobs.start_job(session, name, what, len(todo.texts), work, collection=held,
                          show_progress=session.options.progress)


def index_job(session: Session, name: str, kind: str, params: dict[str, Any], *,
              yes: bool = False) -> Job[MessageResult]:
    """`manage.index` (in memory) in a background job: the new index is built beside the old
    one, which searches keep using until the swap at the end; a cancel discards the new one."""
    from embmagic.app.manage import _check_room as check_room
    from embmagic.store import Collection
    from embmagic.store.kinds import kind_class

    jobs.check_free(session, name)
    c = session.collection(name)
    if not isinstance(c, Collection):
        msg = (f"--background rebuilds in-memory indexes; {name!r} is stored at {c.path}: "
               "rebuild it without --background")
        raise InvalidArgumentError(msg)
    c.check_writable()
    kind_class(kind).validate(c.dim, params, n=len(c))
    wanted = c.estimate_for(kind, **params)
    check_room(wanted.ram_bytes, yes)

    def work(progress: Progress) -> MessageResult:
        progress.check()
        fresh = c.build_index(kind, **params)
        progress.check()  # a cancel during the build discards the new index here
        c.use_index(fresh)
        progress.advance(len(c))
        return MessageResult(
            f"{c.name!r} reindexed: {c.index_status}; estimated {wanted.describe()}",
            {"kind": c.index_status, "estimate": wanted, "memory": c.memory()})

    what = f"index {name!r} as {kind}"
    return jobs.start_job(session, name, what, len(c), work, collection=c,
                          show_progress=session.options.progress, unit="vector")
