"""Lexical (BM25) search, every store kind: equal to the brute-force reference (ReferenceStore's
plain-loop BM25) after adds, upserts, deletes, filters, save/load; saved without pickle."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_helpers import Store, StoreFactory, make, unit_vectors

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store import Collection, ReferenceStore, open_collection
from embmagic.store.ondisk import DiskCollection
from embmagic.store.persist import LEXICAL, MANIFEST, sha256_file

WORDS = ["alpha", "beta", "gamma", "delta", "kappa", "sigma", "omega", "river", "stone", "cloud",
         "quartz", "ember", "lantern", "harbor", "falcon", "meadow", "copper", "violet",
         "XK-1234", "id_77", "café"]
QUERIES = ["alpha", "river stone", "quartz quartz ember", "XK-1234", "id_77", "café omega",
           "the and of", "nothing-matches-here", "Alpha BETA gamma delta"]


def corpus(n: int, seed: int) -> list[str]:
    """n distinct texts of 1-12 words drawn from WORDS (plus stop words, which BM25 drops)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        out.append(" ".join(words + ["the", f"n{i}"][: rng.randint(0, 2)]) + f" #{i}")
    return out


def same_ranking(got: list[Any], want: list[Any]) -> None:
    """Same ids in the same order and scores within 1e-5 (bm25s scores in float32, the
    reference in float64: records whose scores differ by less may swap)."""
    assert [round(h.score, 4) for h in got] == pytest.approx([round(h.score, 4) for h in want],
                                                             abs=2e-4)
    key = [(-round(h.score, 4), h.id) for h in got]
    ref = [(-round(h.score, 4), h.id) for h in want]
    assert sorted(key) == sorted(ref)
    assert [(h.text, h.metadata) for h in sorted(got, key=lambda h: h.id)] == \
        [(h.text, h.metadata) for h in sorted(want, key=lambda h: h.id)]


def check_all(store: Store, ref: ReferenceStore) -> None:
    for q in QUERIES:
        for k in (1, 5, 500):
            same_ranking(store.search_lexical(q, k), ref.search_lexical(q, k))
        where = {"parity": "even"}
        same_ranking(store.search_lexical(q, 7, where=where),
                     ref.search_lexical(q, 7, where=where))


def fill(stores: list[Store], n: int = 80, seed: int = 0) -> None:
    texts = corpus(n, seed)
    meta = [{"parity": "even" if i % 2 == 0 else "odd"} for i in range(n)]
    for s in stores:
        s.add(texts, unit_vectors(n, seed=seed), meta)


def test_lexical_equals_the_reference_through_changes(store_factory: StoreFactory) -> None:
    store, ref = store_factory(), make("reference")
    assert isinstance(ref, ReferenceStore)
    fill([store, ref])
    check_all(store, ref)
    for s in (store, ref):
        s.delete([0, 3, 11, 40])
        s.add(["river stone quartz upserted", "kappa replaced"], unit_vectors(2, seed=5),
              [{"parity": "even"}, {"parity": "odd"}], ids=[5, 12])
        s.add(corpus(30, seed=9), unit_vectors(30, seed=9))
    check_all(store, ref)


def test_deleted_records_are_never_returned(store_factory: StoreFactory) -> None:
    store = store_factory()
    store.add(["zyxwv unique words", "common words"], unit_vectors(2))
    assert [h.id for h in store.search_lexical("zyxwv", 5)] == [0]
    store.delete([0])
    assert store.search_lexical("zyxwv", 5) == []
    assert [h.id for h in store.search_lexical("words", 5)] == [1]
    store.add(["zyxwv again"], unit_vectors(1, seed=4))
    assert [h.id for h in store.search_lexical("zyxwv", 5)] == [2]  # ids are never reused


def test_upsert_replaces_the_words_of_a_record(store_factory: StoreFactory) -> None:
    store = store_factory()
    store.add(["old wording here", "other text"], unit_vectors(2))
    store.search_lexical("old", 1)  # builds the index
    store.add(["brand new phrasing"], unit_vectors(1, seed=3), ids=[0])
    assert store.search_lexical("old wording", 5) == []
    hits = store.search_lexical("phrasing", 5)
    assert [(h.id, h.text) for h in hits] == [(0, "brand new phrasing")]


def test_save_and_load_keep_the_lexical_index(spec: str, tmp_path: Path) -> None:
    ref = make("reference")
    fill([ref])
    store = make(spec)
    fill([store])
    for s in (store, ref):
        s.delete([2, 9])
        s.add(["quartz lantern late"], unit_vectors(1, seed=8), ids=[4])
    store.save(tmp_path / "c")
    loaded = type(store).load(tmp_path / "c")
    check_all(loaded, ref)
    fill([loaded, ref], n=10, seed=3)  # after loading, adds still update it
    check_all(loaded, ref)


def test_empty_query_and_bad_k_are_one_line_errors(filled: Store) -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        filled.search_lexical("   ", 5)
    with pytest.raises(InvalidArgumentError):
        filled.search_lexical("doc", 0)


def test_empty_collection_and_no_match_give_no_hits(store_factory: StoreFactory) -> None:
    store = store_factory()
    assert store.search_lexical("anything", 5) == []
    store.add(["some words"], unit_vectors(1))
    assert store.search_lexical("absent", 5) == []
    assert store.search_lexical("words", 5, where={"missing": 1}) == []


