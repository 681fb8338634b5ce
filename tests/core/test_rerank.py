"""Reranking with a real (tiny, random) sentence-transformers CrossEncoder built at test time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from embmagic.app.workspace import Workspace
from embmagic.core.rerank import DEFAULT_DEPTH, rerank, rerank_depth
from embmagic.engine.cross_encoder import CrossEncoderScorer, load_cross_encoder
from embmagic.errors import InvalidArgumentError, ModelNotFoundError
from embmagic.types import Hit
from tests.rerank_data import QUERY, TEXTS


@pytest.fixture
def ws(ws: Workspace) -> Workspace:
    """tests/conftest.py's fake-64 workspace, holding the facts."""
    ws.embed("facts", TEXTS)
    return ws


def predict(folder: str, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The cross-encoder's own scores, computed apart from embmagic."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(folder, local_files_only=True, device="cpu")
    return np.asarray(model.predict([(query, t) for t in texts], show_progress_bar=False))


def test_the_loaded_model_scores_like_crossencoder_predict(tiny_cross_encoder: str) -> None:
    scorer = load_cross_encoder(tiny_cross_encoder, device="cpu")
    assert isinstance(scorer, CrossEncoderScorer) and scorer.device == "cpu"
    got = scorer.score(QUERY, TEXTS)
    assert got.dtype == np.float32 and got.shape == (len(TEXTS),)
    np.testing.assert_allclose(got, predict(tiny_cross_encoder, QUERY, TEXTS), rtol=1e-5)
    assert len(set(np.round(got, 6))) == len(TEXTS)  # distinct: the order is meaningful
    assert scorer.score(QUERY, []).shape == (0,)


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_neighbors_are_the_cross_encoders_best_of_the_depth_candidates(
    ws: Workspace, tiny_cross_encoder: str, mode: str
) -> None:
    depth, k = 6, 3
    candidates = ws.neighbors(QUERY, collection="facts", k=depth, mode=mode)  # type: ignore[arg-type]
    scores = predict(tiny_cross_encoder, QUERY, [h.text for h in candidates])
    best = np.argsort(-scores, kind="stable")[:k]
    result = ws.neighbors(QUERY, collection="facts", k=k, mode=mode,  # type: ignore[arg-type]
                          rerank=tiny_cross_encoder, rerank_depth=depth)  # fmt: skip
    assert [h.id for h in result] == [candidates[int(i)].id for i in best]
    np.testing.assert_allclose([h.score for h in result], scores[best], rtol=1e-5)
    assert result.search_scores == [candidates[int(i)].score for i in best]
    # lexical search finds only the records sharing a word with the query
    assert result.candidates == len(candidates) == (depth if mode != "lexical" else 2)
    assert result.reranker == tiny_cross_encoder
    # the k best over the whole collection may differ: only the depth candidates compete
    assert {h.id for h in result} <= {h.id for h in candidates}


def test_the_depth_bounds_the_candidates(ws: Workspace, tiny_cross_encoder: str) -> None:
    everything = ws.neighbors(QUERY, collection="facts", k=2, rerank=tiny_cross_encoder,
                              rerank_depth=len(TEXTS))  # fmt: skip
    scores = predict(tiny_cross_encoder, QUERY, TEXTS)
    ids = ws.resolve("facts").ids()
    by_id = dict(zip(ids, scores, strict=True))
    assert [h.id for h in everything] == sorted(ids, key=lambda i: -by_id[i])[:2]
    default = ws.neighbors(QUERY, collection="facts", k=2, rerank=tiny_cross_encoder)
    assert default.candidates == len(TEXTS)  # default depth 50 > the collection's 10 records
    assert [h.id for h in default] == [h.id for h in everything]


def test_the_model_is_loaded_once_per_session(ws: Workspace, tiny_cross_encoder: str) -> None:
    ws.neighbors(QUERY, collection="facts", k=2, rerank=tiny_cross_encoder)
    first = ws.reranker(tiny_cross_encoder)
    ws.neighbors("cat", collection="facts", k=2, rerank=tiny_cross_encoder)
    assert ws.reranker(tiny_cross_encoder) is first and len(ws.rerankers) == 1


def test_the_result_shows_both_scores(ws: Workspace, tiny_cross_encoder: str) -> None:
    result = ws.neighbors(QUERY, collection="facts", k=2, rerank=tiny_cross_encoder,
                          rerank_depth=5)  # fmt: skip
    lines = result.plain().splitlines()
    assert lines[0].endswith(f"reranked by {tiny_cross_encoder} from 5 candidates")
    assert lines[1].split()[:4] == ["rank", "score", "search", "score"]
    frame = result.to_pandas()
    assert list(frame.columns[:5]) == ["rank", "score", "search_score", "text", "id"]
    assert list(frame["search_score"]) == result.search_scores
    plain = ws.neighbors(QUERY, collection="facts", k=2)
    assert "search" not in plain.plain() and "search_score" not in plain.to_pandas()


def test_rag_sources_are_the_cross_encoders_best(ws: Workspace, tiny_cross_encoder: str) -> None:
    candidates = ws.neighbors(QUERY, collection="facts", k=5)
    scores = predict(tiny_cross_encoder, QUERY, [h.text for h in candidates])
    best = np.argsort(-scores, kind="stable")[:2]
    result = ws.ask(QUERY, collection="facts", k=2, rerank=tiny_cross_encoder, rerank_depth=5)
    assert [h.id for h in result.sources] == [candidates[int(i)].id for i in best]
    assert [s.number for s in result.raw.sources] == [1, 2]
    assert result.search_scores == [candidates[int(i)].score for i in best]
    assert result.raw.reranker == tiny_cross_encoder and result.raw.candidates == 5
    assert f"Sources (2 retrieved, reranked by {tiny_cross_encoder} from 5" in result.plain()
    assert "search score" in result.plain() and "search_score" in result.to_pandas()


def test_a_missing_model_says_how_to_get_one(ws: Workspace) -> None:
    with pytest.raises(ModelNotFoundError, match="cross-encoder/ms-marco-MiniLM-L6-v2") as info:
        ws.neighbors(QUERY, collection="facts", rerank="no-such-reranker")
    assert "\n" not in str(info.value) and "folder" in str(info.value)
    assert ws.rerankers == {}


def test_an_embedding_model_folder_is_not_a_cross_encoder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"architectures": ["BertModel"]}')
    with pytest.raises(ModelNotFoundError, match=r"is not a cross-encoder .*BertModel"):
        load_cross_encoder(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match=r"has no config\.json"):
        load_cross_encoder(str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rerank_depth": 10}, "--rerank-depth N goes with --rerank MODEL"),
        ({"rerank": "x", "rerank_depth": 2, "k": 3}, r"--rerank-depth \(2\) must be at least k"),
        ({"rerank": "x", "rerank_depth": 5000}, "between 1 and 1000"),
        ({"rerank": "x", "mmr": True}, "--rerank and --mmr do not combine"),
        ({"rerank": " "}, "--rerank needs a cross-encoder"),
    ],
)
def test_bad_rerank_options_are_refused_before_loading_anything(
    ws: Workspace, kwargs: dict[str, object], message: str
) -> None:
    before = [(r.id, r.text) for r in ws.resolve("facts").records()]
    with pytest.raises(InvalidArgumentError, match=message):
        ws.neighbors(QUERY, collection="facts", **kwargs)  # type: ignore[arg-type]
    assert ws.rerankers == {}
    assert [(r.id, r.text) for r in ws.resolve("facts").records()] == before


