"""Images in a text model's space (CLIP): `%embed COLL --images GLOB`, `%neighbors --image`.

An image record's text is its path; its metadata is core/images.py's record format (path,
width, height, WebP thumbnail, sha256 of the file's bytes). Images are deduped by that hash, as
texts are by theirs: an image whose bytes a collection holds is not encoded again, whatever its
path. Unreadable files are skipped and listed in the summary. A collection holds one model's
vectors, so a text model and an image model never share one.
"""

from __future__ import annotations

import json
import time
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embmagic.app.results import EmbedResult, Skipped
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata

if TYPE_CHECKING:
    from embmagic.app.jobs import Job, Progress
    from embmagic.app.sync import SyncResult
    from embmagic.core.images import LoadedImage
    from embmagic.core.ingest import Ingest
    from embmagic.engine import Engine
    from embmagic.store import BaseCollection


def image_paths(pattern: str | PathLike[str] | list[str]) -> list[Path]:
    """The files named by a glob, path, folder or list of those (none: a one-line error)."""
    from embmagic.core.documents import expand_paths
    from embmagic.core.images import require_pillow

    require_pillow()
    return expand_paths([pattern] if isinstance(pattern, str | PathLike) else list(pattern))


def _unreadable(path: Path, exc: BaseException) -> Skipped:
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return Skipped(str(path), f"not a readable image ({reason})")


def image_engine(session: Session, name: str, model: str | None) -> Engine:
    """The CLIP engine for `name`: `model`, else the collection's; a text model is refused."""
    from embmagic.engine.clip import HOW_TO_GET_CLIP

    held = session.collections.get(name)
    chosen = model or (held.model_id if held is not None else None)
    if chosen is None:
        raise InvalidArgumentError(f"--images: {HOW_TO_GET_CLIP}")
    engine = session.engine(chosen)
    if engine.modality != "image":
        where = f"collection {name!r} holds text vectors of {chosen}" if not model else (
            f"{engine.model_id} is a text model")
        raise InvalidArgumentError(f"{where}; {HOW_TO_GET_CLIP}")
    return engine


def held_digests(collection: BaseCollection | None) -> dict[str, int]:
    """sha256 of each image record's bytes -> its id."""
    out: dict[str, int] = {}
    if collection is None or not len(collection):
        return out
    for chunk in collection.iter_chunks(10_000):
        for id_, meta in zip(chunk.ids.tolist(), chunk.metadata_json, strict=True):
            digest = json.loads(meta).get("sha256") if meta else None
            if isinstance(digest, str):
                out.setdefault(digest, int(id_))
    return out


IMAGE_BAR_AT = 64
"""Images at least this many show a progress bar when the progress option is auto (CLIP on a
CPU encodes a few dozen images a second)."""


def embed_images(session: Session, name: str, pattern: str | PathLike[str] | list[str], *,
                 model: str | None = None, meta: Metadata | None = None,
                 background: bool = False) -> EmbedResult | Job[EmbedResult]:
    """Encode the images `name` does not hold yet (by the hash of their bytes) and add them,
    in one all-or-nothing add at the end; `background`: in a job (app/jobs.py), returned at
    once. Names, the model and the glob are checked here, in the calling thread.

    Files stream through in batches of the engine's batch size: only one batch of decoded
    images is in memory, and a file whose bytes are held is never decoded."""
    from embmagic.app import jobs
    from embmagic.app.ingest import _ingest

    start = time.perf_counter()
    ingest = _ingest(session, name)  # refuses a collection a job is writing
    engine = image_engine(session, name, model)
    ingest.check_model(engine.model_id, engine.dim)
    paths = image_paths(pattern)
    held = ingest.collection

    def work(progress: Progress) -> EmbedResult:
        return _embed_image_files(session, name, ingest, engine, paths, meta, progress, start,
                                  str(pattern))

    what = f"embed {len(paths):,} images into {name!r}"
    show, count = session.options.progress, len(paths)
    if background:
        return jobs.start_job(session, name, what, count, work, collection=held,
                              show_progress=show, unit="image", bar_at=IMAGE_BAR_AT)
    return jobs.run_here(name, what, count, work, show_progress=show, unit="image",
                         bar_at=IMAGE_BAR_AT)


class _Encoded:
    """Decoded images encoded a batch of the engine's batch size at a time (one batch of
    pictures in memory), keeping each one's path, record metadata (plus `meta`) and vector for
    one add at the end. With `progress`: a cancel is checked before each batch, and the batch
    counts as done after it."""

    def __init__(self, engine: Engine, meta: Metadata | None,
                 progress: Progress | None = None) -> None:
        self.engine, self.meta, self.progress = engine, meta or {}, progress
        self.paths: list[str] = []
        self.metadata: list[Metadata] = []
        self._blocks: list[Any] = []
        self._batch: list[LoadedImage] = []

    def add(self, image: LoadedImage) -> None:
        self._batch.append(image)
        if len(self._batch) >= self.engine.batch_size:
            self.flush()

    def flush(self) -> None:
        batch = self._batch
        if not batch:
            return
        if self.progress is not None:
            self.progress.check()
        self._blocks.append(self.engine.encode_images([i.image for i in batch]))
        self.paths.extend(i.path for i in batch)
        self.metadata.extend({**i.metadata(), **self.meta} for i in batch)
        if self.progress is not None:
            self.progress.advance(len(batch))
        self._batch = []

    def vectors(self) -> Any:
        """All vectors in order (None when no image was encoded); flushes the last batch."""
        import numpy as np

        self.flush()
        return np.concatenate(self._blocks) if self._blocks else None


