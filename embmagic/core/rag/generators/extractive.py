"""`extractive`: no language model; the best-supported source sentences, each cited, and says so."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from embmagic.core.rag.generators.registry import register_generator
from embmagic.core.rag.generators.settings import GeneratorSettings
from embmagic.core.rag.types import Source
from embmagic.core.text import split_text
from embmagic.types import Encoder

EXTRACTIVE_PREFIX = "Extractive answer (no language model): "
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "did", "for", "from", "how",
        "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were",
        "what", "when", "where", "which", "who", "whom", "why", "with",
    }
)


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a source with its support for the question."""

    number: int  # the source's number
    text: str
    score: float


class ExtractiveGenerator:
    """Answers with the 1-3 source sentences closest to the question, each cited; no LLM.

    Score = cosine(sentence, question) under the encoder + `lexical_weight` x the share of the
    question's content words found in the sentence (a tie-breaker). Sentences scoring below
    `relative_floor` x the best one are dropped, so a clear winner is returned alone.
    """

    name = "extractive"

    def __init__(
        self,
        encoder: Encoder,
        *,
        max_sentences: int = 3,
        relative_floor: float = 0.85,
        lexical_weight: float = 0.1,
    ) -> None:
        self.encoder = encoder
        self.model = encoder.model_id
        self.max_sentences = max_sentences
        self.relative_floor = relative_floor
        self.lexical_weight = lexical_weight

    def generate_from_sources(
        self, question: str, sources: Sequence[Source], *, stream: bool
    ) -> Iterator[str]:
        """The prefix, then each chosen sentence followed by its citation `[n]`."""
        chosen = self.select(question, sources)
        if not chosen:
            yield EXTRACTIVE_PREFIX + "the sources contain no text to answer from."
            return
        parts = [f"{s.text} [{s.number}]" for s in chosen]
        if stream:
            yield EXTRACTIVE_PREFIX
            for i, part in enumerate(parts):
                yield part if i == 0 else " " + part
        else:
            yield EXTRACTIVE_PREFIX + " ".join(parts)

    def select(self, question: str, sources: Sequence[Source]) -> list[ScoredSentence]:
        """The best-supported sentences, best first."""
        ranked = sorted(self.score(question, sources), key=lambda s: -s.score)
        if not ranked:
            return []
        floor = ranked[0].score * self.relative_floor if ranked[0].score > 0 else ranked[0].score
        chosen: list[ScoredSentence] = []
        for sentence in ranked:
            if len(chosen) == self.max_sentences or sentence.score < floor:
                break
            if all(sentence.text != c.text for c in chosen):
                chosen.append(sentence)
        return chosen

    def score(self, question: str, sources: Sequence[Source]) -> list[ScoredSentence]:
        """Every sentence of every source with its score, in source order."""
        pairs = [(s.number, sent) for s in sources for sent in split_text(s.text, "sentence")]
        if not pairs:
            return []
        vectors = self.encoder.embed([question, *(text for _, text in pairs)])
        cosines = vectors[1:] @ vectors[0]
        q_words = _content_words(question)
        return [
            ScoredSentence(number, text, float(cos) + self.lexical_weight * _overlap(q_words, text))
            for (number, text), cos in zip(pairs, np.asarray(cosines), strict=True)
        ]


def _content_words(text: str) -> set[str]:
    """Lower-cased words of `text` minus a few function words."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def _overlap(question_words: set[str], sentence: str) -> float:
    """Share of the question's content words that the sentence contains (0..1)."""
    if not question_words:
        return 0.0
    return len(question_words & _content_words(sentence)) / len(question_words)


def extractive_generator(encoder: Encoder, settings: GeneratorSettings) -> ExtractiveGenerator:
    """The factory: the extractive answer needs only the encoder."""
    return ExtractiveGenerator(encoder)


register_generator(
    "extractive",
    extractive_generator,
    description="no language model: the best-supported source sentences, each cited",
)
