"""RAG generators: what turns a prompt (or the sources themselves) into answer text.

Two kinds fit `rag.answer`:
- `Generator`: a language model; it only sees the prompt built by `rag.build_prompt`.
- `SourceGenerator`: answers from the structured sources directly (the extractive one needs
  each source's number and text, which a flat prompt would make it parse back).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from embmagic.core.text import split_text
from embmagic.types import Encoder

if TYPE_CHECKING:
    from embmagic.core.rag import Source

EXTRACTIVE_PREFIX = "Extractive answer (no language model): "
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "did", "for", "from", "how",
        "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were",
        "what", "when", "where", "which", "who", "whom", "why", "with",
    }
)


@runtime_checkable
class Generator(Protocol):
    """A language-model backend: prompt in, text chunks out (one chunk when not streaming)."""

    name: str
    model: str

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]: ...


ChatMessage = dict[str, str]
"""One chat message, `{"role": "system"|"user"|"assistant", "content": ...}`."""


@runtime_checkable
class ChatGenerator(Protocol):
    """A chat model: gets the system and user messages separately and knows its context size.

    `render` gives the exact text the model sees (its chat template applied, or the messages as
    sent over HTTP); `count_tokens` uses the model's tokenizer where it has one.
    """

    name: str
    model: str
    context_tokens: int
    max_tokens: int

    def generate_chat(self, messages: Sequence[ChatMessage], *, stream: bool) -> Iterator[str]: ...

    def render(self, messages: Sequence[ChatMessage]) -> str: ...

    def count_tokens(self, text: str) -> int: ...


def estimate_tokens(text: str) -> int:
    """About four characters per token: the estimate used where no tokenizer is at hand."""
    return (len(text) + 3) // 4


def delta_texts(event: Mapping[str, Any]) -> Iterator[str]:
    """The `choices[].delta.content` pieces of one streamed chat-completion event."""
    for choice in event.get("choices", []):
        content = (choice.get("delta") or {}).get("content")
        if content:
            yield str(content)


def render_messages(messages: Sequence[ChatMessage]) -> str:
    """Messages as plain text, one `role:` header each (what an HTTP endpoint is sent)."""
    return "\n\n".join(f"<{m['role']}>\n{m['content']}\n</{m['role']}>" for m in messages)


@runtime_checkable
class SourceGenerator(Protocol):
    """A backend that answers from the numbered sources rather than from a prompt."""

    name: str
    model: str

    def generate_from_sources(
        self, question: str, sources: Sequence[Source], *, stream: bool
    ) -> Iterator[str]: ...


def streams(generator: object) -> bool:
    """Whether to stream: language models do; a source-based answer (extractive) is computed at
    once, so a live view would only leave an empty output behind."""
    return not isinstance(generator, SourceGenerator)


@dataclass
class CallableGenerator:
    """Wraps a plain `prompt -> str` function (a user's own LLM call, or a test double)."""

    fn: Callable[[str], str]
    name: str = "callable"
    model: str = "function"

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        """The function's whole answer as one chunk (it cannot stream)."""
        yield self.fn(prompt)


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
