from __future__ import annotations

import hashlib

import numpy as np

from embmagic.engine import fake_vector, load_engine


def _unit(token: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
    vec = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vec / np.linalg.norm(vec)


def test_fake_vector_is_normalised_sum_of_word_vectors() -> None:
    expected = _unit("cat", 8) + _unit("sat", 8) + _unit("cat", 8)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(fake_vector("Cat sat, CAT!", 8), expected, rtol=1e-6, atol=1e-6)


def test_text_without_words_hashes_the_raw_text() -> None:
    np.testing.assert_allclose(fake_vector("", 8), _unit("\x00raw:", 8), atol=1e-7)
    assert not np.allclose(fake_vector("?!", 8), fake_vector("...", 8))


def test_engine_rows_are_the_fake_vectors_and_shared_words_score_high() -> None:
    engine = load_engine("fake", progress=False)
    texts = ["a cat sat on the mat", "the cat sat on a rug", "quarterly tax revenue"]
    vecs = engine.embed(texts)
    assert engine.model_id == "fake-64" and engine.dim == 64 and vecs.shape == (3, 64)
    assert engine.backend_name == "fake" and engine.device == "cpu"
    np.testing.assert_allclose(vecs[0], fake_vector(texts[0], 64), atol=1e-6)
    assert vecs[0] @ vecs[1] > 0.5 > abs(vecs[0] @ vecs[2])


def test_fake_dim_and_determinism_across_engines() -> None:
    a = load_engine("fake-7", progress=False).embed(["hello world"])
    b = load_engine("FAKE-7", progress=False).embed(["hello world"])
    assert a.shape == (1, 7)
    np.testing.assert_array_equal(a, b)
