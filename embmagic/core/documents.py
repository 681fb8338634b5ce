"""Reading files (text, Markdown, code, notebooks) into documents for `%embed --files`.

Unreadable files are skipped and reported with a reason instead of failing the whole batch:
one binary file in a folder should not stop the other hundred from being embedded.
"""

from __future__ import annotations

import glob as globlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata

_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Document:
    """One text to embed: a whole file, or one notebook cell (`metadata["cell"]` is its index)."""

    path: str
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedFile:
    """A file that matched but was not read, and why ("binary file", "not UTF-8 text", ...)."""

    path: str
    reason: str


PathSpec = str | os.PathLike[str]


def read_documents(
    paths_or_glob: PathSpec | Sequence[PathSpec],
) -> tuple[list[Document], list[SkippedFile]]:
    """Read every file named by a glob, a path, a folder (recursively) or a list of those.

    `.ipynb` files give one document per non-empty cell; every other file is read as UTF-8
    text. Binary or undecodable files are returned in the skipped list with the reason. A
    pattern that matches nothing raises InvalidArgumentError.
    """
    specs = [paths_or_glob] if isinstance(paths_or_glob, str | os.PathLike) else paths_or_glob
    docs: list[Document] = []
    skipped: list[SkippedFile] = []
    for path in _expand(specs):
        found, reason = _read_one(path)
        docs.extend(found)
        if reason is not None:
            skipped.append(SkippedFile(str(path), reason))
    return docs, skipped


def _expand(specs: Iterable[PathSpec]) -> list[Path]:
    """Files named by each spec, sorted per spec, duplicates removed, in spec order."""
    seen: dict[Path, None] = {}
    for spec in specs:
        pattern = os.path.expanduser(os.fspath(spec))
        matches = sorted(globlib.glob(pattern, recursive=True))
        if not matches:
            msg = f"no files match {pattern!r}"
            raise InvalidArgumentError(msg)
        for match in map(Path, matches):
            for path in _files_under(match):
                seen.setdefault(path, None)
    return list(seen)


def _files_under(path: Path) -> list[Path]:
    """The path itself if it is a file, else the files below it (hidden folders excluded)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def _read_one(path: Path) -> tuple[list[Document], str | None]:
    """Documents from one file, or none and the reason it was skipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], f"cannot read: {exc.strerror or exc}"
    if b"\x00" in raw[:_SNIFF_BYTES]:
        return [], "binary file"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "not UTF-8 text"
    if path.suffix.lower() == ".ipynb":
        return _notebook_documents(path, text)
    if not text.strip():
        return [], "empty file"
    return [Document(str(path), text, {"path": str(path)})], None


def _notebook_documents(path: Path, text: str) -> tuple[list[Document], str | None]:
    """One document per non-empty cell, with the cell index, type and execution count."""
    try:
        cells = json.loads(text)["cells"]
    except (json.JSONDecodeError, KeyError, TypeError, RecursionError):
        cells = None
    if not isinstance(cells, list):
        return [], "not a valid notebook (JSON with a 'cells' list)"
    docs = []
    for index, cell in enumerate(cells):
        source = _cell_source(cell)
        if not source.strip():
            continue
        meta: Metadata = {"path": str(path), "cell": index, "cell_type": cell.get("cell_type")}
        if cell.get("execution_count") is not None:
            meta["execution_count"] = cell["execution_count"]
        docs.append(Document(str(path), source, meta))
    return docs, (None if docs else "notebook has no non-empty cells")


def _cell_source(cell: Any) -> str:
    """A cell's source, which nbformat stores either as one string or a list of lines."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""
