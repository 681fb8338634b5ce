"""Where a widget finds its collections and options: the embmagic session of this kernel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embmagic.errors import EmbmagicError
from embmagic.magics.options import Options
from embmagic.session import Session

if TYPE_CHECKING:
    from embmagic.engine import Engine
    from embmagic.store import Collection

STATIC = Path(__file__).resolve().parent.parent / "static"


@dataclass
class Context:
    """A session and a way to read the current `%config EmbMagics` options."""

    session: Session
    options: Callable[[], Options] = field(default=Options)

    def engine_for(self, collection: Collection) -> Engine:
        """The engine that built `collection` (what the magics query it with)."""
        from embmagic.magics.query import collection_engine

        return collection_engine(self.session, self.options(), collection)


def resolve_context(session: Session | None, options: Options | None) -> Context:
    """The given session, else the one `%load_ext embmagic` created in this kernel."""
    if session is not None:
        return Context(session, (lambda: options) if options is not None else Options)
    from IPython import get_ipython

    magics: Any = getattr(get_ipython(), "_embmagic_magics", None)
    if magics is None:
        msg = "no embmagic session here: run %load_ext embmagic first (or pass session=...)"
        raise EmbmagicError(msg)
    return Context(magics.session, magics.options)


def bundle(name: str) -> Path:
    """A built front-end file, or an error saying how to build it."""
    path = STATIC / name
    if not path.is_file():
        msg = (
            f"the widget front end {name} is not built: run `cd js && npm ci && npm run build` "
            "in the embmagic checkout, or reinstall embmagic"
        )
        raise EmbmagicError(msg)
    return path
