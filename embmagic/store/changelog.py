"""An append-only log of the changes made to a saved collection since its last full save.

A full save (persist.py) rewrites every vector: 2 s for 100,000 records here, too slow after each
small `%%embed`. So a collection living in a `store_dir` is its last full save plus this log,
`<save>.changes.jsonl`, one JSON object per line:

    {"op": "add", "id": 12, "text": "...", "metadata": {...}, "vector": "<base64 float32>"}
    {"op": "delete", "ids": [3, 4]}

Each append is written, flushed and fsynced before the change is reported done. Reading applies
the lines in order on top of the full save; a last line cut short by a crash is ignored (that
change was never reported done), any other bad line is a StoreFormatError. Replaying the log on a
save that already holds its changes gives the same records (adds are by id, deletes of absent ids
do nothing), so compaction is: write a full save (atomic), then remove the log.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.errors import StoreFormatError
from embmagic.types import Record, Vectors

SUFFIX = ".changes.jsonl"


def log_path(save: Path) -> Path:
    """The log beside a save folder."""
    return save.parent / f"{save.name}{SUFFIX}"


def append(save: Path, added: Sequence[Record], vectors: Vectors, deleted: Sequence[int]) -> int:
    """Append adds (records with their vectors) and one delete line; returns bytes written."""
    lines = [json.dumps({"op": "add", "id": r.id, "text": r.text, "metadata": r.metadata,
                         "vector": base64.b64encode(np.ascontiguousarray(
                             v, dtype="<f4").tobytes()).decode("ascii")},
                        ensure_ascii=False, allow_nan=False)
             for r, v in zip(added, vectors, strict=True)]
    if deleted:
        lines.append(json.dumps({"op": "delete", "ids": [int(i) for i in deleted]}))
    if not lines:
        return 0
    data = ("\n".join(lines) + "\n").encode("utf-8")
    _cut_torn_tail(log_path(save))
    fd = os.open(log_path(save), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(data)


def _cut_torn_tail(path: Path) -> None:
    """Remove a last line cut short by a crash, so the next append starts on a fresh line."""
    try:
        raw = path.read_bytes() if path.stat().st_size else b""
    except FileNotFoundError:
        return
    if raw and not raw.endswith(b"\n"):
        os.truncate(path, raw.rfind(b"\n") + 1)


def replay(save: Path, collection: Any) -> int:
    """Apply the log (if any) to `collection` opened from `save`; returns the lines applied."""
    path = log_path(save)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    lines = raw.split(b"\n")
    complete = raw.endswith(b"\n")
    applied = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            _apply(entry, collection)
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines) and not complete:
                break  # the last append was cut short: it never completed
            msg = f"{path} line {number} is damaged ({type(exc).__name__}); remove the line"
            raise StoreFormatError(msg) from None
        applied += 1
    return applied


def _apply(entry: dict[str, Any], collection: Any) -> None:
    if entry["op"] == "add":
        vector = np.frombuffer(base64.b64decode(entry["vector"], validate=True), dtype="<f4")
        collection.add([entry["text"]], vector.astype(np.float32)[None, :], [entry["metadata"]],
                       ids=[int(entry["id"])])
    elif entry["op"] == "delete":
        collection.delete([int(i) for i in entry["ids"]])
    else:
        raise KeyError(entry["op"])


def remove(save: Path) -> None:
    """Drop the log once a full save holds its changes."""
    log_path(save).unlink(missing_ok=True)


def size(save: Path) -> int:
    try:
        return log_path(save).stat().st_size
    except FileNotFoundError:
        return 0
