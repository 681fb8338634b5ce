"""The request/reply protocol between the front ends and Python (docs/widgets.md, "Commands").

The widgets must work in every host that renders anywidgets (JupyterLab, Notebook 7, VS Code,
Colab, marimo), so they talk only through custom messages (`model.send` / "msg:custom") and
synced traits: the built bundles never touch anywidget's RPC helper.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import traitlets as t
from IPython.core.interactiveshell import InteractiveShell

from embmagic.widgets import Explorer, Map, RagPanel
from embmagic.widgets.bundle import STATIC
from embmagic.widgets.commands import Buffers, CommandWidget, Reply, command
from tests.conftest import snapshot
from tests.widgets.conftest import invoke, request

BUNDLES = ("map.js", "explorer.js", "rag.js")
# regl (inside regl-scatterplot, map.js only) has its own `invoke` methods and asks the browser
# for "experimental-webgl"; neither is anywidget's RPC surface
REGL = re.compile(
    r"experimental-webgl|webgl-experimental|\.invoke=function\(|\b\w+\.invoke\((?![\"'`])"
)


def read_bundle(name: str) -> str:
    path = STATIC / name
    if not path.is_file():
        pytest.fail(f"{path} is not built: run `cd js && npm ci && npm run build`")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", BUNDLES)
def test_bundles_use_only_custom_messages_never_the_rpc_helper(name: str) -> None:
    text = read_bundle(name)
    assert "embmagic-request" in text and "msg:custom" in text  # the protocol is in this build
    ours = REGL.sub("", text) if name == "map.js" else text
    for word in ("invoke", "experimental", "anywidget-command"):
        found = [m.start() for m in re.finditer(word, ours)]
        assert not found, f"{name} mentions {word!r}: {ours[found[0] - 60 : found[0] + 60]!r}"


@pytest.mark.parametrize("name", BUNDLES)
def test_bundles_export_render_only_through_the_default_object(name: str) -> None:
    """anywidget warns "Direct export of a 'render' will likely be deprecated" otherwise."""
    exports = re.findall(r"export\s*\{([^}]*)\}", read_bundle(name))
    names = [part.split(" as ")[-1].strip() for e in exports for part in e.split(",")]
    assert "default" in names and "render" not in names


class Echo(CommandWidget):
    """A widget with two commands, to drive the dispatcher itself."""

    error = t.Unicode("").tag(sync=True)
    calls: int = 0

    @command("echo")
    def _echo(self, msg: dict[str, Any], buffers: Buffers) -> tuple[Reply, Buffers]:
        self.calls += 1
        return {"msg": msg, "sizes": [len(bytes(b)) for b in buffers]}, [b"\x01\x02", b"\x03"]

    @command("boom")
    def _boom(self, msg: dict[str, Any], buffers: Buffers) -> Reply:
        raise RuntimeError("kaboom\nsecond line")


def test_replies_carry_the_request_id_and_buffers_both_ways() -> None:
    w = Echo()
    sent = request(w, {"kind": "embmagic-request", "id": "p-7", "name": "echo",
                       "msg": {"a": 1}}, [b"abcd", memoryview(b"xy")])  # fmt: skip
    assert sent == [
        ({"kind": "embmagic-reply", "id": "p-7", "ok": True,
          "reply": {"msg": {"a": 1}, "sizes": [4, 2]}}, [b"\x01\x02", b"\x03"]),
    ]  # fmt: skip
    assert Echo._commands == {"echo": "_echo", "boom": "_boom"} and w.error == ""


def test_an_unexpected_failure_is_one_line_with_its_type() -> None:
    w = Echo()
    assert invoke(w, "boom", {}) == {"ok": False, "error": "RuntimeError: kaboom"}
    assert w.error == "RuntimeError: kaboom"


BAD_REQUESTS = [
    ("not a dict", "a widget request must be a JSON object, not str", False),
    ({"kind": "anywidget-command", "id": "r", "name": "echo", "msg": {}},
     "not a widget request (kind 'anywidget-command')", True),
    ({"kind": "embmagic-request", "name": "echo", "msg": {}}, "a widget request needs a string id",
     False),
    ({"kind": "embmagic-request", "id": 3, "name": "echo", "msg": {}},
     "a widget request needs a string id", False),
    ({"kind": "embmagic-request", "id": "r", "msg": {}},
     "unknown command None (this widget has: boom, echo)", True),
    ({"kind": "embmagic-request", "id": "r", "name": "nope", "msg": {}},
     "unknown command 'nope' (this widget has: boom, echo)", True),
    ({"kind": "embmagic-request", "id": "r", "name": "echo", "msg": [1]},
     "a command message must be a JSON object, not list", True),
    ({"kind": "embmagic-request", "id": "r", "name": "echo"},
     "a command message must be a JSON object, not NoneType", True),
]  # fmt: skip


@pytest.mark.parametrize(("content", "error", "answered"), BAD_REQUESTS)
def test_malformed_and_unknown_requests_are_one_error_line(
    content: Any, error: str, answered: bool
) -> None:
    w = Echo()
    sent = request(w, content)
    assert w.error == error and w.calls == 0
    reply = {"kind": "embmagic-reply", "id": "r", "ok": False, "error": error}
    assert sent == ([(reply, [])] if answered else [])  # no id: nobody to answer


def test_a_malformed_request_changes_nothing_on_a_map(docs: InteractiveShell) -> None:
    m = Map("docs")
    invoke(m, "select", {"count": 1}, [np.array([3], "<u4").tobytes()])
    before, kept = snapshot(docs), list(m.selected)
    for content, _, _ in BAD_REQUESTS:
        request(m, content)
        assert m.error
    for name in ("hover_text", "query_command", "_query", "selected"):
        assert invoke(m, name, {"text": "x"})["error"].startswith(f"unknown command {name!r}")
    assert m.selected == kept and m.highlighted == [] and m.query_point == []
    assert snapshot(docs) == before


@pytest.mark.parametrize(
    ("count", "buffers", "error"),
    [
        (31, [np.arange(31, dtype="<u4").tobytes()],
         "a selection of 31 rows cannot come from a map of 30 points"),
        (10**12, [], "a selection of 1000000000000 rows cannot come from a map of 30 points"),
        (-1, [], "a selection of -1 rows cannot come from a map of 30 points"),
        (2, [], "selection says 2 rows but carries 0"),
        (1, [np.arange(5, dtype="<u4").tobytes()], "selection says 1 rows but carries 5"),
        (1, [b"\x00\x00\x00\x00\x00\x00\x00"], "a selection buffer of 7 bytes is not uint32 rows"),
        (1, [np.array([2**32 - 1], "<u4").tobytes()], "selected row 4294967295 is not on this map"),
        ("many", [], "invalid literal for int() with base 10: 'many'"),
    ],
)  # fmt: skip
def test_an_impossible_selection_is_refused_and_keeps_the_old_one(
    docs: InteractiveShell, count: Any, buffers: list[bytes], error: str
) -> None:
    m = Map("docs")
    invoke(m, "select", {"count": 2}, [np.array([4, 1], "<u4").tobytes()])
    kept, rows = list(m.selected), m.selection_frame()["id"].tolist()
    assert invoke(m, "select", {"count": count}, buffers) == {"ok": False, "error": error}
    assert m.error == error and m.selected == kept == rows


def test_hover_texts_come_in_bounded_chunks(docs: InteractiveShell) -> None:
    docs.run_cell_magic("embed", "long", "x" * 900 + "\nshort")
    m = Map(["docs", "faq", "long"])
    reply = invoke(m, "hover_texts", {"start": 28, "count": 4})
    assert reply["ok"] and reply["start"] == 28
    assert reply["collections"] == ["docs", "docs", "faq", "faq"]
    want = [m.data.record(r) for r in range(28, 32)]
    assert reply["texts"] == [rec.text for _, rec in want]
    assert reply["ids"] == [rec.id for _, rec in want]
    tail = invoke(m, "hover_texts", {"start": 40, "count": 1024})  # only the rows that exist
    assert tail["texts"] == ["x" * 500 + "…", "short"] and tail["collections"] == ["long"] * 2
    for msg, error in [
        ({"start": 42, "count": 1}, "row 42 is not on this map (0..41)"),
        ({"start": -1, "count": 1}, "row -1 is not on this map (0..41)"),
        ({"start": 0, "count": 0}, "hover_texts takes 1 to 1024 rows, got 0"),
        ({"start": 0, "count": 1025}, "hover_texts takes 1 to 1024 rows, got 1025"),
        ({"count": 3}, "missing field 'start'"),
    ]:
        assert invoke(m, "hover_texts", msg) == {"ok": False, "error": error}


def test_wire_names_are_registered_and_python_methods_keep_their_names() -> None:
    assert set(Map._commands) == {"hover", "hover_texts", "query", "select", "painted"}
    assert set(Explorer._commands) == {"search"} and set(RagPanel._commands) == {"ask"}
    for cls, method in [(Map, "query"), (Explorer, "search"), (RagPanel, "ask")]:
        assert callable(getattr(cls, method)) and cls._commands[method] != method


def test_a_python_call_and_the_query_box_give_the_same_hits(docs: InteractiveShell) -> None:
    m = Map("docs")
    direct = m.query("music note number 5", 3)
    assert invoke(m, "query", {"text": "music note number 5", "k": 3})["hits"] == direct
