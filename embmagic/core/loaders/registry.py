"""The one registry of file loaders: which loader reads a file, and reading it.

A file goes to the first loader that recognises its first bytes (a PDF named `notes.txt` is
still a PDF, never its raw bytes), else to the loader claiming its suffix, else to the plain
text loader, which refuses binary and undecodable files. A new file type is one module with a
`LOADER` plus one name in `BUILTIN` (or `register_loader` from user code).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from embmagic.core.loaders.base import SNIFF_BYTES, Document, Loader, Unreadable
from embmagic.errors import InvalidArgumentError

BUILTIN = ("pdf", "html", "notebook", "markdown", "text")
"""Modules of `embmagic.core.loaders` whose `LOADER` is registered on first use, in this order
(sniffing asks them in it); `text` is also the fallback for unknown suffixes."""

_loaders: dict[str, Loader] = {}


def register_loader(loader: Loader, *, replace: bool = False) -> None:
    """Add a loader (its `sniff` is asked after the ones already there; its suffixes win)."""
    _builtins()
    if loader.name in _loaders and not replace:
        msg = f"a loader named {loader.name!r} is already registered (pass replace=True)"
        raise InvalidArgumentError(msg)
    _loaders[loader.name] = loader


def registered_loaders() -> list[Loader]:
    """Every loader, in the order they are asked to recognise a file."""
    _builtins()
    return list(_loaders.values())


def loader_for(path: Path, head: bytes) -> Loader:
    """The loader for a file with this name and these first bytes (see the module docstring)."""
    loaders = registered_loaders()
    for loader in loaders:
        if loader.sniff(head):
            return loader
    suffix = path.suffix.lower()
    for loader in reversed(loaders):  # later registrations override a suffix
        if suffix in loader.suffixes:
            return loader
    return _loaders["text"]


def load_file(path: Path) -> list[Document]:
    """The documents of one file; `Unreadable` with the reason when it gives none."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise Unreadable("empty file")
    loader = loader_for(path, raw[:SNIFF_BYTES])
    docs = [d for d in loader.load(path, raw) if d.text.strip()]
    if not docs:
        raise Unreadable(f"no text found ({loader.name})")
    return docs


def _builtins() -> None:
    if _loaders:
        return
    for name in BUILTIN:
        module = importlib.import_module(f"embmagic.core.loaders.{name}")
        _loaders[module.LOADER.name] = module.LOADER
