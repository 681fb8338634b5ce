"""The IPython magics of embmagic; `EmbMagics` is registered by `%load_ext embmagic`."""

from __future__ import annotations

from typing import Any

from embmagic.magics.embmagics import EmbMagics

__all__ = ["EmbMagics", "load", "unload"]


def load(shell: Any) -> EmbMagics:
    """Register the magics and completers on `shell`; its workspace becomes the default one."""
    from embmagic.app.workspace import use_workspace
    from embmagic.magics.completion import register_completers
    from embmagic.magics.questions import keep_questions

    magics = EmbMagics(shell=shell)
    shell.register_magics(magics)
    register_completers(shell, magics)
    if keep_questions not in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.append(keep_questions)
    use_workspace(magics.session)
    return magics


def unload(shell: Any, magics: EmbMagics) -> None:
    """Remove what `load` registered; the workspace is discarded (and no longer the default)."""
    from embmagic.app.workspace import forget_workspace
    from embmagic.magics.questions import keep_questions

    if keep_questions in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(keep_questions)
    manager = shell.magics_manager
    for kind, names in magics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop(type(magics).__name__, None)
    if magics in shell.configurables:
        shell.configurables.remove(magics)
    magics.unloaded = True
    forget_workspace(magics.session)
