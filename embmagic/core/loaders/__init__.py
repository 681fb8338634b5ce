"""File loaders for `%embed --files`: one module per file type behind one registry.

PDF (`pdf`, per page), HTML (`html`, main text), Markdown (`markdown`, per section), Jupyter
notebooks (`notebook`, per cell) and plain text or code (`text`, also the fallback). Heavy
libraries (pypdf, trafilatura, markdown-it-py) are imported only when a file of theirs is read.
"""

from __future__ import annotations

from embmagic.core.loaders.base import Document, Loader, Unreadable
from embmagic.core.loaders.registry import (
    load_file,
    loader_for,
    register_loader,
    registered_loaders,
)

__all__ = [
    "Document",
    "Loader",
    "Unreadable",
    "load_file",
    "loader_for",
    "register_loader",
    "registered_loaders",
]
