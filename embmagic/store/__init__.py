"""Named collections of records over FAISS, and the NumPy reference store they are tested against.

    Collection(name, model_id, dim, kind="flat" | "hnsw" | "ivfpq", **index_params)
"""

from __future__ import annotations

from embmagic.store.collection import AddResult, Collection
from embmagic.store.kinds import KINDS
from embmagic.store.reference import ReferenceStore

__all__ = ["KINDS", "AddResult", "Collection", "ReferenceStore"]