def _none_readable(pattern: object, skipped: list[Skipped]) -> InvalidArgumentError:
    reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
    return InvalidArgumentError(f"no readable image in {pattern!r}: {reasons}")


def _embed_image_files(session: Session, name: str, ingest: Ingest, engine: Engine,
                       paths: list[Path], meta: Metadata | None, progress: Progress,
                       start: float, pattern: str) -> EmbedResult:
    """embed_images' work: read, dedupe, decode and encode batch by batch (a cancel is checked
    before each batch), then add everything at once."""
    from embmagic.app.ingest import _register
    from embmagic.core.images import digest, read_image

    held = held_digests(ingest.collection)
    seen: set[str] = set()
    skipped: list[Skipped] = []
    encoded = _Encoded(engine, meta, progress)
    before = engine.encoded_count
    for path in paths:
        try:
            data = path.read_bytes()
            key = digest(data)
            if key in held or key in seen:
                if key in held:
                    ingest.existing.append(held[key])
                progress.advance(1)
                continue
            image = read_image(path, data)
            seen.add(key)
        except Exception as exc:  # Pillow raises many kinds for a bad file: skip, say why
            skipped.append(_unreadable(path, exc))
            progress.advance(1)
            continue
        encoded.add(image)  # outside the try: an encoder error is not a bad file
    vectors = encoded.vectors()
    progress.check()  # the last point to stop: the add below is whole or nothing
    if vectors is None and not ingest.existing:
        raise _none_readable(pattern, skipped)
    if vectors is not None:
        # identity is the bytes, not the path: an edited file is a new record (fresh ids)
        ingest.add(encoded.paths, vectors, encoded.metadata, engine.model_id, fresh_ids=True)
    collection = _register(session, ingest)
    return EmbedResult(
        collection=name, added=ingest.added, existing=ingest.existing, model=engine.model_id,
        device=engine.device, seconds=time.perf_counter() - start,
        total=len(collection) if collection is not None else 0,
        encoded=engine.encoded_count - before, skipped=skipped,
    )  # fmt: skip


def sync_images(session: Session, name: str, pattern: str | PathLike[str] | list[str], *,
                model: str | None = None, meta: Metadata | None = None) -> SyncResult:
    """`%embed COLL --images GLOB --sync`: make the image records match the files now.

    As `--files --sync` does (core/sync.py), with the path as a record's identity: a file
    whose bytes still hash to its record's `sha256` is neither read nor encoded, an edited one
    has its record replaced, a record whose file no longer matches is removed. Two files with
    the same bytes each own a record here. Unreadable files keep their records. Everything is
    encoded before the collection changes, and the change is all or nothing."""
    from embmagic.app.ingest import _ingest
    from embmagic.app.sync import finish_sync
    from embmagic.core import sync
    from embmagic.core.images import read_image

    start = time.perf_counter()
    ingest = _ingest(session, name)
    engine = image_engine(session, name, model)
    ingest.check_model(engine.model_id, engine.dim)
    hashes, unreadable = sync.hash_files(str(p) for p in image_paths(pattern))
    plan = sync.plan_sync(ingest.collection, hashes, keep=unreadable, hash_key="sha256")
    skipped = [Skipped(path, reason) for path, reason in unreadable.items()]
    encoded = _Encoded(engine, meta)
    before = engine.encoded_count
    for path in plan.to_read:
        try:
            image = read_image(path)
        except Exception as exc:  # Pillow raises many kinds for a bad file: skip, say why
            skipped.append(_unreadable(Path(path), exc))
            continue
        encoded.add(image)
    vectors = encoded.vectors()
    plan.drop_unread(s.path for s in skipped)
    if ingest.collection is None and vectors is None:
        raise _none_readable(pattern, skipped)
    removed = sync.commit(ingest, encoded.paths, vectors, encoded.metadata, engine.model_id,
                          plan.stale_ids)
    return finish_sync(session, name, ingest, engine, plan, removed=removed, skipped=skipped,
                       start=start, encoded_before=before)


def is_image_collection(collection: BaseCollection) -> bool:
    """Whether `collection`'s records are images (its first record has the image format)."""
    if not len(collection):
        return False
    first = collection.get(int(collection.ids()[0]))
    return isinstance(first.metadata.get("sha256"), str) and "thumbnail" in first.metadata


def image_vector(session: Session, collection: BaseCollection, image: Any) -> Any:
    """The query vector of an image (path or PIL image) in `collection`'s space."""
    engine = session.engine_for(collection)
    if engine.modality != "image":
        msg = (f"collection {collection.name!r} holds text vectors of {collection.model_id}: "
               "--image searches a collection embedded with --images")
        raise InvalidArgumentError(msg)
    from embmagic.core.images import read_image, require_pillow

    require_pillow()
    picture = image
    if isinstance(image, str | PathLike):
        try:
            picture = read_image(image).image
        except Exception as exc:
            msg = f"--image {image}: not a readable image ({type(exc).__name__}): give a PNG, "
            raise InvalidArgumentError(msg + "JPEG, WebP or GIF file") from exc
    return engine.encode_images([picture])[0]
