"""Typed aliases of IPython's magic decorators, so strict mypy keeps checking the magics.

IPython's `magic_arguments` helpers are untyped and `line_magic` is typed in a way that hides
the method's signature; these casts keep the decorated function's own type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from IPython.core import magic as _magic
from IPython.core import magic_arguments as _ma

_F = TypeVar("_F", bound=Callable[..., Any])


def magic_arguments() -> Callable[[_F], _F]:
    """`IPython.core.magic_arguments.magic_arguments`: builds the parser, extends the doc."""
    return cast("Callable[[_F], _F]", _ma.magic_arguments())  # type: ignore[no-untyped-call]


def argument(*args: Any, **kwargs: Any) -> Callable[[_F], _F]:
    """`IPython.core.magic_arguments.argument`: one argparse argument of the magic."""
    return cast("Callable[[_F], _F]", _ma.argument(*args, **kwargs))  # type: ignore[no-untyped-call]


def line_magic(func: _F) -> _F:
    """`IPython.core.magic.line_magic` for a method."""
    return cast("_F", _magic.line_magic(func))


def line_cell_magic(func: _F) -> _F:
    """`IPython.core.magic.line_cell_magic` for a method."""
    return cast("_F", _magic.line_cell_magic(func))


def no_var_expand(func: _F) -> _F:
    """`IPython.core.magic.no_var_expand`: we expand `{var}` ourselves (core.text rules)."""
    return _magic.no_var_expand(func)
