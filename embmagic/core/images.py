"""Image records: reading image files, their thumbnails, and the record format.

An image record's text is the file's path; its metadata holds

- `path`: the file's path as given (str),
- `width`, `height`: the image's size in pixels (first frame for an animation),
- `thumbnail`: a WebP of at most `THUMBNAIL_PX` pixels a side, base64 (no data: prefix),
- `sha256`: the hex SHA-256 of the file's bytes, the record's identity (dedupe).

Thumbnails are shown by our code only, never from document text: `thumbnail_parts` is the one
check, for the HTML tables (`thumbnail_data_uri`) and the widgets (app/thumbnails.py). The MIME
type comes from the bytes' own signature (PNG, JPEG, WebP or GIF, never SVG), the value must be
base64 and at most `THUMBNAIL_CHARS` long; bytes that then fail to decode show as no picture, and
an image data URI can carry no markup or script. Pillow is imported lazily (only to read files).
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
THUMBNAIL_CHARS = 8192
"""Most base64 characters (6 KiB of image) a thumbnail may have to be shown (ours: ~1 KiB)."""
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


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


def image_mime(head: bytes) -> str | None:
    """The image type of bytes starting with `head` (its magic number), or None."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def thumbnail_parts(value: Any) -> tuple[str, str] | None:
    """`(mime, base64)` of a stored thumbnail (base64, or a `data:...;base64,` URI) that may be
    shown, else None: see the module's docstring."""
    if isinstance(value, str) and value.startswith("data:"):  # a data: URI: its base64 part
        prefix, _, value = value.partition(",")
        if not prefix.endswith(";base64"):
            return None
    if not isinstance(value, str) or not value or len(value) > THUMBNAIL_CHARS:
        return None
    try:
        head = base64.b64decode(value[:64], validate=True)
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    mime = image_mime(head)
    return None if mime is None else (mime, value)


def thumbnail_data_uri(value: Any) -> str | None:
    """The `data:` URI an HTML table shows for a stored thumbnail, or None (`thumbnail_parts`)."""
    parts = thumbnail_parts(value)
    return None if parts is None else f"data:{parts[0]};base64,{parts[1]}"
