"""Image records: reading image files, their thumbnails, and the record format.

An image record's text is the file's path; its metadata holds

- `path`: the file's path as given (str),
- `width`, `height`: the image's size in pixels (first frame for an animation),
- `thumbnail`: a WebP of at most `THUMBNAIL_PX` pixels a side, base64 (no data: prefix),
- `sha256`: the hex SHA-256 of the file's bytes, the record's identity (dedupe).

Thumbnails are rendered by our code only (`thumbnail_data_uri`) after they decode as an image,
never from document text. Pillow is imported lazily.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from PIL.Image import Image

THUMBNAIL_PX = 64
THUMBNAIL_FORMAT = "WEBP"
IMAGE_KEYS = ("path", "width", "height", "thumbnail", "sha256")
_MIME = {"WEBP": "image/webp", "PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}
_MAX_THUMBNAIL_B64 = 200_000  # a stored thumbnail larger than this is not rendered


@dataclass
class LoadedImage:
    """One decoded image file: RGB pixels (first frame) and its record metadata."""

    path: str
    image: Image
    width: int
    height: int
    thumbnail: str
    sha256: str

    def metadata(self) -> dict[str, Any]:
        return {"path": self.path, "width": self.width, "height": self.height,
                "thumbnail": self.thumbnail, "sha256": self.sha256}  # fmt: skip


def require_pillow() -> None:
    """InvalidArgumentError naming what to install when Pillow is missing."""
    import importlib.util

    if importlib.util.find_spec("PIL") is None:
        raise InvalidArgumentError("images need Pillow: pip install 'embmagic[images]'")


def read_image(path: str | os.PathLike[str], data: bytes | None = None) -> LoadedImage:
    """Decode `path` (or its bytes `data`, already read) as RGB, first frame of an animation;
    OSError/ValueError if unreadable."""
    from PIL import Image as PILImage

    if data is None:
        data = Path(path).read_bytes()
    with PILImage.open(io.BytesIO(data)) as img:
        img.seek(0)
        rgb = img.convert("RGB")
    rgb.load()
    return LoadedImage(os.fspath(path), rgb, rgb.width, rgb.height, encode_thumbnail(rgb),
                       digest(data))  # fmt: skip


def digest(data: bytes) -> str:
    """The record identity of an image file: hex SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


def as_rgb(image: Any) -> Image:
    """A PIL image (or a path to one) as RGB, first frame."""
    from PIL import Image as PILImage

    if isinstance(image, PILImage.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    if isinstance(image, str | Path):
        return read_image(image).image
    msg = f"expected a PIL image or a path, got {type(image).__name__}"
    raise InvalidArgumentError(msg)


def encode_thumbnail(image: Image) -> str:
    """A WebP of at most THUMBNAIL_PX a side, base64 (deterministic for the same pixels)."""
    small = image.copy()
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    buf = io.BytesIO()
    small.save(buf, format=THUMBNAIL_FORMAT, quality=80, method=4)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def make_thumbnail(path: str | Path) -> tuple[str, int, int]:
    """(base64 WebP thumbnail, width, height) of the image file at `path`."""
    loaded = read_image(path)
    return loaded.thumbnail, loaded.width, loaded.height


def thumbnail_data_uri(value: Any) -> str | None:
    """A `data:image/...;base64,` URI for a stored thumbnail, only if it decodes as a small
    image of a known format; None otherwise (so anything else is never put in HTML)."""
    if not isinstance(value, str) or not value or len(value) > _MAX_THUMBNAIL_B64:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(raw)) as img:
            fmt = img.format or ""
            img.verify()
    except Exception:  # not an image Pillow can read: not rendered
        return None
    mime = _MIME.get(fmt)
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"
