"""`%emb index COLL --kind flat|hnsw|ivfpq|lancedb [...]` and the memory rows of `%emb info`.

The estimate comes first (printed before a long build, always in the result); a build whose index
would take more than half of the memory available needs `--yes`. `--on-disk PATH` writes an
on-disk ivfpq copy and replaces the session's collection by it (read-only, memory-mapped);
`--kind lancedb --on-disk PATH` copies it into a LanceDB table instead (writable, see lance.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.magics.results import MessageResult, Result
from embmagic.session import Session

# embmagic.store imports FAISS: this module is imported when the extension loads (completion
# reads SUBCOMMANDS through manage.py), so the store is imported inside the functions.

FLAGS: dict[str, str] = {"nlist": "--nlist", "m": "--m", "ef_search": "--ef-search",
                         "nprobe": "--nprobe", "on_disk": "--on-disk", "yes": "--yes"}
"""Namespace attribute -> flag, for the flags only `%emb index` takes."""
_PARAMS: dict[str, dict[str, str]] = {
    "flat": {},
    "hnsw": {"m": "M", "ef_search": "ef_search"},
    "ivfpq": {"nlist": "nlist", "m": "pq_m", "nprobe": "nprobe"},
    "lancedb": {},
}
"""Per kind: which flags it takes and the index parameter each sets."""
ANNOUNCE_AT = 100_000
"""Collections at least this big get the estimate printed before the (slow) build starts."""


def index_only_flags(args: argparse.Namespace) -> list[str]:
    """The `%emb index` flags given (to refuse them with other subcommands)."""
    used = [flag for attr, flag in FLAGS.items() if getattr(args, attr, None) not in (None, False)]
    return used + (["--kind"] if getattr(args, "kind", None) is not None else [])


def index_params(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The kind and its parameters from the flags; one-line errors for flags it does not take."""
    kind = args.kind
    if kind is None:
        msg = "usage: %emb index COLL --kind flat|hnsw|ivfpq|lancedb [--nlist N] [--m M] " \
              "[--ef-search E] [--nprobe P] [--on-disk PATH] [--yes]"
        raise InvalidArgumentError(msg)
    params: dict[str, Any] = {}
    for attr in ("nlist", "m", "ef_search", "nprobe"):
        value = getattr(args, attr)
        if value is None:
            continue
        if attr not in _PARAMS[kind]:
            takers = [k for k, p in _PARAMS.items() if attr in p]
            msg = f"{FLAGS[attr]} works only with --kind {' or '.join(takers)}"
            raise InvalidArgumentError(msg)
        params[_PARAMS[kind][attr]] = value
    if args.on_disk is not None and kind not in ("ivfpq", "lancedb"):
        raise InvalidArgumentError("--on-disk works only with --kind ivfpq or lancedb")
    if kind == "lancedb" and args.on_disk is None:
        raise InvalidArgumentError("--kind lancedb needs --on-disk PATH (a directory or URI)")
    return kind, params


def run_index(session: Session, name: str, args: argparse.Namespace) -> Result:
    """Rebuild COLL's index in another kind (or write it on disk), estimate first."""
    from embmagic.store import Collection

    c = session.collection(name)
    kind, params = index_params(args)
    before = c.memory()
    if args.on_disk is not None:
        if len(c) >= ANNOUNCE_AT:
            print(f"writing {c.name!r} on disk: {len(c):,} vectors, now {before.describe()}")
        if kind == "lancedb":
            moved: Collection = c.to_lance(args.on_disk)
        else:
            c.to_disk(args.on_disk, **params)
            moved = Collection.load(args.on_disk, name=c.name)
        session.add_collection(moved, replace=True)
        after = moved.memory()
        where = "in LanceDB" if kind == "lancedb" else "on disk"
        return MessageResult(
            f"{c.name!r} is now {where} at {args.on_disk}: {after.describe()} "
            f"(was {before.describe()})",
            {"kind": moved.index_status, "estimate": before, "memory": after,
             "path": args.on_disk})
    wanted = c.estimate_for(kind, **params)
    _check_room(wanted.ram_bytes, bool(args.yes))
    if len(c) >= ANNOUNCE_AT:
        print(f"building: estimated {wanted.describe()}")
    c.reindex(kind, **params)
    after = c.memory()
    return MessageResult(
        f"{c.name!r} reindexed: {c.index_status}; estimated {wanted.describe()}",
        {"kind": c.index_status, "estimate": wanted, "memory": after})


def available_ram() -> int | None:
    from embmagic.store.memory import available_ram as ram

    return ram()


def human_bytes(n: float) -> str:
    from embmagic.store.memory import human_bytes as human

    return human(n)


def _check_room(needed: int, confirmed: bool) -> None:
    available = available_ram()
    if confirmed or available is None or needed <= available // 2:
        return
    msg = (f"the new index needs about {human_bytes(needed)}, more than half of the "
           f"{human_bytes(available)} available: add --yes to build anyway, or use "
           "--kind ivfpq --on-disk PATH")
    raise InvalidArgumentError(msg)


def memory_rows(c: Any) -> list[list[str]]:
    """`%emb info` rows: kind and parameters, vectors, bytes in memory, on-disk path."""
    mem = c.memory()
    chosen = {k: v for k, v in c.index_params.items() if v is not None}
    shown = ", ".join(f"{k}={v}" for k, v in chosen.items())
    rows = [
        ["kind", f"{c.kind} ({shown})" if shown else c.kind],
        ["vectors", f"{mem.vectors:,}"],
        ["bytes in memory", f"{human_bytes(mem.ram_bytes)} (index {human_bytes(mem.index_bytes)}"
                            f" + records {human_bytes(mem.records_bytes)}, estimated)"],
    ]
    on_disk = f"{c.path} ({human_bytes(mem.disk_bytes)})" if c.path is not None else "no"
    rows.append(["on disk", on_disk])
    return rows
