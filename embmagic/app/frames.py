"""DataFrame columns kept as record metadata (`%embed COLL --from df --column text --meta a,b`).

Values keep their type where JSON has one: integers, floats, booleans and text as they are,
dates and times as ISO 8601 text (so `--where "when>=2024-01-01"` compares them correctly),
anything else as its `str()`. Missing values (None, NaN, NaT, pd.NA) and infinities are left
out of that record's metadata rather than stored as a stand-in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from embmagic.errors import InvalidArgumentError
from embmagic.types import Metadata

ALL = "all"


def meta_columns(frame: Any, name: str, text_column: str | None,
                 wanted: Sequence[str]) -> list[str]:
    """The columns `--meta` names (`all`: every column but the text one), checked."""
    if type(frame).__name__ != "DataFrame":
        msg = (f"--meta {','.join(wanted)}: column names go with --from a DataFrame; "
               f"{name!r} is a {type(frame).__name__} (use --meta KEY=VALUE)")
        raise InvalidArgumentError(msg)
    columns = [str(c) for c in frame.columns]
    if list(wanted) == [ALL]:
        return [c for c in columns if c != text_column]
    unknown = [c for c in wanted if c not in columns]
    if unknown:
        msg = (f"--meta: {name} has no column {unknown[0]!r} "
               f"(columns: {', '.join(columns[:10])})")
        raise InvalidArgumentError(msg)
    return list(dict.fromkeys(wanted))


def rows_metadata(frame: Any, columns: Sequence[str]) -> list[Metadata]:
    """One metadata dict per row with the typed values of `columns` (missing ones dropped)."""
    by_name = {str(c): c for c in frame.columns}
    values = {c: frame[by_name[c]].tolist() for c in columns}
    out: list[Metadata] = []
    for row in range(len(frame)):
        meta: Metadata = {}
        for column in columns:
            value = json_value(values[column][row])
            if value is not None:
                meta[column] = value
        out.append(meta)
    return out


def json_value(value: Any) -> Any:
    """A cell as a JSON scalar (see the module docstring); None when missing."""
    if value is None or _is_missing(value):
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars: np.int64, np.float32, np.bool_
    if callable(item) and type(value).__module__ == "numpy":
        return json_value(item())
    iso = getattr(value, "isoformat", None)  # pandas Timestamp (a datetime) and similar
    if callable(iso):
        return str(iso())
    return str(value)


def _is_missing(value: Any) -> bool:
    """pd.NA, pd.NaT and float NaN, without importing pandas."""
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)
