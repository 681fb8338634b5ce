"""Turning user text into records: splitting cell bodies, chunking long texts, `{var}` expansion.

Reading files lives in `documents.py`; `read_documents` is re-exported here because the
architecture contract names it as part of the text helpers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from embmagic.core.documents import Document, SkippedFile, read_documents
from embmagic.errors import InvalidArgumentError

__all__ = [
    "Document",
    "SkippedFile",
    "SplitMode",
    "chunk_documents",
    "chunk_text",
    "expand_braces",
    "read_documents",
    "split_sentences",
    "split_text",
]

SplitMode = Literal["auto", "line", "paragraph", "sentence", "none"]
SPLIT_MODES: tuple[str, ...] = get_args(SplitMode)

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")

# Lower-cased tokens (with their final dot) after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "mr.", "mrs.", "ms.", "dr.", "prof.", "sr.", "jr.", "st.", "mt.", "vs.", "etc.", "fig.",
        "figs.", "eq.", "no.", "nos.", "vol.", "pp.", "p.", "inc.", "ltd.", "co.", "corp.", "dept.",
        "approx.", "cf.", "al.", "ca.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.",
        "sep.", "sept.", "oct.", "nov.", "dec.", "gen.", "col.", "capt.", "lt.", "sgt.", "rev.",
        "hon.", "est.", "min.", "max.",
    }
)
# A dotted acronym such as "e.g." / "i.e." / "U.S." or a single initial such as "J.".
_DOTTED = re.compile(r"^(?:[A-Za-z]\.){1,}$")
# End punctuation, optional closing quotes/brackets, then whitespace: a candidate boundary.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")


def split_text(body: str, mode: str = "auto") -> list[str]:
    """Split a cell body into record texts, each stripped, empty ones dropped.

    `auto` gives paragraphs when the body has a blank line and one record per non-empty line
    otherwise; `none` keeps the whole body as one record.
    """
    if mode not in SPLIT_MODES:
        msg = f"unknown split mode {mode!r}: use one of {', '.join(SPLIT_MODES)}"
        raise InvalidArgumentError(msg)
    if mode == "auto":
        mode = "paragraph" if _BLANK_LINE.search(body) else "line"
    if mode == "none":
        parts = [body]
    elif mode == "line":
        parts = body.splitlines()
    elif mode == "paragraph":
        parts = _BLANK_LINE.split(body)
    else:
        parts = [s for para in _BLANK_LINE.split(body) for s in split_sentences(para)]
    return [p.strip() for p in parts if p.strip()]


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences at `.`, `!`, `?` followed by whitespace.

    A full stop does not end a sentence after a known abbreviation ("Dr.", "etc."), a dotted
    acronym or initial ("e.g.", "U.S.", "J."), or when the next word starts in lower case.
    Decimals ("3.14") never split because no whitespace follows their dot.
    """
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _is_false_boundary(text, match.start(), match.end()):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_false_boundary(text: str, punct_start: int, next_start: int) -> bool:
    """True when the punctuation at `punct_start` does not end a sentence (see split_sentences)."""
    if next_start < len(text) and text[next_start].islower():
        return True
    if text[punct_start] != ".":
        return False
    word_start = max(text.rfind(" ", 0, punct_start), text.rfind("\n", 0, punct_start)) + 1
    token = text[word_start : punct_start + 1].lstrip("\"'“‘([")
    return token.lower() in _ABBREVIATIONS or bool(_DOTTED.match(token))


