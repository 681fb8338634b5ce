"""Fixtures for the store tests: every store kind behind one factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faiss
import pytest
from store_helpers import DIM, STORE_KINDS, Store, StoreFactory, make, texts, unit_vectors
from toy_kind import ToyIndex

from embmagic.store import int8_copy
from embmagic.store.kinds import register_kind, unregister_kind


@pytest.fixture(autouse=True, scope="module")
def _one_faiss_thread() -> Iterator[None]:
    """FAISS's OpenMP threads spin-wait; on a busy 2-core CI box that makes small trainings 10-50x
    slower (measured). One thread keeps these tests fast and their timing stable."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


@pytest.fixture(autouse=True)
def toy_kind() -> Iterator[type[ToyIndex]]:
    """The toy index kind, registered for each store test and removed after: one registry line
    is all a new kind needs."""
    register_kind(ToyIndex)
    yield ToyIndex
    unregister_kind(ToyIndex.kind)


@pytest.fixture(autouse=True)
def _int8_copy_from_one_vector(request: pytest.FixtureRequest,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A test run with the `flat-int8` store spec gets the flat kind's 8-bit single-query path
    (store/int8_copy.py) from the first vector instead of from 100,000."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "flat-int8" in callspec.params.values():
        monkeypatch.setattr(int8_copy, "MIN_ROWS", 1)


@pytest.fixture(params=list(STORE_KINDS))
def spec(request: pytest.FixtureRequest) -> str:
    """Each store kind in turn."""
    name: str = request.param
    return name


@pytest.fixture
def store_factory(spec: str) -> StoreFactory:
    """Builds empty stores of the current kind."""
    def factory(dim: int = DIM, **extra: Any) -> Store:
        return make(spec, dim, **extra)
    return factory


@pytest.fixture
def filled(store_factory: StoreFactory) -> Store:
    """60 records ("doc 0".. "doc 59", ids 0..59) with metadata; trains ivfpq-trained."""
    store = store_factory()
    meta = [{"n": i, "parity": "even" if i % 2 == 0 else "odd", "tags": ["a", i]}
            for i in range(60)]
    store.add(texts(60), unit_vectors(60), meta)
    return store
