"""Tokenise straight through the Rust `tokenizers` library, skipping the Python wrappers.

`SentenceTransformer.preprocess` goes through sentence-transformers' modality handling and the
transformers tokenizer wrapper, which build Python objects per text: on an H100 that Python work,
not the GPU, capped the pipeline (8,400 sentences/s at batch 512, measured). The Rust tokenizer
underneath does the same tokenisation in one call that releases the GIL and runs on every core.

The fast path is only used when it is proven equal: `fast_tokenizer_for` tokenises a probe set
both ways at load time (padding, truncation, special tokens, surrounding spaces, non-ASCII) and
returns None, so the backend keeps `preprocess`, if any id, mask or key differs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Features = dict[str, Any]
Tokenize = Callable[[Sequence[str]], Features]

PROBE_TEXTS = (
    "  Hello, world!  ",
    "a",
    "The quick brown fox jumps over the lazy dog.",
    "Ünïcödé, emoji 🙂 and CJK 漢字 in one line",
    "tabs\tand\nnewlines",
    "word " * 600,  # longer than any model's limit: truncation
    "",
)


def fast_tokenizer_for(model: Any) -> Tokenize | None:
    """A Rust-only tokenise function equal to `model.preprocess` for plain texts, or None."""
    try:
        tokenize = _build(model)
        if tokenize is None:
            return None
        reference = model.preprocess(list(PROBE_TEXTS))
        extras = {k: v for k, v in reference.items() if not hasattr(v, "numpy")}  # "modality"

        def with_extras(texts: Sequence[str]) -> Features:
            return {**tokenize(texts), **extras}

        if not _same(with_extras(PROBE_TEXTS), reference):
            return None
    except Exception:  # any surprise in a third-party model: keep the reference path
        return None
    return with_extras


def _build(model: Any) -> Tokenize | None:
    wrapper: Any = getattr(model, "tokenizer", None)
    backend = getattr(wrapper, "backend_tokenizer", None)
    max_length = getattr(model, "max_seq_length", None)
    if backend is None or not getattr(wrapper, "is_fast", False) or not max_length:
        return None
    from tokenizers import Tokenizer

    rust = Tokenizer.from_str(backend.to_str())  # a private copy: its settings are ours
    rust.enable_truncation(
        int(max_length), strategy="longest_first", direction=wrapper.truncation_side
    )
    rust.no_padding()  # padded below, in NumPy: one array per batch, not one list per row
    left = wrapper.padding_side == "left"
    pad_id = int(wrapper.pad_token_id)
    wanted = list(wrapper.model_input_names)
    if not set(wanted) <= {"input_ids", "attention_mask", "token_type_ids"}:
        return None

    def tokenize(texts: Sequence[str]) -> Features:
        import torch

        encodings = rust.encode_batch([t.strip() for t in texts])
        arrays = padded_ids([e.ids for e in encodings], pad_id, left=left)
        return {name: torch.from_numpy(arrays[name]) for name in wanted}

    return tokenize


def padded_ids(rows: Sequence[Sequence[int]], pad_id: int, *, left: bool = False
               ) -> dict[str, np.ndarray[Any, Any]]:
    """`input_ids` padded to the longest row, its `attention_mask`, and zero `token_type_ids`
    (a single sequence; the load-time probe proves it for the model), as int64 arrays.

    One pass over the token ids: no per-row mask or type-id lists. On an H100 the per-row Python
    lists of the Rust encodings, built under the GIL, were what capped the pipeline.
    """
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max()) if len(rows) else 0
    columns = np.arange(width)
    mask = columns >= (width - lengths)[:, None] if left else columns < lengths[:, None]
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    ids[mask] = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64,
                            count=int(lengths.sum()))  # fmt: skip
    return {
        "input_ids": ids,
        "attention_mask": mask.astype(np.int64),
        "token_type_ids": np.zeros_like(ids),
    }


_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


def _same(ours: Features, reference: Features) -> bool:
    if set(ours) != set(reference):
        return False
    for key, value in reference.items():
        mine = ours[key]
        if hasattr(value, "numpy"):
            if not np.array_equal(mine.numpy(), value.numpy()):
                return False
        elif mine != value:
            return False
    return True
