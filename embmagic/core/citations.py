"""Check that each cited source actually supports the sentence that cites it.

Small language models write `[n]` citations readily but often with the wrong number (SmolLM2-135M
cited the right source in 1 of 16 trials here). A citation is only worth showing if a reader can
trust it, so every cited sentence of an answer is compared, in the encoder's space, with every
source; a sentence whose cited sources support it clearly less than another source is flagged.
Nothing is rewritten: the answer stays as the generator wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from embmagic.core.text import split_sentences
from embmagic.types import Encoder

if TYPE_CHECKING:
    from embmagic.core.rag import Source

MARGIN = 0.1
"""How much better (cosine) another source must match a sentence to flag its citation."""

_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")


@dataclass(frozen=True)
class Misattribution:
    """A sentence citing `cited` that source `best` supports better than any cited source."""

    sentence: str
    cited: tuple[int, ...]
    best: int
    best_score: float
    cited_score: float

    def __str__(self) -> str:
        cited = "".join(f"[{n}]" for n in self.cited)
        return (
            f"{_snippet(self.sentence)!r} cites {cited}, but source [{self.best}] supports it "
            f"better ({self.best_score:.2f} vs {self.cited_score:.2f})"
        )


def check_citations(
    text: str, sources: Sequence[Source], encoder: Encoder, margin: float = MARGIN
) -> list[Misattribution]:
    """Cited sentences of `text` whose cited sources are beaten by another source by `margin`."""
    from embmagic.core.rag import parse_citations

    numbers = [s.number for s in sources]
    cited_sentences = [
        (sentence, tuple(n for n in parse_citations(sentence) if n in numbers))
        for sentence in split_sentences(text)
    ]
    cited_sentences = [(s, c) for s, c in cited_sentences if c and _CITATION.sub("", s).strip()]
    if not cited_sentences or len(sources) < 2:
        return []
    claims = encoder.embed([_CITATION.sub("", s).strip() for s, _ in cited_sentences])
    scores = claims @ encoder.embed([s.text for s in sources]).T
    flagged = []
    for (sentence, cited), row in zip(cited_sentences, scores, strict=True):
        best_index = int(np.argmax(row))
        cited_score = max(float(row[numbers.index(n)]) for n in cited)
        if numbers[best_index] not in cited and float(row[best_index]) - cited_score > margin:
            flagged.append(
                Misattribution(sentence, cited, numbers[best_index], float(row[best_index]),
                               cited_score)
            )  # fmt: skip
    return flagged


def _snippet(sentence: str, width: int = 60) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= width else text[: width - 1] + "…"
