"""Markdown through `markdown-it-py`: one document per section, split at every heading.

A section is its heading line and everything up to the next heading (any level); its metadata
`heading` is the heading path, `Guide > Watering` for a `##` under a `#`. Text before the first
heading is a section without `heading`. Headings inside code blocks are not headings (the
parser knows), and setext headings (`Title` over `=====`) count. A heading with nothing under
it but deeper headings is not a record of its own: its title lives on in their paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embmagic.core.loaders.base import Document, decode_text, file_metadata

HEADING_SEPARATOR = " > "


@dataclass(frozen=True)
class _Section:
    heading: str | None
    text: str
    has_body: bool


class MarkdownLoader:
    name = "markdown"
    suffixes = (".md", ".markdown", ".mdown", ".mkd", ".qmd")

    def sniff(self, head: bytes) -> bool:
        return False

    def load(self, path: Path, raw: bytes) -> list[Document]:
        sections = split_sections(decode_text(raw))
        with_body = [s for s in sections if s.has_body] or sections
        return [
            Document(str(path), s.text, file_metadata(path, heading=s.heading))
            for s in with_body
            if s.text.strip()
        ]


def split_sections(text: str) -> list[_Section]:
    """The sections of a Markdown text, in order (see the module docstring)."""
    from markdown_it import MarkdownIt

    # the parser's line numbers count "\n" only, after it turns "\r\n" and "\r" into "\n"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tokens = MarkdownIt("commonmark").parse(text)
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + lines[-1:]
    starts: list[tuple[int, int, str]] = []  # (first line, heading line count, heading path)
    stack: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None:
            continue
        level = int(token.tag[1:])
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, _inline_text(tokens[i + 1])))
        path = HEADING_SEPARATOR.join(title for _, title in stack if title)
        starts.append((token.map[0], token.map[1] - token.map[0], path))
    sections = []
    if not starts or starts[0][0] > 0:
        first = starts[0][0] if starts else len(lines)
        sections.append(_Section(None, "".join(lines[:first]).strip(), True))
    for n, (start, size, path) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        body = "".join(lines[start + size : end])
        text = "".join(lines[start:end]).strip()
        sections.append(_Section(path or None, text, bool(body.strip())))
    return sections


def _inline_text(token: Any) -> str:
    """A heading's plain text: emphasis, links and code marks dropped."""
    children = getattr(token, "children", None) or []
    parts = [c.content for c in children if c.type in ("text", "code_inline")]
    text = "".join(parts) if parts else getattr(token, "content", "")
    return " ".join(text.split())


LOADER = MarkdownLoader()
