from __future__ import annotations

import numpy as np
import pytest

from embmagic.engine import load_engine, load_word_vectors
from embmagic.errors import UnknownWordError

pytestmark = pytest.mark.model


def test_word_vectors_are_frequency_ordered_normalised_and_cached() -> None:
    wv = load_word_vectors("glove-50")
    assert wv is load_word_vectors("glove-50")
    assert len(wv.words) == 400_000 and wv.words[:3] == ["the", ",", "."]
    assert wv.vectors.shape == (400_000, 50) and wv.vectors.dtype == np.float32
    assert wv.vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(wv.vectors[:1000], axis=1), 1.0, atol=1e-5)
    assert wv.index_of("the") == 0 and wv.index_of("King") == wv.index_of("king")
    assert wv.index_of("qwxzvbnmkj") is None and "queen" in wv


def test_glove_engine_embeds_words_case_insensitively() -> None:
    wv = load_word_vectors()
    engine = load_engine("glove-50", progress=False)
    assert (engine.model_id, engine.dim, engine.backend_name) == ("glove-50", 50, "glove")
    vecs = engine.embed(["King", "queen", "banana"])
    king, queen = wv.index_of("king"), wv.index_of("queen")
    assert king is not None and queen is not None
    np.testing.assert_allclose(vecs[0], wv.vectors[king], atol=1e-6)
    np.testing.assert_allclose(vecs[1], wv.vectors[queen], atol=1e-6)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_unknown_words_are_all_named_and_nothing_is_encoded() -> None:
    engine = load_engine("glove-50", progress=False)
    with pytest.raises(UnknownWordError) as info:
        engine.embed(["king", "qwxzvbnmkj", "two words", "zzzyyyxxx"])
    assert info.value.words == ["qwxzvbnmkj", "two words", "zzzyyyxxx"]
    assert "qwxzvbnmkj" in str(info.value) and engine.encoded_count == 0
