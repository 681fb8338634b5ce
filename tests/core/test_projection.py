"""2-D projections: deterministic, in [-1, 1], PCA equal to scikit-learn's up to sign."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from embmagic.core.projection import fit_projection
from embmagic.errors import InvalidArgumentError, ModelNotFoundError


def _clusters(n: int = 600, dim: int = 32, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, dim)) * 4
    data = centres[rng.integers(0, 3, n)] + rng.standard_normal((n, dim))
    return (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)


def test_same_data_same_picture_and_unit_frame() -> None:
    data = _clusters()
    _, first = fit_projection(data)
    _, again = fit_projection(data.copy())
    assert first.dtype == np.float32 and first.shape == (600, 2)
    assert np.array_equal(first, again)
    assert np.abs(first).max() == pytest.approx(1.0, abs=1e-6)
    assert first.min() >= -1 - 1e-6


def test_pca_matches_scikit_learn_up_to_sign_and_scale() -> None:
    from sklearn.decomposition import PCA

    data = _clusters()
    _, ours = fit_projection(data)
    theirs = PCA(n_components=2, svd_solver="full").fit_transform(data)
    for axis in range(2):
        corr = np.corrcoef(ours[:, axis], theirs[:, axis])[0, 1]
        assert abs(corr) > 0.9999


def test_transform_places_a_known_vector_where_it_was_drawn() -> None:
    data = _clusters()
    projection, coords = fit_projection(data)
    assert np.allclose(projection.transform(data[17]), coords[17], atol=1e-5)
    assert np.allclose(projection.transform(data[:50]), coords[:50], atol=1e-5)


def test_fitting_on_a_sample_is_seeded() -> None:
    data = _clusters(2000)
    _, a = fit_projection(data, sample=300, seed=5)
    _, b = fit_projection(data, sample=300, seed=5)
    _, c = fit_projection(data, sample=300, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    _, full = fit_projection(data)
    assert abs(np.corrcoef(a[:, 0], full[:, 0])[0, 1]) > 0.99  # the sample finds the same axes


def test_one_vector_and_identical_vectors_do_not_divide_by_zero() -> None:
    _, one = fit_projection(np.ones((1, 8), np.float32))
    _, same = fit_projection(np.ones((5, 8), np.float32))
    assert np.all(np.isfinite(one)) and np.all(np.isfinite(same))


@pytest.mark.parametrize(
    ("data", "method", "message"),
    [
        (np.zeros((0, 4), np.float32), "pca", "at least one vector"),
        (np.ones((4, 4), np.float32), "tsne", "unknown projection 'tsne'"),
    ],
)
def test_bad_input_says_what_to_do(data: np.ndarray, method: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        fit_projection(data, method)


def test_umap_without_umap_learn_names_the_extra() -> None:
    if importlib.util.find_spec("umap") is not None:
        _, coords = fit_projection(_clusters(100), "umap")
        assert coords.shape == (100, 2)
        return
    with pytest.raises(ModelNotFoundError, match=r"embmagic\[umap\]"):
        fit_projection(_clusters(100), "umap")
