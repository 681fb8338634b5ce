"""The labelled sets that ship with embmagic load, are big enough and point at real articles."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from embmagic import Workspace
from embmagic.core.qrels import read_qrels
from embmagic.datasets import (
    QUESTIONS,
    RARE_WORDS,
    lee_articles,
    lee_path,
    rare_word_qrels,
    read_jsonl,
    tokens,
)
from embmagic.errors import InvalidArgumentError

FAKE_MODEL = "fake-64"


def test_lee_articles_are_the_distinct_lines_in_file_order() -> None:
    lines = [line.strip() for line in lee_path().read_text(encoding="utf-8").splitlines()]
    articles = lee_articles()
    assert len(lines) == 300
    assert len(articles) == len(set(lines)) == 293
    assert articles == list(dict.fromkeys(lines))


def test_a_new_collection_numbers_the_articles_from_zero() -> None:
    ws = Workspace()
    ws.options.model, ws.options.show_progress = FAKE_MODEL, False
    ws.embed("lee", lee_articles())
    records = ws.collection("lee").records()
    assert [(r.id, r.text) for r in records] == list(enumerate(lee_articles()))


@pytest.mark.parametrize(("path", "at_least"), [(QUESTIONS, 60), (RARE_WORDS, 80)])
def test_shipped_sets_parse_and_name_existing_articles(path: str, at_least: int) -> None:
    qrels = read_qrels(path)
    assert len(qrels) >= at_least
    n = len(lee_articles())
    for j in qrels.judgements:
        assert j.relevant and all(isinstance(r, int) and 0 <= r < n for r in j.relevant)
    assert len({j.query for j in qrels.judgements}) == len(qrels)  # no query twice


def test_questions_are_paraphrased_not_copied() -> None:
    """Every question has words its article does not use, and on average a third of a
    question's words are not in its article: dense search has something to do."""
    articles = lee_articles()
    shares = []
    for entry in read_jsonl(QUESTIONS):
        query = str(entry["query"])
        words = tokens(query)
        for rid in entry["relevant"]:  # type: ignore[attr-defined]
            in_article = set(tokens(articles[rid]))
            shared = sum(w in in_article for w in words)
            assert shared < len(words), query
            shares.append(shared / len(words))
    assert sum(shares) / len(shares) < 0.7


def test_rare_words_occur_in_exactly_their_article() -> None:
    articles = [set(tokens(a)) for a in lee_articles()]
    shipped = read_jsonl(RARE_WORDS)
    assert shipped == rare_word_qrels()  # the file is the builder's output
    for entry in shipped:
        word, (rid,) = entry["query"], entry["relevant"]  # type: ignore[misc]
        assert [i for i, words in enumerate(articles) if word in words] == [rid]


def test_sets_ship_inside_the_package() -> None:
    package = Path(importlib.util.find_spec("embmagic").origin).parent  # type: ignore[union-attr,arg-type]
    assert Path(QUESTIONS).parent == Path(RARE_WORDS).parent == package / "datasets"


def test_missing_gensim_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gensim" else real(name, *a))
    with pytest.raises(InvalidArgumentError, match=r"ships inside gensim.*pip install gensim"):
        lee_path()
