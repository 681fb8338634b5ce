"""Retrieval metrics against hand-computed examples, and qrels parsing with its errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from embmagic.core.qrels import qrels_from_entries, read_qrels, resolve
from embmagic.core.retrieval_eval import (
    exact_top_k,
    hit_at_k,
    ndcg_at_k,
    overlap_recall,
    recall_at_k,
    reciprocal_rank,
    score_rankings,
)
from embmagic.errors import InvalidArgumentError
from embmagic.store import Collection

# -- metrics -------------------------------------------------------------------------------


def test_recall_counts_relevant_records_within_k() -> None:
    assert recall_at_k([5, 1, 9, 2], {1, 2}, 2) == 0.5  # 1 found at rank 2, 2 only at rank 4
    assert recall_at_k([5, 1, 9, 2], {1, 2}, 4) == 1.0
    assert recall_at_k([5, 9], {1}, 10) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_k() -> None:
    assert reciprocal_rank([7, 8, 3], {3, 8}, 10) == 0.5
    assert reciprocal_rank([7, 8, 3], {3}, 2) == 0.0  # rank 3 is past the cut-off
    assert reciprocal_rank([3], {3}, 1) == 1.0


def test_ndcg_by_hand() -> None:
    # relevant at ranks 2 and 3, two relevant records: DCG = 1/log2(3) + 1/log2(4),
    # ideal = 1/log2(2) + 1/log2(3)
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k([9, 4, 5, 6], {4, 5}, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([4, 5], {4, 5}, 10) == pytest.approx(1.0)
    assert ndcg_at_k([1, 2, 3], {3}, 2) == 0.0
    # more relevant records than k: the ideal ranking is cut at k too
    assert ndcg_at_k([1, 2], {1, 2, 3}, 2) == pytest.approx(1.0)


def test_hit_at_1_only_looks_at_the_first_result() -> None:
    assert hit_at_k([2, 1], {1}, 1) == 0.0
    assert hit_at_k([1, 2], {1}, 1) == 1.0


def test_score_rankings_averages_over_queries() -> None:
    s = score_rankings([[1, 2], [3, 4]], [{2}, {3}], k=2)
    assert (s.queries, s.recall, s.mrr, s.hit1) == (2, 1.0, 0.75, 0.5)
    assert s.ndcg == pytest.approx((1 / math.log2(3) + 1.0) / 2)
    with pytest.raises(ValueError, match="2 rankings for 1 queries"):
        score_rankings([[1], [2]], [{1}])


def test_overlap_recall_and_exact_top_k() -> None:
    assert overlap_recall([[1, 2, 3], [4, 5, 6]], [[1, 2, 9], [4, 5, 6]], 3) == pytest.approx(
        (2 / 3 + 1) / 2)
    vectors = np.array([[1, 0], [0.6, 0.8], [0.6, 0.8], [0, 1]], dtype=np.float32)
    ids = [10, 31, 30, 40]
    # ties (ids 30 and 31 have the same vector) go to the lower id
    assert exact_top_k([[0.6, 0.8]], vectors, ids, 3) == [[30, 31, 40]]
    assert exact_top_k([[1, 0]], vectors, ids, 1) == [[10]]


# -- qrels ---------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_jsonl_qrels_keep_ids_texts_and_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "q.jsonl", '{"query": "a cat", "relevant": [0, "dog text"]}\n\n'
                                      '{"query": " b ", "relevant": 3}\n')
    qrels = read_qrels(path)
    assert [(j.query, j.relevant, j.line) for j in qrels.judgements] == [
        ("a cat", (0, "dog text"), 1), ("b", (3,), 3)]


@pytest.mark.parametrize(("text", "error"), [
    ('{"query": "a", "relevant": [1]}\n{"query": "b", "relevant": [1]\n',
     r"line 2: not valid JSON"),
    ('{"relevant": [1]}\n', r"line 1: missing key 'query'"),
    ('{"query": "a"}\n', r"line 1: missing key 'relevant'"),
    ('{"query": "a", "relevant": []}\n', r"line 1: 'relevant' must be a non-empty list"),
    ('{"query": "", "relevant": [1]}\n', r"line 1: 'query' must be a non-empty string"),
    ('{"query": "a", "relevant": [1.5]}\n', r"line 1: relevant 1.5 is neither a record id"),
    ('{"query": "a", "relevant": [true]}\n', r"line 1: relevant True is neither"),
    ('["a", 1]\n', r'line 1: expected \{"query"'),
    ("\n\n", r"has no judgements"),
])
def test_malformed_jsonl_names_the_line(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(InvalidArgumentError, match=error):
        read_qrels(write(tmp_path, "bad.jsonl", text))


def test_trec_qrels_with_a_queries_file(tmp_path: Path) -> None:
    qrels = write(tmp_path, "qrels.txt", "q1 0 4 1\nq1 0 5 0\nq2 0 7 2\nq2 0 8 1\nq3 0 1 0\n")
    queries = write(tmp_path, "queries.tsv", "q1\tfirst query\nq2\tsecond query\nq3\tthird\n")
    got = read_qrels(qrels, queries)
    # grade 0 is not relevant; q3 has no relevant record and is left out
    assert [(j.query, j.relevant, j.line) for j in got.judgements] == [
        ("first query", (4,), 1), ("second query", (7, 8), 3)]


@pytest.mark.parametrize(("qrels", "queries", "error"), [
    ("q1 0 4\n", "q1\tx\n", r"qrels .* line 1: expected 4 columns .* got 3"),
    ("q1 0 4 1\nq1 0 four 1\n", "q1\tx\n", r"line 2: DOC_ID and RELEVANCE must be whole numbers"),
    ("q9 0 4 1\n", "q1\tx\n", r"line 1: query id 'q9' is not in the queries file"),
    ("q1 0 4 1\n", "q1 no tab\n", r"queries .* line 1: expected QUERY_ID<TAB>TEXT"),
    ("q1 0 4 1\n", None, r"TREC format .* give the query texts with --queries PATH"),
])
def test_malformed_trec_names_the_line(tmp_path: Path, qrels: str, queries: str | None,
                                       error: str) -> None:
    q = write(tmp_path, "queries.tsv", queries) if queries is not None else None
    with pytest.raises(InvalidArgumentError, match=error):
        read_qrels(write(tmp_path, "qrels.txt", qrels), q)


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"qrels file .*nope.jsonl not found"):
        read_qrels(tmp_path / "nope.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe{")
    with pytest.raises(InvalidArgumentError, match=r"not UTF-8 text"):
        read_qrels(tmp_path / "bin.jsonl")


def small_collection() -> Collection:
    c = Collection("small", "m", 2)
    c.add(["alpha", "beta", "gamma"], np.eye(3, 2, dtype=np.float32) + 0.1)
    return c


def test_resolve_maps_texts_to_ids_and_refuses_unknown_records() -> None:
    c = small_collection()
    ok = qrels_from_entries([{"query": "x", "relevant": ["beta", 0]},
                             {"query": "y", "relevant": [2]}])
    assert resolve(ok, c) == [frozenset({1, 0}), frozenset({2})]
    bad = qrels_from_entries([{"query": "x", "relevant": [0]},
                              {"query": "y", "relevant": [2, 99, "no such text"]}])
    with pytest.raises(InvalidArgumentError,
                       match=r"qrels line 2: relevant record\(s\) not in collection 'small': "
                             r"id 99, text 'no such text'"):
        resolve(bad, c)


def test_entries_must_be_a_list_of_dicts() -> None:
    with pytest.raises(InvalidArgumentError, match="give a file path or a list"):
        qrels_from_entries("q.jsonl")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"qrels line 1: missing key 'relevant'"):
        qrels_from_entries([{"query": "x"}])
