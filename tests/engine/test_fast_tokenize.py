"""The Rust-only tokenise path: used only when it equals `SentenceTransformer.preprocess`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embmagic.engine import Engine
from embmagic.engine.corpus import stdlib_sentences
from embmagic.engine.fast_tokenize import PROBE_TEXTS, fast_tokenizer_for, padded_ids
from embmagic.engine.st_torch import SentenceTransformerBackend

pytestmark = pytest.mark.model


def _model(engine: Engine) -> Any:
    backend = engine.backend
    assert isinstance(backend, SentenceTransformerBackend)
    return backend.model


def test_minilm_uses_the_fast_path(minilm_torch: Engine) -> None:
    backend = minilm_torch.backend
    assert isinstance(backend, SentenceTransformerBackend) and backend.fast_tokenize


def test_fast_path_equals_preprocess_on_a_real_corpus(minilm_torch: Engine) -> None:
    model = _model(minilm_torch)
    tokenize = fast_tokenizer_for(model)
    assert tokenize is not None
    texts = [*stdlib_sentences(3000), " padded  ", "word " * 600, "naïve café"]
    ours, reference = tokenize(texts), model.preprocess(texts)
    assert set(ours) == set(reference) and ours["modality"] == reference["modality"]
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(ours[key].numpy(), reference[key].numpy()), key
    assert ours["input_ids"].shape[1] == model.max_seq_length  # the long text was truncated


class _Disagreeing:
    """A model whose own preprocess differs from its tokenizer (say, it prepends a prompt)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.tokenizer, self.max_seq_length = model.tokenizer, model.max_seq_length

    def preprocess(self, texts: list[str]) -> dict[str, Any]:
        return self._model.preprocess([f"query: {t}" for t in texts])  # type: ignore[no-any-return]


def test_a_model_whose_preprocess_differs_keeps_preprocess(minilm_torch: Engine) -> None:
    model = _model(minilm_torch)
    assert fast_tokenizer_for(_Disagreeing(model)) is None


class _SlowOnly:
    def __init__(self, model: Any) -> None:
        self.preprocess, self.max_seq_length = model.preprocess, model.max_seq_length
        self.tokenizer = type("PythonTokenizer", (), {"is_fast": False})()


def test_a_python_only_tokenizer_keeps_preprocess(minilm_torch: Engine) -> None:
    assert fast_tokenizer_for(_SlowOnly(_model(minilm_torch))) is None


def test_fast_and_reference_paths_give_the_same_vectors(minilm_torch: Engine) -> None:
    model = _model(minilm_torch)
    reference = SentenceTransformerBackend(model, "minilm", "cpu", fast_tokenize=False)
    assert not reference.fast_tokenize
    texts = list(PROBE_TEXTS) + stdlib_sentences(200)
    fast = Engine(minilm_torch.backend, batch_size=16, progress=False, cache_size=1)
    slow = Engine(reference, batch_size=16, progress=False, cache_size=1)
    assert np.allclose(fast.embed(texts), slow.embed(texts), atol=1e-6)


@pytest.mark.parametrize("left", [False, True])
def test_padded_ids_pads_each_row_to_the_longest(left: bool) -> None:
    rows = [[101, 7, 102], [101, 102], [101, 5, 6, 8, 102], []]
    out = padded_ids(rows, 0, left=left)
    ids, mask = out["input_ids"], out["attention_mask"]
    assert ids.shape == mask.shape == out["token_type_ids"].shape == (4, 5)
    assert ids.dtype == mask.dtype == np.int64 and not out["token_type_ids"].any()
    for row, got, m in zip(rows, ids, mask, strict=True):
        pad = [0] * (5 - len(row))
        assert list(got) == (pad + row if left else row + pad)
        ones = [1] * len(row)
        assert list(m) == ([0] * len(pad) + ones if left else ones + [0] * len(pad))


def test_padded_ids_of_no_rows_is_empty() -> None:
    out = padded_ids([], 0)
    assert out["input_ids"].shape == (0, 0) and out["attention_mask"].shape == (0, 0)
