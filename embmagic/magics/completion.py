"""Tab completion: collection names after `-c`/`--collection`/`--space`, `%emb` subcommands.

Registered through IPython's `complete_command` hook, keyed by the magic's name. The hook cannot
be removed again, so after `%unload_ext` the completers step aside (TryNext).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.error import TryNext

from embmagic.magics.manage import SUBCOMMANDS

if TYPE_CHECKING:
    from embmagic.magics.embmagics import EmbMagics

COLLECTION_FLAGS = frozenset({"-c", "--collection", "--space"})
_COLLECTION_SUBCOMMANDS = frozenset({"info", "drop", "save"})
_MAGICS = ("%neighbors", "%analogy", "%rag", "%%rag", "%embed", "%%embed", "%emb")


def completions(magics: EmbMagics, line: str, symbol: str) -> list[str]:
    """What to offer for `symbol`, the word being typed at the end of `line`."""
    before = line[: len(line) - len(symbol)].split()
    names = sorted(magics.session.collections)
    if before and before[-1] in COLLECTION_FLAGS:
        return names
    command = before[0].lstrip("%") if before else ""
    if command != "emb":
        return []
    if len(before) == 1:
        return list(SUBCOMMANDS)
    if len(before) == 2 and before[1] in _COLLECTION_SUBCOMMANDS:
        return names
    return []


def register_completers(shell: Any, magics: EmbMagics) -> None:
    """Hook `completions` into IPython for every embmagic magic."""

    def complete(_shell: Any, event: Any) -> list[str]:
        if magics.unloaded:
            raise TryNext
        found = completions(magics, event.line, event.symbol)
        if not found:
            raise TryNext
        return found

    for name in _MAGICS:
        shell.set_hook("complete_command", complete, str_key=name)
