"""Embedding texts into a named collection, locally or on Ray: what `%%embed`/`%embed` do.

Texts are gathered into a `Batch` (cell body, list/Series/DataFrame, files, past cells), then
`embed_batch` sends them through one `core.ingest.Ingest`: only texts the collection lacks are
encoded, the collection is created on its first add and registered only once everything
succeeded, so a failure (or Ctrl-C) never leaves a half-made collection behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from embmagic.app.jobs import check_free
from embmagic.app.results import EmbedResult, RayEmbedResult, Skipped
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import Encoder, Metadata

if TYPE_CHECKING:
    from embmagic.core.distributed import RaySettings, Source
    from embmagic.core.ingest import Ingest
    from embmagic.core.text import TokenCounter
    from embmagic.engine import Engine

ON = ("local", "ray")


@dataclass
class Batch:
    """Texts to embed with one metadata dict each, plus files that were skipped."""

    texts: list[str] = field(default_factory=list)
    metadata: list[Metadata] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, text: str, metadata: Metadata) -> None:
        self.texts.append(text)
        self.metadata.append(metadata)


def text_batch(body: str, split: str = "auto", meta: Metadata | None = None) -> Batch:
    """One record per piece of `body` (`%%embed`'s splitting rules)."""
    from embmagic.core.text import split_text

    batch = Batch()
    for piece in split_text(body, split):
        batch.add(piece, dict(meta or {}))
    if not batch.texts:
        raise InvalidArgumentError("the cell is empty: write the text to embed below %%embed")
    return batch


def values_batch(value: Any, name: str, column: str | None = None,
                 meta: Metadata | None = None, columns: Sequence[str] = ()) -> Batch:
    """Records from a list of str, a pandas Series, or one column of a DataFrame; `columns`:
    DataFrame columns kept as typed metadata (`["all"]`: every other column, see frames.py)."""
    from embmagic.app import frames

    kept = frames.meta_columns(value, name, column, columns) if columns else []
    row_meta = frames.rows_metadata(value, kept) if kept else None
    batch = Batch()
    for row, text in enumerate(_texts_of(value, name, column)):
        if text.strip():
            cells = row_meta[row] if row_meta is not None else {}
            batch.add(text, {"source": name, "row": row, **cells, **(meta or {})})
    if not batch.texts:
        raise InvalidArgumentError(f"--from {name}: it holds no non-empty text")
    return batch


def _texts_of(value: Any, name: str, column: str | None) -> list[str]:
    """The strings held by a list/tuple, Series or DataFrame column, or a typed error."""
    kind = type(value).__name__
    if kind == "DataFrame":
        if column is None:
            cols = ", ".join(map(str, list(value.columns)[:10]))
            raise InvalidArgumentError(f"--from {name}: a DataFrame needs --column (one of {cols})")
        if column not in value.columns:
            raise InvalidArgumentError(f"--from {name}: no column {column!r}")
        value, kind = value[column], "Series"
    elif column is not None:
        raise InvalidArgumentError(f"--column works with a DataFrame; {name!r} is a {kind}")
    if kind == "Series":
        value = value.tolist()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        msg = f"--from {name}: expected a list of str, a Series or a DataFrame, got {kind}"
        raise InvalidArgumentError(msg)
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        msg = f"--from {name}: {len(bad)} item(s) are not text (first: {type(bad[0]).__name__})"
        raise InvalidArgumentError(msg)
    return list(value)


def files_batch(pattern: str | list[str], chunk: int | None = None, overlap: int = 0,
                meta: Metadata | None = None, *, allow_empty: bool = False,
                encoder: Encoder | None = None) -> Batch:
    """Records from files matching `pattern` (or a list of paths), each file read by its
    loader and cut into chunks of `chunk` tokens of `encoder`'s model (default: its window;
    without an encoder, `chunk` characters and no default); `allow_empty`: no records is an
    empty batch, not an error (`--sync`)."""
    from embmagic.core.text import chunk_documents, read_documents

    size, count = chunking(encoder, chunk, overlap)
    docs, skipped = read_documents(pattern)
    batch = Batch(skipped=[Skipped(s.path, s.reason) for s in skipped])
    for doc in chunk_documents(docs, size, overlap, count) if size else docs:
        batch.add(doc.text, {**doc.metadata, "path": doc.path, **(meta or {})})
    if not batch.texts and not allow_empty:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in batch.skipped[:3])
        raise InvalidArgumentError(f"nothing to embed from {pattern!r}: {reasons}")
    return batch


