"""The real MiniLM: the torch pipeline and the ONNX path must match raw sentence-transformers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embmagic.engine import Engine, load_engine
from embmagic.engine.integrity import MINILM_SAFETENSORS_SHA256
from embmagic.engine.minilm import CPU_DEFAULT_BACKEND, minilm_model_dir
from embmagic.engine.onnx_backend import ensure_onnx_export, onnx_path_for
from embmagic.engine.st_torch import SentenceTransformerBackend

pytestmark = pytest.mark.model


def _min_cosine(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def test_torch_pipeline_matches_sentence_transformers(
    minilm_torch: Engine, sentences: list[str], st_reference: np.ndarray[Any, Any]
) -> None:
    vecs = minilm_torch.embed(sentences)
    assert vecs.shape == (300, 384) and minilm_torch.backend_name == "torch"
    assert _min_cosine(vecs, st_reference) >= 0.9999


def test_small_batches_and_tokenizer_groups_give_the_same_vectors(
    minilm_torch: Engine, sentences: list[str], st_reference: np.ndarray[Any, Any]
) -> None:
    backend = minilm_torch.backend
    assert isinstance(backend, SentenceTransformerBackend)
    engine = Engine(backend, batch_size=7, progress=False)
    backend.tokenize_group = 3
    try:
        vecs = engine.embed(sentences[:100])
    finally:
        backend.tokenize_group = 8
    assert _min_cosine(vecs, st_reference[:100]) >= 0.9999


def test_onnx_matches_sentence_transformers(
    minilm_onnx: Engine, sentences: list[str], st_reference: np.ndarray[Any, Any]
) -> None:
    vecs = minilm_onnx.embed(sentences)
    assert minilm_onnx.backend_name == "onnx" and minilm_onnx.model_id == "minilm"
    assert _min_cosine(vecs, st_reference) >= 0.9999


def test_onnx_export_is_cached_and_atomic(minilm_onnx: Engine, onnx_cache: Path) -> None:
    target = onnx_path_for(MINILM_SAFETENSORS_SHA256)
    assert target == onnx_cache / "onnx" / MINILM_SAFETENSORS_SHA256 / "model.onnx"
    assert target.is_file() and target.stat().st_size > 80_000_000
    names = os.listdir(target.parent)  # the digest file beside it, no temporary file left
    assert {"model.onnx", "model.onnx.sha256"} <= set(names)
    assert not [name for name in names if name.startswith(".export-")]
    mtime = target.stat().st_mtime_ns
    ensure_onnx_export(minilm_model_dir(), target)
    assert target.stat().st_mtime_ns == mtime  # not exported again
    import onnx

    onnx.checker.check_model(str(target))


def test_capped_threads_sleep_when_idle_and_give_the_same_vectors(
    minilm_onnx: Engine, sentences: list[str], onnx_cache: Path
) -> None:
    """`threads=N` (Ray's CPU actors): N onnxruntime threads that do not spin; same vectors."""
    capped = load_engine("minilm", device="cpu", backend="onnx", threads=1, progress=False)
    backend: Any = capped.backend
    options = backend._session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    default: Any = minilm_onnx.backend
    assert default._session.get_session_options().intra_op_num_threads == 0  # every core
    vecs = capped.embed(sentences[:100])
    assert _min_cosine(vecs, minilm_onnx.embed(sentences[:100])) >= 0.9999


def test_capped_threads_on_torch_set_torch_threads(onnx_cache: Path) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        engine = load_engine("minilm", device="cpu", backend="torch", threads=1, progress=False)
        assert torch.get_num_threads() == 1 and engine.backend_name == "torch"
    finally:
        torch.set_num_threads(before)


def test_semantics(minilm_onnx: Engine) -> None:
    cat, kitten, tax = minilm_onnx.embed(
        ["a cat sat on the mat", "a kitten sits on a rug", "quarterly tax revenue"]
    )
    assert cat @ kitten > 0.5 > cat @ tax


def test_auto_backend_on_cpu_is_the_measured_default(onnx_cache: Path) -> None:
    engine = load_engine("minilm", device="cpu")
    assert engine.backend_name == CPU_DEFAULT_BACKEND and engine.device == "cpu"
    assert engine.dim == 384 and engine.model_id == "minilm"


def test_pipeline_resumes_after_out_of_memory(
    minilm_torch: Engine, sentences: list[str], st_reference: np.ndarray[Any, Any]
) -> None:
    import torch

    backend = SentenceTransformerBackend(minilm_torch.backend.model, "minilm", "cpu")  # type: ignore[attr-defined]
    real_run = backend._run

    def run(features: dict[str, Any]) -> Any:
        if features["input_ids"].shape[0] > 4:
            msg = "CUDA out of memory (injected)"
            raise torch.cuda.OutOfMemoryError(msg)
        return real_run(features)

    backend._run = run  # type: ignore[method-assign]
    engine = Engine(backend, batch_size=16, progress=False)
    vecs = engine.embed(sentences[:40])
    assert engine.batch_size == 4 and engine.encoded_count == 40
    assert _min_cosine(vecs, st_reference[:40]) >= 0.9999


def test_a_local_sentence_transformers_folder_loads_on_torch(
    sentences: list[str], st_reference: np.ndarray[Any, Any]
) -> None:
    folder = minilm_model_dir()
    engine = load_engine(str(folder), device="cpu", progress=False)
    assert engine.backend_name == "torch" and engine.model_id == str(folder.resolve())
    assert _min_cosine(engine.embed(sentences[:20]), st_reference[:20]) >= 0.9999


def test_upstream_name_resolves_to_the_bundled_weights(onnx_cache: Path) -> None:
    engine = load_engine("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
    assert engine.model_id == "minilm"


def test_torch_and_onnx_count_the_models_tokens_alike(
    minilm_torch: Engine, minilm_onnx: Engine, sentences: list[str]
) -> None:
    texts = ["", "word " * 600, "Ünïcödé, emoji 🙂 and CJK 漢字", *sentences[:50]]
    counts = minilm_onnx.count_tokens(texts)
    assert minilm_torch.count_tokens(texts) == counts
    assert counts[:2] == [2, 602]  # special tokens in, never padded to 128 nor cut at 256
    assert minilm_torch.max_tokens == minilm_onnx.max_tokens == 256
