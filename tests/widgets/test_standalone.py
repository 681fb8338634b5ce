"""The map saved as one HTML file (`m.save_html`, `%emb map --html`): what the page holds, that
it loads nothing from outside, that document text cannot break out of its JSON blocks, and the
atomic write. The page in a real browser: tests/browser/test_standalone_html.py."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.widgets import Map
from embmagic.widgets.buffers import from_wire
from embmagic.widgets.bundle import STATIC
from embmagic.widgets.standalone import map_html, script_json
from tests.conftest import snapshot
from tests.widgets.conftest import invoke

HOSTILE = [
    "<img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=2</script>",
    "<!-- <script>window.__xss=3</script> -->",
    "line\u2028separator & </SCRIPT > ]]> \\u003c",
]
BLOCK = re.compile(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', re.S)


def blocks(page: str) -> dict[str, Any]:
    """The page's JSON blocks by id, parsed."""
    return {name: json.loads(body) for name, body in BLOCK.findall(page)}


def array(saved: dict[str, Any]) -> np.ndarray[Any, Any]:
    raw = base64.b64decode(saved["base64"])
    return np.frombuffer(raw, dtype=np.dtype(saved["dtype"]).newbyteorder("<")).reshape(
        saved["shape"]
    )


def test_the_page_holds_the_state_the_texts_and_the_bundles(docs: InteractiveShell) -> None:
    m = Map(["docs", "faq"], color_by="topic")
    m.set_highlight([3, 5], point=[0.25, -0.5], label="a query")
    page = map_html(m)
    found = blocks(page)
    assert set(found) == {"embmagic-state", "embmagic-hover", "embmagic-map-js"}
    state = found["embmagic-state"]
    names = {"points", "category", "legend", "labels", "color_by", "highlight", "query_point",
             "query_label", "status", "error", "created_at", "height", "standalone", "mode",
             "modes"}  # fmt: skip
    assert set(state) == names
    assert state["standalone"] is True and m.standalone is False  # only the page says so
    assert np.array_equal(array(state["points"]), m.coords)
    assert array(state["points"]).dtype == np.float32
    assert np.array_equal(array(state["category"]), from_wire(m.category))
    assert array(state["highlight"]).tolist() == [3, 5]
    for name in ("legend", "labels", "color_by", "query_point", "query_label", "status", "height"):
        assert state[name] == getattr(m, name), name

    # hover texts: exactly what the hover_texts command answers, for every row
    hover = found["embmagic-hover"]
    reply = invoke(m, "hover_texts", {"start": 0, "count": 1024})
    assert hover == {k: reply[k] for k in ("texts", "collections", "ids")}
    assert len(hover["texts"]) == m.data.size == 40

    # the bundles: map.js as the widget loads it, the bootstrap inline
    assert found["embmagic-map-js"] == (STATIC / "map.js").read_text(encoding="utf-8")
    boot = (STATIC / "standalone.js").read_text(encoding="utf-8")
    assert page.count('<script type="module">') == 1 and boot.strip() in page
    assert "<title>embmagic map: 40 points · PCA · docs, faq · colour: topic</title>" in page


def test_nothing_is_loaded_from_outside(docs: InteractiveShell) -> None:
    page = map_html(Map("docs"))
    tags = re.findall(r"<[a-zA-Z][^>]*>", page)
    assert not [t for t in tags if re.search(r"\b(src|href)\s*=", t)], "an external resource"
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    for tag in tags:
        assert "http://" not in tag and "https://" not in tag, tag
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp and "default-src &#x27;none&#x27;" in csp.group(1)
    assert "connect-src" not in csp.group(1)  # falls back to default-src 'none'


def test_document_text_is_data_never_markup(ip: InteractiveShell) -> None:
    ip.user_ns["notes"] = [*HOSTILE, "plain note"]
    ip.run_line_magic("embed", "docs --from notes --meta topic=</script><b>x</b>")
    m = Map("docs", color_by="topic")
    page = map_html(m)
    # exactly the page's own script elements, and no element from the documents
    assert len(re.findall(r"<script\b", page, re.I)) == 4
    assert len(re.findall(r"</script", page, re.I)) == 4
    assert "<img" not in page and "<b>" not in page and "<!--" not in page
    assert "\u2028" not in page
    found = blocks(page)
    by_row = found["embmagic-hover"]["texts"]
    assert sorted(by_row) == sorted([*HOSTILE, "plain note"])
    assert found["embmagic-state"]["legend"][0]["label"] == "</script><b>x</b>"


def test_script_json_escapes_what_could_end_a_script_block() -> None:
    text = script_json({"a": "</script><!--&\u2028>"})
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u003e"}'
    assert json.loads(text) == {"a": "</script><!--&\u2028>"}


def test_save_html_writes_atomically(
    docs: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = Map("docs")
    target = tmp_path / "deep" / "er" / "map.html"
    assert m.save_html(target) == target  # missing folders are created
    assert target.read_text(encoding="utf-8") == map_html(m)
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    # a write that fails half-way leaves the old file as it was and no temporary file
    target.write_text("old page")

    def broken(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        m.save_html(target)
    assert target.read_text() == "old page"
    assert sorted(p.name for p in target.parent.iterdir()) == ["map.html"]


def test_emb_map_html_writes_the_page_and_returns_the_map(
    docs: InteractiveShell, tmp_path: Path
) -> None:
    target = tmp_path / "docs map.html"
    m = docs.run_line_magic("emb", f'map docs faq --html "{target}"')
    assert isinstance(m, Map) and target.is_file()
    state = blocks(target.read_text(encoding="utf-8"))["embmagic-state"]
    assert np.array_equal(array(state["points"]), m.coords)
    assert state["status"] == m.status == "40 points · PCA · docs, faq · colour: collection"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("map.txt", "the file name must end in .html"),
        ("folder.html", "is a folder, not a file"),
        ("afile/map.html", "is not a folder"),
    ],
)
def test_a_bad_html_path_is_one_line_and_writes_nothing(
    docs: InteractiveShell, tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "folder.html").mkdir()
    (tmp_path / "afile").write_text("x")
    before_files = sorted(p.name for p in tmp_path.rglob("*"))
    before = snapshot(docs)
    with pytest.raises(UsageError) as info:
        # --clusters would write cluster metadata: the path is checked before anything runs
        docs.run_line_magic("emb", f"map docs --clusters 2 --html {tmp_path / where}")
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith("%emb: --html ")
    assert snapshot(docs) == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == before_files


def test_html_is_a_map_flag_only(docs: InteractiveShell, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--html, --method and --clusters work only with"):
        docs.run_line_magic("emb", f"list --html {tmp_path / 'x.html'}")
    assert not (tmp_path / "x.html").exists()


def test_the_bootstrap_can_be_inlined_and_uses_only_the_custom_messages() -> None:
    text = (STATIC / "standalone.js").read_text(encoding="utf-8")
    assert "</script" not in text.lower() and "<!--" not in text
    assert "embmagic-request" in text and "msg:custom" in text
    for word in ("invoke", "experimental", "http://", "https://"):
        assert word not in text, word
    assert not re.search(r"\bexport\s*[{\w]", text)  # a module script that exports nothing
