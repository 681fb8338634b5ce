"""Helpers for the store tests (a uniquely named module: several test folders have a conftest)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from embmagic.store import BaseCollection, Collection, ReferenceStore
from embmagic.store.lance import LanceCollection

Store = BaseCollection | ReferenceStore
StoreFactory = Callable[..., Store]

DIM = 32

STORE_KINDS: dict[str, dict[str, Any]] = {
    "flat": {"kind": "flat"},
    "flat-int8": {"kind": "flat"},  # its 8-bit single-query path on from 1 vector (conftest.py)
    "hnsw": {"kind": "hnsw"},
    "ivfpq": {"kind": "ivfpq"},  # below its training size: exact search
    "ivfpq-trained": {"kind": "ivfpq", "nlist": 1},  # trains at 39 vectors
    "reference": {},
    "toy": {"kind": "toy", "block": 7},  # tests/store/toy_kind.py, registered by a fixture
    "lancedb": {"kind": "lancedb"},  # a LanceCollection in a fresh temporary directory
}
EXACT_KINDS = ("flat", "flat-int8", "ivfpq", "reference", "lancedb", "toy")


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
    if kind == "lancedb":
        assert not extra, "lancedb collections take index parameters through reindex"
        return LanceCollection.create(tempfile.mkdtemp(dir=lance_root()), name, model_id, dim)
    return Collection(name, model_id, dim, kind, **{**params, **extra})


@cache
def lance_root() -> str:
    """One temporary directory for every LanceDB store the tests make, removed at exit."""
    root = tempfile.mkdtemp(prefix="embmagic-lance-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root
