"""Shared engine fixtures: offline always; real models loaded once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach a model hub from tests
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from embmagic.engine import Engine, load_engine
from embmagic.engine.backend import Backend
from embmagic.engine.corpus import stdlib_sentences
from embmagic.engine.fake import FakeBackend
from embmagic.types import Vectors


class OomBackend(Backend):
    """Wraps the fake; raises torch's CUDA OOM for batches larger than `limit` texts."""

    backend_name = "oom-test"

    def __init__(self, limit: int, dim: int = 16) -> None:
        self.inner = FakeBackend(dim)
        self.model_id, self.dim, self.device = self.inner.model_id, dim, "cuda"
        self.limit = limit
        self.attempts: list[int] = []

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        import torch

        self.attempts.append(len(texts))
        if len(texts) > self.limit:
            msg = "CUDA out of memory. Tried to allocate 2.00 GiB"
            raise torch.cuda.OutOfMemoryError(msg)
        return self.inner.encode_batch(texts)


@pytest.fixture
def oom_backend() -> type[OomBackend]:
    """The class of a backend that runs out of (pretend) CUDA memory above a batch size."""
    return OomBackend


@pytest.fixture
def fake_engine() -> Engine:
    return load_engine("fake-32", batch_size=4, progress=False)


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    return stdlib_sentences(300)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private EMBMAGIC_CACHE for the session, so tests never touch ~/.cache."""
    root = tmp_path_factory.mktemp("embmagic-cache")
    old = os.environ.get("EMBMAGIC_CACHE")
    os.environ["EMBMAGIC_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("EMBMAGIC_CACHE", None)
    else:
        os.environ["EMBMAGIC_CACHE"] = old


@pytest.fixture(scope="session")
def minilm_torch() -> Engine:
    return load_engine("minilm", device="cpu", backend="torch", progress=False)


@pytest.fixture(scope="session")
def minilm_onnx(onnx_cache: Path) -> Engine:
    return load_engine("minilm-onnx", progress=False)


@pytest.fixture(scope="session")
def st_reference(minilm_torch: Engine, sentences: list[str]) -> np.ndarray[Any, Any]:
    """Raw `SentenceTransformer.encode` vectors: the truth the fast paths must match."""
    model = minilm_torch.backend.model  # type: ignore[attr-defined]
    out = model.encode(sentences, batch_size=32, normalize_embeddings=True)
    return np.asarray(out, dtype=np.float32)
