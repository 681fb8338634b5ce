"""Helpers for the store tests (a uniquely named module: several test folders have a conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from embmagic.store import Collection, ReferenceStore

Store = Collection | ReferenceStore
StoreFactory = Callable[..., Store]

DIM = 32

STORE_KINDS: dict[str, dict[str, Any]] = {
    "flat": {"kind": "flat"},
    "hnsw": {"kind": "hnsw"},
    "ivfpq": {"kind": "ivfpq"},  # below its training size: exact search
    "ivfpq-trained": {"kind": "ivfpq", "nlist": 1},  # trains at 39 vectors
    "reference": {},
}
EXACT_KINDS = ("flat", "ivfpq", "reference")


def unit_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """n random unit vectors (float32)."""
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def texts(n: int, prefix: str = "doc") -> list[str]:
    return [f"{prefix} {i}" for i in range(n)]


def make(spec: str, dim: int = DIM, name: str = "test", model_id: str = "fake-32",
         **extra: Any) -> Store:
    """A store of one STORE_KINDS entry (extra: index parameters)."""
    params = dict(STORE_KINDS[spec])
    if not params:
        return ReferenceStore(name, model_id, dim)
    kind = params.pop("kind")
    return Collection(name, model_id, dim, kind, **{**params, **extra})
