"""HTML pages through `trafilatura`: the main text only (scripts, styles, navigation, headers,
footers and comments dropped), one document per page, metadata `title`.

Recognised by a `<!doctype html>` or `<html` start whatever the suffix. trafilatura reads the
bytes itself, so the page's declared encoding is honoured.
"""

from __future__ import annotations

import logging
from pathlib import Path

from embmagic.core.loaders.base import Document, Unreadable, file_metadata

_STARTS = (b"<!doctype html", b"<html")


class HtmlLoader:
    name = "html"
    suffixes = (".html", ".htm", ".xhtml")

    def sniff(self, head: bytes) -> bool:
        start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:20].lower()
        return start.startswith(_STARTS)

    def load(self, path: Path, raw: bytes) -> list[Document]:
        import trafilatura

        logger = logging.getLogger("trafilatura")
        level = logger.level
        logger.setLevel(logging.CRITICAL)  # its warnings would repeat our one-line reason
        try:
            found = trafilatura.bare_extraction(
                raw, with_metadata=True, include_comments=False, include_tables=True,
                include_images=False, include_links=False, favor_recall=True,
            )  # fmt: skip
        except Exception as exc:  # lxml or trafilatura on malformed input
            raise Unreadable(f"unreadable HTML ({type(exc).__name__})") from None
        finally:
            logger.setLevel(level)
        text = getattr(found, "text", None) if found is not None else None
        if not isinstance(text, str) or not text.strip():
            raise Unreadable("no main text found in the HTML page")
        title = getattr(found, "title", None)
        title = title.strip() or None if isinstance(title, str) else None
        return [Document(str(path), text, file_metadata(path, title=title))]


LOADER = HtmlLoader()
