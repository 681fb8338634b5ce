"""FAISS, typed as Any: the stubs it ships omit the Python-side wrappers we rely on (keyword
SearchParameters constructors, array arguments, downcast sub-indexes), so they only mislead."""

from __future__ import annotations

from typing import Any

import faiss as _faiss

faiss: Any = _faiss
