"""Metadata filters (`where=`): every key must be present and pass its test.

A filter is a dict of key -> wanted value (equality), or key -> `Condition` (operators), or the
expressions the magics take, as one string or a list (`--where year>=2020 --where "lang in (en,
fr)"`), parsed here so that the Python API and the magics share one syntax:

    KEY=V (or ==)   KEY!=V   KEY<V   KEY<=V   KEY>V   KEY>=V   KEY~GLOB   KEY in (A, B, ...)

Magics pass every value as a string, so equality also holds when `str(stored) == str(wanted)`.
Order comparisons are numeric when the stored value is a number (not a bool) and the wanted one
reads as a number, and text comparisons when both are text (ISO dates compare correctly); any
other pair does not match. `~` is a shell-style glob (`fnmatch`, case-sensitive; `*` also
crosses `/`) on text values only. A record without the key never matches, `!=` included. The
same `matches` function decides for every store kind (memory, on disk, LanceDB, the reference).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "~", "in")

_SYNTAX = "KEY=V, KEY!=V, KEY<V (<=, >, >=), KEY~GLOB or 'KEY in (A, B)'"
_IN = re.compile(r"^\s*(?P<key>[^\s=!<>~()]+)\s+in\s*\((?P<items>.*)\)\s*$", re.DOTALL)
_BINARY = re.compile(r"^\s*(?P<key>[^\s=!<>~()]+)\s*(?P<op>==|!=|<=|>=|=|<|>|~)(?P<value>.*)$",
                     re.DOTALL)


@dataclass(frozen=True)
class Condition:
    """Tests on one key's value, all of which must pass: `(("<", 2024), (">=", 2020))`."""

    tests: tuple[tuple[str, Any], ...]

    def __post_init__(self) -> None:
        for op, value in self.tests:
            if op not in OPERATORS:
                msg = f"unknown where operator {op!r}: use one of {', '.join(OPERATORS)}"
                raise InvalidArgumentError(msg)
            if op == "in" and (isinstance(value, str) or not isinstance(value, Sequence)):
                raise InvalidArgumentError("a where 'in' test takes a list of values")
            if op == "~" and not isinstance(value, str):
                raise InvalidArgumentError("a where '~' test takes a glob pattern (text)")

    def passes(self, value: Any) -> bool:
        return all(_passes(op, value, wanted) for op, wanted in self.tests)


def parse_where(expressions: str | Iterable[str]) -> dict[str, Any]:
    """`["year>=2020", "year<2024", "path~*.md"]` -> `{"year": Condition(...), ...}`; plain
    `KEY=V` stays a value (equality). InvalidArgumentError (one line) for a malformed one."""
    items = [expressions] if isinstance(expressions, str) else list(expressions)
    tests: dict[str, list[tuple[str, Any]]] = {}
    for expr in items:
        if not isinstance(expr, str):
            msg = f"--where takes text expressions, got {type(expr).__name__}"
            raise InvalidArgumentError(msg)
        key, op, value = _parse_one(expr)
        tests.setdefault(key, []).append((op, value))
    return {key: (found[0][1] if [op for op, _ in found] == ["="] else Condition(tuple(found)))
            for key, found in tests.items()}


def _parse_one(expr: str) -> tuple[str, str, Any]:
    match = _IN.match(expr)
    if match:
        values = [_unquote(v) for v in match.group("items").split(",")]
        if not any(values) and len(values) == 1:
            msg = f"--where {expr!r}: 'in ()' needs at least one value"
            raise InvalidArgumentError(msg)
        return match.group("key"), "in", tuple(values)
    match = _BINARY.match(expr)
    if match is None:
        msg = f"--where {expr!r}: expected {_SYNTAX}"
        raise InvalidArgumentError(msg)
    key, op, value = match.group("key"), match.group("op"), match.group("value")
    op = "=" if op == "==" else op
    value = _unquote(value) if op != "=" else value
    if op in ("<", "<=", ">", ">=", "~") and not value:
        msg = f"--where {expr!r}: {op} needs a value after it"
        raise InvalidArgumentError(msg)
    if value[:1] in ("=", "<", ">", "~"):  # `year=>3`, `year<>3`: a mistyped operator
        msg = f"--where {expr!r}: expected {_SYNTAX}"
        raise InvalidArgumentError(msg)
    return key, op, value


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def check_where(where: Any) -> dict[str, Any] | None:
    """None, {} or [] mean no filter; otherwise a dict with string keys (expressions parsed)."""
    if where is None:
        return None
    if isinstance(where, str) or (isinstance(where, Sequence) and not isinstance(where, bytes)):
        return parse_where(where) or None
    if not isinstance(where, Mapping):
        msg = (f"where must be a dict of metadata key -> value or 'KEY<op>VALUE' expressions, "
               f"got {type(where).__name__}")
        raise InvalidArgumentError(msg)
    if any(not isinstance(key, str) for key in where):
        msg = "where keys must be strings"
        raise InvalidArgumentError(msg)
    return dict(where) or None


def matches(metadata: Metadata, where: Mapping[str, Any]) -> bool:
    """True when every key of `where` is in `metadata` and its value passes the key's test."""
    for key, wanted in where.items():
        if key not in metadata:
            return False
        value = metadata[key]
        if isinstance(wanted, Condition):
            if not wanted.passes(value):
                return False
        elif not _equal(value, wanted):
            return False
    return True


def matching_ids(items: Iterable[tuple[int, Metadata]], where: Mapping[str, Any]) -> list[int]:
    """Ids of the (id, metadata) pairs that pass the filter, in the given order."""
    return [i for i, meta in items if matches(meta, where)]


def _equal(value: Any, wanted: Any) -> bool:
    return bool(value == wanted) or str(value) == str(wanted)


def _passes(op: str, value: Any, wanted: Any) -> bool:
    if op == "=":
        return _equal(value, wanted)
    if op == "!=":
        return not _equal(value, wanted)
    if op == "in":
        return any(_equal(value, w) for w in wanted)
    if op == "~":
        return isinstance(value, str) and fnmatchcase(value, wanted)
    pair = _ordered(value, wanted)
    if pair is None:
        return False
    a, b = pair
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    return bool(a > b) if op == ">" else bool(a >= b)


def _ordered(value: Any, wanted: Any) -> tuple[Any, Any] | None:
    """Both as numbers, or both as text; None when they do not compare."""
    if _is_number(value):
        number = _as_number(wanted)
        return None if number is None else (value, number)
    if isinstance(value, str) and isinstance(wanted, str):
        return value, wanted
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(wanted: Any) -> float | None:
    if _is_number(wanted):
        return float(wanted)
    if isinstance(wanted, str):
        try:
            number = float(wanted)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None
