"""embmagic: embeddings as first-class citizens in Jupyter.

`%load_ext embmagic` registers the magics. Loading must stay fast and must not import torch,
sentence-transformers or FAISS: everything heavy is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__version__ = "0.1.0"
__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]

# One EmbMagics per shell, kept on the shell itself so no state lives in this module.
_SHELL_ATTR = "_embmagic_magics"


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register the embmagic magics and completers on `ipython` (called by `%load_ext`)."""
    from embmagic.magics import EmbMagics
    from embmagic.magics.completion import register_completers

    if getattr(ipython, _SHELL_ATTR, None) is not None:
        return
    magics = EmbMagics(shell=ipython)
    ipython.register_magics(magics)
    register_completers(ipython, magics)
    setattr(ipython, _SHELL_ATTR, magics)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove the magics registered by `load_ipython_extension`; the session is discarded."""
    magics: Any = getattr(ipython, _SHELL_ATTR, None)
    if magics is None:
        return
    manager = ipython.magics_manager
    for kind, names in magics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop(type(magics).__name__, None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)
    magics.unloaded = True
    setattr(ipython, _SHELL_ATTR, None)
