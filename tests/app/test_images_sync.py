"""`%embed COLL --images GLOB --sync` (app/images.sync_images): the image records follow the
folder. Unchanged files are neither decoded nor encoded, edited ones are replaced, gone ones
removed, unreadable ones keep their records, and a failure changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from embmagic.app import Workspace
from embmagic.errors import InvalidArgumentError
from tests.app.snapshots import fail_first_call, named_state

state = named_state


def by_name(ws: Workspace, name: str) -> dict[str, Any]:
    return {Path(r.text).name: r for r in ws.collections[name].records()}


def test_first_sync_adds_every_readable_image(ws, tiny_clip_dir, images_dir):
    glob = str(images_dir["red"].parent / "*")
    result = ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    assert sorted(Path(p).name for p in result.new) == ["anim.gif", "blue.jpg", "green.webp",
                                                         "red.png"]
    assert len(result.added) == 4 and result.encoded == 4 and result.removed == 0
    assert [s.path for s in result.skipped] == [str(images_dir["broken"])]
    assert "files: 0 unchanged, 4 new · records: +4 −0 (4 records)" in result.plain()
    assert by_name(ws, "photos")["blue.jpg"].metadata["width"] == 24


def test_an_unchanged_folder_reads_and_encodes_nothing(ws, tiny_clip_dir, images_dir,
                                                       monkeypatch):
    glob = str(images_dir["red"].parent / "*")
    ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    before = state(ws, "photos")
    import embmagic.core.images as images

    decoded: list[Any] = []
    monkeypatch.setattr(images, "read_image", lambda path, *a: decoded.append(path))
    (images_dir["broken"]).unlink()  # else it is tried (and skipped) again on every sync
    again = ws.embed_images("photos", glob, sync=True)
    assert decoded == [] and len(again.unchanged) == 4 and again.encoded == 0
    assert again.added == []
    assert again.removed == 0 and state(ws, "photos") == before


def test_edited_gone_and_new_files(ws, tiny_clip_dir, images_dir):
    folder = images_dir["red"].parent
    glob = str(folder / "*")
    ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    old = by_name(ws, "photos")
    old_next = ws.collections["photos"].next_id
    Image.new("RGB", (24, 48), (240, 240, 0)).save(images_dir["blue"], quality=90)
    images_dir["green"].unlink()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(folder / "new.png")
    result = ws.embed_images("photos", glob, sync=True)
    assert [Path(p).name for p in result.updated] == ["blue.jpg"]
    assert [Path(p).name for p in result.removed_files] == ["green.webp"]
    assert [Path(p).name for p in result.new] == ["new.png"]
    assert sorted(Path(p).name for p in result.unchanged) == ["anim.gif", "red.png"]
    assert result.encoded == 2 and result.removed == 2 and len(result.added) == 2
    now = by_name(ws, "photos")
    assert sorted(now) == ["anim.gif", "blue.jpg", "new.png", "red.png"]
    assert now["red.png"].id == old["red.png"].id  # untouched records keep their ids
    assert now["blue.jpg"].id >= old_next and now["new.png"].id >= old_next  # fresh ids
    assert now["blue.jpg"].metadata["sha256"] != old["blue.jpg"].metadata["sha256"]
    coll = ws.collections["photos"]
    engine = ws.engine(str(tiny_clip_dir))
    np.testing.assert_allclose(coll.vectors_for([now["blue.jpg"].id])[0],
                               engine.encode_images([str(images_dir["blue"])])[0], atol=1e-5)


def test_an_image_that_became_unreadable_keeps_its_record(ws, tiny_clip_dir, images_dir):
    glob = str(images_dir["red"].parent / "*")
    ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    before = state(ws, "photos")
    images_dir["red"].write_bytes(b"\x89PNG\r\n\x1a\ncut short")
    result = ws.embed_images("photos", glob, sync=True)
    assert result.updated == [] and result.removed == 0 and result.added == []
    assert str(images_dir["red"]) in [s.path for s in result.skipped]
    assert state(ws, "photos") == before


def test_two_files_with_the_same_bytes_each_own_a_record(ws, tiny_clip_dir, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(a)
    b.write_bytes(a.read_bytes())
    result = ws.embed_images("photos", str(tmp_path / "*.png"), model=str(tiny_clip_dir),
                             sync=True)
    assert len(result.added) == 2
    assert sorted(by_name(ws, "photos")) == ["a.png", "b.png"]


def edit_folder(images_dir: dict[str, Path]) -> None:
    """One edited image, one new, one gone."""
    Image.new("RGB", (24, 48), (0, 240, 240)).save(images_dir["blue"], quality=90)
    Image.new("RGB", (16, 16), (9, 9, 9)).save(images_dir["red"].parent / "new.png")
    images_dir["green"].unlink()


def test_a_failing_encode_changes_nothing(ws, tiny_clip_dir, images_dir, monkeypatch):
    glob = str(images_dir["red"].parent / "*")
    ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    before = state(ws, "photos")
    edit_folder(images_dir)
    engine = ws.engine(str(tiny_clip_dir))
    monkeypatch.setattr(engine, "encode_images", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ws.embed_images("photos", glob, sync=True)
    assert state(ws, "photos") == before  # next_id too: nothing was added
    monkeypatch.undo()
    result = ws.embed_images("photos", glob, sync=True)  # the next sync does it all
    assert result.encoded == 2 and result.removed == 2


def test_a_failing_delete_undoes_the_add(ws, tiny_clip_dir, images_dir, monkeypatch):
    glob = str(images_dir["red"].parent / "*")
    ws.embed_images("photos", glob, model=str(tiny_clip_dir), sync=True)
    records, vectors = state(ws, "photos")[:2]
    edit_folder(images_dir)
    # the sync's delete fails; the undo's delete works
    calls = fail_first_call(monkeypatch, ws.collections["photos"], "delete", OSError("disk full"))
    with pytest.raises(OSError, match="disk full"):
        ws.embed_images("photos", glob, sync=True)
    monkeypatch.undo()
    # the same records and vectors; ids given to the undone add are not reused
    assert state(ws, "photos")[:2] == (records, vectors) and len(calls) == 2


def test_nothing_readable_and_nothing_held_is_one_line(ws, tiny_clip_dir, images_dir):
    with pytest.raises(InvalidArgumentError, match=r"no readable image in .*broken\.png"):
        ws.embed_images("photos", str(images_dir["broken"]), model=str(tiny_clip_dir),
                        sync=True)
    assert "photos" not in ws.collections


def test_the_magic_syncs_images(ip, tiny_clip_dir, images_dir):
    from IPython.core.error import UsageError

    glob = images_dir["red"].parent / "*"
    ip.run_line_magic("embed", f"photos --images {glob} --model {tiny_clip_dir} --sync")
    images_dir["anim"].unlink()
    result = ip.run_line_magic("embed", f"photos --images {glob} --sync")
    assert "files: 3 unchanged, 1 removed · records: +0 −1 (3 records)" in result.plain()
    with pytest.raises(UsageError, match="--sync goes with --files GLOB or --images GLOB"):
        ip.run_line_magic("embed", "photos --cells --sync")
