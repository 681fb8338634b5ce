"""Turning user text into records: splitting cell bodies, chunking long texts, `{var}` expansion.

Reading files lives in `documents.py`; `read_documents` is re-exported here because the
architecture contract names it as part of the text helpers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args

from embmagic.core.documents import Document, SkippedFile, read_documents
from embmagic.errors import InvalidArgumentError

__all__ = [
    "Document",
    "SkippedFile",
    "SplitMode",
    "TokenCounter",
    "chunk_documents",
    "chunk_text",
    "expand_braces",
    "read_documents",
    "split_sentences",
    "split_text",
]

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Texts in, each one's token count out (the model's tokenizer, special tokens included)."""

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


def chunk_text(
    text: str, chunk: int, overlap: int = 0, count_tokens: TokenCounter | None = None
) -> list[tuple[int, str]]:
    """Cut `text` into pieces of at most `chunk` tokens (`count_tokens` given: the model's
    tokenizer, special tokens included) or characters (None), cut on whitespace.

    Consecutive pieces share whole words worth at most `overlap` tokens (characters), so a
    sentence cut by one boundary is whole in a neighbour. Returns `(offset, piece)` pairs with
    `text[offset:offset + len(piece)] == piece`. A single word longer than `chunk` is cut
    mid-word.
    """
    unit = "characters" if count_tokens is None else "tokens"
    if chunk <= 0:
        msg = f"chunk must be a positive number of {unit}, got {chunk}"
        raise InvalidArgumentError(msg)
    if overlap < 0 or overlap >= chunk:
        msg = f"overlap must be at least 0 and smaller than chunk ({chunk}), got {overlap}"
        raise InvalidArgumentError(msg)
    if count_tokens is None:
        spans = _word_spans(text, chunk)
        return _pieces(text, spans, _char_groups(spans, chunk, overlap))
    return _token_chunks(text, chunk, overlap, count_tokens)


def chunk_documents(docs: Sequence[Document], chunk: int, overlap: int = 0,
                    count_tokens: TokenCounter | None = None) -> list[Document]:
    """Each document cut by `chunk_text`; the pieces of a document cut in several get `chunk`
    (0-based) and `offset` (characters into the document's text) metadata.

    A document that fits keeps its text and metadata: `chunk` marks a piece of something.
    """
    out: list[Document] = []
    for doc in docs:
        pieces = chunk_text(doc.text, chunk, overlap, count_tokens)
        if len(pieces) == 1:
            out.append(Document(doc.path, pieces[0][1], dict(doc.metadata)))
            continue
        for number, (offset, piece) in enumerate(pieces):
            meta = {**doc.metadata, "chunk": number, "offset": offset}
            out.append(Document(doc.path, piece, meta))
    return out


def count_over(texts: Sequence[str], limit: int | None, count_tokens: TokenCounter) -> int:
    """How many texts have more than `limit` tokens (0 when there is no limit)."""
    if limit is None or not texts:
        return 0
    return sum(n > limit for n in count_tokens(texts))


def _word_spans(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-delimited word, words longer than `limit` cut up."""
    spans: list[tuple[int, int]] = []
    for match in re.finditer(r"\S+", text):
        spans.extend(
            (pos, min(pos + limit, match.end())) for pos in range(match.start(), match.end(), limit)
        )
    return spans


def _pieces(text: str, spans: list[tuple[int, int]],
            groups: list[tuple[int, int]]) -> list[tuple[int, str]]:
    return [(spans[a][0], text[spans[a][0] : spans[b][1]]) for a, b in groups]


def _char_groups(spans: list[tuple[int, int]], chunk: int,
                 overlap: int) -> list[tuple[int, int]]:
    """(first, last) word of each piece when a piece's size is its span in characters."""
    groups: list[tuple[int, int]] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= chunk:
            last += 1
        groups.append((first, last))
        if last + 1 == len(spans):
            break
        nxt = last + 1
        while nxt - 1 > first and spans[last][1] - spans[nxt - 1][0] <= overlap:
            nxt -= 1
        first = nxt
    return groups


def _token_chunks(text: str, chunk: int, overlap: int,
                  count: TokenCounter) -> list[tuple[int, str]]:
    """Greedy pieces from per-word token counts, each checked with one real count.

    Word-piece tokenizers (BERT's) split at whitespace first, so a piece's tokens are the sum
    of its words' plus the special tokens; should another tokenizer count a piece higher, the
    budget shrinks by the excess and the pieces are made again (a one-word piece always fits).
    """
    special = count([""])[0]
    budget = chunk - special
    if budget < 1:
        msg = f"chunk {chunk} leaves no room for text: the model adds {special} special tokens"
        raise InvalidArgumentError(msg)
    spans = _token_word_spans(text, budget, special, count)
    if not spans:
        return []
    words = [text[a:b] for a, b in spans]
    known = dict(zip(dict.fromkeys(words), count(list(dict.fromkeys(words))), strict=True))
    prefix = [0]
    for word in words:
        prefix.append(prefix[-1] + known[word] - special)
    while True:
        groups = _token_groups(prefix, budget, overlap)
        pieces = _pieces(text, spans, groups)
        excess = max(n - chunk for n in count([p for _, p in pieces]))
        if excess <= 0 or all(a == b for a, b in groups):
            return pieces
        budget = max(1, budget - excess)


def _token_groups(prefix: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """(first, last) word of each piece; `prefix[i]` is the tokens of words before word i."""
    n = len(prefix) - 1
    groups: list[tuple[int, int]] = []
    first = 0
    while first < n:
        last = first
        while last + 1 < n and prefix[last + 2] - prefix[first] <= budget:
            last += 1
        groups.append((first, last))
        if last + 1 == n:
            break
        nxt = last + 1
        while nxt - 1 > first and prefix[last + 1] - prefix[nxt - 1] <= overlap:
            nxt -= 1
        first = nxt
    return groups


def _token_word_spans(text: str, budget: int, special: int,
                      count: TokenCounter) -> list[tuple[int, int]]:
    """Whitespace words, a word with more than `budget` tokens cut into pieces that fit."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    words = list(dict.fromkeys(text[a:b] for a, b in spans))
    too_long = {w for w, n in zip(words, count(words), strict=True) if n - special > budget}
    if not too_long:
        return spans
    out: list[tuple[int, int]] = []
    for a, b in spans:
        out.extend(_cut_word(text, a, b, budget + special, count) if text[a:b] in too_long
                   else [(a, b)])  # fmt: skip
    return out


def _cut_word(text: str, start: int, end: int, limit: int,
              count: TokenCounter) -> list[tuple[int, int]]:
    """A long word cut into character runs of at most `limit` tokens each (one call per try)."""
    size = max(1, (end - start) * limit // max(count([text[start:end]])[0], 1))
    while True:
        runs = [(p, min(p + size, end)) for p in range(start, end, size)]
        if size == 1 or max(count([text[a:b] for a, b in runs])) <= limit:
            return runs
        size = max(1, size * 3 // 4)


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
