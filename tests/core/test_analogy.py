"""parse_analogy, analogy (3CosAdd / 3CosMul) and WordSpace lookup."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from embmagic.core.analogy import WordSpace, analogy, load_word_space, parse_analogy
from embmagic.errors import AnalogyExpressionError, InvalidArgumentError, UnknownWordError
from embmagic.store import Collection

MakeCollection = Callable[..., Collection]


@pytest.mark.parametrize(
    ("expr", "terms"),
    [
        ("king - man + woman", [(1, "king"), (-1, "man"), (1, "woman")]),
        ("king -man +woman", [(1, "king"), (-1, "man"), (1, "woman")]),
        ("paris-france+italy", [(1, "paris-france"), (1, "italy")]),
        ("- a + b - c + d", [(-1, "a"), (1, "b"), (-1, "c"), (1, "d")]),
        ("x-ray + bones", [(1, "x-ray"), (1, "bones")]),
        ("cat", [(1, "cat")]),
        ("man:king::woman:?", [(1, "king"), (-1, "man"), (1, "woman")]),
        (" man : king :: woman : ? ", [(1, "king"), (-1, "man"), (1, "woman")]),
    ],
)
def test_parse_analogy(expr: str, terms: list[tuple[int, str]]) -> None:
    assert parse_analogy(expr) == terms


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        ("", "empty"),
        ("king - - man", "two operators"),
        ("king man", "missing '\\+' or '-' between 'king' and 'man'"),
        ("king - man +", "ends with an operator"),
        ("+ king", "cannot start with"),
        ("- king - queen", "at least one positive"),
        ("man:king::woman", "proportion"),
        ("a:b:c:d", "proportion"),
    ],
)
def test_malformed_expressions_explain_themselves(expr: str, why: str) -> None:
    with pytest.raises(AnalogyExpressionError, match=why) as info:
        parse_analogy(expr)
    assert "\n" not in str(info.value)


def _toy_space() -> WordSpace:
    # A 2-D "gender x royalty" world: king - man + woman lands exactly on queen.
    words = ["man", "woman", "king", "queen", "Queen", "apple"]
    vecs = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 1], [0, 1, 1.01], [0, 0, -1]])
    return WordSpace.from_arrays("toy", words, vecs)


def test_toy_add_and_mul_find_queen_excluding_inputs_and_case_variants() -> None:
    space = _toy_space()
    terms = parse_analogy("king - man + woman")
    for method in ("add", "mul"):
        result = analogy(space, terms, k=2, method=method)
        assert result[0][0] == "queen"
        assert "king" not in dict(result) and "Queen" in dict(result)
    assert analogy(space, terms, k=1)[0][1] > 0.9


def test_include_inputs_keeps_them() -> None:
    space = _toy_space()
    words = [w for w, _ in analogy(space, [(1, "king")], k=6, include_inputs=True)]
    assert words[0] == "king" and len(words) == 6


def test_unknown_words_are_all_named_case_insensitive_lookup_works() -> None:
    space = _toy_space()
    assert space.index_of("KING") == 2 and space.index_of("Queen") == 4
    with pytest.raises(UnknownWordError) as info:
        analogy(space, parse_analogy("king - zebra + yak"))
    assert info.value.words == ["zebra", "yak"]
    assert "toy" in str(info.value)


def test_bad_k_and_method() -> None:
    space = _toy_space()
    with pytest.raises(InvalidArgumentError):
        analogy(space, [(1, "king")], k=0)
    with pytest.raises(InvalidArgumentError, match="'add' or 'mul'"):
        analogy(space, [(1, "king")], method="div")  # type: ignore[arg-type]


def test_space_from_collection(make_collection: MakeCollection) -> None:
    coll = make_collection(["red apple", "green apple", "blue sky"], name="things")
    space = WordSpace.from_collection(coll)
    assert space.name == "things" and space.words == ["red apple", "green apple", "blue sky"]
    assert np.allclose(np.linalg.norm(space.vectors, axis=1), 1.0)
    best = analogy(space, [(1, "red apple")], k=1)
    assert best[0][0] == "green apple"  # shares "apple"


def test_space_from_empty_collection_is_an_error(make_collection: MakeCollection) -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        WordSpace.from_collection(make_collection([], name="void"))


@pytest.fixture(scope="module")
def glove() -> WordSpace:
    return load_word_space("glove-50")


@pytest.mark.model
def test_glove_king_man_woman_is_queen(glove: WordSpace) -> None:
    result = analogy(glove, parse_analogy("King - man + woman"), k=3)
    assert result[0][0] == "queen"
    assert result[0][1] == pytest.approx(0.852, abs=1e-3)
    assert analogy(glove, parse_analogy("man:king::woman:?"), method="mul")[0][0] == "queen"


@pytest.mark.model
@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
def test_glove_mul_matches_gensim_ranking(glove: WordSpace) -> None:
    from gensim import models as gensim_models

    kv = gensim_models.KeyedVectors(vector_size=50)
    kv.add_vectors(glove.words[:50_000], glove.vectors[:50_000])
    space = WordSpace("glove-50k", glove.words[:50_000], glove.vectors[:50_000])
    for pos, neg in [(["king", "woman"], ["man"]), (["paris", "italy"], ["france"])]:
        ours = analogy(space, [(1, w) for w in pos] + [(-1, w) for w in neg], k=5, method="mul")
        theirs = kv.most_similar_cosmul(positive=pos, negative=neg, topn=5)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        ours_add = analogy(space, [(1, w) for w in pos] + [(-1, w) for w in neg], k=5)
        theirs_add = kv.most_similar(positive=pos, negative=neg, topn=5)
        assert [w for w, _ in ours_add] == [w for w, _ in theirs_add]
        assert [s for _, s in ours_add] == pytest.approx([s for _, s in theirs_add], abs=1e-5)
