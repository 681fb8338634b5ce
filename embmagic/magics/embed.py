"""`%%embed` and `%embed`: check the flags, gather the texts, make one workspace call.

Splitting, reading files, deduping and adding are the application layer's (`embmagic.app.ingest`);
what stays here is what needs the IPython shell: the running cell's number, past cells, and
variables from the user's namespace.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from embmagic.app import ingest
from embmagic.app.jobs import Job
from embmagic.app.results import EmbedResult
from embmagic.app.workspace import Workspace
from embmagic.errors import InvalidArgumentError
from embmagic.magics.parsing import parse_pairs
from embmagic.types import Metadata


def collection_name(args: argparse.Namespace, default: str) -> str:
    """The one positional word of `%%embed [COLL]` / `%embed COLL`, else the default."""
    words: list[str] = args.words
    if len(words) > 1:
        msg = f"expected one collection name, got {' '.join(words)!r} (options start with --)"
        raise InvalidArgumentError(msg)
    name = words[0] if words else default
    if not name.strip():
        raise InvalidArgumentError("the collection name is empty")
    return name


def run_embed(ws: Workspace, args: argparse.Namespace, body: str | None, shell: Any
              ) -> EmbedResult | Job[EmbedResult]:
    """`%%embed` (body given) or `%embed` with exactly one of --from / --files / --cells."""
    name = collection_name(args, ws.options.collection)
    columns = [c.strip() for m in args.meta or [] if "=" not in m for c in m.split(",")]
    meta = dict(parse_pairs([m for m in args.meta or [] if "=" in m], "--meta"))
    if columns and not args.from_var:
        raise InvalidArgumentError("--meta takes KEY=VALUE (column names go with --from DF)")
    sources = [f for f in ("from_var", "files", "cells", "images") if getattr(args, f)]
    if args.on == "ray" and (body is not None or args.cells or args.images
                             or len(sources) != 1):
        raise InvalidArgumentError("--on ray works with %embed COLL --files GLOB or --from VAR")
    if body is not None:
        if sources or args.column or args.chunk or args.sync:
            raise InvalidArgumentError(
                "%%embed embeds its body: --from/--files/--cells/--images are for %embed"
            )
        batch = ingest.text_batch(body, args.split, {"cell": current_cell(shell), **meta})
        return ws.embed_batch(name, batch, model=args.model, on=args.on, out=args.out,
                              background=args.background)
    _check_line_flags(args, sources)
    if args.images:
        return ws.embed_images(name, args.images, model=args.model, meta=meta, sync=args.sync,
                               background=args.background)
    if args.files:
        return ws.embed_files(name, args.files, chunk=args.chunk, overlap=args.overlap or 0,
                              meta=meta, model=args.model, on=args.on, out=args.out,
                              sync=args.sync, background=args.background)
    if args.from_var:
        if args.from_var not in shell.user_ns:
            raise InvalidArgumentError(f"--from {args.from_var}: no variable named "
                                       f"{args.from_var!r}")
        value = shell.user_ns[args.from_var]
        batch = ingest.values_batch(value, args.from_var, args.column, meta, columns)
    else:
        batch = ingest.cells_batch(past_cells(shell), meta)
    return ws.embed_batch(name, batch, model=args.model, on=args.on, out=args.out,
                          background=args.background)


def _check_line_flags(args: argparse.Namespace, sources: list[str]) -> None:
    if len(sources) != 1:
        raise InvalidArgumentError(
            "%embed needs exactly one of --from VAR, --files GLOB, --images GLOB, --cells "
            "(or use %%embed)"
        )
    if args.column is not None and not args.from_var:
        raise InvalidArgumentError("--column goes with --from VAR")
    if args.images and args.split != "auto":
        raise InvalidArgumentError("--split is for text: --images embeds whole images")
    if (args.chunk or args.overlap) and not args.files:
        raise InvalidArgumentError("--chunk/--overlap go with --files GLOB")
    if args.sync and not (args.files or args.images):
        raise InvalidArgumentError("--sync goes with --files GLOB or --images GLOB")


def current_cell(shell: Any) -> int:
    """Execution count of the running cell.

    IPython 9 increments `execution_count` before running a cell that is stored in history,
    so the running cell's own number is read from the displayhook's ExecutionResult.
    """
    running = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    number = getattr(running, "execution_count", None)
    return int(number) if number is not None else int(shell.execution_count)


def past_cells(shell: Any) -> list[tuple[str, Metadata]]:
    """Code cells run so far (from the shell's input history, works with history storage off)
    plus the notebook's markdown cells when the kernel knows the notebook's path.

    The cell running `%embed --cells` itself is left out.
    """
    manager = getattr(shell, "history_manager", None)
    raw = list(manager.input_hist_raw) if manager is not None else list(shell.user_ns.get("In", []))
    current = current_cell(shell)
    cells: list[tuple[str, Metadata]] = [
        (source, {"cell": number, "cell_type": "code"})
        for number, source in enumerate(raw)
        if number and number != current and isinstance(source, str)
    ]
    return cells + _markdown_cells(shell.user_ns)


def _markdown_cells(namespace: Mapping[str, Any]) -> list[tuple[str, Metadata]]:
    """Markdown cells of the running notebook: Jupyter never sends them to the kernel, so they
    are read from the file named by `__session__` (ipykernel) or `__vsc_ipynb_file__` (VS Code)."""
    from embmagic.core.text import read_documents

    path = namespace.get("__vsc_ipynb_file__") or namespace.get("__session__")
    if not isinstance(path, str) or not path.endswith(".ipynb") or not os.path.isfile(path):
        return []
    docs, _ = read_documents(path)
    return [
        (doc.text, {"cell_type": "markdown", "notebook_cell": doc.metadata.get("cell")})
        for doc in docs
        if doc.metadata.get("kind") == "markdown"
    ]