def chunk_text(text: str, chunk: int, overlap: int = 0) -> list[tuple[int, str]]:
    """Cut `text` into pieces of at most `chunk` characters, cut on whitespace.

    Consecutive pieces share whole words worth at most `overlap` characters, so a sentence cut
    by one boundary is whole in a neighbour. Returns `(offset, piece)` pairs with
    `text[offset:offset + len(piece)] == piece`. A single word longer than `chunk` is cut
    mid-word. Sizes are characters (not words or tokens) so they are predictable for any model.
    """
    if chunk <= 0:
        msg = f"chunk must be a positive number of characters, got {chunk}"
        raise InvalidArgumentError(msg)
    if overlap < 0 or overlap >= chunk:
        msg = f"overlap must be at least 0 and smaller than chunk ({chunk}), got {overlap}"
        raise InvalidArgumentError(msg)
    words = _word_spans(text, chunk)
    pieces: list[tuple[int, str]] = []
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words) and words[last + 1][1] - words[first][0] <= chunk:
            last += 1
        start, end = words[first][0], words[last][1]
        pieces.append((start, text[start:end]))
        if last + 1 == len(words):
            break
        first = _next_first(words, first, last, overlap)
    return pieces


def chunk_documents(docs: Sequence[Document], chunk: int, overlap: int = 0) -> list[Document]:
    """Each document cut by `chunk_text`; pieces get `chunk` (0-based) and `offset` metadata.

    A document that fits in one chunk keeps its text but still gets `chunk: 0`, so every record
    from `%embed --files ... --chunk N` has the same metadata keys.
    """
    out: list[Document] = []
    for doc in docs:
        for number, (offset, piece) in enumerate(chunk_text(doc.text, chunk, overlap)):
            meta = {**doc.metadata, "chunk": number, "offset": offset}
            out.append(Document(doc.path, piece, meta))
    return out


def _word_spans(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-delimited word, words longer than `limit` cut up."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"\S+", text):
        spans.extend(
            (pos, min(pos + limit, match.end())) for pos in range(match.start(), match.end(), limit)
        )
    return spans


def _next_first(words: list[tuple[int, int]], first: int, last: int, overlap: int) -> int:
    """Index of the first word of the next chunk: the earliest word whose tail fits `overlap`."""
    end = words[last][1]
    nxt = last + 1
    while nxt - 1 > first and end - words[nxt - 1][0] <= overlap:
        nxt -= 1
    return nxt


_BRACES = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}")


def expand_braces(text: str, namespace: Mapping[str, Any]) -> str:
    """Replace `{name}` / `{name.attr}` by `str()` of the value from `namespace`.

    `{{` and `}}` give literal braces. Any other brace (`{ x }`, `{x[0]}`, `{}`, `{"a": 1}`,
    unmatched braces) is left exactly as written, so most code embeds unchanged. An unknown
    name or attribute, an attribute starting with `_` (no `{x.__class__}` walks), or a value
    whose `str()` fails raises InvalidArgumentError naming it.
    """

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        dotted = match.group(1)
        value = _resolve(dotted, namespace)
        try:
            return str(value)
        except Exception as exc:  # a user's __str__, or int's digit limit (10**5000)
            reason = " ".join(str(exc).split())[:120] or type(exc).__name__
            msg = f"{{{dotted}}}: its text could not be made ({type(exc).__name__}: {reason})"
            raise InvalidArgumentError(msg) from None

    return _BRACES.sub(substitute, text)


def _resolve(dotted: str, namespace: Mapping[str, Any]) -> Any:
    """Value of `name.attr.attr` looked up in `namespace` (typed error when missing)."""
    name, *attrs = dotted.split(".")
    if name not in namespace:
        msg = f"{{{name}}}: no variable named {name!r} (write {{{{ and }}}} for literal braces)"
        raise InvalidArgumentError(msg)
    value = namespace[name]
    private = [a for a in attrs if a.startswith("_")]
    if private:
        msg = f"{{{dotted}}}: attributes starting with '_' are not expanded ({private[0]!r})"
        raise InvalidArgumentError(msg)
    for depth, attr in enumerate(attrs, start=1):
        try:
            value = getattr(value, attr)
        except AttributeError as exc:
            owner = ".".join([name, *attrs[: depth - 1]])
            msg = f"{{{dotted}}}: {owner!r} has no attribute {attr!r}"
            raise InvalidArgumentError(msg) from exc
    return value
