"""Distributed embedding on Ray: `%embed COLL --files GLOB --on ray` and the same from Python.

A Ray Data pipeline reads (and chunks) the files in tasks, embeds the texts with `map_batches`
over a pool of engine actors (one per GPU when the cluster has GPUs; otherwise one per
`RaySettings.threads` CPUs, each running its model on that many threads; each actor loads its own
engine with `load_engine(model)` and uses the engine's own batching), and
streams the results back to the driver batch by batch. The driver appends each batch to Parquet
shards (`part-00000.parquet`, ... : `text`, `metadata` as JSON, `vector` as a fixed-size list of
float32) and adds it to the collection; it never holds more than one shard's worth of vectors
besides the collection itself. Shards are kept when a folder is given (`--out DIR`) or when
there is no collection (shards-only); otherwise they go to a temporary folder that is deleted
once the collection holds the vectors. Texts an existing collection already holds (same
SHA-256) are marked in Ray and never embedded, as on the local path.

Ray is optional (`pip install "embmagic[ray]"`) and imported only when a job runs. A failure or
a KeyboardInterrupt (Ctrl-C) closes the stream, which stops the Ray job and its actors, and
removes what the job had added, so the collection is left as it was.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from embmagic.errors import EmbmagicError, InvalidArgumentError
from embmagic.types import Metadata, Vectors

if TYPE_CHECKING:
    from embmagic.core.documents import SkippedFile
    from embmagic.core.ingest import Ingest
    from embmagic.core.text import TokenCounter
    from embmagic.store import BaseCollection

RAY_INSTALL = 'pip install "embmagic[ray]"'
FORWARDED_ENV = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HOME",
    "HF_HUB_CACHE",
    "EMBMAGIC_CACHE",
    "TOKENIZERS_PARALLELISM",
)
"""Environment variables every engine actor gets (offline model loading must reach workers)."""

SHARD_ROWS = 50_000
"""Rows per Parquet shard: the most vectors the driver buffers (50,000 x 384-d = 77 MB)."""

READERS = 2
"""Concurrent file-reading tasks (they reserve no CPU, so this bounds them)."""

Progress = Callable[[int, "int | None"], None]
"""Called after every completed batch with (rows done, rows in total or None when unknown)."""


class RayNotInstalledError(EmbmagicError, ImportError):
    """`--on ray` without Ray installed."""


@dataclass(frozen=True)
class RaySettings:
    """How a Ray job runs: cluster address, texts per Ray batch, engine actors, engine options.

    `address` None/"" uses RAY_ADDRESS when set, else starts a local Ray instance sized to this
    machine. `concurrency` 0 means one actor per GPU of the cluster, else one per `threads` CPUs
    (each CPU actor reserves `threads` CPUs and runs its model on that many threads).
    """

    address: str | None = None
    batch_size: int = 256
    concurrency: int = 0
    device: str = "auto"
    engine_batch_size: int = 32
    shard_rows: int = SHARD_ROWS
    threads: int = 1

    def __post_init__(self) -> None:
        for name in ("batch_size", "engine_batch_size", "shard_rows", "threads"):
            if getattr(self, name) < 1:
                msg = f"ray {name} must be at least 1, got {getattr(self, name)}"
                raise InvalidArgumentError(msg)
        if self.concurrency < 0:
            msg = f"ray concurrency must be 0 (auto) or more, got {self.concurrency}"
            raise InvalidArgumentError(msg)


@dataclass
class RayJobResult:
    """What a Ray embedding job did; `collection`: the one it filled (None: shards only)."""

    collection: BaseCollection | None = None
    skipped: list[SkippedFile] = field(default_factory=list)
    rows: int = 0  # texts embedded by the actors
    model_id: str = ""
    device: str = ""
    actors: int = 0
    shard_dir: str = ""
    shards: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextSource:
    """Texts (with one metadata dict each) already in the driver: `--from VAR`, a Python list."""

    texts: Sequence[str]
    metadata: Sequence[Metadata] | None = None

    def dataset(self, ray: ModuleType, settings: RaySettings) -> Any:
        import pyarrow as pa

        metas = self.metadata if self.metadata is not None else [{}] * len(self.texts)
        if len(metas) != len(self.texts):
            msg = f"{len(self.texts)} texts but {len(metas)} metadata dicts"
            raise InvalidArgumentError(msg)
        step = settings.batch_size
        blocks = [
            pa.table({
                "text": pa.array(list(self.texts[i : i + step]), pa.string()),
                "metadata": pa.array([json.dumps(m) for m in metas[i : i + step]], pa.string()),
                "skip": pa.array([""] * len(self.texts[i : i + step]), pa.string()),
            })
            for i in range(0, len(self.texts), step)
        ]  # fmt: skip
        return ray.data.from_arrow(blocks)

    def total(self) -> int | None:
        return len(self.texts)


@dataclass(frozen=True)
class FilesSource:
    """Files named by a glob (or paths), read and chunked by Ray tasks, not by the driver.

    Records equal `%embed --files` on the local path: same texts, same metadata, same order.
    """

    pattern: str | Sequence[str]
    chunk: int | None = None
    overlap: int = 0
    meta: Metadata = field(default_factory=dict)
    count_tokens: TokenCounter | None = None  # picklable: chunk sizes in the model's tokens

    def dataset(self, ray: ModuleType, settings: RaySettings) -> Any:
        from embmagic.core.documents import expand_paths

        specs = [self.pattern] if isinstance(self.pattern, str) else list(self.pattern)
        paths = [str(p) for p in expand_paths(specs)]  # no match -> InvalidArgumentError, at once
        reader = _FileReader(self.chunk, self.overlap, dict(self.meta), self.count_tokens)
        # no CPU reserved: the engine actors hold every CPU, and a reader waiting for one
        # would wait forever (reading is I/O, and cheap next to embedding)
        items = ray.data.from_items([{"path": p} for p in paths])
        # bounded: zero-CPU tasks are not limited by the cluster's CPUs
        return items.flat_map(reader, num_cpus=0, concurrency=READERS)

    def total(self) -> int | None:
        return None


@dataclass(frozen=True)
class DatasetSource:
    """A Ray Dataset with a `text` column (and optionally `metadata` as JSON strings).

    Its own stages should reserve no CPU (`num_cpus=0`, with a bounded `concurrency`) unless
    the cluster has CPUs to spare beyond the engine actors (one per CPU by default), or they
    wait for ever.
    """

    ds: Any
    rows: int | None = None

    def dataset(self, ray: ModuleType, settings: RaySettings) -> Any:
        return self.ds.map_batches(
            _complete_columns, batch_format="pyarrow", num_cpus=0, concurrency=READERS
        )

    def total(self) -> int | None:
        return self.rows


Source = TextSource | FilesSource | DatasetSource


class _FileReader:
    """One file -> rows {text, metadata, skip}; a skipped file is one row with its reason."""

    def __init__(self, chunk: int | None, overlap: int, meta: Metadata,
                 count_tokens: TokenCounter | None = None) -> None:
        self.chunk, self.overlap, self.meta = chunk, overlap, meta
        self.count_tokens = count_tokens

    def __call__(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        from embmagic.core.documents import read_file
        from embmagic.core.text import chunk_documents

        path = Path(row["path"])
        docs, reason = read_file(path)
        if reason is not None:
            return [{"text": "", "metadata": "{}", "skip": f"{path}\t{reason}"}]
        pieces = (chunk_documents(docs, self.chunk, self.overlap, self.count_tokens)
                  if self.chunk else docs)  # fmt: skip
        return [
            {"text": d.text, "metadata": json.dumps({**d.metadata, "path": d.path, **self.meta}),
             "skip": ""}
            for d in pieces
        ]  # fmt: skip


def _complete_columns(table: Any) -> Any:
    """Add the `metadata` and `skip` columns a user dataset may lack."""
    import pyarrow as pa

    if "metadata" not in table.column_names:
        table = table.append_column("metadata", pa.array(["{}"] * table.num_rows, pa.string()))
    if "skip" not in table.column_names:
        table = table.append_column("skip", pa.array([""] * table.num_rows, pa.string()))
    return table.select(["text", "metadata", "skip"])


# -- the engine actor ------------------------------------------------------------------------


class EngineActor:
    """A Ray actor holding one engine (`load_engine(model)`); embeds one batch per call.

    `threads`: CPU threads for the model (a CPU actor's share of its node), None on a GPU.
    """

    def __init__(
        self, model: str, device: str, batch_size: int, threads: int | None, env: dict[str, str]
    ) -> None:
        os.environ.update(env)  # before any model code runs: HF_HUB_OFFLINE must reach us
        from embmagic.engine import load_engine

        self.engine = load_engine(
            model, device=device, batch_size=batch_size, cache_size=10_000, progress=False,
            threads=threads,
        )  # fmt: skip
        self.tag = f"{self.engine.model_id}\t{self.engine.device}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        held = batch.get("held", np.zeros(len(texts), dtype=bool))
        keep = [i for i, s in enumerate(batch["skip"]) if not s and not held[i]]
        vectors = np.zeros((len(texts), self.engine.dim), dtype=np.float32)
        if keep:
            vectors[keep] = self.engine.embed([texts[i] for i in keep])
        return {
            "text": batch["text"],
            "metadata": batch["metadata"],
            "skip": batch["skip"],
            "held": held,
            "vector": vectors,
            "engine": np.array([self.tag] * len(texts), dtype=object),
        }


# -- Ray itself ------------------------------------------------------------------------------


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def require_ray() -> ModuleType:
    """The `ray` module, or RayNotInstalledError saying what to install."""
    if not ray_available():
        msg = f"Ray is not installed: {RAY_INSTALL}"
        raise RayNotInstalledError(msg)
    import ray
    import ray.data

    return ray


def forwarded_env() -> dict[str, str]:
    """The environment every worker needs (offline flags, cache folders)."""
    return {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}


def connect(address: str | None = None) -> ModuleType:
    """Ray, initialised: the running instance if any; else the cluster at `address` or
    RAY_ADDRESS; else a new local instance sized to this machine (no dashboard)."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    address = address or os.environ.get("RAY_ADDRESS") or None
    common: dict[str, Any] = {
        "ignore_reinit_error": True,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
        "runtime_env": {"env_vars": forwarded_env()},
    }
    if address:
        ray.init(address=address, **common)
    else:
        ray.init(
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            _temp_dir=os.path.join(tempfile.gettempdir(), "ray"),
            **common,
        )
    return ray


def default_actors(ray: ModuleType, settings: RaySettings) -> tuple[int, float, float]:
    """(actors, CPUs per actor, GPUs per actor): one per GPU, else one per `threads` CPUs.

    On CPU the node's cores are split between actors (data parallel), each running its model on
    `settings.threads` threads that sleep when idle. One actor spreading each batch over every
    core with onnxruntime's spinning threads was 8% slower than local at 1M texts on 2 cores:
    the spinning threads fought Ray's own processes for the CPU (docs/engine.md). A user's
    `concurrency` larger than the CPUs allow gets fractional CPUs, so every actor can start.
    """
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus and settings.device != "cpu":
        return (settings.concurrency or gpus), 0.0, 1.0
    per_node = [
        int(n["Resources"]["CPU"]) // settings.threads
        for n in ray.nodes()
        if n.get("Alive") and n.get("Resources", {}).get("CPU")
    ]
    actors = settings.concurrency or max(1, sum(max(1, k) for k in per_node))
    cpus = float(min(settings.threads, resources.get("CPU", 1.0) / actors))
    return actors, cpus, 0.0


# -- the job ---------------------------------------------------------------------------------


def embed_on_ray(
    source: Source,
    model: str,
    *,
    into: Ingest | None = None,
    settings: RaySettings | None = None,
    shard_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> RayJobResult:
    """Embed `source` with `model` on Ray, write Parquet shards, stream into a collection.

    `into`: the ingest (core/ingest.py) that dedupes and adds each batch (creating its
    collection on the first add); texts it already holds are marked in Ray and never embedded.
    Without it, only the shards are written. On any exception, KeyboardInterrupt included, the
    Ray job is cancelled and the ingest rolled back, so its collection is as it was.
    """
    settings = settings or RaySettings()
    ray = connect(settings.address)
    start = time.perf_counter()
    keep_shards = shard_dir is not None or into is None
    out_dir = (Path(shard_dir) if shard_dir is not None
               else _default_shard_dir(into.name if into is not None else None))
    out_dir.mkdir(parents=True, exist_ok=True)
    actors, cpus, gpus = default_actors(ray, settings)
    ds = source.dataset(ray, settings)
    held = into.content_digests() if into is not None else None
    if held is not None:
        # texts the collection holds are marked in Ray and never embedded (like the local path)
        ds = ds.map_batches(_mark_held, fn_args=(ray.put(held),), batch_format="numpy",
                            num_cpus=0, concurrency=READERS)  # fmt: skip
    threads, env = (settings.threads if gpus == 0 else None), forwarded_env()
    ds = ds.map_batches(
        EngineActor,
        batch_size=settings.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=cpus,
        num_gpus=gpus,
        fn_constructor_args=(model, settings.device, settings.engine_batch_size, threads, env),
        runtime_env={"env_vars": env},
    )
    context = ds.context
    context.execution_options.preserve_order = True  # ids in input order, like the local path
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    result = RayJobResult(actors=actors, shard_dir=str(out_dir))
    stream = iter(ds.iter_batches(batch_size=None, batch_format="numpy"))
    writer = _ShardWriter(out_dir, settings.shard_rows)
    with _Quiet("ray.data"):
        try:
            _consume(stream, result, writer, into, source.total(), progress)
            writer.flush()
        except BaseException:
            _close(stream)  # stops the streaming executor: tasks cancelled, actors killed
            if into is not None:
                into.rollback()
            _remove_shards(writer.files, None if keep_shards else out_dir)
            raise
        _close(stream)
    result.shards = writer.files
    result.collection = into.collection if into is not None else None
    if not keep_shards:  # they were only the way into the collection, which now holds them
        _remove_shards(writer.files, out_dir)
        result.shard_dir, result.shards = "", []
    result.seconds = time.perf_counter() - start
    return result


def _remove_shards(files: list[str], folder: Path | None) -> None:
    """Delete the shards a job wrote (and `folder`, the temporary folder it made, if given)."""
    for name in files:
        Path(name).unlink(missing_ok=True)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _mark_held(batch: dict[str, np.ndarray], ref: Any) -> dict[str, np.ndarray]:
    """Add a `held` column: True where the collection already holds the text (by SHA-256, the
    collection's own identity). `ref`: the object-store ref of its sorted `content_digests()`
    (read zero-copy from shared memory in each task)."""
    import ray

    from embmagic.store.validate import content_hash

    held: np.ndarray = ray.get(ref)
    digests = np.array([bytes.fromhex(content_hash(str(t))) for t in batch["text"]], dtype="S32")
    at = np.minimum(np.searchsorted(held, digests), len(held) - 1)
    batch["held"] = (held[at] == digests) & np.array([not s for s in batch["skip"]], dtype=bool)
    return batch


def _consume(
    stream: Iterator[dict[str, np.ndarray]],
    result: RayJobResult,
    writer: _ShardWriter,
    into: Ingest | None,
    total: int | None,
    progress: Progress | None,
) -> None:
    from embmagic.core.documents import SkippedFile

    done = 0
    for batch in stream:
        skips, held = [str(s) for s in batch["skip"]], batch["held"]
        keep = [i for i, s in enumerate(skips) if not s and not held[i]]
        for s in skips:
            if s:
                path, _, reason = s.partition("\t")
                result.skipped.append(SkippedFile(path, reason))
        if into is not None:
            into.held_ids([str(t) for t in batch["text"][held]])
        done += len(skips)
        if keep:
            texts = [str(batch["text"][i]) for i in keep]
            metas: list[Metadata] = [json.loads(str(batch["metadata"][i])) for i in keep]
            vectors: Vectors = np.ascontiguousarray(batch["vector"][keep], dtype=np.float32)
            model_id, _, device = str(batch["engine"][keep[0]]).partition("\t")
            result.model_id, result.device = model_id, device
            result.rows += len(texts)
            writer.write(texts, metas, vectors)
            if into is not None:
                into.add(texts, vectors, metas, model_id)
        if progress is not None:
            progress(done, total)


class _ShardWriter:
    """Buffers rows and writes one Parquet file per `rows` rows: part-00000.parquet, ...;
    numbering continues after the parts a folder already holds (earlier jobs' shards stay)."""

    def __init__(self, folder: Path, rows: int) -> None:
        self.folder, self.rows = folder, rows
        numbers = [int(p.stem[5:]) for p in folder.glob("part-*.parquet") if p.stem[5:].isdigit()]
        self.first = max(numbers, default=-1) + 1
        self.files: list[str] = []
        self._parts: list[tuple[list[str], list[Metadata], Vectors]] = []
        self._buffered = 0

    def write(self, texts: list[str], metas: list[Metadata], vectors: Vectors) -> None:
        self._parts.append((texts, metas, vectors))
        self._buffered += len(texts)
        if self._buffered >= self.rows:
            self.flush()

    def flush(self) -> None:
        if not self._parts:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        texts = [t for part in self._parts for t in part[0]]
        metas = [json.dumps(m) for part in self._parts for m in part[1]]
        vectors = np.concatenate([part[2] for part in self._parts])
        dim = vectors.shape[1]
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim)
        table = pa.table({"text": texts, "metadata": metas, "vector": column})
        path = self.folder / f"part-{self.first + len(self.files):05d}.parquet"
        pq.write_table(table, path)
        self.files.append(str(path))
        self._parts, self._buffered = [], 0


def read_shards(
    shard_dir: str | os.PathLike[str],
) -> Iterator[tuple[list[str], list[Metadata], Vectors]]:
    """(texts, metadata, vectors) of each shard a job wrote, one shard at a time."""
    import pyarrow.parquet as pq

    for path in sorted(Path(shard_dir).glob("part-*.parquet")):
        table = pq.read_table(path)
        column = table.column("vector").combine_chunks()
        dim = column.type.list_size
        vectors = column.values.to_numpy().reshape(-1, dim).astype(np.float32, copy=False)
        metas = [json.loads(m) for m in table.column("metadata").to_pylist()]
        yield table.column("text").to_pylist(), metas, vectors


def _default_shard_dir(name: str | None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    root = Path(tempfile.gettempdir()) / "embmagic-ray"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name or 'shards'}-{stamp}-", dir=root))


class _Quiet:
    """Raise a logger to ERROR for a while: Ray Data's per-run INFO/WARNING lines are noise in
    a notebook (the progress bar is ours)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.level = self.logger.level

    def __enter__(self) -> None:
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()
