"""The RAG data types and the generator protocols: data only, no pipeline or generator logic.

Everything else in `embmagic.core.rag` imports from here; this module imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from embmagic.types import Hit, Metadata

ChatMessage = dict[str, str]
"""One chat message, `{"role": "system"|"user"|"assistant", "content": ...}`."""


def describe_origin(metadata: Metadata) -> str:
    """A short human description of a record's origin from its metadata: the file with its
    page (`report.pdf p. 4`) or heading path (`guide.md > Watering`), cell and chunk."""
    parts: list[str] = []
    if "path" in metadata:
        place = str(metadata["path"])
        if metadata.get("page") is not None:
            place += f" p. {metadata['page']}"
        if metadata.get("heading"):
            place += f" > {metadata['heading']}"
        parts.append(place)
        if "cell" in metadata:
            parts.append(f"cell {metadata['cell']}")
    elif "cell" in metadata:
        parts.append(f"cell [{metadata['cell']}]")
    if "chunk" in metadata:
        parts.append(f"chunk {metadata['chunk']}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Source:
    """One retrieved record, numbered 1..k in retrieval order, as the prompt shows it."""

    number: int
    hit: Hit
    collection: str
    search_score: float | None = None  # reranked: the retrieval's score (hit.score: the reranker's)

    @property
    def text(self) -> str:
        return self.hit.text

    @property
    def score(self) -> float:
        return self.hit.score

    @property
    def origin(self) -> str:
        """Where the text came from: "report.pdf p. 4", "guide.md > Watering", "notes.md,
        chunk 2", "cell [12]", or ""."""
        return describe_origin(self.hit.metadata)


@dataclass(frozen=True)
class GeneratorInfo:
    """Which backend answered: `name` ("extractive", "openai", ...) and `model`."""

    name: str
    model: str

    def __str__(self) -> str:
        return f"{self.name} ({self.model})"


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


@dataclass(frozen=True)
class Unsupported:
    """A number or name of an answer that no source (nor the question) contains."""

    text: str  # as the answer writes it
    kind: Literal["number", "name"]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class RagAnswer:
    """An answer with every retrieved source, the ones it cites, and citations that match none."""

    question: str
    answer: str
    sources: list[Source]
    cited: list[Source]  # in the order the answer first cites them
    unknown_citations: list[int]  # numbers cited that are not a source: flagged, not hidden
    prompt: str
    generator: GeneratorInfo
    dropped: list[Source] = field(default_factory=list)  # retrieved, but over the context budget
    generated: bool = True  # False for `--no-generate`: the prompt only
    misattributed: list[Misattribution] = field(default_factory=list)  # see rag/citations.py
    unsupported: list[Unsupported] = field(default_factory=list)  # see rag/grounding.py
    reranker: str = ""  # the cross-encoder that chose the sources, if any (core/rerank.py)
    candidates: int = 0  # reranked: how many retrieved candidates it chose from


@runtime_checkable
class Generator(Protocol):
    """A language-model backend: prompt in, text chunks out (one chunk when not streaming)."""

    name: str
    model: str

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]: ...


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


@runtime_checkable
class SourceGenerator(Protocol):
    """A backend that answers from the numbered sources rather than from a prompt (extractive:
    it needs each source's number and text, which a flat prompt would make it parse back)."""

    name: str
    model: str

    def generate_from_sources(
        self, question: str, sources: Sequence[Source], *, stream: bool
    ) -> Iterator[str]: ...


AnyGenerator = Generator | SourceGenerator | ChatGenerator
"""What `answer` accepts and a generator factory returns."""


def _snippet(sentence: str, width: int = 60) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= width else text[: width - 1] + "…"
