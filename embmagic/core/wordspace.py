"""WordSpace: a vocabulary with normalised vectors, the space analogies are computed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from embmagic.errors import InvalidArgumentError, UnknownWordError
from embmagic.types import Vectors

if TYPE_CHECKING:
    from embmagic.store import BaseCollection


class WordVectorsLike(Protocol):
    """What a WordSpace needs from `embmagic.engine.WordVectors`."""

    @property
    def words(self) -> list[str]: ...

    @property
    def vectors(self) -> Vectors: ...


@dataclass(frozen=True, eq=False)
class WordSpace:
    """Words and their L2-normalised vectors, row i belonging to `words[i]`.

    Lookup is exact first, then case-insensitive (the first, i.e. most frequent, case variant
    wins), so "King" finds "king" in lower-cased GloVe.
    """

    name: str
    words: list[str]
    vectors: Vectors
    _exact: dict[str, int] = field(init=False, repr=False)
    _folded: dict[str, int] = field(init=False, repr=False)
    _more_variants: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            msg = f"{len(self.words)} words but vectors of shape {self.vectors.shape}"
            raise InvalidArgumentError(msg)
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        more: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            exact.setdefault(word, i)
            key = word.lower()
            if folded.setdefault(key, i) != i:
                more.setdefault(key, []).append(i)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_folded", folded)
        object.__setattr__(self, "_more_variants", more)

    @classmethod
    def from_arrays(cls, name: str, words: Sequence[str], vectors: np.ndarray) -> WordSpace:
        """A space from words and (not necessarily normalised) vectors; zero rows stay zero."""
        mat = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        normed = np.ascontiguousarray(mat / np.where(norms == 0, 1, norms), dtype=np.float32)
        return cls(name, list(words), normed)

    @classmethod
    def from_word_vectors(cls, wv: WordVectorsLike, name: str = "glove-50") -> WordSpace:
        """A space over static word vectors such as `embmagic.engine.load_word_vectors()`.

        Their rows are already unit length (the engine's contract), so they are shared, not copied.
        """
        return cls(name, wv.words, wv.vectors)

    @classmethod
    def from_collection(cls, collection: BaseCollection) -> WordSpace:
        """A space whose "words" are a collection's record texts (for `--space COLL`)."""
        records = collection.records()
        if not records:
            msg = f"collection {collection.name!r} is empty: add documents with %%embed first"
            raise InvalidArgumentError(msg)
        vectors = collection.vectors_for([r.id for r in records])
        return cls.from_arrays(collection.name, [r.text.strip() for r in records], vectors)

    def __len__(self) -> int:
        return len(self.words)

    def index_of(self, word: str) -> int | None:
        """Row of `word` (exact, else case-insensitive), or None."""
        found = self._exact.get(word)
        return found if found is not None else self._folded.get(word.lower())

    def case_variants(self, word: str) -> list[int]:
        """Rows of every casing of `word` ("Paris", "paris", "PARIS"), most frequent first."""
        key = word.lower()
        first = self._folded.get(key)
        return [] if first is None else [first, *self._more_variants.get(key, [])]

    def indices(self, words: Sequence[str]) -> list[int]:
        """Rows of all `words`; UnknownWordError naming every missing one."""
        found = [self.index_of(w) for w in words]
        missing = [w for w, i in zip(words, found, strict=True) if i is None]
        if missing:
            raise UnknownWordError(list(dict.fromkeys(missing)), vocabulary=self.name)
        return [i for i in found if i is not None]


def load_word_space(name: str = "glove-50") -> WordSpace:
    """The bundled static word vectors as a WordSpace (the default analogy space)."""
    from embmagic.engine import load_word_vectors

    return WordSpace.from_word_vectors(load_word_vectors(name), name=name)
