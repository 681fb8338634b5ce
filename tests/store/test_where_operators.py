"""`where` operators on every store kind (memory kinds, LanceDB, on disk, the reference) agree
with plain Python predicates written here, independently of filters.py."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import pytest
from store_helpers import Store, make, texts, unit_vectors

from embmagic.errors import InvalidArgumentError
from embmagic.store import Collection, ReferenceStore, open_collection
from embmagic.store.filters import Condition, parse_where

N = 48


def metadata(i: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"n": i, "score": i / 4, "lang": ("en", "fr", "de")[i % 3],
                            "path": f"notes/{i}.{'md' if i % 4 == 0 else 'txt'}",
                            "when": f"2024-{1 + i % 12:02d}-15", "flag": i % 5 == 0}
    if i % 7 == 0:
        del meta["lang"]  # missing keys never match, != included
    return meta


Predicate = Callable[[dict[str, Any]], bool]

CASES: list[tuple[list[str], Predicate]] = [
    (["n=7"], lambda m: m["n"] == 7),
    (["n==7"], lambda m: m["n"] == 7),
    (["lang!=en"], lambda m: "lang" in m and m["lang"] != "en"),
    (["n<10"], lambda m: m["n"] < 10),
    (["n<=10"], lambda m: m["n"] <= 10),
    (["n>40"], lambda m: m["n"] > 40),
    (["n>=40"], lambda m: m["n"] >= 40),
    (["score>2.5", "score<5"], lambda m: 2.5 < m["score"] < 5),
    (["n>=10", "n<20", "lang=fr"], lambda m: 10 <= m["n"] < 20 and m.get("lang") == "fr"),
    (["lang in (en, de)"], lambda m: m.get("lang") in ("en", "de")),
    (["n in (1, 2, 3, 99)"], lambda m: m["n"] in (1, 2, 3)),
    (["lang in ('fr')"], lambda m: m.get("lang") == "fr"),
    (["path~*.md"], lambda m: fnmatchcase(m["path"], "*.md")),
    (["path~notes/1?.txt"], lambda m: fnmatchcase(m["path"], "notes/1?.txt")),
    (["when>=2024-06-01"], lambda m: m["when"] >= "2024-06-01"),
    (["when<2024-03"], lambda m: m["when"] < "2024-03"),
    (["flag=True"], lambda m: m["flag"] is True),
    (["flag!=True"], lambda m: m["flag"] is False),
    (["lang<m"], lambda m: "lang" in m and m["lang"] < "m"),
    (["n<abc"], lambda m: False),  # a number never orders against text
    (["lang>1"], lambda m: "lang" in m),  # text against text: every lang sorts after "1"
    (["flag<2"], lambda m: False),  # booleans are not ordered
    (["missing!=1"], lambda m: False),
]


def on_disk() -> Store:
    """A read-only on-disk ivfpq copy of a flat collection with the same records."""
    source = Collection("test", "fake-32", 32)
    source.add(texts(N), unit_vectors(N), [metadata(i) for i in range(N)])
    path = tempfile.mkdtemp() + "/disk"
    source.to_disk(path)
    return open_collection(path)


@pytest.fixture
def records(spec: str) -> Store:
    store = make(spec)
    store.add(texts(N), unit_vectors(N), [metadata(i) for i in range(N)])
    return store


def found(store: Store, where: Any) -> set[int]:
    return {h.id for h in store.search(unit_vectors(1, seed=5), N, where=where)[0]}


@pytest.mark.parametrize(("exprs", "predicate"), CASES, ids=[" & ".join(c[0]) for c in CASES])
def test_every_kind_agrees_with_python(records: Store, exprs: list[str],
                                       predicate: Predicate) -> None:
    want = {i for i in range(N) if predicate(metadata(i))}
    assert found(records, exprs) == want
    if not isinstance(records, ReferenceStore):  # the store hook, checked input
        assert {int(i) for i in records.matching_ids(parse_where(exprs))} == want


def test_the_on_disk_collection_agrees_too() -> None:
    store = on_disk()
    for exprs, predicate in CASES:
        want = {i for i in range(N) if predicate(metadata(i))}
        got = {int(i) for i in store.matching_ids(parse_where(exprs))}
        assert got == want, exprs


def test_expressions_parse_to_values_and_conditions() -> None:
    assert parse_where(["lang=en", "n>=2", "n<5"]) == {
        "lang": "en", "n": Condition(((">=", "2"), ("<", "5")))}
    assert parse_where("path~*.md") == {"path": Condition((("~", "*.md"),))}
    assert parse_where(["title=a=b"]) == {"title": "a=b"}  # the first operator splits
    assert parse_where(["x in ( a , 'b c' )"]) == {"x": Condition((("in", ("a", "b c")),))}


@pytest.mark.parametrize("bad", ["year", "=2024", "year<", "year>=", "path~", "x in ()",
                                 "year=>2024", "a b=c", "year<>3"])
def test_malformed_expressions_are_one_line_errors(bad: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        parse_where([bad])
    assert "\n" not in str(info.value) and repr(bad) in str(info.value)


def test_a_condition_checks_its_operators() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown where operator"):
        Condition((("<>", 1),))
    with pytest.raises(InvalidArgumentError, match="list of values"):
        Condition((("in", "abc"),))
