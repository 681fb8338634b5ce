"""Text -> L2-normalised float32 vectors: one small backend contract, an `Engine` on top.

Importing this package is cheap: torch, sentence-transformers and onnxruntime are imported only
when a model that needs them is loaded.
"""

from __future__ import annotations

from embmagic.engine.backend import Backend
from embmagic.engine.cache import EmbeddingCache, text_hash
from embmagic.engine.device import choose_device
from embmagic.engine.engine import Engine
from embmagic.engine.fake import FakeBackend, fake_vector
from embmagic.engine.glove import WordVectors, load_word_vectors
from embmagic.engine.registry import ModelInfo, list_models, load_backend, load_engine

__all__ = [
    "Backend",
    "EmbeddingCache",
    "Engine",
    "FakeBackend",
    "ModelInfo",
    "WordVectors",
    "choose_device",
    "fake_vector",
    "list_models",
    "load_backend",
    "load_engine",
    "load_word_vectors",
    "text_hash",
]
