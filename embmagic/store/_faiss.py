"""FAISS, typed as Any: the stubs it ships omit the Python-side wrappers we rely on (keyword
SearchParameters constructors, array arguments, downcast sub-indexes), so they only mislead."""

from __future__ import annotations

from typing import Any

import faiss as _faiss

faiss: Any = _faiss


def write_index(index: Any, path: str) -> None:
    """`faiss.write_index`, its C++ `RuntimeError` (a full disk: "write error") turned into an
    OSError naming the file, like every other failed write."""
    try:
        faiss.write_index(index, path)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "write failed"
        msg = f"could not write {path}: {reason.rsplit('Error: ', 1)[-1]}"
        raise OSError(msg) from exc
