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


def _embed_image_files(session: Session, name: str, ingest: Ingest, engine: Engine,
                       paths: list[Path], meta: Metadata | None, progress: Progress,
                       start: float, pattern: str) -> EmbedResult:
    """embed_images' work: read, dedupe, decode and encode batch by batch (a cancel is checked
    before each batch), then add everything at once."""
    import numpy as np

    from embmagic.app.ingest import _register
    from embmagic.core.images import digest, read_image

    held = held_digests(ingest.collection)
    seen: set[str] = set()
    skipped: list[Skipped] = []
    batch: list[LoadedImage] = []
    texts: list[str] = []
    metadata: list[Metadata] = []
    blocks: list[Any] = []
    before = engine.encoded_count

    def flush() -> None:
        if batch:
            progress.check()
            blocks.append(engine.encode_images([i.image for i in batch]))
            texts.extend(i.path for i in batch)
            metadata.extend({**i.metadata(), **(meta or {})} for i in batch)
            progress.advance(len(batch))
            batch.clear()

    for path in paths:
        try:
            data = path.read_bytes()
            key = digest(data)
            if key in held or key in seen:
                if key in held:
                    ingest.existing.append(held[key])
                progress.advance(1)
                continue
            batch.append(read_image(path, data))
            seen.add(key)
        except Exception as exc:  # Pillow raises many kinds for a bad file: skip, say why
            skipped.append(_unreadable(path, exc))
            progress.advance(1)
            continue
        if len(batch) >= engine.batch_size:
            flush()
    flush()
    progress.check()  # the last point to stop: the add below is whole or nothing
    if not texts and not ingest.existing:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
        raise InvalidArgumentError(f"no readable image in {pattern!r}: {reasons}")
    if texts:
        # identity is the bytes, not the path: an edited file is a new record (fresh ids)
        ingest.add(texts, np.concatenate(blocks), metadata, engine.model_id, fresh_ids=True)
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
    import numpy as np

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
    paths: list[str] = []
    metadata: list[Metadata] = []
    blocks: list[Any] = []
    batch: list[LoadedImage] = []
    before = engine.encoded_count

    def flush() -> None:
        if batch:
            blocks.append(engine.encode_images([i.image for i in batch]))
            paths.extend(i.path for i in batch)
            metadata.extend({**i.metadata(), **(meta or {})} for i in batch)
            batch.clear()

    for path in plan.to_read:
        try:
            batch.append(read_image(path))
        except Exception as exc:  # Pillow raises many kinds for a bad file: skip, say why
            skipped.append(_unreadable(Path(path), exc))
            continue
        if len(batch) >= engine.batch_size:
            flush()
    flush()
    plan.drop_unread(s.path for s in skipped)
    if ingest.collection is None and not paths:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
        raise InvalidArgumentError(f"no readable image in {pattern!r}: {reasons}")
    vectors = np.concatenate(blocks) if blocks else None
    removed = sync.commit(ingest, paths, vectors, metadata, engine.model_id, plan.stale_ids)
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
