"""Fixtures shared by the magics tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def filled(ip: InteractiveShell, tmp_path: Path) -> InteractiveShell:
    """Two collections plus a few variables and files the bad inputs refer to."""
    ip.run_cell_magic("embed", "animals", "small cat sleeps\nbig dog barks\nking\nman\nwoman\n")
    ip.run_cell_magic("embed", "other", "red car")
    ip.user_ns.update(number=42, mixed=["text", 3], mapping={"a": "b"}, frame=_frame())
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01binary")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "manifest.json").write_text("{not json")
    ip.user_ns["tmp"] = str(tmp_path)
    return ip


def _frame() -> Any:
    import pandas as pd

    return pd.DataFrame({"body": ["a", "b"]})
