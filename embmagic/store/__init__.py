"""Named collections of records over FAISS, and the NumPy reference store they are tested against.

    Collection(name, model_id, dim, kind="flat" | "hnsw" | "ivfpq", **index_params)  # in memory
    open_collection(path)             # any save: Collection, DiskCollection or LanceCollection
    BaseCollection                    # the contract all three implement (base.py)

The storage formats are registered here, one line each, in the order `open_collection` tries
them (the in-memory format last: it reads whatever the others do not recognise).
"""

from __future__ import annotations

from embmagic.store.base import BaseCollection, open_collection, register_format
from embmagic.store.batches import AddResult
from embmagic.store.collection import MEMORY_FORMAT, Collection
from embmagic.store.kinds import KINDS, register_kind
from embmagic.store.lance import LANCE_FORMAT
from embmagic.store.ondisk import DISK_FORMAT
from embmagic.store.reference import ReferenceStore

register_format(LANCE_FORMAT)
register_format(DISK_FORMAT)
register_format(MEMORY_FORMAT)

__all__ = ["KINDS", "AddResult", "BaseCollection", "Collection", "ReferenceStore",
           "open_collection", "register_format", "register_kind"]
