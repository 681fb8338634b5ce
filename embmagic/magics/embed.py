"""`%%embed` and `%embed`: turn cell bodies, variables, files or past cells into records.

Splitting, chunking and file reading are core's (`embmagic.core.text`); this module gathers
texts with their metadata, encodes only the texts a collection does not hold yet, and adds them.
A collection that does not exist is created, and registered only once the add succeeded, so a
failure never leaves a half-made collection behind.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embmagic.errors import InvalidArgumentError, ModelMismatchError
from embmagic.magics.options import Options
from embmagic.magics.parsing import parse_pairs
from embmagic.magics.results import EmbedResult, Skipped
from embmagic.session import Session
from embmagic.types import Metadata

if TYPE_CHECKING:
    from embmagic.core.distributed import RaySettings, Source
    from embmagic.engine import Engine
    from embmagic.store import Collection


@dataclass
class Batch:
    """Texts to embed with one metadata dict each, plus files that were skipped."""

    texts: list[str] = field(default_factory=list)
    metadata: list[Metadata] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, text: str, metadata: Metadata) -> None:
        self.texts.append(text)
        self.metadata.append(metadata)


def collection_name(args: argparse.Namespace, opts: Options) -> str:
    """The one positional word of `%%embed [COLL]` / `%embed COLL`, else the default."""
    words: list[str] = args.words
    if len(words) > 1:
        msg = f"expected one collection name, got {' '.join(words)!r} (options start with --)"
        raise InvalidArgumentError(msg)
    name = words[0] if words else opts.collection
    if not name.strip():
        raise InvalidArgumentError("the collection name is empty")
    return name


def cell_batch(body: str, split: str, meta: Metadata, cell: int) -> Batch:
    """One record per piece of the cell body, each tagged with the cell's execution count."""
    from embmagic.core.text import split_text

    batch = Batch()
    for piece in split_text(body, split):
        batch.add(piece, {"cell": cell, **meta})
    if not batch.texts:
        raise InvalidArgumentError("the cell is empty: write the text to embed below %%embed")
    return batch


def variable_batch(
    namespace: Mapping[str, Any], name: str, column: str | None, meta: Metadata
) -> Batch:
    """Records from a list of str, a pandas Series, or one column of a DataFrame."""
    if name not in namespace:
        raise InvalidArgumentError(f"--from {name}: no variable named {name!r}")
    values = _texts_of(namespace[name], name, column)
    batch = Batch()
    for row, text in enumerate(values):
        if text.strip():
            batch.add(text, {"source": name, "row": row, **meta})
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


def files_batch(pattern: str, chunk: int | None, overlap: int, meta: Metadata) -> Batch:
    """Records from files matching `pattern`, chunked when `chunk` is given."""
    from embmagic.core.text import chunk_documents, read_documents

    docs, skipped = read_documents(pattern)
    batch = Batch(skipped=[Skipped(s.path, s.reason) for s in skipped])
    for doc in chunk_documents(docs, chunk, overlap) if chunk else docs:
        batch.add(doc.text, {**doc.metadata, "path": doc.path, **meta})
    if not batch.texts:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in batch.skipped[:3])
        raise InvalidArgumentError(f"nothing to embed from {pattern!r}: {reasons}")
    return batch


def cells_batch(cells: Sequence[tuple[str, Metadata]], meta: Metadata) -> Batch:
    """Records from past cells given as (source, metadata) pairs."""
    batch = Batch()
    for source, cell_meta in cells:
        if source.strip():
            batch.add(source.strip(), {**cell_meta, **meta})
    if not batch.texts:
        raise InvalidArgumentError("--cells: no cell has been run yet in this session")
    return batch


def current_cell(shell: Any) -> int:
    """Execution count of the running cell.

    IPython 9 increments `execution_count` before running a cell that is stored in history,
    so the running cell's own number is read from the displayhook's ExecutionResult.
    """
    running = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    number = getattr(running, "execution_count", None)
    return int(number) if number is not None else int(shell.execution_count)


def past_cells(shell: Any) -> list[tuple[str, Metadata]]:
    """Code cells run so far (from the shell's input history, works with history storage off)
    plus the notebook's markdown cells when the kernel knows the notebook's path.

    The cell running `%embed --cells` itself is left out.
    """
    manager = getattr(shell, "history_manager", None)
    raw = list(manager.input_hist_raw) if manager is not None else list(shell.user_ns.get("In", []))
    current = current_cell(shell)
    cells: list[tuple[str, Metadata]] = [
        (source, {"cell": number, "cell_type": "code"})
        for number, source in enumerate(raw)
        if number and number != current and isinstance(source, str)
    ]
    return cells + _markdown_cells(shell.user_ns)


