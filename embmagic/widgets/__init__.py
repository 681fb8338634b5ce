"""Interactive widgets: `Map`, `Explorer`, `RagPanel` (anywidget; contract in docs/widgets.md).

Imported lazily so `%load_ext embmagic` stays fast: `from embmagic.widgets import Map` loads
anywidget and the widget module only then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embmagic.widgets.explorer import Explorer
    from embmagic.widgets.map import Map
    from embmagic.widgets.rag_panel import RagPanel

__all__ = ["Explorer", "Map", "RagPanel"]

_MODULES = {
    "Map": "embmagic.widgets.map",
    "Explorer": "embmagic.widgets.explorer",
    "RagPanel": "embmagic.widgets.rag_panel",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'embmagic.widgets' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_MODULES[name]), name)
