"""Fusion (core/hybrid.py) and the search modes of core.neighbors and rag retrieval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from embmagic.core.hybrid import (
    HYBRID_ALPHA,
    HYBRID_DEPTH,
    RRF_K,
    check_mode,
    convex_fusion,
    fuse,
    reciprocal_rank_fusion,
    weighted_fusion,
)
from embmagic.core.neighbors import neighbors
from embmagic.core.rag import retrieve
from embmagic.errors import InvalidArgumentError
from embmagic.store import Collection
from embmagic.types import Hit, Vectors


def hit(i: int, score: float = 0.0) -> Hit:
    return Hit(i, score, f"text {i}", {"i": i})


def test_rrf_sums_reciprocal_ranks_and_breaks_ties_by_id() -> None:
    fused = reciprocal_rank_fusion([[hit(1), hit(2), hit(3)], [hit(3), hit(4)]])
    expected = {1: 1 / 61, 2: 1 / 62, 3: 1 / 63 + 1 / 61, 4: 1 / 62}
    assert [h.id for h in fused] == [3, 1, 2, 4]  # 2 and 4 tie: the lower id first
    assert {h.id: h.score for h in fused} == pytest.approx(expected)
    assert fused[0].text == "text 3" and fused[0].metadata == {"i": 3}
    assert RRF_K == 60
    assert reciprocal_rank_fusion([[], []]) == []


def test_weighted_fusion_normalises_each_side() -> None:
    dense = [hit(1, 0.9), hit(2, 0.5), hit(3, 0.1)]
    lexical = [hit(3, 12.0), hit(4, 2.0)]
    fused = weighted_fusion(dense, lexical, alpha=0.5)
    scores = {h.id: h.score for h in fused}
    assert scores == pytest.approx({1: 0.5, 2: 0.25, 3: 0.5, 4: 0.0})
    assert [h.id for h in fused] == [1, 3, 2, 4]
    assert [h.id for h in fuse(dense, lexical, "weighted")] == [1, 3, 2, 4]
    assert [h.id for h in fuse(dense, lexical)] == [3, 1, 2, 4]
    with pytest.raises(InvalidArgumentError, match="alpha"):
        weighted_fusion(dense, lexical, alpha=1.5)
    with pytest.raises(InvalidArgumentError, match="rrf or weighted"):
        fuse(dense, lexical, "max")  # type: ignore[arg-type]


def test_check_mode_names_the_modes() -> None:
    assert check_mode("hybrid") == "hybrid"
    with pytest.raises(InvalidArgumentError, match="dense, lexical, hybrid"):
        check_mode("semantic")


# -- modes of core.neighbors -------------------------------------------------------------------

TEXTS = ["invoice KX-9 from March", "an invoice about cats", "cats sleeping in the sun",
         "dogs in the park", "quarterly report on cats", "report KX-9 summary"]


class TableEncoder:
    """Dense vectors that ignore the words: text i gets basis vector i, queries a fixed mix that
    prefers texts 3, 2, 1 (so dense and lexical rankings differ)."""

    model_id = "table"
    dim = 8
    device = "cpu"

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            if text in TEXTS:
                out[row, TEXTS.index(text)] = 1.0
            else:
                out[row, [3, 2, 1]] = [0.8, 0.5, 0.33]
        norms: Vectors = out / np.linalg.norm(out, axis=1, keepdims=True)
        return norms


class FixedEncoder(TableEncoder):
    """Every text: the unit vector along e0 + 0.5 e1."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), np.float32)
        out[:, 0], out[:, 1] = 1.0, 0.5
        unit: Vectors = out / np.linalg.norm(out, axis=1, keepdims=True)
        return unit


@pytest.fixture
def docs() -> Collection:
    enc = TableEncoder()
    coll = Collection("docs", enc.model_id, enc.dim)
    meta = [{"year": 2024 if i % 2 else 2023} for i in range(len(TEXTS))]
    coll.add(TEXTS, enc.embed(TEXTS), meta)
    return coll


def test_lexical_mode_ranks_by_bm25_and_needs_no_encoder(docs: Collection) -> None:
    hits = neighbors(docs, None, "KX-9", k=5, mode="lexical")
    assert [h.id for h in hits] == [h.id for h in docs.search_lexical("KX-9", 5)]
    assert {h.text for h in hits} == {"invoice KX-9 from March", "report KX-9 summary"}
    dense = neighbors(docs, TableEncoder(), "KX-9", k=2, mode="dense")
    assert [h.id for h in dense] == [3, 2]  # the words do not matter to this encoder


