"""What a file loader is: bytes of one file in, documents out, or `Unreadable` with the reason.

A loader never decides which files it gets (the registry does, by content first, then by
suffix) and never fails a whole batch: anything it cannot read raises `Unreadable`, and the
file is listed as skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from embmagic.types import Metadata


@dataclass(frozen=True)
class Document:
    """One text to embed: a page, a section, a cell or a whole file, with its metadata.

    `metadata` always holds `path`; loaders add where in the file the text is (`page`,
    `heading`, `cell`, `title`, ...).
    """

    path: str
    text: str
    metadata: Metadata = field(default_factory=dict)


class Unreadable(Exception):
    """A file a loader cannot read; `str(exc)` is the one-line reason shown to the user."""


class Loader(Protocol):
    """One file type: its name, the suffixes it claims, how to recognise it, how to read it."""

    @property
    def name(self) -> str:
        """Short and unique: `pdf`, `markdown`; named in "no text found (pdf)"."""
        ...

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The suffixes it claims, lower-case with the dot: `(".md", ".markdown")`."""
        ...

    def sniff(self, head: bytes) -> bool:
        """True when the first bytes say the file is this type whatever its suffix."""
        ...

    def load(self, path: Path, raw: bytes) -> list[Document]:
        """The documents of one file (may be empty: then it is skipped as having no text)."""
        ...


SNIFF_BYTES = 8192
"""How much of a file's head is looked at to recognise its type or a binary file."""


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a BOM dropped), or `Unreadable` for a binary or undecodable file."""
    if b"\x00" in raw[:SNIFF_BYTES]:
        raise Unreadable("binary file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None


def file_metadata(path: Path, **extra: object) -> Metadata:
    """The metadata every record of a file carries: its `path`, then loader-specific keys."""
    return {"path": str(path), **{k: v for k, v in extra.items() if v is not None}}
