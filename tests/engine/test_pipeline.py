from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from embmagic.engine.corpus import stdlib_sentences, unique_sentences
from embmagic.engine.pipeline import Prefetcher


def _prepare(group: list[Sequence[str]]) -> list[str]:
    return ["|".join(batch) for batch in group]


def test_prefetcher_keeps_order_across_groups() -> None:
    batches = [[f"{i}a", f"{i}b"] for i in range(7)]
    out = list(Prefetcher(batches, _prepare, group=3, depth=2))
    assert out == [f"{i}a|{i}b" for i in range(7)]


def test_prefetcher_reraises_producer_errors() -> None:
    def bad(group: list[Sequence[str]]) -> list[str]:
        raise RuntimeError("tokenizer exploded")

    with pytest.raises(RuntimeError, match="tokenizer exploded"):
        list(Prefetcher([["x"]], bad))


def test_prefetcher_close_stops_the_thread_early() -> None:
    pulled: list[int] = []

    def endless() -> object:
        i = 0
        while True:
            pulled.append(i)
            yield [str(i)]
            i += 1

    before = threading.active_count()
    prefetch = Prefetcher(endless(), _prepare, group=2, depth=2)  # type: ignore[arg-type]
    first = next(iter(prefetch))
    prefetch.close()
    assert first == "0" and threading.active_count() == before
    assert len(pulled) < 50  # bounded queue: the producer did not run ahead without limit


def test_corpus_is_deterministic_distinct_real_sentences() -> None:
    a = stdlib_sentences(200)
    assert a == stdlib_sentences(200) and len(set(a)) == 200
    assert all(20 <= len(s) <= 300 and s[0].isalpha() for s in a)
    many = unique_sentences(20_000)
    assert len(many) == 20_000 and len(set(many)) == 20_000
