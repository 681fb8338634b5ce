"""Issue 16's done-when, measured with the real MiniLM model on the shipped Lee sets."""

from __future__ import annotations

import pytest

from embmagic import Workspace
from embmagic.app.options import Options
from embmagic.app.results import RetrievalEvalResult
from embmagic.datasets import QUESTIONS, RARE_WORDS, lee_articles

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def lee() -> Workspace:
    ws = Workspace()
    ws.options.show_progress = False
    ws.embed("lee", lee_articles())
    return ws


@pytest.fixture(scope="module")
def rare(lee: Workspace) -> RetrievalEvalResult:
    return lee.evaluate_retrieval("lee", RARE_WORDS)


@pytest.fixture(scope="module")
def questions(lee: Workspace) -> RetrievalEvalResult:
    return lee.evaluate_retrieval("lee", QUESTIONS)


def test_hybrid_finds_rare_words_first(rare: RetrievalEvalResult) -> None:
    """Each word occurs in one article only: hybrid puts that article first for >= 90%."""
    assert rare.score("lee", "lexical").hit1 >= 0.99
    assert rare.score("lee", "hybrid").hit1 >= 0.9


def test_the_default_mode_is_the_better_one_on_questions(questions: RetrievalEvalResult
                                                         ) -> None:
    """The default search mode (docs/retrieval.md) measures at least as well as the other on
    the written questions."""
    default = Options().search_mode
    other = "hybrid" if default == "dense" else "dense"
    assert default in ("dense", "hybrid")
    assert questions.score("lee", default).ndcg >= questions.score("lee", other).ndcg
    assert questions.score("lee", default).ndcg >= 0.9
