"""Image records' thumbnails in the map's hover replies and the explorer's rows (issue #19)."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from embmagic.app.thumbnails import THUMBNAIL_CHARS, image_mime, thumbnail_of
from embmagic.widgets import Explorer, Map
from tests.conftest import magics_of
from tests.widgets.conftest import invoke


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def pics(ip: InteractiveShell) -> InteractiveShell:
    """`pics`: three image records (path, width, height, thumbnail) and one text record."""
    import pandas as pd

    colours = {"red": (255, 0, 0), "green": (0, 160, 0), "blue": (0, 0, 255)}
    frame = pd.DataFrame({
        "text": [f"a {name} square" for name in colours],
        "path": [f"photos/{name}.png" for name in colours],
        "width": [32] * 3,
        "height": [32] * 3,
        "thumbnail": [b64(png(8, 8, rgb)) for rgb in colours.values()],
    })  # fmt: skip
    ws = magics_of(ip).session
    ws.embed("pics", frame, column="text", meta_columns=["all"])
    ws.embed("pics", ["a caption with no image"])
    return ip


def test_image_mime_and_thumbnail_checks() -> None:
    image = b64(png(2, 2, (1, 2, 3)))
    assert image_mime(png(1, 1, (0, 0, 0))) == "image/png"
    assert image_mime(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_mime(b"<svg xmlns=") is None
    assert thumbnail_of({"thumbnail": image}) == {"mime": "image/png", "base64": image}
    uri = f"data:image/png;base64,{image}"
    assert thumbnail_of({"thumbnail": uri}) == {"mime": "image/png", "base64": image}
    svg = b64(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    big = b64(png(200, 200, (9, 9, 9)) + bytes(THUMBNAIL_CHARS))
    for bad in [None, "", 42, svg, "not base64!", image + "<", f"data:image/png,{image}", big]:
        assert thumbnail_of({"thumbnail": bad}) is None, bad
    assert thumbnail_of({"path": "x.png"}) is None


def rows_of(m: Map) -> dict[str, int]:
    return {m.data.record(r)[1].text: r for r in range(m.data.size)}


def test_hover_texts_carry_thumbnails_of_image_rows_only(pics: InteractiveShell) -> None:
    m = Map("pics")
    reply = invoke(m, "hover_texts", {"start": 0, "count": 4})
    assert reply["ok"] and len(reply["texts"]) == 4
    records = [m.data.record(r)[1] for r in range(4)]
    for record, thumb in zip(records, reply["thumbnails"], strict=True):
        if "thumbnail" in record.metadata:
            assert thumb == {"mime": "image/png", "base64": record.metadata["thumbnail"]}
        else:
            assert thumb is None
    assert sum(t is not None for t in reply["thumbnails"]) == 3
    # one row: the thumbnail once, not again inside the metadata
    red = rows_of(m)["a red square"]
    one = invoke(m, "hover", {"row": red})
    assert one["thumbnail"]["mime"] == "image/png"
    assert "thumbnail" not in one["metadata"] and one["metadata"]["path"] == "photos/red.png"


def test_text_only_maps_send_no_thumbnails(docs: InteractiveShell) -> None:
    reply = invoke(Map("docs"), "hover_texts", {"start": 0, "count": 10})
    assert reply["ok"] and "thumbnails" not in reply
    assert "thumbnail" not in invoke(Map("docs"), "hover", {"row": 0})
    from embmagic.widgets.standalone import hover_rows

    assert "thumbnails" not in hover_rows(Map("docs"))  # a saved page as before


def test_a_chunk_of_text_rows_only_has_no_thumbnails(pics: InteractiveShell) -> None:
    m = Map("pics")
    text_row = rows_of(m)["a caption with no image"]
    reply = invoke(m, "hover_texts", {"start": text_row, "count": 1})
    assert reply["texts"] == ["a caption with no image"] and "thumbnails" not in reply


def test_explorer_rows_show_thumbnails(pics: InteractiveShell) -> None:
    ex = Explorer("pics", query="a red square", k=4)
    by_text: dict[str, Any] = {r["text"]: r for r in ex.results}
    red = by_text["a red square"]
    assert red["thumbnail"]["mime"] == "image/png"
    assert base64.b64decode(red["thumbnail"]["base64"]).startswith(b"\x89PNG")
    assert "thumbnail" not in red["metadata"] and red["metadata"]["width"] == 32
    assert "thumbnail" not in by_text["a caption with no image"]
    # ex.hits keeps the records' full metadata (what %neighbors returns)
    assert ex.hits is not None and all(
        "thumbnail" in h.metadata for h in ex.hits.hits if h.text != "a caption with no image"
    )


def test_a_saved_page_carries_the_thumbnails(pics: InteractiveShell, tmp_path: Any) -> None:
    import json
    import re

    from embmagic.widgets.standalone import hover_rows

    m = Map("pics")
    rows = hover_rows(m)
    assert [t is not None for t in rows["thumbnails"]] == [
        "thumbnail" in m.data.record(r)[1].metadata for r in range(m.data.size)
    ]
    page = m.save_html(tmp_path / "pics.html").read_text(encoding="utf-8")
    block = re.search(r'id="embmagic-hover">(.*?)</script>', page, re.S)
    assert block and json.loads(block.group(1)) == json.loads(json.dumps(rows))


def test_records_of_embed_images_show_their_webp_thumbnails(
    ip: InteractiveShell, tiny_clip_dir: Any, images_dir: dict[str, Any]
) -> None:
    """The real pipeline: %embed --images writes the thumbnails the widgets send."""
    folder = images_dir["red"].parent
    ip.run_line_magic("embed", f'photos --images "{folder}/*" --model {tiny_clip_dir}')
    m = Map("photos")
    reply = invoke(m, "hover_texts", {"start": 0, "count": m.data.size})
    records = [m.data.record(r)[1] for r in range(m.data.size)]
    assert len(records) == 4  # broken.png skipped
    for record, thumb in zip(records, reply["thumbnails"], strict=True):
        assert thumb == {"mime": "image/webp", "base64": record.metadata["thumbnail"]}
        assert len(thumb["base64"]) <= THUMBNAIL_CHARS
    ex = Explorer("photos", query="a red photo", k=4)
    assert [r["thumbnail"]["mime"] for r in ex.results] == ["image/webp"] * 4
    # searched by meaning: the search_mode option (hybrid) would match the words of the paths
    assert magics_of(ip).session.options.search_mode == "hybrid" and ex.mode == "dense"
    assert [r["id"] for r in ex.results] == [h.id for h in ip.run_line_magic(
        "neighbors", "a red photo -c photos -k 4 --mode dense")]
