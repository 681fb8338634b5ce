"""Ingestion into one collection: the single place that dedupes, creates and rolls back.

Every way texts enter a collection (`%%embed`, `%embed --from/--files/--cells`, Ray jobs, the
Python API) goes through an `Ingest`:

- `unseen(texts, metadata)` keeps the texts the collection does not hold yet (by content hash,
  the collection's own identity), first occurrence only, so nothing is encoded twice;
- `add(texts, vectors, metadata, model_id)` stores a batch, creating the collection on its first
  non-empty add (a collection never exists half-made);
- `rollback()` removes what this ingest added, so a failure or Ctrl-C leaves the collection as
  it was (a new collection is simply never handed out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from embmagic.errors import ModelMismatchError
from embmagic.types import Metadata, Vectors

if TYPE_CHECKING:
    import numpy as np

    from embmagic.store import BaseCollection


@dataclass
class Unseen:
    """What `Ingest.unseen` found: texts to encode (with their metadata) and ids already held."""

    texts: list[str] = field(default_factory=list)
    metadata: list[Metadata] = field(default_factory=list)
    present: list[int] = field(default_factory=list)


class Ingest:
    """Adds batches to the collection `name`: `existing`, or a new one made on the first add."""

    def __init__(self, name: str, existing: BaseCollection | None = None) -> None:
        if existing is not None:
            existing.check_writable()  # before anything is encoded
        self.name = name
        self.collection: BaseCollection | None = existing
        self.created = False
        self.added: list[int] = []
        self.existing: list[int] = []

    def check_model(self, model_id: str, dim: int) -> None:
        """ModelMismatchError unless the collection (if any) holds `model_id` vectors: checked
        before encoding, so a wrong model costs nothing."""
        c = self.collection
        if c is not None and c.model_id != model_id:
            msg = (f"collection {c.name!r} holds {c.model_id} vectors ({c.dim}-d); {model_id} "
                   f"gives {dim}-d vectors: embed into another collection")
            raise ModelMismatchError(msg)

    def unseen(self, texts: Sequence[str], metadata: Sequence[Metadata]) -> Unseen:
        """The texts not yet stored (first occurrence only) and the ids of those already in."""
        found: list[int | None] = (
            self.collection.ids_for_texts(texts) if self.collection is not None
            else [None] * len(texts)
        )  # fmt: skip
        out, seen = Unseen(), set[str]()
        for text, meta, known in zip(texts, metadata, found, strict=True):
            if known is not None:
                out.present.append(known)
            elif text not in seen:
                seen.add(text)
                out.texts.append(text)
                out.metadata.append(meta)
        self.existing += out.present
        return out

    def held_ids(self, texts: Sequence[str]) -> list[int]:
        """Ids of stored records with these texts (texts a remote job skipped as held)."""
        if self.collection is None or not texts:
            return []
        found = [i for i in self.collection.ids_for_texts(texts) if i is not None]
        self.existing += found
        return found

    def content_digests(self) -> np.ndarray | None:
        """The collection's sorted SHA-256 digests (for a remote dedupe), None when empty."""
        if self.collection is None or not len(self.collection):
            return None
        return self.collection.content_digests()

    def add(self, texts: list[str], vectors: Vectors, metadata: list[Metadata],
            model_id: str, *, fresh_ids: bool = False) -> None:
        """Store one encoded batch, creating the collection on the first non-empty one.
        `fresh_ids`: every text gets a new id from `next_id`, even one already stored (a synced
        file owns its records); otherwise stored texts are skipped as existing."""
        if not texts:
            return
        if self.collection is None:
            from embmagic.store import Collection

            self.collection = Collection(self.name, model_id, int(vectors.shape[1]))
            self.created = True
        else:
            self.check_model(model_id, int(vectors.shape[1]))
        ids = (range(self.collection.next_id, self.collection.next_id + len(texts))
               if fresh_ids else None)  # fmt: skip
        result = self.collection.add(texts, vectors, metadata,
                                     ids=None if ids is None else list(ids), model_id=model_id)
        self.added += result.added
        self.existing += result.existing

    def rollback(self) -> None:
        """Undo every add of this ingest (a new collection is dropped whole)."""
        if self.created:
            self.collection, self.created = None, False
        elif self.collection is not None and self.added:
            self.collection.delete(self.added)
        self.added = []
