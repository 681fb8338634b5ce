"""Grounding: numbers and capitalised names of an answer that none of its sources contains.

A small model asked "How tall is the Eiffel Tower?" with the Eiffel source first answered
"The Great Wall of China is 27,231.25 metres tall [3]." A citation check cannot see that (the
sentence is about heights, like the sources); a plain look-up can: "Great Wall", "China" and
"27,231.25" occur in no source. The check is lexical and deliberately simple:

- numbers are compared by value (`27,231.25` = `27231.25`, `330` = `330.0`); a source may
  also spell a small number as a word ("three"); citation groups `[3]` are not numbers;
- a name is a run of capitalised words ("Great Wall", "New York City"); it is supported when a
  source (or the question) contains the same words in the same order, in any case. A single
  capitalised word that starts a sentence is not a name (it may be any word), and a leading
  function word is dropped from a run ("The Great Wall" -> "Great Wall"); unit symbols after a
  number ("5 GB", "20 °C") and one-letter words are not names.

Nothing is rewritten: the flagged terms are listed as a warning next to the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from embmagic.core.rag.citations import CITATION
from embmagic.core.rag.types import Unsupported
from embmagic.core.text import split_sentences

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?")
"""`27,231.25`, `1990`, `3.14`; a number glued after letters (`COVID19`, `v2`) is part of a word."""
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s+", re.MULTILINE)
"""`1. ` or `2) ` at the start of a line: list numbering, not a claim."""
_SOURCE_MENTION = re.compile(r"\b[Ss]ources?\s+\d+(?:\s*(?:,|and|&)\s*\d+)*")
""""Source 2", "sources 1 and 3": the answer naming its sources in words, not a claim."""
_WORD = re.compile(r"\w+(?:['’.\-]\w+)*", re.UNICODE)
_CLAUSE_BREAK = re.compile(r":\s+|[\"“”]\s*")
_POSSESSIVE = re.compile(r"['’]s$")
_SMALL_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip
"""Number words a source may use for a number the answer writes in digits."""
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we",
    "i", "you", "his", "her", "their", "our", "my", "your", "in", "on", "at", "of", "to", "for",
    "from", "by", "with", "as", "into", "onto", "over", "under", "after", "before", "during",
    "since", "until", "while", "when", "where", "what", "which", "who", "whom", "whose", "why",
    "how", "if", "although", "though", "because", "but", "and", "or", "so", "yes", "no", "not",
    "also", "however", "according", "based", "there", "here", "both", "each", "every", "all",
    "some", "many", "most", "several", "unlike", "like", "per", "then", "thus", "hence",
    "therefore", "instead", "overall", "today",
})  # fmt: skip
"""Words that may begin a sentence before a name ("The Great Wall"): not part of it."""
_UNITS = frozenset({
    "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib", "hz", "khz", "mhz", "ghz", "w",
    "kw", "mw", "gw", "kwh", "mwh", "v", "mv", "ma", "a", "c", "f", "k", "am", "pm", "ad", "bc",
    "bce", "ce", "utc", "gmt",
})  # fmt: skip
"""Unit symbols that follow a number ("5 GB", "20 °C"): not names."""


def check_grounding(answer: str, sources: Iterable[str], question: str = "") -> list[Unsupported]:
    """Numbers and names of `answer` found in none of `sources` nor in `question`, in the order
    the answer first writes them, each once."""
    support = [*sources, question]
    numbers = {value for text in support for value in _number_values(text)}
    haystack = _normalised(" \n ".join(support))
    cited = _SOURCE_MENTION.sub(" ; ", CITATION.sub(" ; ", answer))  # a citation ends a name
    text = _LIST_MARKER.sub("", cited)
    found = [(m.start(), m.group(), "number") for m in _NUMBER.finditer(text)
             if _value(m.group()) not in numbers]  # fmt: skip
    found += [(at, name, "name") for at, name in _names(text)
              if _normalised(name) not in haystack]  # fmt: skip
    flagged: dict[str, Unsupported] = {}
    for _, term, kind in sorted(found):
        flagged.setdefault(term, Unsupported(term, kind))  # type: ignore[arg-type]
    return list(flagged.values())


def _value(number: str) -> Decimal | None:
    try:
        return Decimal(number.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def _number_values(text: str) -> set[Decimal]:
    values = {v for v in map(_value, _NUMBER.findall(text)) if v is not None}
    words = {w.lower() for w in _WORD.findall(text)}
    values.update(Decimal(n) for n, word in enumerate(_SMALL_NUMBERS) if word in words)
    return values


def _normalised(text: str) -> str:
    """Lower-cased words joined by single spaces, padded, for whole-word phrase look-ups."""
    words = (_POSSESSIVE.sub("", w) for w in _WORD.findall(text))
    return " " + " ".join(w.lower() for w in words) + " "


def _names(text: str) -> list[tuple[int, str]]:
    """Runs of capitalised words as written, with their offsets, clause by clause (see the
    module docstring)."""
    names: list[tuple[int, str]] = []
    for offset, clause in _clauses(text):
        run: list[re.Match[str]] = []
        run_starts_clause = False
        first_word, previous_end, after_number = True, 0, False
        for match in _WORD.finditer(clause):
            word = match.group()
            if run and clause[previous_end : match.start()].strip():  # punctuation between
                names.extend(_name_of(run, run_starts_clause, offset))
                run = []
            unit = after_number and word.lower() in _UNITS
            if word[0].isupper() and not unit:
                if not run:
                    run_starts_clause = first_word
                run.append(match)
            else:
                names.extend(_name_of(run, run_starts_clause, offset))
                run = []
            after_number = word[0].isdigit()
            first_word = first_word and after_number  # list numbering "1." still precedes it
            previous_end = match.end()
        names.extend(_name_of(run, run_starts_clause, offset))
    return names


def _name_of(run: list[re.Match[str]], starts_clause: bool, offset: int) -> list[tuple[int, str]]:
    """The name a run of capitalised words makes, if any, with its offset in the answer."""
    if run and starts_clause:  # any word may be capitalised there
        if len(run) == 1:
            return []
        if run[0].group().lower() in _FUNCTION_WORDS:
            run = run[1:]
    if not run:
        return []
    first = _POSSESSIVE.sub("", run[0].group())
    if len(run) == 1 and (len(first) == 1 or first.lower() in _FUNCTION_WORDS):
        return []
    return [(offset + run[0].start(), " ".join(m.group() for m in run))]


def _clauses(text: str) -> list[tuple[int, str]]:
    """Sentences, lines and the parts after a colon or quote, with their offsets: each starts
    where a capital is ordinary."""
    parts: list[tuple[int, str]] = []
    at = 0
    for line in text.splitlines(keepends=True):
        search = 0
        for sentence in split_sentences(line):
            start = line.find(sentence, search)
            search = start + len(sentence)
            clause_start = 0
            for cut in [*_CLAUSE_BREAK.finditer(sentence), None]:
                end = cut.start() if cut is not None else len(sentence)
                if sentence[clause_start:end].strip():
                    parts.append((at + start + clause_start, sentence[clause_start:end]))
                clause_start = cut.end() if cut is not None else end
        at += len(line)
    return parts
