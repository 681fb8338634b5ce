"""core.clusters: seeded spherical k-means, the auto-k rule, silhouette, c-TF-IDF labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embmagic.core import clusters as C
from embmagic.errors import InvalidArgumentError

SIZES = (30, 20, 10)
"""Three blobs of different sizes, so the size-ordered cluster numbers are known."""


def blobs(sizes: tuple[int, ...] = SIZES, dim: int = 32, spread: float = 0.3, seed: int = 0):
    """Unit vectors around len(sizes) random centres, rows grouped blob by blob."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((len(sizes), dim))
    rows = np.concatenate([c + spread * rng.standard_normal((n, dim))
                           for c, n in zip(centres, sizes, strict=True)])  # fmt: skip
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32), truth


def test_kmeans_recovers_the_blobs_numbered_by_size() -> None:
    vectors, truth = blobs()
    labels = C.kmeans(vectors, 3, seed=0)
    assert labels.dtype == np.int64 and labels.tolist() == truth.tolist()


@pytest.mark.parametrize("seed", range(8))
def test_kmeans_is_deterministic_for_a_seed(seed: int) -> None:
    vectors, truth = blobs(seed=seed)
    first = C.kmeans(vectors, 3, seed=seed)
    assert np.array_equal(first, C.kmeans(vectors.copy(), 3, seed=seed))
    assert first.tolist() == truth.tolist()  # the greedy k-means++ start finds the blobs


def test_the_result_does_not_depend_on_faiss_threads() -> None:
    import faiss

    vectors, _ = blobs((400, 300, 300), dim=64, spread=1.0)
    before = faiss.omp_get_max_threads()
    one = C.kmeans(vectors, 7, seed=3)
    faiss.omp_set_num_threads(max(2, before))
    try:
        assert np.array_equal(one, C.kmeans(vectors, 7, seed=3))
    finally:
        faiss.omp_set_num_threads(before)
    assert faiss.omp_get_max_threads() == before  # restored after clustering


def test_renumber_orders_by_size_then_first_row() -> None:
    assert C.renumber([7, 7, 2, 5, 5, 5, 9]).tolist() == [1, 1, 2, 0, 0, 0, 3]


def test_auto_picks_the_number_of_blobs() -> None:
    for sizes in (SIZES, (15, 15, 15, 15, 15)):
        vectors, truth = blobs(sizes)
        k, labels = C.choose_k(vectors, seed=0)
        assert k == len(sizes) and labels.tolist() == truth.tolist()
        assert C.cluster_vectors(vectors, "auto", seed=0).tolist() == truth.tolist()


def test_auto_tries_at_most_sqrt_of_half_the_rows() -> None:
    assert [C.auto_max(n) for n in (3, 10, 40, 75, 1800, 10**6)] == [2, 2, 4, 6, 30, 30]
    vectors, _ = blobs((5,) * 8, spread=0.1)  # 8 tight blobs of 5: 40 rows allow k <= 4
    k, labels = C.choose_k(vectors, seed=0)
    assert k <= 4 and labels.max() == k - 1
    assert C.choose_k(vectors, seed=0, top=10)[0] == 8  # without the cap: the 8 blobs


def test_auto_on_more_rows_than_its_sample_scores_a_sample_then_clusters_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vectors, truth = blobs((60, 50, 40))
    monkeypatch.setattr(C, "AUTO_SAMPLE", 45)
    labels = C.cluster_vectors(vectors, "auto", seed=1)
    assert labels.tolist() == truth.tolist()
    assert np.array_equal(labels, C.cluster_vectors(vectors, "auto", seed=1))


def test_silhouette_matches_scikit_learn_with_cosine_distance() -> None:
    from sklearn.metrics import silhouette_score

    vectors, labels = blobs((12, 9, 1, 7), spread=1.5)  # blob 2 is a singleton: scores 0
    expected = silhouette_score(vectors.astype(np.float64), labels, metric="cosine")
    assert C.silhouette(vectors, labels) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("k", "n", "message"),
    [
        (0, 10, "clusters must be at least 2, got 0"),
        (1, 10, "clusters must be at least 2, got 1"),
        (11, 10, "11 clusters need at least 11 records, but there are 10"),
        ("many", 10, "a whole number of at least 2 or 'auto', got 'many'"),
        (True, 10, "got True"),
        (2.5, 10, "got 2.5"),
        ("auto", 2, "--clusters auto needs at least 3 records, got 2"),
    ],
)
def test_bad_cluster_counts_are_refused(k: object, n: int, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        C.check_cluster_count(k, n)
    with pytest.raises(InvalidArgumentError, match=message):
        C.cluster_vectors(np.eye(n, 4, dtype=np.float32) + 0.1, k)


def test_words_are_lowercase_letters_without_stop_words_short_tokens_or_numbers() -> None:
    text = "The 3 Rockets in 2024 orbit Mars, and it's a GO for launch_pad x42 ok"
    assert C.words_of(text) == ["rockets", "orbit", "mars", "launch", "pad"]


TOPICS = {
    "space": ["The rocket reached orbit around the planet.",
              "A planet and its moon seen from the rocket.",
              "Astronauts trained for the rocket launch into orbit."],
    "cooking": ["Bake the bread in a hot oven.",
                "The bread dough rises before it goes in the oven.",
                "Slice the bread once the oven has cooled."],
    "music": ["The choir sang the song in harmony.",
              "A guitar song for the choir.",
              "The band played the song twice."],
}  # fmt: skip


def test_distinctive_words_name_each_topic() -> None:
    words = C.distinctive_words(list(TOPICS.values()), top=3)
    assert words == [["rocket", "orbit", "planet"], ["bread", "oven", "bake"],
                     ["song", "choir", "band"]]  # fmt: skip


def test_ctfidf_scores_by_the_formula() -> None:
    # cluster 0: a a b (3 words), cluster 1: b c (2 words); mean words A = 2.5
    # f(aaa)=2, f(bbb)=2, f(ccc)=1
    score = {
        (0, "aaa"): 2 / 3 * math.log(1 + 2.5 / 2), (0, "bbb"): 1 / 3 * math.log(1 + 2.5 / 2),
        (1, "bbb"): 1 / 2 * math.log(1 + 2.5 / 2), (1, "ccc"): 1 / 2 * math.log(1 + 2.5 / 1),
    }  # fmt: skip
    words = C.distinctive_words([["aaa aaa", "bbb"], ["bbb ccc"]], top=2)
    assert words == [["aaa", "bbb"], ["ccc", "bbb"]]
    assert score[(1, "ccc")] > score[(1, "bbb")] and score[(0, "aaa")] > score[(0, "bbb")]
    assert C.distinctive_words([["the and of", "42"], ["word"]]) == [[], ["word"]]
