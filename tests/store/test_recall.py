"""Approximate kinds against the reference: recall@10 >= 0.95 on hard and on realistic data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embmagic.store import Collection, ReferenceStore

N, DIM, QUERIES = 20_000, 384, 200


def _unit(a: np.ndarray) -> np.ndarray:
    out: np.ndarray = (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)
    return out


def uniform(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sphere: no clusters, so no locality for an ANN index to exploit."""
    return (_unit(rng.standard_normal((N, DIM))), _unit(rng.standard_normal((QUERIES, DIM))))


def clustered(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 50-centre Gaussian mixture, closer to how text embeddings spread."""
    centres = _unit(rng.standard_normal((50, DIM)))
    def draw(n: int) -> np.ndarray:
        return _unit(centres[rng.integers(0, 50, n)] + 0.05 * rng.standard_normal((n, DIM)))
    return draw(N), draw(QUERIES)


def recall_at_10(params: dict[str, Any], data: tuple[np.ndarray, np.ndarray]) -> float:
    base, queries = data
    ids = np.arange(N, dtype=np.int64)
    texts = [f"t{i}" for i in range(N)]
    store = Collection("r", "m", DIM, **params)
    reference = ReferenceStore("r", "m", DIM)
    for s in (store, reference):
        s.add(texts, base, ids=ids)
    got = store.search(queries, 10)
    want = reference.search(queries, 10)
    return float(np.mean([len({h.id for h in g} & {h.id for h in w}) / 10
                          for g, w in zip(got, want, strict=True)]))


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    {"kind": "hnsw", "ef_search": 512},
    {"kind": "ivfpq", "nlist": 64, "nprobe": 64, "k_factor": 20},
], ids=["hnsw", "ivfpq"])
def test_recall_on_uniform_random_vectors(params: dict[str, Any]) -> None:
    """Worst case for ANN. Uniform random 384-d vectors have no clusters: a query's neighbours
    are spread over every IVF list (so ivfpq must probe all of them, nprobe = nlist) and barely
    closer than anything else (so HNSW needs a wide beam, ef_search = 512; 256 gives ~0.90)."""
    assert recall_at_10(params, uniform(np.random.default_rng(0))) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_recall_on_clustered_vectors_with_default_params(kind: str) -> None:
    """Realistic data: the default parameters must be good enough on their own."""
    assert recall_at_10({"kind": kind}, clustered(np.random.default_rng(1))) >= 0.95
