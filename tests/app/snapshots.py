"""What "the collection is exactly as it was" compares (records: id, text, metadata; vectors;
`next_id`; index kind), and a method that fails once, for the all-or-nothing tests."""

from __future__ import annotations

from typing import Any

import pytest

from embmagic.app import Workspace
from embmagic.store import BaseCollection


def collection_state(c: BaseCollection) -> tuple[object, bytes, int, str]:
    """Records (id, text, metadata), vectors, next_id and index kind of a collection."""
    records = c.records()
    ids = [r.id for r in records]
    listed = [(r.id, r.text, sorted(r.metadata.items())) for r in records]
    vectors = c.vectors_for(ids).tobytes() if ids else b""
    return listed, vectors, c.next_id, c.kind


def named_state(ws: Workspace, name: str) -> tuple[object, bytes, int, str]:
    """`collection_state` of the collection `name` of `ws`."""
    return collection_state(ws.collections[name])


def fail_first_call(monkeypatch: pytest.MonkeyPatch, owner: object, method: str,
                    exc: BaseException) -> list[Any]:
    """Make `owner.method` raise `exc` on its first call and work after that (the undo of a
    failed change calls it again); returns the arguments of every call."""
    original, calls = getattr(owner, method), []

    def once(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise exc
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, method, once)
    return calls
