"""neighbors (by text, id, vector; where; MMR) and mmr_select."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from embmagic.core.neighbors import mmr_select, neighbors
from embmagic.engine import Engine, load_engine
from embmagic.errors import (
    DimensionMismatchError,
    InvalidArgumentError,
    ModelMismatchError,
    RecordNotFoundError,
)
from embmagic.store import Collection

MakeCollection = Callable[..., Collection]

ANIMALS = [
    "small cat sleeping",
    "big dog barking",
    "small dog running",
    "fish swimming in water",
    "cat chasing a mouse",
]


@pytest.fixture
def animals(make_collection: MakeCollection) -> Collection:
    kinds = [{"kind": "cat"}, {"kind": "dog"}, {"kind": "dog"}, {"kind": "fish"}, {"kind": "cat"}]
    return make_collection(ANIMALS, kinds, name="animals")


def test_by_text_ranks_shared_words_first(animals: Collection, fake_engine: Engine) -> None:
    hits = neighbors(animals, fake_engine, "small cat", k=3)
    assert hits[0].text == "small cat sleeping"
    assert {h.text for h in hits[1:]} == {"small dog running", "cat chasing a mouse"}
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_where_filters_metadata(animals: Collection, fake_engine: Engine) -> None:
    hits = neighbors(animals, fake_engine, "small cat", k=5, where={"kind": "dog"})
    assert [h.metadata["kind"] for h in hits] == ["dog", "dog"]


def test_by_id_excludes_the_record_itself(animals: Collection) -> None:
    first = animals.ids()[0]
    hits = neighbors(animals, None, id=int(first), k=4)
    assert len(hits) == 4 and int(first) not in [h.id for h in hits]
    assert hits[0].text == "small dog running"  # shares a word with "small cat sleeping"


def test_by_vector_matches_by_text(animals: Collection, fake_engine: Engine) -> None:
    vec = fake_engine.embed(["big dog"])[0] * 3.0  # any length: it is normalised
    by_vec = neighbors(animals, None, vector=vec, k=2)
    by_text = neighbors(animals, fake_engine, "big dog", k=2)
    assert [h.id for h in by_vec] == [h.id for h in by_text]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"query": "x", "id": 1},
        {"query": "x", "vector": np.ones(64)},
        {"query": "   "},
        {"query": "cat", "k": 0},
        {"query": "cat", "mmr": True, "lambda_": 1.5},
    ],
)
def test_invalid_arguments(
    animals: Collection, fake_engine: Engine, kwargs: dict[str, object]
) -> None:
    with pytest.raises(InvalidArgumentError):
        neighbors(animals, fake_engine, **kwargs)  # type: ignore[arg-type]


def test_model_mismatch(animals: Collection) -> None:
    other = load_engine("fake-32", progress=False)
    with pytest.raises(ModelMismatchError, match="fake-64"):
        neighbors(animals, other, "cat")


def test_wrong_vector_width_and_unknown_id(animals: Collection) -> None:
    with pytest.raises(DimensionMismatchError):
        neighbors(animals, None, vector=np.ones(3))
    with pytest.raises(RecordNotFoundError):
        neighbors(animals, None, id=12345)


def test_empty_collection_says_how_to_fill_it(
    make_collection: MakeCollection, fake_engine: Engine
) -> None:
    with pytest.raises(InvalidArgumentError, match="'void' is empty: add documents with %%embed"):
        neighbors(make_collection([], name="void"), fake_engine, "cat")


def test_mmr_select_prefers_diversity() -> None:
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    dup = np.array([0.9, 0.435, 0.0], dtype=np.float32)
    other = np.array([0.8, 0.0, 0.6], dtype=np.float32)
    cands = np.stack([dup, dup, other])
    assert mmr_select(q, cands, 2, lambda_=0.5) == [0, 2]
    assert mmr_select(q, cands, 2, lambda_=1.0) == [0, 1]  # pure relevance
    assert mmr_select(q, cands, 5, 0.5) == [0, 2, 1]  # k > n: every candidate once
    assert mmr_select(q, cands[:0], 3, 0.5) == []


def test_mmr_returns_fewer_near_duplicates(
    make_collection: MakeCollection, fake_engine: Engine
) -> None:
    dupes = [f"solar panel energy report version {i}" for i in range(6)]
    distinct = ["solar eclipse tonight", "energy drinks study", "panel discussion schedule",
                "wind turbine report"]
    coll = make_collection(dupes + distinct, name="mixed")
    plain = neighbors(coll, fake_engine, "solar panel energy", k=4)
    diverse = neighbors(coll, fake_engine, "solar panel energy", k=4, mmr=True, lambda_=0.5)
    assert sum(h.text in dupes for h in plain) == 4
    assert sum(h.text in dupes for h in diverse) <= 2
    assert diverse[0].id == plain[0].id  # the most relevant record still comes first
