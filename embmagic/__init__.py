"""embmagic: embeddings as first-class citizens in Jupyter, marimo and plain Python.

`%load_ext embmagic` registers the magics; `embmagic.Workspace` is the same thing from Python.
Loading must stay fast and must not import torch, sentence-transformers or FAISS: everything
heavy is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from embmagic.app import Workspace, default_workspace

__version__ = "0.1.0"
__all__ = [
    "Workspace",
    "__version__",
    "default_workspace",
    "load_ipython_extension",
    "unload_ipython_extension",
]

# One EmbMagics per shell, kept on the shell itself so no state lives in this module.
_SHELL_ATTR = "_embmagic_magics"


def __getattr__(name: str) -> Any:
    if name in ("Workspace", "default_workspace"):
        import embmagic.app

        return getattr(embmagic.app, name)
    raise AttributeError(f"module 'embmagic' has no attribute {name!r}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register the embmagic magics and completers on `ipython` (called by `%load_ext`)."""
    from embmagic.magics import load

    if getattr(ipython, _SHELL_ATTR, None) is not None:
        return
    setattr(ipython, _SHELL_ATTR, load(ipython))


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove the magics registered by `load_ipython_extension`; the session is discarded."""
    from embmagic.magics import unload

    magics: Any = getattr(ipython, _SHELL_ATTR, None)
    if magics is None:
        return
    unload(ipython, magics)
    setattr(ipython, _SHELL_ATTR, None)
