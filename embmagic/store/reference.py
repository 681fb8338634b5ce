"""`ReferenceStore`: the truth every index kind is tested against.

Brute force in plain NumPy: one dense matrix, a full `Q @ X.T`, and a stable sort by (score desc,
id asc). It implements the whole `Collection` contract independently of FAISS and of
collection.py (only input checks and filters are shared), so one contract suite can run on both.
Its save format is deliberately simple (NumPy .npy + JSON, no pickle, not atomic).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.errors import (
    InvalidArgumentError,
    ModelMismatchError,
    RecordNotFoundError,
    StoreFormatError,
)
from embmagic.store.batches import AddResult
from embmagic.store.filters import check_where, matches
from embmagic.store.lexical import K1, B, tokenize
from embmagic.store.topk import IdArray
from embmagic.store.validate import (
    as_id_array,
    check_ids,
    check_k,
    check_metadata,
    check_queries,
    check_texts,
    check_vectors,
)
from embmagic.types import Hit, Metadata, Record, Vectors


class ReferenceStore:
    """Same public API as Collection; `kind` is "reference"."""

    kind = "reference"

    def __init__(self, name: str, model_id: str, dim: int) -> None:
        self.name, self.model_id, self.dim = name, model_id, dim
        self._rows: dict[int, tuple[str, Metadata, Vectors]] = {}  # insertion-ordered
        self._next_free = 0

    @property
    def index_status(self) -> str:
        return f"reference (NumPy brute force, {len(self):,} vectors)"

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, texts: Sequence[str], vectors: Any, metadata: Any = None, ids: Any = None, *,
            model_id: str | None = None) -> AddResult:
        """Validate everything, then insert / skip identical texts / replace given ids."""
        if model_id is not None and model_id != self.model_id:
            msg = f"collection holds {self.model_id!r} vectors, not {model_id!r}"
            raise ModelMismatchError(msg)
        texts = check_texts(texts)
        vecs = check_vectors(vectors, len(texts), self.dim)
        metas = check_metadata(metadata, len(texts))
        given = check_ids(ids, len(texts))
        result = AddResult()
        for row, text in enumerate(texts):
            item = (text, metas[row], vecs[row].copy())
            if given is None:
                self._add_by_text(item, result)
            else:
                self._upsert(given[row], item, result)
        return result

    def _add_by_text(self, item: tuple[str, Metadata, Vectors], result: AddResult) -> None:
        found = self.id_for_text(item[0])
        if found is not None:
            result.existing.append(found)
            return
        result.added.append(self._next_free)
        self._rows[self._next_free] = item
        self._next_free += 1

    def _upsert(self, id_: int, item: tuple[str, Metadata, Vectors], result: AddResult) -> None:
        old = self._rows.get(id_)
        if old is None:
            result.added.append(id_)
        elif old[:2] == item[:2] and np.array_equal(old[2], item[2]):
            result.existing.append(id_)
            return
        else:
            result.updated.append(id_)
        self._rows[id_] = item
        self._next_free = max(self._next_free, id_ + 1)

    def id_for_text(self, text: str) -> int | None:
        """The first record (insertion order) with this text."""
        return next((i for i, row in self._rows.items() if row[0] == text), None)

    def ids_for_texts(self, texts: Sequence[str]) -> list[int | None]:
        return [self.id_for_text(t) for t in texts]

    def get(self, id: int) -> Record:
        if id not in self._rows:
            raise RecordNotFoundError(f"no record with id {id!r}")
        text, meta, _ = self._rows[id]
        return Record(int(id), text, json.loads(json.dumps(meta)))

    def vectors_for(self, ids: Any) -> Vectors:
        wanted = as_id_array(ids).tolist()
        if any(i not in self._rows for i in wanted):
            raise RecordNotFoundError("no record with one of those ids")
        return np.array([self._rows[i][2] for i in wanted], dtype=np.float32).reshape(-1, self.dim)

    def delete(self, ids: Any) -> int:
        doomed = set(as_id_array(ids).tolist()) & set(self._rows)
        for i in doomed:
            del self._rows[i]
        return len(doomed)

    def records(self) -> list[Record]:
        return [self.get(i) for i in self._rows]

    def ids(self) -> IdArray:
        return np.array(list(self._rows), dtype=np.int64)

    def search(self, vectors: Any, k: int, where: Any = None) -> list[list[Hit]]:
        """Full matmul, then a stable sort: score descending, id ascending."""
        k = check_k(k)
        wanted = check_where(where)
        queries = check_queries(vectors, self.dim)
        keep = [i for i, row in self._rows.items() if wanted is None or matches(row[1], wanted)]
        ids = np.array(keep, dtype=np.int64)
        scores = queries @ self.vectors_for(ids).T
        out = []
        for row in scores:
            order = np.lexsort((ids, -row))[:k]
            out.append([self._hit(int(ids[p]), float(row[p])) for p in order])
        return out

    def search_lexical(self, query: str, k: int, where: Any = None) -> list[Hit]:
        """BM25 by its formula in a plain loop (bm25s's "lucene" variant, the same tokeniser
        and parameters as lexical.py), sorted by (score desc, id asc); only scores > 0."""
        k = check_k(k)
        wanted = check_where(where)
        if not isinstance(query, str) or not query.strip():
            raise InvalidArgumentError("the lexical query is empty: type some words to search for")
        docs = dict(zip(self._rows, tokenize([row[0] for row in self._rows.values()]),
                        strict=True))
        if not docs:
            return []
        avgdl = sum(len(d) for d in docs.values()) / len(docs)
        scored = []
        for i, doc in docs.items():
            if wanted is not None and not matches(self._rows[i][1], wanted):
                continue
            score = 0.0
            for word in tokenize([query])[0]:
                tf = doc.count(word)
                if tf:
                    df = sum(word in d for d in docs.values())
                    idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                    score += idf * tf / (tf + K1 * (1 - B + B * len(doc) / avgdl))
            if score > 0:
                scored.append((-score, i))
        return [self._hit(i, -neg) for neg, i in sorted(scored)[:k]]

    def _hit(self, id_: int, score: float) -> Hit:
        rec = self.get(id_)
        return Hit(id_, score, rec.text, rec.metadata)

    def save(self, path: str | os.PathLike[str]) -> None:
        target = Path(path)
        target.mkdir(parents=True, exist_ok=True)
        np.save(target / "vectors.npy", self.vectors_for(self.ids()), allow_pickle=False)
        state = {"format": "embmagic.reference", "name": self.name, "model_id": self.model_id,
                 "dim": self.dim, "next_id": self._next_free, "ids": list(self._rows),
                 "texts": [r[0] for r in self._rows.values()],
                 "metadata": [r[1] for r in self._rows.values()]}
        (target / "reference.json").write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> ReferenceStore:
        target = Path(path)
        try:
            state = json.loads((target / "reference.json").read_text(encoding="utf-8"))
            vectors = np.load(target / "vectors.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise StoreFormatError(f"no reference store at {target}") from exc
        store = cls(name or state["name"], state["model_id"], state["dim"])
        for i, text, meta, vec in zip(state["ids"], state["texts"], state["metadata"], vectors,
                                      strict=True):
            store._rows[int(i)] = (text, meta, vec)
        store._next_free = int(state["next_id"])
        return store