def chunking(encoder: Encoder | None, chunk: int | None, overlap: int
             ) -> tuple[int | None, TokenCounter | None]:
    """Chunk size and token counter for files: `--chunk N` tokens of the model, by default its
    window; a size beyond the window is refused (the model would read only its start)."""
    window = encoder.max_tokens if encoder is not None else None
    if encoder is not None and chunk and window and chunk > window:
        msg = (f"--chunk {chunk} is longer than {encoder.model_id}'s window of {window} "
               f"tokens (it would read only the first {window}): use --chunk {window} or less")
        raise InvalidArgumentError(msg)
    size = chunk or window
    if overlap and not size:
        raise InvalidArgumentError("--overlap needs --chunk N")
    unit = "tokens" if encoder is not None else "characters"
    if size is not None and size <= 0:
        raise InvalidArgumentError(f"--chunk must be a positive number of {unit}, got {size}")
    if size is not None and not 0 <= overlap < size:
        msg = f"--overlap must be at least 0 and below the chunk ({size} {unit}), got {overlap}"
        raise InvalidArgumentError(msg)
    return size, (encoder.count_tokens if encoder is not None else None)


def engine_for(session: Session, name: str, model: str | None) -> Engine:
    """The engine that embeds into `name`: `model`, else the collection's, else the default."""
    held = session.collections.get(name)
    return session.engine(model or (held.model_id if held is not None else
                                    session.options.model))  # fmt: skip


def cells_batch(cells: Sequence[tuple[str, Metadata]], meta: Metadata | None = None) -> Batch:
    """Records from past cells given as (source, metadata) pairs."""
    batch = Batch()
    for source, cell_meta in cells:
        if source.strip():
            batch.add(source.strip(), {**cell_meta, **(meta or {})})
    if not batch.texts:
        raise InvalidArgumentError("--cells: no cell has been run yet in this session")
    return batch


def check_on(on: str) -> None:
    if on not in ON:
        raise InvalidArgumentError(f"on={on!r}: use one of {', '.join(ON)}")


def _ingest(session: Session, name: str) -> Ingest:
    from embmagic.core.ingest import Ingest

    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("the collection name is empty")
    session.collections.check_writable()  # another kernel writing store_dir: before any work
    check_free(session, name)  # one writer: a background job on `name` refuses this one
    return Ingest(name, session.collections.get(name))


def _ingest_with_engine(session: Session, name: str, model: str | None) -> tuple[Ingest, Engine]:
    """The ingest of `name` and the engine it encodes with (`engine_for`; a model other than
    the collection's is refused)."""
    ingest = _ingest(session, name)
    engine = engine_for(session, name, model)
    ingest.check_model(engine.model_id, engine.dim)
    return ingest, engine


def embed_batch(session: Session, name: str, batch: Batch, *, model: str | None = None
                ) -> EmbedResult:
    """Encode the texts `name` does not hold yet and add them; register a new collection last."""
    start = time.perf_counter()
    ingest, engine = _ingest_with_engine(session, name, model)
    todo = ingest.unseen(batch.texts, batch.metadata)
    before = engine.encoded_count
    from embmagic.core.text import count_over

    cut = count_over(todo.texts, engine.max_tokens, engine.count_tokens)
    if todo.texts:
        ingest.add(todo.texts, engine.embed(todo.texts), todo.metadata, engine.model_id)
    collection = _register(session, ingest)
    return EmbedResult(
        collection=name, added=ingest.added, existing=ingest.existing, model=engine.model_id,
        device=engine.device, seconds=time.perf_counter() - start,
        total=len(collection) if collection is not None else 0,
        encoded=engine.encoded_count - before, skipped=batch.skipped, cut=cut,
        window=engine.max_tokens or 0,
    )  # fmt: skip


