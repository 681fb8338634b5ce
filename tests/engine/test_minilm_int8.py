"""The opt-in int8 MiniLM: cosine floor on real text, cached with a digest, options validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embmagic.engine import Engine, load_engine
from embmagic.engine.corpus import lee_sentences
from embmagic.engine.integrity import MINILM_SAFETENSORS_SHA256
from embmagic.engine.onnx_backend import ensure_int8_model, int8_path_for, is_cached, onnx_path_for
from embmagic.errors import InvalidArgumentError

pytestmark = pytest.mark.model


def _cosines(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(np.sum(a * b, axis=1))


@pytest.fixture(scope="module")
def minilm_int8(onnx_cache: Path) -> Engine:
    return load_engine("minilm", device="cpu", precision="int8", progress=False)


@pytest.fixture(scope="module")
def lee() -> list[str]:
    return lee_sentences()[::5]  # 501 news sentences from the whole corpus


@pytest.fixture(scope="module")
def lee_reference(minilm_torch: Engine, lee: list[str]) -> np.ndarray[Any, Any]:
    model = minilm_torch.backend.model  # type: ignore[attr-defined]
    return np.asarray(model.encode(lee, batch_size=32, normalize_embeddings=True))


def test_int8_keeps_cosine_on_news_and_docstrings(
    minilm_int8: Engine,
    lee: list[str],
    lee_reference: np.ndarray[Any, Any],
    sentences: list[str],
    st_reference: np.ndarray[Any, Any],
) -> None:
    assert minilm_int8.model_id == "minilm-int8" and minilm_int8.backend_name == "onnx"
    news = _cosines(minilm_int8.embed(lee), lee_reference)
    docs = _cosines(minilm_int8.embed(sentences), st_reference)
    assert news.min() >= 0.99 and docs.min() >= 0.99
    # and it is really a different, quantised model, not the fp32 one under another name
    assert news.mean() < 0.9999


def test_default_vectors_stay_exact(
    minilm_onnx: Engine, lee: list[str], lee_reference: np.ndarray[Any, Any]
) -> None:
    default = load_engine("minilm", device="cpu", progress=False)
    assert default.model_id == "minilm"
    assert _cosines(default.embed(lee), lee_reference).min() >= 0.9999


def test_model_name_is_the_same_as_the_option(minilm_int8: Engine, lee: list[str]) -> None:
    by_name = load_engine("minilm-int8", progress=False)
    assert by_name.model_id == "minilm-int8"
    # the same batch (activations are quantised per batch, so compare batch for batch)
    same = by_name.backend.encode_batch(lee[:32]), minilm_int8.backend.encode_batch(lee[:32])
    assert np.array_equal(*same)


def test_int8_file_is_cached_with_a_digest_and_rebuilt_when_corrupt(
    minilm_int8: Engine, onnx_cache: Path
) -> None:
    target = int8_path_for(MINILM_SAFETENSORS_SHA256)
    assert target.parent == onnx_cache / "onnx" / MINILM_SAFETENSORS_SHA256
    fp32_size = onnx_path_for(MINILM_SAFETENSORS_SHA256).stat().st_size
    assert is_cached(target) and target.stat().st_size < 0.9 * fp32_size  # int8 weights
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".export-")]
    good = target.read_bytes()
    with target.open("r+b") as fh:  # flip bytes in the middle: the digest no longer matches
        fh.seek(len(good) // 2)
        fh.write(b"\0" * 64)
    assert not is_cached(target)
    ensure_int8_model(onnx_path_for(MINILM_SAFETENSORS_SHA256), target)
    assert is_cached(target) and target.read_bytes() == good


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "minilm", "precision": "int4"}, "unknown precision 'int4'; valid: fp32, int8"),
        ({"model": "glove-50", "precision": "int8"}, "available for minilm only"),
        ({"model": "fake", "precision": "int8"}, "available for minilm only"),
        ({"model": "minilm", "precision": "int8", "backend": "torch"}, "runs on onnxruntime"),
        ({"model": "minilm-int8", "device": "cuda"}, "runs on the CPU only"),
    ],
)
def test_bad_precision_is_a_one_line_error(kwargs: dict[str, Any], message: str) -> None:
    model = kwargs.pop("model")
    with pytest.raises(InvalidArgumentError, match=message) as info:
        load_engine(model, **kwargs)
    assert "\n" not in str(info.value)
