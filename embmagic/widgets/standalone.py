"""The map as one self-contained HTML file: `m.save_html(path)`, `%emb map COLL --html PATH`.

The page holds everything inline, and opens from `file://` with no kernel and no network:

- the map's front end, `embmagic/static/map.js` (the very bundle the widget loads), as a JSON
  string in a `<script type="application/json">` block;
- the widget's state: every synced trait of the map (binary arrays as base64 with their dtype
  and shape, the rest as JSON), with `standalone: true`, which disables the query box and shows
  a note saying why;
- the hover texts of every row, as the `hover_texts` command gives them (text truncated to 500
  characters, collection, id, and image records' thumbnails);
- a small bootstrap, `embmagic/static/standalone.js` (`js/src/standalone.ts`), inlined as a
  module script: it decodes the state into a local model with anywidget's model interface,
  answers the map's requests itself (`hover_texts`, `hover`, `select`, `painted`; `query` is
  refused with one line), imports map.js from a Blob URL and renders it.

Document text is data, never markup: every JSON block escapes `<`, `>` and `&` (so no
`</script>` or `<!--` can end or change it), and the page's Content-Security-Policy allows no
network request at all. Contract: docs/widgets.md ("Standalone HTML").
"""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anywidget

from embmagic.app.map_data import hover_text
from embmagic.app.thumbnails import thumbnail_of
from embmagic.errors import EmbmagicError, InvalidArgumentError
from embmagic.widgets.bundle import bundle

if TYPE_CHECKING:
    from embmagic.app.map_data import MapData


class Map(Protocol):
    """What a saved page needs of a map widget (widgets/map.py imports this module)."""

    data: MapData
    status: str

    def trait_names(self, **metadata: Any) -> list[str]: ...

    def get_state(self, key: str | None = None) -> dict[str, Any]: ...

SUFFIXES = (".html", ".htm")
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; "
    "style-src 'unsafe-inline'; img-src data: blob:"
)
"""No request leaves the page: inline scripts and styles, the map bundle from a Blob URL (regl
compiles its shaders' JavaScript with `new Function`, hence 'unsafe-eval')."""

_BASE_TRAITS = frozenset(anywidget.AnyWidget.class_trait_names(sync=True))


def map_state(m: Map) -> dict[str, Any]:
    """Every synced trait of the map (not anywidget's own), arrays as
    `{"base64", "dtype", "shape"}`, with `standalone` set."""
    names = sorted(
        n for n in m.trait_names(sync=True) if n not in _BASE_TRAITS and not n.startswith("_")
    )
    state = {name: _jsonable(m.get_state(key=name)[name]) for name in names}
    state["standalone"] = True
    return state


def hover_rows(m: Map) -> dict[str, list[Any]]:
    """Texts (truncated as `hover_texts` does), collections and ids of every row, in row order;
    `thumbnails` (parallel, None for rows without) when some row is an image record."""
    d = m.data
    texts: list[str] = []
    collections: list[str] = []
    ids: list[Any] = []
    thumbnails: list[dict[str, str] | None] = []
    for collection, part_ids in zip(d.collections, d.ids, strict=True):
        wanted = {int(i) for i in part_ids}
        by_id = {r.id: r for r in collection.records() if r.id in wanted}
        for i in part_ids:
            texts.append(hover_text(by_id[int(i)].text))
            collections.append(collection.name)
            ids.append(int(i))
            thumbnails.append(thumbnail_of(by_id[int(i)].metadata))
    rows: dict[str, list[Any]] = {"texts": texts, "collections": collections, "ids": ids}
    return {**rows, "thumbnails": thumbnails} if any(thumbnails) else rows


def map_html(m: Map) -> str:
    """The self-contained page of map `m` (see the module docstring)."""
    map_js = bundle("map.js").read_text(encoding="utf-8")
    boot = bundle("standalone.js").read_text(encoding="utf-8")
    if "</script" in boot.lower() or "<!--" in boot:
        raise EmbmagicError("standalone.js cannot be inlined: it contains </script or <!--")
    title = f"embmagic map: {m.status}" if m.status else "embmagic map"
    return _PAGE.format(
        title=html.escape(title),
        csp=html.escape(CSP),
        state=script_json(map_state(m)),
        hover=script_json(hover_rows(m)),
        bundle=script_json(map_js),
        boot=boot,
    )


def check_html_path(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, or a one-line error when a page cannot be written there."""
    target = Path(path).expanduser()
    if target.suffix.lower() not in SUFFIXES:
        raise InvalidArgumentError(f"--html {path}: the file name must end in .html")
    if target.is_dir():
        raise InvalidArgumentError(f"--html {path}: is a folder, not a file")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InvalidArgumentError(f"--html {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidArgumentError(f"--html {path}: cannot write in {folder}")
    return target


def save_html(m: Map, path: str | os.PathLike[str]) -> Path:
    """Write `map_html(m)` to `path` atomically (a temporary file in the same folder, renamed
    over the target); missing folders are created. Returns the path written."""
    target = check_html_path(path)
    page = map_html(m).encode("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(page)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def script_json(value: Any) -> str:
    """JSON safe inside `<script type="application/json">`: `<`, `>`, `&` and the two Unicode
    line separators are escaped, so no text can close the block or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def _jsonable(value: Any) -> Any:
    """A trait value with every wire array (`{"view": memoryview, ...}`) as base64."""
    if isinstance(value, dict):
        view = value.get("view")
        if isinstance(view, (memoryview, bytes, bytearray)):
            raw = bytes(view)
            return {"base64": base64.b64encode(raw).decode("ascii"), "dtype": value["dtype"],
                    "shape": [int(n) for n in value["shape"]]}  # fmt: skip
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="embmagic">
<title>{title}</title>
<style>
body {{ margin: 16px; font: 13px/1.4 system-ui, sans-serif; color: #222; background: #fff; }}
#embmagic-standalone-failed {{ color: #c62828; white-space: pre-wrap; }}
</style>
</head>
<body>
<div id="embmagic-standalone"></div>
<div id="embmagic-standalone-failed" data-testid="standalone-failed" hidden></div>
<script type="application/json" id="embmagic-state">{state}</script>
<script type="application/json" id="embmagic-hover">{hover}</script>
<script type="application/json" id="embmagic-map-js">{bundle}</script>
<script type="module">
{boot}
</script>
</body>
</html>
"""
