"""Labelled retrieval sets that ship with embmagic, over the Lee news articles.

The Lee background corpus (300 Australian news articles from 2001, one per line) ships inside
gensim's wheel (`gensim/test/test_data/lee_background.cor`); gensim is a test dependency only,
so `lee_articles()` says how to get it when it is missing. Seven lines repeat an earlier one:
`lee_articles()` keeps the 293 distinct articles in order of first appearance, which is what a
new collection holds after `ws.embed("lee", lee_articles())` (duplicates are never stored
twice). Record ids are then 0..292, and the shipped qrels name relevant articles by those ids.

    from embmagic.datasets import lee_articles, QUESTIONS, RARE_WORDS
    ws.embed("lee", lee_articles())
    ws.evaluate_retrieval("lee", QUESTIONS)

- `QUESTIONS` (questions.jsonl): questions written for this project, in words other than the
  articles' own, each with the article(s) that answer it.
- `RARE_WORDS` (rare_words.jsonl): one word per article that occurs in no other article,
  built by `rare_word_qrels()` (the file is its output; a test checks they agree).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

from embmagic.errors import InvalidArgumentError

HERE = Path(__file__).resolve().parent
QUESTIONS = str(HERE / "questions.jsonl")
"""Path of the question set (JSONL: {"query": ..., "relevant": [article ids]})."""
RARE_WORDS = str(HERE / "rare_words.jsonl")
"""Path of the exact-token set: rare words, each in exactly one article."""
LEE_FILE = ("test", "test_data", "lee_background.cor")

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
"""Words as bm25s tokenises them by default (two or more word characters, lowercased)."""
MIN_RARE_LENGTH = 7
"""Rare words shorter than this are mostly typos and fragments; longer ones are names and terms."""


def lee_path() -> Path:
    """Where gensim's wheel keeps `lee_background.cor`; a one-line error if gensim is missing."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        msg = ("the Lee corpus ships inside gensim, which is not installed: "
               'pip install gensim (or pip install "embmagic[test]")')
        raise InvalidArgumentError(msg)
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*LEE_FILE)
    if not path.is_file():
        raise InvalidArgumentError(f"gensim is installed but {path} is missing: reinstall gensim")
    return path


@cache
def _articles() -> tuple[str, ...]:
    lines = lee_path().read_text(encoding="utf-8").splitlines()
    distinct = dict.fromkeys(line.strip() for line in lines if line.strip())
    return tuple(distinct)


def lee_articles() -> list[str]:
    """The 293 distinct Lee articles, in file order; article i becomes record id i when they
    are embedded, in this order, into a new collection."""
    return list(_articles())


def tokens(text: str) -> list[str]:
    """Lowercased words of two or more characters (bm25s's default tokenisation)."""
    return _TOKEN.findall(text.lower())


def rare_word_qrels(articles: list[str] | None = None) -> list[dict[str, object]]:
    """One query per article that has a word found in no other article: that word, with the
    article's id as the only relevant record.

    Candidates are alphabetic words of at least `MIN_RARE_LENGTH` letters; the one chosen per
    article is the one with the smallest SHA-256 (deterministic, and not biased towards any
    letter or length)."""
    docs = lee_articles() if articles is None else articles
    words = [set(tokens(doc)) for doc in docs]
    frequency = Counter(w for ws in words for w in ws)
    qrels: list[dict[str, object]] = []
    for i, ws in enumerate(words):
        rare = [w for w in ws if frequency[w] == 1 and w.isalpha() and len(w) >= MIN_RARE_LENGTH]
        if rare:
            word = min(rare, key=lambda w: hashlib.sha256(w.encode()).hexdigest())
            qrels.append({"query": word, "relevant": [i]})
    return qrels


def read_jsonl(path: str) -> list[dict[str, object]]:
    """The entries of a shipped JSONL file (for tests and notebooks; `%emb eval` parses qrels
    with line-numbered errors in core.qrels)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write_rare_words(path: str = RARE_WORDS) -> int:
    """Regenerate rare_words.jsonl from the corpus; the number of queries written.
    (`python -c "from embmagic.datasets import write_rare_words as w; print(w())"`)"""
    qrels = rare_word_qrels()
    text = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in qrels)
    Path(path).write_text(text, encoding="utf-8")
    return len(qrels)