def _markdown_cells(namespace: Mapping[str, Any]) -> list[tuple[str, Metadata]]:
    """Markdown cells of the running notebook: Jupyter never sends them to the kernel, so they
    are read from the file named by `__session__` (ipykernel) or `__vsc_ipynb_file__` (VS Code)."""
    from embmagic.core.text import read_documents

    path = namespace.get("__vsc_ipynb_file__") or namespace.get("__session__")
    if not isinstance(path, str) or not path.endswith(".ipynb") or not os.path.isfile(path):
        return []
    docs, _ = read_documents(path)
    return [
        (doc.text, {"cell_type": "markdown", "notebook_cell": doc.metadata.get("cell")})
        for doc in docs
        if doc.metadata.get("cell_type") == "markdown"
    ]


def meta_from(args: argparse.Namespace) -> Metadata:
    """The user's `--meta K=V` pairs."""
    return dict(parse_pairs(args.meta, "--meta"))


def add_batch(
    session: Session, opts: Options, name: str, model: str | None, batch: Batch
) -> EmbedResult:
    """Encode the texts `name` does not hold yet and add them; register a new collection last."""
    start = time.perf_counter()
    existing = session.collections.get(name)
    if existing is not None:
        existing.check_writable()  # before encoding anything
    engine = _engine_for(session, opts, existing, model)
    collection = existing if existing is not None else _new_collection(name, engine)
    new_texts, new_meta, present = _unseen(collection, batch)
    before = engine.encoded_count
    vectors = engine.embed(new_texts) if new_texts else np.empty((0, engine.dim), np.float32)
    added = collection.add(new_texts, vectors, new_meta, model_id=engine.model_id)
    if existing is None:
        session.add_collection(collection)
    return EmbedResult(
        collection=name,
        added=list(added.added),
        existing=present + list(added.existing),
        model=engine.model_id,
        device=engine.device,
        seconds=time.perf_counter() - start,
        total=len(collection),
        encoded=engine.encoded_count - before,
        skipped=batch.skipped,
    )


def _engine_for(
    session: Session, opts: Options, existing: Collection | None, model: str | None
) -> Engine:
    """The engine to use: `--model`, else the collection's own model, else the default."""
    chosen = model or (existing.model_id if existing is not None else opts.model)
    engine = session.engine(
        chosen, opts.device, batch_size=opts.batch_size, progress=opts.show_progress
    )
    if existing is not None and engine.model_id != existing.model_id:
        msg = (
            f"collection {existing.name!r} holds {existing.model_id} vectors "
            f"({existing.dim}-d); {engine.model_id} gives {engine.dim}-d vectors: "
            "embed into another collection"
        )
        raise ModelMismatchError(msg)
    return engine


def _new_collection(name: str, engine: Engine) -> Collection:
    from embmagic.store import Collection

    return Collection(name, engine.model_id, engine.dim)


def _unseen(collection: Collection, batch: Batch) -> tuple[list[str], list[Metadata], list[int]]:
    """Texts not yet in the collection (first occurrence only) and ids of those already in."""
    texts: list[str] = []
    metas: list[Metadata] = []
    present: list[int] = []
    seen: set[str] = set()
    found = collection.ids_for_texts(batch.texts)
    for text, meta, known in zip(batch.texts, batch.metadata, found, strict=True):
        if known is not None:
            present.append(known)
        elif text not in seen:
            seen.add(text)
            texts.append(text)
            metas.append(meta)
    return texts, metas, present


def run_embed(
    session: Session,
    opts: Options,
    args: argparse.Namespace,
    body: str | None,
    shell: Any,
    ray: RaySettings | None = None,
) -> EmbedResult:
    """`%%embed` (body given) or `%embed` with exactly one of --from / --files / --cells.

    `--on ray` (with --files or --from) embeds on Ray with `ray` settings (see `embed_on_ray`).
    """
    name = collection_name(args, opts)
    meta = meta_from(args)
    sources = [f for f in ("from_var", "files", "cells") if getattr(args, f)]
    on = getattr(args, "on", None) or "local"
    if on == "ray":
        return _run_on_ray(session, opts, args, body, shell, name, meta, sources, ray)
    if getattr(args, "out", None):
        raise InvalidArgumentError("--out DIR goes with --on ray (where the Parquet shards go)")
    if body is not None:
        if sources or args.column or args.chunk:
            raise InvalidArgumentError(
                "%%embed embeds its body: --from/--files/--cells are for %embed"
            )
        batch = cell_batch(body, args.split, meta, current_cell(shell))
    else:
        batch = _line_batch(args, sources, meta, shell)
    return add_batch(session, opts, name, args.model, batch)