def test_hybrid_mode_is_a_convex_combination_by_default(docs: Collection) -> None:
    enc = TableEncoder()
    hits = neighbors(docs, enc, "cats report", k=4, mode="hybrid")
    qvec = enc.embed(["cats report"])[0]
    bm25 = {h.id: h.score for h in docs.search_lexical("cats report", HYBRID_DEPTH)}
    cos = {i: float(docs.vectors_for([i])[0] @ qvec) for i in range(len(TEXTS))}
    expected = {i: HYBRID_ALPHA * cos[i] + (1 - HYBRID_ALPHA) * bm25.get(i, 0) / max(bm25.values())
                for i in range(len(TEXTS))}
    order = sorted(expected, key=lambda i: (-expected[i], i))[:4]
    assert [h.id for h in hits] == order
    assert [h.score for h in hits] == pytest.approx([expected[i] for i in order])
    assert hits[0].id == 3 and 4 in order  # the dense favourite, then BM25's best
    assert HYBRID_ALPHA == 0.75


def test_hybrid_mode_can_fuse_by_reciprocal_rank(docs: Collection) -> None:
    enc = TableEncoder()
    hits = neighbors(docs, enc, "cats report", k=4, mode="hybrid", fusion="rrf")
    dense = docs.search(enc.embed(["cats report"]), HYBRID_DEPTH)[0]
    lexical = docs.search_lexical("cats report", HYBRID_DEPTH)
    expected = reciprocal_rank_fusion([dense, lexical])[:4]
    assert [(h.id, h.score) for h in hits] == [(h.id, h.score) for h in expected]
    weighted = neighbors(docs, enc, "cats report", k=4, mode="hybrid", fusion="weighted")
    assert [h.id for h in weighted] == [h.id for h in weighted_fusion(dense, lexical)[:4]]
    with pytest.raises(InvalidArgumentError, match="unknown fusion"):
        neighbors(docs, enc, "cats", mode="hybrid", fusion="max")  # type: ignore[arg-type]


def test_convex_fusion_uses_true_cosines_and_best_bm25() -> None:
    fused = convex_fusion([hit(1), hit(2), hit(3)], [0.9, 0.2, 0.5], [hit(2, 8.0), hit(3, 4.0)],
                          alpha=0.5)
    assert [h.id for h in fused] == [2, 3, 1]
    assert [h.score for h in fused] == pytest.approx([0.6, 0.5, 0.45])
    with pytest.raises(InvalidArgumentError, match="alpha"):
        convex_fusion([], [], [], alpha=-1)


def test_where_applies_to_both_sides(docs: Collection) -> None:
    for mode in ("lexical", "hybrid"):
        hits = neighbors(docs, TableEncoder(), "KX-9 cats", k=6, where={"year": 2023},
                         mode=mode)  # type: ignore[arg-type]
        assert hits and all(h.metadata == {"year": 2023} for h in hits)
        assert 5 not in {h.id for h in hits}  # "report KX-9 summary" is 2024


def test_mmr_works_on_fused_results() -> None:
    enc = TableEncoder()
    coll = Collection("dups", enc.model_id, enc.dim)
    texts = ["alpha report", "alpha report again", "alpha note"]
    vecs = np.zeros((3, enc.dim), np.float32)
    vecs[0, 0] = vecs[1, 0] = 1.0  # the first two are the same point
    vecs[2, 1] = 1.0
    coll.add(texts, vecs)
    plain = neighbors(coll, None, "alpha report", k=2, mode="lexical")
    assert [h.id for h in plain] == [0, 1]
    diverse = neighbors(coll, None, "alpha report", k=2, mode="lexical", mmr=True, lambda_=0.3)
    assert [h.id for h in diverse] == [0, 2]
    assert diverse[1].score == pytest.approx(
        next(h.score for h in coll.search_lexical("alpha report", 3) if h.id == 2))
    near = FixedEncoder()  # the query is close to the first two
    assert [h.id for h in neighbors(coll, near, "alpha report", k=2, mode="hybrid")] == [0, 1]
    fused = neighbors(coll, near, "alpha report", k=2, mode="hybrid", mmr=True, lambda_=0.3)
    assert [h.id for h in fused] == [0, 2]


def test_by_id_searches_with_the_records_own_words(docs: Collection) -> None:
    hits = neighbors(docs, None, id=0, k=3, mode="lexical")
    assert [h.id for h in hits] == [h.id for h in docs.search_lexical(TEXTS[0], 4)][1:]
    assert {h.id for h in hits[:2]} == {1, 5}  # "invoice", "KX" ("9" is too short a word)


def test_a_vector_has_no_words(docs: Collection) -> None:
    with pytest.raises(InvalidArgumentError, match="need a query text or --id"):
        neighbors(docs, None, vector=np.ones(8, np.float32), mode="lexical")
    with pytest.raises(InvalidArgumentError, match="unknown search mode"):
        neighbors(docs, None, "cats", mode="fuzzy")  # type: ignore[arg-type]


def test_rag_retrieval_takes_a_mode(docs: Collection) -> None:
    sources = retrieve(docs, TableEncoder(), "KX-9", k=2, mode="lexical")
    assert [s.number for s in sources] == [1, 2]
    assert {s.hit.text for s in sources} == {"invoice KX-9 from March", "report KX-9 summary"}
