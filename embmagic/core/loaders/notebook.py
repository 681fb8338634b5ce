"""Jupyter notebooks: one document per non-empty markdown or code cell (outputs left out).

Metadata: `cell` (0-based index in the notebook), `kind` (`markdown`, `code` or `raw`) and,
for code cells that ran, `execution_count`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from embmagic.core.loaders.base import Document, Unreadable, decode_text, file_metadata


class NotebookLoader:
    name = "notebook"
    suffixes = (".ipynb",)

    def sniff(self, head: bytes) -> bool:
        return False

    def load(self, path: Path, raw: bytes) -> list[Document]:
        try:
            cells = json.loads(decode_text(raw))["cells"]
        except (json.JSONDecodeError, KeyError, TypeError, RecursionError):
            cells = None
        if not isinstance(cells, list):
            raise Unreadable("not a valid notebook (JSON with a 'cells' list)")
        docs = []
        for index, cell in enumerate(cells):
            source = _cell_source(cell)
            if source.strip():
                kind = cell.get("cell_type") if isinstance(cell.get("cell_type"), str) else None
                meta = file_metadata(path, cell=index, kind=kind,
                                     execution_count=_execution_count(cell))  # fmt: skip
                docs.append(Document(str(path), source, meta))
        if not docs:
            raise Unreadable("notebook has no non-empty cells")
        return docs


def _cell_source(cell: Any) -> str:
    """A cell's source, which nbformat stores either as one string or a list of lines."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        return "".join(line for line in source if isinstance(line, str))
    return source if isinstance(source, str) else ""


def _execution_count(cell: dict[str, Any]) -> int | None:
    count = cell.get("execution_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


LOADER = NotebookLoader()