def _line_batch(args: argparse.Namespace, sources: list[str], meta: Metadata, shell: Any) -> Batch:
    """The records of `%embed COLL --from VAR | --files GLOB | --cells`."""
    if len(sources) != 1:
        raise InvalidArgumentError(
            "%embed needs exactly one of --from VAR, --files GLOB, --cells (or use %%embed)"
        )
    if args.column is not None and not args.from_var:
        raise InvalidArgumentError("--column goes with --from VAR")
    if (args.chunk or args.overlap) and not args.files:
        raise InvalidArgumentError("--chunk/--overlap go with --files GLOB")
    if args.overlap and not args.chunk:
        raise InvalidArgumentError("--overlap needs --chunk N")
    if args.from_var:
        return variable_batch(shell.user_ns, args.from_var, args.column, meta)
    if args.files:
        return files_batch(args.files, args.chunk, args.overlap or 0, meta)
    return cells_batch(past_cells(shell), meta)


# -- --on ray ---------------------------------------------------------------------------------


@dataclass(repr=False)
class RayEmbedResult(EmbedResult):
    """`EmbedResult` of `--on ray`, plus where the Parquet shards were written."""

    shard_dir: str = ""
    shards: int = 0
    actors: int = 0

    def plain(self) -> str:
        lines = [self.summary()]
        kept = (f"{self.shards} Parquet shard(s) in {self.shard_dir}" if self.shard_dir else
                "shards not kept (--out DIR keeps them)")  # fmt: skip
        lines.append(f"ray: {self.actors} engine actor(s); {kept}")
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file(s):")
            lines += [f"  {s.path}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def _run_on_ray(
    session: Session,
    opts: Options,
    args: argparse.Namespace,
    body: str | None,
    shell: Any,
    name: str,
    meta: Metadata,
    sources: list[str],
    ray: RaySettings | None,
) -> EmbedResult:
    """`%embed COLL --files GLOB --on ray` / `--from VAR --on ray`."""
    from embmagic.core.distributed import FilesSource, RaySettings, TextSource, require_ray

    require_ray()  # says what to pip install before anything is read
    if body is not None or args.cells or len(sources) != 1:
        raise InvalidArgumentError("--on ray works with %embed COLL --files GLOB or --from VAR")
    settings = ray if ray is not None else RaySettings()
    if settings.device == "auto" and opts.device != "auto":
        from dataclasses import replace

        settings = replace(settings, device=opts.device)
    if args.files:
        _line_batch_checks(args)
        source: Source = FilesSource(args.files, args.chunk, args.overlap or 0, meta)
        return add_on_ray(session, opts, name, args.model, source, settings, args.out, [])
    batch = _line_batch(args, sources, meta, shell)
    existing = session.collections.get(name)
    present: list[int] = []
    if existing is not None:
        existing.check_writable()
        texts, metas, present = _unseen(existing, batch)
        batch = Batch(texts, metas, batch.skipped)
        if not batch.texts:  # everything is already there: no job to run
            return EmbedResult(name, [], present, existing.model_id, settings.device, 0.0,
                               len(existing))  # fmt: skip
    return add_on_ray(
        session, opts, name, args.model, TextSource(batch.texts, batch.metadata), settings,
        args.out, present,
    )  # fmt: skip


def _line_batch_checks(args: argparse.Namespace) -> None:
    if args.column is not None:
        raise InvalidArgumentError("--column goes with --from VAR")
    if args.overlap and not args.chunk:
        raise InvalidArgumentError("--overlap needs --chunk N")


def add_on_ray(
    session: Session,
    opts: Options,
    name: str,
    model: str | None,
    source: Source,
    settings: RaySettings,
    out: str | None,
    present: list[int],
) -> EmbedResult:
    """Run the Ray job into `name` (created when new, registered only once it all succeeded)."""
    from embmagic.core.distributed import embed_on_ray

    start = time.perf_counter()
    existing = session.collections.get(name)
    chosen = model or (existing.model_id if existing is not None else opts.model)
    if existing is not None and model and model != existing.model_id:
        _engine_for(session, opts, existing, model)  # the same ModelMismatchError as local
    with _progress(opts.show_progress, source.total(), chosen) as progress:
        job = embed_on_ray(
            source, chosen, collection=existing, new_name=None if existing else name,
            settings=settings, shard_dir=out, progress=progress,
        )  # fmt: skip
    if job.collection is None:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in job.skipped[:3])
        raise InvalidArgumentError(f"nothing to embed: {reasons}" if reasons else
                                   "nothing to embed")  # fmt: skip
    if existing is None:
        session.add_collection(job.collection)
    return RayEmbedResult(
        collection=name,
        added=job.added,
        existing=present + job.existing,
        model=job.model_id or chosen,
        device=job.device or settings.device,
        seconds=time.perf_counter() - start,
        total=len(job.collection),
        encoded=job.rows,
        skipped=[Skipped(s.path, s.reason) for s in job.skipped],
        shard_dir=job.shard_dir,
        shards=len(job.shards),
        actors=job.actors,
    )


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
