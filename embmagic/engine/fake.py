"""A deterministic bag-of-words hashing encoder, for tests and demos without a model.

Each lowercase word maps to a fixed random unit vector seeded from its SHA-256; a text is the
normalised sum of its words, so texts that share words have a high cosine. No randomness
depends on the process, the platform or the order of calls.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.types import Vectors

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=65_536)
def _token_vector(token: str, dim: int) -> Vectors:
    """The fixed unit vector of one token (a word, or a whole text without words)."""
    seed = int.from_bytes(hashlib.sha256(token.encode("utf-8")).digest()[:8], "little")
    vec = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    vec /= np.float32(np.linalg.norm(vec))
    vec.setflags(write=False)
    return vec


def fake_vector(text: str, dim: int = 64) -> Vectors:
    """The unit vector the fake encoder gives one text (shape (dim,), float32)."""
    words = _WORD.findall(text.lower())
    if not words:
        return _token_vector("\x00raw:" + text, dim).copy()
    total = np.zeros(dim, dtype=np.float32)
    for word in words:
        total += _token_vector(word, dim)
    norm = np.float32(np.linalg.norm(total))
    if norm == 0:  # words that cancel out exactly: fall back to the raw text
        return _token_vector("\x00raw:" + text, dim).copy()
    return total / norm


class FakeBackend(Backend):
    """Backend of `fake-<dim>`: pure NumPy, instant, counts its calls for tests. Its tokens
    are words (`Backend.token_counter`); it reads every word but claims a 256-word window."""

    backend_name = "fake"

    def __init__(self, dim: int = 64, max_tokens: int | None = 256) -> None:
        self.dim = dim
        self.max_tokens = max_tokens  # a window of 256 words, so tests see a model's limits
        self.model_id = f"fake-{dim}"
        self.device = "cpu"
        self.batch_sizes: list[int] = []  # the size of every encode_batch call, in order

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        self.batch_sizes.append(len(texts))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = fake_vector(text, self.dim)
        return out
