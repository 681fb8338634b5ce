"""Metadata filters (`where=`): every key must be present and equal.

Magics pass every value as a string (`--where year=2024`), so a stored value also matches when
`str(stored) == str(wanted)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata


def check_where(where: Any) -> dict[str, Any] | None:
    """None or {} mean no filter; otherwise a dict with string keys."""
    if where is None:
        return None
    if not isinstance(where, Mapping):
        msg = f"where must be a dict of metadata key -> value, got {type(where).__name__}"
        raise InvalidArgumentError(msg)
    if any(not isinstance(key, str) for key in where):
        msg = "where keys must be strings"
        raise InvalidArgumentError(msg)
    return dict(where) or None


def matches(metadata: Metadata, where: Mapping[str, Any]) -> bool:
    """True when every key of `where` is in `metadata` with an equal (or equal-as-text) value."""
    for key, wanted in where.items():
        if key not in metadata:
            return False
        value = metadata[key]
        if value != wanted and str(value) != str(wanted):
            return False
    return True


def matching_ids(items: Iterable[tuple[int, Metadata]], where: Mapping[str, Any]) -> list[int]:
    """Ids of the (id, metadata) pairs that pass the filter, in the given order."""
    return [i for i, meta in items if matches(meta, where)]