def test_rerank_by_id_is_refused(ws: Workspace) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a query text"):
        ws.neighbors(collection="facts", id=ws.resolve("facts").ids()[0], rerank="x")


class Fixed:
    """A scorer with given scores, to test the ordering rules alone."""

    name = "fixed"

    def __init__(self, scores: list[float]) -> None:
        self.scores = scores

    def score(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.asarray(self.scores[: len(texts)], dtype=np.float32)


def hits(n: int) -> list[Hit]:
    return [Hit(i, 1.0 - i / 10, f"text {i}") for i in range(n)]


def test_ties_keep_the_search_order_and_k_cuts() -> None:
    ranked = rerank(Fixed([0.5, 0.9, 0.5, 0.9]), "q", hits(4), 3)
    assert [(r.hit.id, r.first_rank) for r in ranked] == [(1, 2), (3, 4), (0, 1)]
    assert [r.similarity for r in ranked] == [0.9, 0.7, 1.0]


def test_scores_that_are_not_finite_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="not finite"):
        rerank(Fixed([0.1, float("nan")]), "q", hits(2), 1)


def test_default_depth_is_at_least_k() -> None:
    assert rerank_depth(None, 5) == DEFAULT_DEPTH
    assert rerank_depth(None, 80) == 80
    assert rerank_depth(7, 7) == 7
