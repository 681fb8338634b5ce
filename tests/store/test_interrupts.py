"""Ctrl-C at any line of a change: add, delete, reindex and save are all or nothing.

A tracer raises KeyboardInterrupt at the Nth line executed inside embmagic/store during one call,
for N = 1, 2, ... until the call completes without reaching N. After every interrupted call the
collection must equal its state before or after the call (records, ids, vectors, next_id, live
vectors in the index, content-hash lookups), never something in between, and still search, save
and load. For `save`, the directory must hold the previous save or the complete new one.

`interrupts.py` itself is not traced: while it holds SIGINT back, a real Ctrl-C cannot raise
inside the change, so what this test injects there is what any other exception (MemoryError, a
FAISS error) would do, and the collection undoes it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from store_helpers import texts, unit_vectors

import embmagic.store
from embmagic.store import Collection, interrupts, persist
from embmagic.store.kinds import appendonly

STORE = str(Path(embmagic.store.__file__).parent)
UNTRACED = str(Path(interrupts.__file__))
DIM = 8
ALL_TEXTS = texts(40) + texts(12, "new") + ["changed 3", "changed 5"]
"""Every text any scenario stores: their id lookups are part of the compared state."""

KINDS: dict[str, tuple[str, dict[str, Any], int]] = {
    # name: kind, params, records before the change
    "flat": ("flat", {}, 30),
    "hnsw": ("hnsw", {}, 30),
    "ivfpq-training": ("ivfpq", {"nlist": 1}, 36),  # trains at 39: the add crosses it
    "ivfpq-trained": ("ivfpq", {"nlist": 1}, 40),
}


def fire_at(n: int, call: Callable[[], object]) -> bool:
    """Run `call`, raising KeyboardInterrupt at the nth line event inside embmagic/store; True
    when it fired (then the interrupt was swallowed here), False when the call completed."""
    count = 0
    fired = False

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count, fired
        if event == "line":
            count += 1
            if count == n:
                fired = True
                raise KeyboardInterrupt  # Python turns tracing off when a tracer raises
        return local

    def start(frame: FrameType, event: str, arg: Any) -> Any:
        name = frame.f_code.co_filename
        return local if name.startswith(STORE) and name != UNTRACED else None

    sys.settrace(start)
    try:
        call()
    except KeyboardInterrupt:
        if not fired:
            raise
    finally:
        sys.settrace(None)
    return fired


def build(name: str) -> Collection:
    kind, params, n = KINDS[name]
    c = Collection("c", "m", DIM, kind, **params)
    c.add(texts(n), unit_vectors(n, DIM), [{"i": i} for i in range(n)])
    c.delete([2])
    return c


def state(c: Collection) -> dict[str, Any]:
    ids = c.ids()
    return {
        "records": [(r.id, r.text, r.metadata) for r in c.records()],
        "ids": ids.tolist(),
        "vectors": c.vectors_for(ids).tobytes(),
        "next_id": c.next_id,
        "len": len(c),
        "live": sorted(c._index.live_ids().tolist()),  # the index itself, not the records
        "ntotal": c._index.ntotal,
        "kind": (c.kind, c.index_params, re.sub(r", [\d,]+ tombstones", "", c.index_status)),
        "lookups": c.ids_for_texts(ALL_TEXTS),
        "digests": c.content_digests().tolist(),
    }


def check_usable(c: Collection, path: Path) -> None:
    """Searches return stored records, and a save loads back equal."""
    hits = c.search(unit_vectors(3, DIM, seed=9), k=5)
    assert all(c.get(h.id).text == h.text for row in hits for h in row)
    c.save(path)
    assert state(Collection.load(path)) == state(c)


CHANGES: dict[str, Callable[[Collection], object]] = {
    "add": lambda c: c.add([*texts(6, "new"), "doc 4"], unit_vectors(7, DIM, seed=3),
                           {"src": "x"}),
    "upsert": lambda c: c.add(["changed 3", "doc 4", "changed 5", "new 0"],
                              unit_vectors(4, DIM, seed=4), ids=[3, 4, 5, 70]),
    "delete": lambda c: c.delete([*range(20), 99]),  # most: append-only kinds compact
    "reindex": lambda c: c.reindex("hnsw" if c.kind != "hnsw" else "flat"),
}


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Compact append-only indexes after a few deletes (so a delete here rebuilds them too), and
    skip fsync (hundreds of saves; test_crash.py covers real crashes)."""
    monkeypatch.setattr(appendonly, "_COMPACT_MIN_DEAD", 4)
    monkeypatch.setattr(persist, "fsync", lambda path: None)
    yield


@pytest.mark.slow
@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_change_interrupted_at_any_line_is_all_or_nothing(
        kind: str, change: str, tmp_path: Path) -> None:
    reference = build(kind)
    before = state(reference)
    CHANGES[change](reference)
    after = state(reference)
    assert after != before
    outcomes = {"before": 0, "after": 0}
    n = 0
    while True:
        n += 1
        c = build(kind)
        if not fire_at(n, lambda c=c: CHANGES[change](c)):  # type: ignore[misc]
            break
        now = state(c)
        assert now in (before, after), f"inconsistent after an interrupt at line event {n}"
        outcomes["before" if now == before else "after"] += 1
        check_usable(c, tmp_path / f"s{n % 2}")
    assert state(c) == after
    assert outcomes["before"] > 0 and n > 10


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_save_interrupted_at_any_line_leaves_the_old_or_the_new_save(
        kind: str, tmp_path: Path) -> None:
    path = tmp_path / "coll"
    c = build(kind)
    c.save(path)
    old = state(Collection.load(path))
    CHANGES["upsert"](c)
    new = state(c)
    seen = set()
    n = 0
    while True:
        n += 1
        if not fire_at(n, lambda: c.save(path)):
            break
        on_disk = state(Collection.load(path))
        assert on_disk in (old, new), f"a broken save after an interrupt at line event {n}"
        seen.add("old" if on_disk == old else "new")
        assert state(c) == new  # saving never changes the collection
        strays = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".coll.embmagic-")]
        assert strays == ["coll"]
        if on_disk == new:  # back to the old save for the next round
            build(kind).save(path)
    assert seen == {"old", "new"}
    assert state(Collection.load(path)) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coll"]  # leftovers cleaned


@pytest.mark.usefixtures("ctrl_c")
def test_a_real_ctrl_c_during_the_commit_is_delivered_after_it() -> None:
    """SIGINT sent while FAISS takes the vectors: KeyboardInterrupt comes once the add is done."""
    import os
    import signal

    c = build("flat")
    index_add = c._index.add

    def add_then_interrupt(ids: Any, vectors: Any) -> None:
        index_add(ids, vectors)
        os.kill(os.getpid(), signal.SIGINT)

    c._index.add = add_then_interrupt  # type: ignore[method-assign]
    expected = build("flat")
    CHANGES["add"](expected)
    with pytest.raises(KeyboardInterrupt):
        CHANGES["add"](c)
    assert state(c) == state(expected)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
