"""Counting tokens as a model sees them, for chunking and for the window warning.

A counter is a small picklable callable (texts -> token counts), so Ray's file readers chunk
exactly as the driver would. Counts include the special tokens the model adds (`[CLS]`,
`[SEP]`), and are never truncated or padded: the bundled MiniLM `tokenizer.json` pads and
truncates to 128, which would hide every text longer than that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

TokenCounter = Callable[[Sequence[str]], list[int]]

_WORD = re.compile(r"\w+", re.UNICODE)


class WordCounter:
    """Tokens of models without a tokenizer (the fake, GloVe): `\\w+` words, as the fake reads."""

    def __call__(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]


class TokenizerCounter:
    """Tokens from a `tokenizers` definition (its JSON), padding and truncation switched off."""

    def __init__(self, tokenizer_json: str) -> None:
        self._json = tokenizer_json
        self._tokenizer: Any = None

    def __call__(self, texts: Sequence[str]) -> list[int]:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_str(self._json)
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self._tokenizer = tokenizer
        encodings = self._tokenizer.encode_batch([t.strip() for t in texts])
        return [len(e.ids) for e in encodings]

    def __getstate__(self) -> dict[str, Any]:
        return {"_json": self._json, "_tokenizer": None}  # rebuilt where it is unpickled


def model_token_counter(model: Any) -> TokenCounter:
    """A sentence-transformers model's own tokenizer (its Rust definition), else words."""
    rust = getattr(getattr(model, "tokenizer", None), "backend_tokenizer", None)
    return TokenizerCounter(rust.to_str()) if rust is not None else WordCounter()


def dim_and_window(model: Any) -> tuple[int, int | None]:
    """A loaded `SentenceTransformer`'s vector size and its window in tokens (None: unbounded)."""
    get_dim = getattr(model, "get_embedding_dimension", None)  # renamed in ST 6
    if get_dim is None:
        get_dim = model.get_sentence_embedding_dimension
    limit = getattr(model, "max_seq_length", None)
    return int(get_dim()), int(limit) if limit else None
