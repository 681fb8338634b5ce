"""Reading files into documents for `%embed --files`: globs and folders expanded here, each
file read by the loader for its type (`embmagic.core.loaders`: PDF, HTML, Markdown, notebooks,
text and code).

Unreadable files are skipped and reported with a reason instead of failing the whole batch:
one binary file in a folder should not stop the other hundred from being embedded.
"""

from __future__ import annotations

import glob as globlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from embmagic.core.loaders import Document, Unreadable, load_file
from embmagic.errors import InvalidArgumentError

__all__ = ["Document", "SkippedFile", "expand_paths", "read_documents", "read_file"]


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

    Each file gives the documents of its loader (pages, sections, cells, or the whole text).
    Binary, damaged, empty or undecodable files are returned in the skipped list with the
    reason. A pattern that matches nothing raises InvalidArgumentError.
    """
    specs = [paths_or_glob] if isinstance(paths_or_glob, str | os.PathLike) else paths_or_glob
    docs: list[Document] = []
    skipped: list[SkippedFile] = []
    for path in expand_paths(specs):
        found, reason = read_file(path)
        docs.extend(found)
        if reason is not None:
            skipped.append(SkippedFile(str(path), reason))
    return docs, skipped


def expand_paths(specs: Iterable[PathSpec]) -> list[Path]:
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


def read_file(path: Path) -> tuple[list[Document], str | None]:
    """Documents from one file, or none and the reason it was skipped."""
    try:
        return load_file(path), None
    except Unreadable as exc:
        return [], str(exc)
