"""Word analogies: parse `king - man + woman` / `man:king::woman:?`, rank by 3CosAdd or 3CosMul."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from embmagic.core.analogy_eval import AnalogyEval, SectionResult, evaluate_analogies
from embmagic.core.wordspace import WordSpace, load_word_space
from embmagic.errors import AnalogyExpressionError, InvalidArgumentError

__all__ = [
    "AnalogyEval",
    "Method",
    "SectionResult",
    "Term",
    "WordSpace",
    "analogy",
    "evaluate_analogies",
    "load_word_space",
    "parse_analogy",
]

Term = tuple[int, str]
"""(+1 or -1, word)."""
Method = Literal["add", "mul"]
MUL_EPSILON = 1e-3
"""Levy & Goldberg's epsilon for 3CosMul (gensim's most_similar_cosmul uses 1e-6)."""

_PROPORTION = re.compile(r"^\s*([^\s:]+)\s*:\s*([^\s:]+)\s*::\s*([^\s:]+)\s*:\s*\?\s*$")


def parse_analogy(expr: str) -> list[Term]:
    """Parse `a - b + c ...` (any number of terms) or `b:a::c:?` (meaning `a - b + c`).

    `+` is always an operator; `-` is an operator unless it joins two word characters with no
    space ("x-ray" is one word, "king-man" too: write "king - man"). The first term is
    positive unless it has a leading `-`; at least one term must be positive.
    """
    if "::" in expr or ":" in expr.replace("::", ""):
        return _parse_proportion(expr)
    tokens = _tokenize(expr)
    if not tokens:
        msg = "empty analogy: write e.g. 'king - man + woman' or 'man:king::woman:?'"
        raise AnalogyExpressionError(msg)
    terms = _terms_from_tokens(tokens)
    if not any(sign > 0 for sign, _ in terms):
        msg = "an analogy needs at least one positive term, e.g. 'king - man + woman'"
        raise AnalogyExpressionError(msg)
    return terms


def _tokenize(expr: str) -> list[str]:
    """Words and `+`/`-` operators; a `-` inside a word ("x-ray") stays part of it."""
    tokens: list[str] = []
    for chunk in expr.split():
        for piece in re.split(r"(\+)", chunk):
            word = piece.lstrip("-")
            tokens.extend("-" * (len(piece) - len(word)))
            core = word.rstrip("-")
            if core:
                tokens.append(core)
            tokens.extend("-" * (len(word) - len(core)))
    return tokens


def _parse_proportion(expr: str) -> list[Term]:
    """`b:a::c:?` -> [(+1, a), (-1, b), (+1, c)]."""
    match = _PROPORTION.match(expr)
    if not match:
        msg = f"cannot parse {expr.strip()!r}: write a proportion as 'man:king::woman:?'"
        raise AnalogyExpressionError(msg)
    b, a, c = match.groups()
    return [(1, a), (-1, b), (1, c)]


def _terms_from_tokens(tokens: list[str]) -> list[Term]:
    """Alternate optional signs and words into terms; errors say what is out of place."""
    terms: list[Term] = []
    sign: int | None = None
    for token in tokens:
        if token in "+-":
            if sign is not None:
                msg = f"two operators in a row near {token!r}: put one word between them"
                raise AnalogyExpressionError(msg)
            if not terms and token == "+":
                msg = "an analogy cannot start with '+': start with a word, e.g. 'king - man'"
                raise AnalogyExpressionError(msg)
            sign = 1 if token == "+" else -1
        elif terms and sign is None:
            msg = f"missing '+' or '-' between {terms[-1][1]!r} and {token!r}"
            raise AnalogyExpressionError(msg)
        else:
            terms.append((sign or 1, token))
            sign = None
    if sign is not None:
        msg = "the analogy ends with an operator: add the word it applies to"
        raise AnalogyExpressionError(msg)
    return terms


def analogy(
    space: WordSpace,
    terms: Sequence[Term],
    k: int = 5,
    method: Method = "add",
    include_inputs: bool = False,
) -> list[tuple[str, float]]:
    """The `k` words that best complete `terms`, best first, with their scores.

    `add` (3CosAdd): cosine to the normalised sum of signed unit vectors, as gensim's
    most_similar. `mul` (3CosMul, Levy & Goldberg 2014): product of positive cosines over
    product of negative cosines, each shifted to [0, 1], epsilon 1e-3. Input words (and their
    other case variants) are excluded unless `include_inputs`.
    """
    if k <= 0:
        raise InvalidArgumentError(f"k must be positive, got {k}")
    if not terms:
        raise InvalidArgumentError("an analogy needs at least one word")
    rows = space.indices([word for _, word in terms])
    signs = [sign for sign, _ in terms]
    scores = _scores(space, rows, signs, method)
    excluded = set() if include_inputs else _case_variants(space, rows)
    best = _top_k(scores, k + len(excluded))
    ranked = [(space.words[i], float(scores[i])) for i in best if i not in excluded]
    return ranked[:k]


def _scores(
    space: WordSpace, rows: list[int], signs: list[int], method: str
) -> npt.NDArray[np.float32]:
    """One score per word of the space for the signed input rows."""
    inputs = space.vectors[rows]
    if method == "add":
        combined = np.asarray(signs, dtype=np.float32) @ inputs
        norm = float(np.linalg.norm(combined))
        if norm == 0.0:
            raise InvalidArgumentError("the terms cancel out: their sum is the zero vector")
        scores: npt.NDArray[np.float32] = space.vectors @ (combined / norm)
        return scores
    if method == "mul":
        shifted = (1.0 + space.vectors @ inputs.T) / 2.0
        pos = np.prod(shifted[:, [i for i, s in enumerate(signs) if s > 0]], axis=1)
        neg = np.prod(shifted[:, [i for i, s in enumerate(signs) if s < 0]], axis=1)
        ratio: npt.NDArray[np.float32] = (pos / (neg + MUL_EPSILON)).astype(np.float32)
        return ratio
    msg = f"unknown analogy method {method!r}: use 'add' or 'mul'"
    raise InvalidArgumentError(msg)


def _case_variants(space: WordSpace, rows: list[int]) -> set[int]:
    """Rows of the input words and of every other casing of them."""
    return {v for r in rows for v in space.case_variants(space.words[r])}


def _top_k(scores: npt.NDArray[np.float32], k: int) -> list[int]:
    """Indices of the `k` largest scores, largest first."""
    k = min(k, scores.shape[0])
    part = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]
