"""The one small contract every backend implements: a batch of texts in, float32 rows out.

Everything else (caching, batching, normalising, progress, out-of-memory recovery) lives in
`Engine`, so a new backend is a class with `encode_batch` and three attributes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence

from embmagic.engine.tokens import TokenCounter, WordCounter
from embmagic.types import Vectors


class Backend(ABC):
    """Encodes texts with one model on one device. Rows need not be normalised."""

    model_id: str
    dim: int
    device: str
    backend_name: str = "custom"
    modality: str = "text"
    """"text", or "image" for a model that also encodes images into its text space (CLIP)."""
    max_tokens: int | None = None
    """Tokens the model reads per text, special tokens included; None: no limit (GloVe)."""

    @abstractmethod
    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        """Encode one batch: float32 array of shape (len(texts), dim)."""

    def encode_batches(self, batches: Iterable[Sequence[str]]) -> Iterator[Vectors]:
        """Encode a stream of batches, yielding one array per batch, in order.

        Backends that can overlap work (tokenise the next batch while the model runs) override
        this; the stream may be closed early, e.g. when a batch runs out of memory.
        """
        for batch in batches:
            yield self.encode_batch(batch)

    def token_counter(self) -> TokenCounter:
        """A picklable counter of the model's tokens (default: words, for models without a
        tokenizer)."""
        return WordCounter()

    def validate(self, texts: Sequence[str]) -> None:
        """Reject texts the model cannot encode before any work starts (default: accept all)."""
        del texts