# -- the saved file ----------------------------------------------------------------------------

def saved(tmp_path: Path, n: int = 50) -> tuple[Path, Collection, ReferenceStore]:
    store, ref = Collection("test", "fake-32", 32), ReferenceStore("test", "fake-32", 32)
    fill([store, ref], n=n)
    store.save(tmp_path / "c")
    return tmp_path / "c", store, ref


def test_lexical_file_is_plain_arrays_without_pickle(tmp_path: Path) -> None:
    path, _, _ = saved(tmp_path)
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["files"][LEXICAL]["sha256"] == sha256_file(path / LEXICAL)
    with np.load(path / LEXICAL, allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)
        assert data["ids"].tolist() == list(range(50))


def test_the_saved_tokens_are_used_without_tokenising(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path, _, ref = saved(tmp_path)
    loaded = Collection.load(path)

    def no_tokenising(texts: Any) -> Any:
        raise AssertionError("the saved tokens should have been used")

    monkeypatch.setattr(loaded, "texts_for", no_tokenising)
    check_all(loaded, ref)


def test_a_save_without_lexical_file_still_loads(tmp_path: Path) -> None:
    """Saves of earlier versions have no lexical.npz: the index is rebuilt on first use."""
    path, _, ref = saved(tmp_path)
    manifest = json.loads((path / MANIFEST).read_text())
    del manifest["files"][LEXICAL]
    (path / MANIFEST).write_text(json.dumps(manifest))
    (path / LEXICAL).unlink()
    loaded = Collection.load(path)
    check_all(loaded, ref)


def test_a_modified_lexical_file_is_refused(tmp_path: Path) -> None:
    path, _, _ = saved(tmp_path)
    (path / LEXICAL).write_bytes((path / LEXICAL).read_bytes()[:-5] + b"xxxxx")
    with pytest.raises(StoreFormatError, match=r"lexical\.npz does not match"):
        Collection.load(path)


@pytest.mark.parametrize("problem", ["pickle", "other ids", "bad token"])
def test_a_foreign_lexical_file_is_refused_in_one_line(tmp_path: Path, problem: str) -> None:
    path, _, _ = saved(tmp_path, n=5)
    with np.load(path / LEXICAL, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    if problem == "pickle":
        arrays["tokens"] = np.array([{"a": 1}], dtype=object)
    elif problem == "other ids":
        arrays["ids"] = arrays["ids"] + 1
    else:
        arrays["tokens"] = arrays["tokens"] + 10_000
    with open(path / LEXICAL, "wb") as fh:
        np.savez(fh, **arrays)
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["files"][LEXICAL]["sha256"] = sha256_file(path / LEXICAL)
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreFormatError, match="not a readable lexical index") as err:
        Collection.load(path)
    assert "\n" not in str(err.value)


def test_on_disk_copies_keep_the_lexical_index(tmp_path: Path) -> None:
    store, ref = Collection("test", "fake-32", 32), ReferenceStore("test", "fake-32", 32)
    fill([store, ref], n=300)
    for s in (store, ref):
        s.delete([7, 8])
    store.to_disk(tmp_path / "d", nlist=4)
    assert (tmp_path / "d" / LEXICAL).is_file()
    disk = open_collection(tmp_path / "d")
    assert isinstance(disk, DiskCollection)
    assert disk._lexical is not None and len(disk._lexical.tokens) == 298
    check_all(disk, ref)


def test_the_numpy_build_equals_bm25s_own_index() -> None:
    """bm25_index builds with NumPy the matrix bm25s's `BM25.index` builds with a Python loop."""
    import bm25s

    from embmagic.store.lexical import bm25_index

    texts = [*corpus(500, seed=4), "", "the of and"]  # empty documents count in the average
    tok = bm25s.tokenize(texts, return_ids=True, show_progress=False, stopwords="english")
    theirs = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    theirs.index(tok, create_empty_token=False, show_progress=False)
    docs = [np.asarray(d, np.int32) for d in tok.ids]
    ours = bm25_index(np.concatenate(docs), np.array([len(d) for d in docs]), len(tok.vocab))
    for key in ("indices", "indptr"):
        np.testing.assert_array_equal(ours.scores[key], theirs.scores[key])
    np.testing.assert_allclose(ours.scores["data"], theirs.scores["data"], rtol=1e-6)
    query = [tok.vocab["quartz"], tok.vocab["river"], tok.vocab["river"]]
    np.testing.assert_allclose(ours.get_scores_from_ids(query),
                               theirs.get_scores_from_ids(query), rtol=1e-6)


def test_a_failed_change_leaves_lexical_results_as_before(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """An upsert undone half-way (Collection._change) leaves BM25 as it was."""
    store, ref = Collection("test", "fake-32", 32), ReferenceStore("test", "fake-32", 32)
    fill([store, ref])
    check_all(store, ref)  # the lexical index is built

    def broken(*args: Any) -> None:
        raise MemoryError

    monkeypatch.setattr(store._index, "add", broken)
    with pytest.raises(MemoryError):
        store.add(["quartz quartz quartz"], unit_vectors(1, seed=2), ids=[3])
    assert store.get(3).text == ref.get(3).text
    check_all(store, ref)
