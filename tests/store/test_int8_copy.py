"""The flat kind's 8-bit single-query path (store/int8_copy.py) returns exactly brute force's
top k: same ids in the same order (ties by lower id), through masks, deletes, outliers and loads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import texts, unit_vectors

from embmagic.store import Collection, ReferenceStore, int8_copy
from embmagic.store.int8_copy import Int8Copy
from embmagic.store.memory import estimate


def full_sort(query: np.ndarray, base: np.ndarray, ids: np.ndarray, k: int,
              mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    keep = np.ones(len(base), bool) if mask is None else mask
    scores = base[keep] @ query
    order = np.lexsort((ids[keep], -scores))[:k]
    return ids[keep][order].tolist(), scores[order]


def data(kind: str, n: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(rows, query). 'ties': few distinct small-integer rows (exactly equal scores everywhere);
    'near': unit rows, a third of them copies of others moved by ~1e-6 (scores a few ulps
    apart); 'band': rows far apart but their scores spread about as little as the 8-bit error,
    so the approximate order is nearly random and only the proof keeps the answer exact."""
    if kind == "ties":
        return (rng.integers(-3, 4, (n + 1, dim)).astype(np.float32) / 4)[:n], \
            rng.integers(-3, 4, dim).astype(np.float32) / 4
    if kind == "band":
        u = rng.standard_normal(dim).astype(np.float32)
        u /= np.linalg.norm(u)
        side = 0.1 * rng.standard_normal((n, dim))  # wide ranges: coarse 8-bit bins
        side -= np.outer(side @ u, u)
        along = rng.choice([3e-3, 1e-2, 3e-2]) * rng.standard_normal((n, 1))
        return (side + (0.6 + along) * u).astype(np.float32), u
    x = rng.standard_normal((n + 1, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    if n > 1:
        copies = rng.integers(0, n, n // 3)
        x[rng.integers(0, n, n // 3)] = x[copies] + rng.normal(0, 1e-6, (len(copies), dim))
    return x[:n], x[n]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 8_000), dim=st.integers(2, 24), k=st.integers(1, 30),
       kind=st.sampled_from(["ties", "near", "band"]), masked=st.booleans(),
       parts=st.integers(1, 3), seed=st.integers(0, 10**6))
def test_equals_brute_force_with_ties_near_ties_and_masks(
        n: int, dim: int, k: int, kind: str, masked: bool, parts: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base, query = data(kind, n, dim, rng)
    ids = rng.permutation(10 * n)[:n].astype(np.int64)
    mask = rng.random(n) < 0.4 if masked else None
    got = Int8Copy(dim, base).search(query, base, ids, k, mask, parts=parts)
    if got is not None:  # None: the bound could not prune, the caller scans everything
        want_ids, want_scores = full_sort(query, base, ids, k, mask)
        assert got[0].tolist() == want_ids
        np.testing.assert_allclose(got[1], want_scores, rtol=1e-5, atol=1e-6)


def test_the_slack_is_what_keeps_adversarial_data_exact() -> None:
    """On 'band' data the 8-bit order is wrong near the k-th score: without the |q| cap slack
    the answer would differ from brute force; with it, it is brute force's (or None)."""
    wrong_without_slack = 0
    for seed in (27, 109, 129, 238, 252):
        base, query = data("band", 6_000, 16, np.random.default_rng(seed))
        ids = np.arange(6_000, dtype=np.int64)
        want = full_sort(query, base, ids, 10)[0]
        copy = Int8Copy(16, base)
        got = copy.search(query, base, ids, 10, parts=1)
        assert got is None or got[0].tolist() == want
        copy.cap = 0.0
        unsafe = copy.search(query, base, ids, 10, parts=1)
        wrong_without_slack += unsafe is not None and unsafe[0].tolist() != want
    assert wrong_without_slack >= 3


def test_the_bound_prunes_on_ordinary_vectors() -> None:
    """The proof holds on the first scan for unit vectors: no fallback, brute force's answer."""
    base = unit_vectors(30_000, dim=48, seed=4)
    ids = np.arange(30_000, dtype=np.int64) * 7
    copy = Int8Copy(48, base)
    for parts in (1, 2):
        for query in unit_vectors(10, dim=48, seed=5):
            got = copy.search(query, base, ids, 10, parts=parts)
            assert got is not None
            assert got[0].tolist() == full_sort(query, base, ids, 10)[0]


def test_every_row_is_within_the_cap_of_its_8bit_reconstruction() -> None:
    """The premise of the proof: |x - x'| <= cap for every row inside the trained ranges."""
    base = unit_vectors(5_000, dim=64, seed=6)
    copy = Int8Copy(64, base[:4_000])
    copy.add(base[4_000:])  # later rows: inside the ranges or listed as outliers
    decoded = copy._sq.sa_decode(copy._sq.sa_encode(base))
    errors = np.linalg.norm(base - decoded, axis=1)
    inside = np.setdiff1d(np.arange(5_000), copy.outliers())
    assert errors[inside].max() <= copy.cap
    assert errors[:4_000].max() > copy.cap / 2  # and the cap is not loose by orders


def test_rows_outside_the_ranges_are_scored_exactly() -> None:
    base = unit_vectors(3_000, dim=16, seed=7)
    copy = Int8Copy(16, base)
    far = (base[:5] * 40).astype(np.float32)  # far outside every range: clipped when encoded
    copy.add(far)
    assert copy.outliers().tolist() == [3_000, 3_001, 3_002, 3_003, 3_004]
    both = np.vstack([base, far])
    ids = np.arange(3_005, dtype=np.int64)
    for query in unit_vectors(5, dim=16, seed=8):
        got = copy.search(query, both, ids, 10)
        assert got is not None
        assert got[0].tolist() == full_sort(query, both, ids, 10)[0]


def test_deleting_rows_keeps_the_copy_in_step() -> None:
    rng = np.random.default_rng(9)
    base = unit_vectors(4_000, dim=16, seed=9)
    copy = Int8Copy(16, base)
    copy.add((base[:3] * 30).astype(np.float32))  # outliers 4000..4002
    all_rows = np.vstack([base, base[:3] * 30])
    keep = rng.random(len(all_rows)) < 0.7
    keep[4_001] = False
    copy.keep_rows(keep)
    assert copy.ntotal == keep.sum()
    assert copy.outliers().tolist() == [keep[:4_000].sum(), keep[:4_000].sum() + 1]
    kept, ids = all_rows[keep], np.flatnonzero(keep).astype(np.int64)
    for query in unit_vectors(5, dim=16, seed=10):
        got = copy.search(query, kept, ids, 10)
        assert got is not None
        assert got[0].tolist() == full_sort(query, kept, ids, 10)[0]


def test_many_outliers_make_the_copy_stale() -> None:
    base = unit_vectors(1_000, dim=8, seed=11)
    copy = Int8Copy(8, base)
    assert not copy.stale
    copy.add((base[:20] * 3).astype(np.float32))
    assert copy.stale


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """int8 path from 500 vectors on; counts builds and searches that returned an answer."""
    monkeypatch.setattr(int8_copy, "MIN_ROWS", 500)
    counts = {"built": 0, "answered": 0}
    build, search = Int8Copy.__init__, Int8Copy.search

    def counting_build(self: Int8Copy, *args: Any) -> None:
        counts["built"] += 1
        build(self, *args)

    def counting_search(self: Int8Copy, *args: Any, **kw: Any) -> Any:
        found = search(self, *args, **kw)
        counts["answered"] += found is not None
        return found

    monkeypatch.setattr(Int8Copy, "__init__", counting_build)
    monkeypatch.setattr(Int8Copy, "search", counting_search)
    return counts


def same_single_queries(store: Collection, reference: ReferenceStore, where: Any = None) -> None:
    for query in unit_vectors(8, seed=12):
        got, want = store.search(query, 10, where=where)[0], reference.search(query, 10,
                                                                              where=where)[0]
        assert [h.id for h in got] == [h.id for h in want]
        np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-5)


def test_flat_collection_through_adds_deletes_upserts_filters_and_a_load(
        spied: dict[str, int], tmp_path: Any) -> None:
    store, reference = Collection("c", "fake-32", 32), ReferenceStore("c", "fake-32", 32)
    meta = [{"g": i % 3} for i in range(3_000)]
    for s in (store, reference):
        s.add(texts(400), unit_vectors(3_000)[:400], meta[:400])
    assert spied["built"] == 0  # below MIN_ROWS: plain float32 scan
    for s in (store, reference):
        s.add(texts(3_000)[400:], unit_vectors(3_000)[400:], meta[400:])
        s.delete(list(range(0, 3_000, 11)))
        s.add(["moved", "new"], unit_vectors(2, seed=13), ids=[5, 7_000])  # upsert + new id
    assert spied["built"] == 1  # built once, when the collection reached MIN_ROWS
    same_single_queries(store, reference)
    same_single_queries(store, reference, where={"g": 1})
    assert spied["answered"] == 16
    store.save(tmp_path / "c")
    loaded = Collection.read_saved(tmp_path / "c")
    same_single_queries(loaded, reference)
    assert spied["built"] == 2  # not saved: rebuilt from the vectors by the first query


def test_memory_estimate_counts_the_copy() -> None:
    assert estimate("flat", 384, 1_000, {}, 0).index_bytes == 1_000 * (4 * 384 + 16)
    assert estimate("flat", 384, 1_000_000, {}, 0).index_bytes == 1_000_000 * (5 * 384 + 16)
