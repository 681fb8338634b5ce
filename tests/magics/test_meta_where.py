"""`%embed COLL --from df --column text --meta a,b|all` and `%neighbors ... --where` operators."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({
        "text": ["tomatoes need sun", "basil likes warmth", "mint spreads fast", "dill self seeds"],
        "year": [2021, 2022, 2023, 2024],
        "score": [0.5, np.nan, 2.25, 3.0],
        "ok": [True, False, True, False],
        "lang": ["en", None, "fr", "en"],
        "when": pd.to_datetime(["2024-01-02", "2024-03-04 05:06:07", None, "2023-12-31"],
                               format="ISO8601"),
        "count": pd.array([1, None, 3, 4], dtype="Int64"),
    })


def metas(magics: Any, name: str = "garden") -> list[dict[str, Any]]:
    return [r.metadata for r in magics.session.collection(name).records()]


def test_meta_columns_keep_their_types(ip: Any, magics: Any, df: pd.DataFrame) -> None:
    ip.user_ns["df"] = df
    ip.run_line_magic("embed", "garden --from df --column text --meta year,score,ok,when,count")
    got = metas(magics)
    assert got[0] == {"source": "df", "row": 0, "year": 2021, "score": 0.5, "ok": True,
                      "when": "2024-01-02T00:00:00", "count": 1}
    assert got[1] == {"source": "df", "row": 1, "year": 2022, "ok": False,
                      "when": "2024-03-04T05:06:07"}  # NaN and <NA> dropped
    assert got[2] == {"source": "df", "row": 2, "year": 2023, "score": 2.25, "ok": True,
                      "count": 3}  # NaT dropped
    assert all(type(m["year"]) is int and type(m["ok"]) is bool for m in got)


def test_meta_all_keeps_every_other_column_and_constants(ip: Any, magics: Any,
                                                         df: pd.DataFrame) -> None:
    ip.user_ns["df"] = df
    ip.run_line_magic("embed", "garden --from df --column text --meta all --meta batch=b1")
    got = metas(magics)
    assert set(got[0]) == {"source", "row", "year", "score", "ok", "lang", "when", "count",
                           "batch"}
    assert "lang" not in got[1] and got[1]["batch"] == "b1" and "text" not in got[0]


def test_the_python_api_takes_meta_columns(magics: Any, df: pd.DataFrame) -> None:
    ws = magics.session
    ws.embed("garden", df, column="text", meta_columns=["lang"])
    assert [m.get("lang") for m in metas(magics)] == ["en", None, "fr", "en"]


@pytest.mark.parametrize(("line", "message"), [
    ("garden --from df --column text --meta nope", "no column 'nope'"),
    ("garden --from words --meta year", "column names go with --from a DataFrame"),
    ("garden --files x.txt --meta year", "column names go with --from DF"),
])
def test_bad_meta_is_one_line_and_changes_nothing(ip: Any, magics: Any, df: pd.DataFrame,
                                                  snap: Any, line: str, message: str) -> None:
    ip.user_ns.update(df=df, words=["a", "b"])
    ip.run_line_magic("embed", "garden --from df --column text")
    before = snap()
    with pytest.raises(UsageError, match=message) as info:
        ip.run_line_magic("embed", line)
    assert "\n" not in str(info.value) and snap() == before


@pytest.fixture
def garden(ip: Any, df: pd.DataFrame) -> Any:
    ip.user_ns["df"] = df.assign(path=[f"beds/{n}.{e}" for n, e in
                                       zip("abcd", ("md", "txt", "md", "txt"), strict=True)])
    ip.run_line_magic("embed", "garden --from df --column text --meta all")
    return ip


def texts_for(ip: Any, where: str) -> list[str]:
    result = ip.run_line_magic("neighbors", f"plants -c garden -k 10 {where}")
    return sorted(result.to_pandas()["text"])


@pytest.mark.parametrize(("where", "want"), [
    ("--where year>=2023", ["dill self seeds", "mint spreads fast"]),
    ("--where year!=2021 --where year<2024", ["basil likes warmth", "mint spreads fast"]),
    ('--where "lang in (fr, de)"', ["mint spreads fast"]),
    ("--where path~*.md", ["mint spreads fast", "tomatoes need sun"]),
    ("--where when<2024-01-01", ["dill self seeds"]),
    ("--where ok=True --where score>1", ["mint spreads fast"]),
    ("--where lang=en", ["dill self seeds", "tomatoes need sun"]),
])
def test_where_operators_in_neighbors(garden: Any, where: str, want: list[str]) -> None:
    assert texts_for(garden, where) == want


@pytest.mark.parametrize("bad", ["year", "year<", "year=>3", '"lang in ()"'])
def test_malformed_where_is_one_usage_line(garden: Any, bad: str) -> None:
    with pytest.raises(UsageError, match="--where") as info:
        garden.run_line_magic("neighbors", f"plants -c garden --where {bad}")
    assert "\n" not in str(info.value)
