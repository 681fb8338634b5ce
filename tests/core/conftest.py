"""Fixtures for core tests: the deterministic fake engine and real collections built with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from embmagic.engine import Engine, load_engine
from embmagic.store import Collection
from embmagic.types import Encoder, Metadata

MakeCollection = Callable[..., Collection]


@pytest.fixture(scope="session")
def fake_engine() -> Engine:
    return load_engine("fake-64", progress=False)


@pytest.fixture
def make_collection(fake_engine: Engine) -> MakeCollection:
    """make(texts, metadata=None, *, name="docs", encoder=fake): a filled flat Collection."""

    def make(
        texts: Sequence[str],
        metadata: Sequence[Metadata] | None = None,
        *,
        name: str = "docs",
        encoder: Encoder | None = None,
    ) -> Collection:
        enc = encoder or fake_engine
        coll = Collection(name, enc.model_id, enc.dim)
        if texts:
            coll.add(list(texts), enc.embed(list(texts)), list(metadata) if metadata else None)
        return coll

    return make
