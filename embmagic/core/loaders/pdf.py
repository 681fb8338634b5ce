"""PDF files through `pypdf`: one document per page with text, metadata `page` (1-based) and
`title` when the file names one.

Recognised by its `%PDF-` header whatever the suffix, so a PDF is never embedded as its raw
bytes. A truncated or damaged file, one that needs a password, or one without a text layer (a
scan) is skipped with that reason (files with only an owner password are read); pypdf's own
log chatter is kept out of the notebook.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embmagic.core.loaders.base import Document, Unreadable, file_metadata

_HEADER = re.compile(rb"(?m)^%PDF-\d\.\d")


class PdfLoader:
    name = "pdf"
    suffixes = (".pdf",)

    def sniff(self, head: bytes) -> bool:
        # a `%PDF-1.x` line in the first KiB: readers accept junk before the header, so do we
        return _HEADER.search(head[:1024]) is not None

    def load(self, path: Path, raw: bytes) -> list[Document]:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError

        with _quiet():
            try:  # pypdf opens files encrypted with an empty user password by itself
                reader = PdfReader(io.BytesIO(raw))
                title = _title(reader)
                texts = [page.extract_text() or "" for page in reader.pages]
            except FileNotDecryptedError:
                raise Unreadable("encrypted PDF (it needs a password)") from None
            except Exception as exc:  # pypdf raises many types for damaged files
                raise Unreadable(f"unreadable PDF ({type(exc).__name__}: {_first(exc)})") from None
        docs = [
            Document(str(path), text, file_metadata(path, page=number, title=title))
            for number, text in enumerate(texts, start=1)
            if text.strip()
        ]
        if not docs:
            raise Unreadable(f"PDF has no text layer ({len(texts)} page(s); scanned images?)")
        return docs


def _title(reader: Any) -> str | None:
    info = reader.metadata
    title = getattr(info, "title", None) if info is not None else None
    return title.strip() or None if isinstance(title, str) else None


def _first(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:100] or "no details"


@contextmanager
def _quiet() -> Iterator[None]:
    """pypdf logs warnings ("EOF marker not found") for files we report in one line anyway."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


LOADER = PdfLoader()
