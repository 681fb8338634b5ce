"""Record thumbnails as the widgets show them: the `thumbnail` metadata of an image record
(base64 of a small PNG/JPEG/WebP/GIF, or
such a `data:` URI) checked and sized for the wire.

The map's hover replies and the explorer's rows carry `{"mime", "base64"}` for image records
only; the front end builds the `data:` URI itself from an allowed MIME type (docs/widgets.md,
"Thumbnails"). A thumbnail that is not base64, not one of these image types, or over
`THUMBNAIL_CHARS` is not sent (the record's text still is).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from embmagic.core.images import THUMBNAIL_CHARS, image_mime, thumbnail_parts

__all__ = ["THUMBNAIL_CHARS", "THUMBNAIL_KEY", "image_mime", "thumbnail_of", "without_thumbnail"]

THUMBNAIL_KEY = "thumbnail"


def thumbnail_of(metadata: Mapping[str, Any]) -> dict[str, str] | None:
    """`{"mime", "base64"}` of a record's thumbnail, or None when it has none to show (the one
    check: core/images.py `thumbnail_parts`)."""
    parts = thumbnail_parts(metadata.get(THUMBNAIL_KEY))
    return None if parts is None else {"mime": parts[0], "base64": parts[1]}


def without_thumbnail(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata minus the thumbnail's bytes (they travel once, as `thumbnail_of` gives them)."""
    return {k: v for k, v in metadata.items() if k != THUMBNAIL_KEY}
