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
from typing import TYPE_CHECKING, Any

from embmagic.app.results import EmbedResult, Skipped
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata

if TYPE_CHECKING:
    from embmagic.core.images import LoadedImage
    from embmagic.engine import Engine
    from embmagic.store import BaseCollection


def read_images(pattern: str | PathLike[str] | list[str]
                ) -> tuple[list[LoadedImage], list[Skipped]]:
    """The images named by a glob, path, folder or list of those, and the files skipped."""
    from embmagic.core.documents import expand_paths
    from embmagic.core.images import read_image, require_pillow

    require_pillow()
    specs = [pattern] if isinstance(pattern, str | PathLike) else list(pattern)
    images: list[LoadedImage] = []
    skipped: list[Skipped] = []
    for path in expand_paths(specs):
        try:
            images.append(read_image(path))
        except Exception as exc:  # Pillow raises many kinds for a bad file: skip, say why
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            skipped.append(Skipped(str(path), f"not a readable image ({reason})"))
    return images, skipped


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


def embed_images(session: Session, name: str, pattern: str | PathLike[str] | list[str], *,
                 model: str | None = None, meta: Metadata | None = None) -> EmbedResult:
    """Encode the images `name` does not hold yet (by the hash of their bytes) and add them."""
    from embmagic.app.ingest import _ingest, _register

    start = time.perf_counter()
    ingest = _ingest(session, name)
    engine = image_engine(session, name, model)
    ingest.check_model(engine.model_id, engine.dim)
    images, skipped = read_images(pattern)
    if not images:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
        raise InvalidArgumentError(f"no readable image in {pattern!r}: {reasons}")
    held = held_digests(ingest.collection)
    todo: list[LoadedImage] = []
    seen: set[str] = set()
    for image in images:
        if image.sha256 in held:
            ingest.existing.append(held[image.sha256])
        elif image.sha256 not in seen:
            seen.add(image.sha256)
            todo.append(image)
    before = engine.encoded_count
    if todo:
        try:
            vectors = engine.encode_images([i.image for i in todo])
            metadata: list[Metadata] = [{**i.metadata(), **(meta or {})} for i in todo]
            ingest.add([i.path for i in todo], vectors, metadata, engine.model_id)
        except BaseException:
            ingest.rollback()
            raise
    collection = _register(session, ingest)
    return EmbedResult(
        collection=name, added=ingest.added, existing=ingest.existing, model=engine.model_id,
        device=engine.device, seconds=time.perf_counter() - start,
        total=len(collection) if collection is not None else 0,
        encoded=engine.encoded_count - before, skipped=skipped,
    )  # fmt: skip


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