def _register(session: Session, ingest: Ingest, *, changed: bool = False) -> Any:
    """A collection made by this ingest joins the session only now, after every add; a changed
    one is saved to `store_dir` (if set), its adds undone if that save fails. `changed`: it
    lost records too (`--sync`)."""
    from embmagic.store.interrupts import deferred_interrupts

    if ingest.created and ingest.collection is not None:
        session.add_collection(ingest.collection)
    elif ingest.collection is not None and (ingest.added or changed):
        try:
            with deferred_interrupts():  # the save, once begun, completes
                session.persist(ingest.name)
        except Exception:
            if not changed:  # a sync's deletes cannot be undone: memory keeps the whole sync
                ingest.rollback()
            raise
    return ingest.collection


def embed_batch_on_ray(session: Session, name: str, batch: Batch, *, model: str | None = None,
                       out: str | None = None, settings: RaySettings | None = None
                       ) -> EmbedResult:
    """`embed_batch` with the encoding on Ray (texts the collection holds never travel)."""
    from embmagic.core.distributed import TextSource, require_ray

    require_ray()  # says what to pip install before anything else
    ingest = _ingest(session, name)
    todo = ingest.unseen(batch.texts, batch.metadata)
    if not todo.texts and ingest.collection is not None:  # everything is there: no job to run
        c = ingest.collection
        return EmbedResult(name, [], ingest.existing, c.model_id,
                           (settings or session.options.ray_settings()).device, 0.0, len(c))
    return run_on_ray(session, ingest, TextSource(todo.texts, todo.metadata), model=model,
                      out=out, settings=settings)  # fmt: skip


def embed_files_on_ray(session: Session, name: str, pattern: str, *, chunk: int | None = None,
                       overlap: int = 0, meta: Metadata | None = None, model: str | None = None,
                       out: str | None = None, settings: RaySettings | None = None
                       ) -> EmbedResult:
    """Files read, chunked and embedded by Ray tasks (records equal the local path's)."""
    from embmagic.core.distributed import FilesSource, require_ray

    require_ray()  # says what to pip install before anything is read
    engine = engine_for(session, name, model)  # its tokenizer chunks the files in Ray's tasks
    size, _ = chunking(engine, chunk, overlap)
    source = FilesSource(pattern, size, overlap, dict(meta or {}),
                         engine.token_counter() if size else None)
    return run_on_ray(session, _ingest(session, name), source, model=model, out=out,
                      settings=settings)


def run_on_ray(session: Session, ingest: Ingest, source: Source, *, model: str | None,
               out: str | None, settings: RaySettings | None) -> RayEmbedResult:
    """The Ray job into `ingest` (a new collection is registered only once it all succeeded);
    callers check `require_ray()` first, before reading anything."""
    from dataclasses import replace

    from embmagic.core.distributed import embed_on_ray

    start = time.perf_counter()
    opts = session.options
    settings = settings or opts.ray_settings()
    if settings.device == "auto" and opts.device != "auto":
        settings = replace(settings, device=opts.device)
    held = ingest.collection
    chosen = model or (held.model_id if held is not None else opts.model)
    if held is not None and model:
        engine = session.engine(model)  # the same ModelMismatchError as the local path
        ingest.check_model(engine.model_id, engine.dim)
    with _progress(opts.progress, source.total(), chosen) as progress:
        job = embed_on_ray(source, chosen, into=ingest, settings=settings, shard_dir=out,
                           progress=progress)  # fmt: skip
    collection = _register(session, ingest)
    if collection is None:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in job.skipped[:3])
        raise InvalidArgumentError(f"nothing to embed: {reasons}" if reasons else
                                   "nothing to embed")  # fmt: skip
    return RayEmbedResult(
        collection=ingest.name, added=ingest.added, existing=ingest.existing,
        model=job.model_id or chosen, device=job.device or settings.device,
        seconds=time.perf_counter() - start, total=len(collection), encoded=job.rows,
        skipped=[Skipped(s.path, s.reason) for s in job.skipped], shard_dir=job.shard_dir,
        shards=len(job.shards), actors=job.actors,
    )  # fmt: skip


@contextmanager
def _progress(show: bool | None, total: int | None, model: str) -> Iterator[Any]:
    """A tqdm bar advanced by completed Ray batches (auto: unknown totals and >= 1,000)."""
    if show is False or (show is None and total is not None and total < 1000):
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=f"embedding on ray ({model})", unit="text")

    def update(done: int, _total: int | None) -> None:
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()
