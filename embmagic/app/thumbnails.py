"""Record thumbnails as the widgets show them: the `thumbnail` metadata of an image record
(base64 of a small PNG/JPEG/WebP/GIF, or
such a `data:` URI) checked and sized for the wire.

The map's hover replies and the explorer's rows carry `{"mime", "base64"}` for image records
only; the front end builds the `data:` URI itself from an allowed MIME type (docs/widgets.md,
"Thumbnails"). A thumbnail that is not base64, not one of these image types, or over
`THUMBNAIL_CHARS` is not sent (the record's text still is).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

THUMBNAIL_KEY = "thumbnail"
THUMBNAIL_CHARS = 8192
"""Most base64 characters (6 KiB of image) one thumbnail may have to be sent to a widget."""

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_mime(head: bytes) -> str | None:
    """The image type of bytes starting with `head` (its magic number), or None."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def thumbnail_of(metadata: Mapping[str, Any]) -> dict[str, str] | None:
    """`{"mime", "base64"}` of a record's thumbnail, or None when it has none to show."""
    value = metadata.get(THUMBNAIL_KEY)
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
    return None if mime is None else {"mime": mime, "base64": value}


def without_thumbnail(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata minus the thumbnail's bytes (they travel once, as `thumbnail_of` gives them)."""
    return {k: v for k, v in metadata.items() if k != THUMBNAIL_KEY}
