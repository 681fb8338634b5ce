"""`%neighbors --rerank MODEL [--rerank-depth N]` and the same on `%rag`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.conftest import Snapshot
from tests.rerank_data import QUERY, TEXTS

FACTS = "\n".join(TEXTS[:6])


@pytest.fixture
def facts(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic("embed", "facts", FACTS)
    return ip


def cross_encoder_best(folder: str, hits: Any, k: int) -> list[int]:
    """Ids of the k best of `hits` by the cross-encoder in `folder`, scored here directly."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(folder, local_files_only=True, device="cpu")
    pairs = [(QUERY, h.text) for h in hits]
    scores = np.asarray(model.predict(pairs, show_progress_bar=False))
    return [hits[int(i)].id for i in np.argsort(-scores)[:k]]


def test_neighbors_rerank_orders_by_the_cross_encoder(
    facts: InteractiveShell, tiny_cross_encoder: str
) -> None:
    plain = facts.run_line_magic("neighbors", f"{QUERY} -c facts -k 4")
    facts.user_ns["ce"] = tiny_cross_encoder
    result = facts.run_line_magic("neighbors", f"{QUERY} -c facts -k 2 --rerank {{ce}} "
                                  "--rerank-depth 4")  # fmt: skip
    assert [h.id for h in result] == cross_encoder_best(tiny_cross_encoder, plain, 2)
    assert "reranked by" in result.plain() and result.candidates == 4


def test_rag_rerank_numbers_the_cross_encoders_best(
    facts: InteractiveShell, tiny_cross_encoder: str
) -> None:
    plain = facts.run_line_magic("neighbors", f"{QUERY} -c facts -k 5")
    facts.user_ns["ce"] = tiny_cross_encoder
    result = facts.run_line_magic("rag", f"{QUERY} -c facts -k 3 --rerank {{ce}} "
                                  "--rerank-depth 5")  # fmt: skip
    assert [h.id for h in result.sources] == cross_encoder_best(tiny_cross_encoder, plain, 3)
    assert result.search_scores is not None and len(result.search_scores) == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"{QUERY} -c facts --rerank no-such-reranker", "cross-encoder/ms-marco-MiniLM-L6-v2"),
        (f"{QUERY} -c facts --rerank-depth 9", "--rerank-depth N goes with --rerank MODEL"),
        (f"{QUERY} -c facts -k 5 --rerank x --rerank-depth 3", "must be at least k (5)"),
        (f"{QUERY} -c facts --rerank x --mmr", "do not combine"),
        ("-c facts --id 0 --rerank x", "needs a query text"),
        (f"{QUERY} -c facts --rerank x --widget", "--widget takes a query, -c, -k and --mode"),
    ],
)
def test_bad_rerank_lines_are_one_line_and_change_nothing(
    facts: InteractiveShell, snap: Snapshot, line: str, message: str
) -> None:
    before = snap()
    with pytest.raises(UsageError) as info:
        facts.run_line_magic("neighbors", line)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert snap() == before


def test_rag_without_a_reranker_says_how_to_get_one(
    facts: InteractiveShell, snap: Snapshot
) -> None:
    before = snap()
    with pytest.raises(UsageError, match="ms-marco-MiniLM-L6-v2") as info:
        facts.run_line_magic("rag", f"{QUERY} -c facts --rerank missing/reranker")
    assert str(info.value).startswith("%rag: ") and "\n" not in str(info.value)
    assert snap() == before
