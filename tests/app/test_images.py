"""Images in a CLIP space through the Python API: embed_images, neighbors(image=), refusals."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embmagic.app import Workspace
from embmagic.app.thumbnails import thumbnail_of
from embmagic.core.images import THUMBNAIL_PX, make_thumbnail, thumbnail_data_uri
from embmagic.errors import InvalidArgumentError, ModelMismatchError
from tests.app.snapshots import named_state

state = named_state


def test_images_become_records_with_path_size_and_thumbnail(ws, tiny_clip_dir, images_dir):
    result = ws.embed_images("photos", str(images_dir["red"].parent / "*"),
                             model=str(tiny_clip_dir))
    assert len(result.added) == 4 and result.existing == []
    assert [s.path for s in result.skipped] == [str(images_dir["broken"])]
    assert "not a readable image" in result.skipped[0].reason
    assert "skipped 1 file(s)" in result.plain() and "broken.png" in result.plain()
    records = {Path(r.text).name: r for r in ws.collections["photos"].records()}
    assert sorted(records) == ["anim.gif", "blue.jpg", "green.webp", "red.png"]
    blue = records["blue.jpg"].metadata
    assert blue["path"] == str(images_dir["blue"]) and (blue["width"], blue["height"]) == (24, 48)
    thumb = Image.open(io.BytesIO(base64.b64decode(blue["thumbnail"])))
    assert thumb.format == "WEBP" and max(thumb.size) <= THUMBNAIL_PX
    assert thumb.size == (24, 48)  # never enlarged
    assert records["anim.gif"].metadata["width"] == 20
    vectors = ws.collections["photos"].vectors_for([r.id for r in records.values()])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_large_images_get_small_thumbnails(tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (640, 320), (1, 2, 3)).save(big)
    thumb, width, height = make_thumbnail(big)
    assert (width, height) == (640, 320)
    assert Image.open(io.BytesIO(base64.b64decode(thumb))).size == (64, 32)


def test_images_are_deduped_by_their_bytes_not_their_path(ws, tiny_clip_dir, images_dir,
                                                          tmp_path):
    model = str(tiny_clip_dir)
    ws.embed_images("photos", images_dir["red"], model=model)  # a Path works too
    copy = tmp_path / "copy-of-red.png"
    shutil.copy(images_dir["red"], copy)
    again = ws.embed_images("photos", [str(copy), str(images_dir["red"])])  # model: held one
    assert again.added == [] and len(again.existing) == 2 and len(ws.collections["photos"]) == 1
    more = ws.embed_images("photos", [str(images_dir["blue"]), str(images_dir["blue"])])
    assert len(more.added) == 1 and len(ws.collections["photos"]) == 2


def test_text_and_image_queries_rank_images(ws, tiny_clip_dir, images_dir):
    ws.embed_images("photos", str(images_dir["red"].parent / "*"), model=str(tiny_clip_dir))
    by_image = ws.neighbors(image=str(images_dir["green"]), collection="photos", k=4)
    assert by_image[0].metadata["path"] == str(images_dir["green"])
    by_pil = ws.neighbors(image=Image.open(images_dir["green"]), collection="photos", k=4)
    assert [h.id for h in by_pil] == [h.id for h in by_image]
    assert by_pil.title().startswith("4 neighbours of 'image WebPImageFile'")
    assert by_image[0].score == pytest.approx(1.0, abs=1e-4)
    assert by_image.title().startswith("4 neighbours of 'image ")
    engine = ws.engine(str(tiny_clip_dir))
    by_text = ws.neighbors("a dog on the beach", collection="photos", k=4)
    query = engine.embed(["a dog on the beach"])[0]
    stored = ws.collections["photos"].vectors_for([h.id for h in by_text])
    np.testing.assert_allclose([h.score for h in by_text], stored @ query, atol=1e-4)
    assert [h.score for h in by_text] == sorted((h.score for h in by_text), reverse=True)


def test_html_shows_validated_thumbnails_plain_text_shows_paths(ws, tiny_clip_dir, images_dir):
    ws.embed_images("photos", str(images_dir["red"]), model=str(tiny_clip_dir))
    hits = ws.neighbors(image=str(images_dir["red"]), collection="photos", k=1)
    stored = hits[0].metadata["thumbnail"]
    html = hits._repr_mimebundle_()["text/html"]
    assert f'<img src="data:image/webp;base64,{stored}"' in html
    plain = hits.plain()
    assert str(images_dir["red"]) in plain and stored not in plain and "sha256" not in plain
    frame = hits.to_pandas()
    assert frame.loc[0, "path"] == str(images_dir["red"]) and frame.loc[0, "width"] == 40


def test_a_thumbnail_that_is_not_an_image_is_never_rendered(ws):
    ws.embed("notes", ['<img src=x onerror="alert(1)">', "plain"], model="fake",
             meta={"thumbnail": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="})
    html = ws.neighbors("plain", collection="notes", k=2)._repr_mimebundle_()["text/html"]
    assert "<img" not in html.replace("&lt;img", "") and "<script" not in html
    assert thumbnail_data_uri('"><script>') is None
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert thumbnail_data_uri(base64.b64encode(svg).decode()) is None  # the type: from the bytes
    gif = base64.b64encode(b"GIF89a" + bytes(10)).decode()
    assert thumbnail_data_uri(gif) == f"data:image/gif;base64,{gif}"  # the same rule as widgets
    assert thumbnail_of({"thumbnail": gif}) == {"mime": "image/gif", "base64": gif}


def test_a_text_model_and_an_image_model_never_share_a_collection(ws, tiny_clip_dir,
                                                                    images_dir):
    model = str(tiny_clip_dir)
    ws.embed("notes", ["a cat", "a dog"], model="fake")
    before = state(ws, "notes")
    with pytest.raises(InvalidArgumentError, match="holds text vectors of fake") as err:
        ws.embed_images("notes", str(images_dir["red"]))
    assert "\n" not in str(err.value)
    with pytest.raises(ModelMismatchError, match="embed into another collection"):
        ws.embed_images("notes", str(images_dir["red"]), model=model)
    assert state(ws, "notes") == before
    ws.embed_images("photos", str(images_dir["red"]), model=model)
    photos = state(ws, "photos")
    with pytest.raises(ModelMismatchError):
        ws.embed("photos", ["a caption"], model="fake")
    with pytest.raises(InvalidArgumentError, match="fake-64 is a text model; images need a CLIP"):
        ws.embed_images("other", str(images_dir["red"]), model="fake")
    assert state(ws, "photos") == photos and "other" not in ws.collections


def test_images_without_a_model_say_how_to_get_clip(ws, images_dir):
    with pytest.raises(InvalidArgumentError, match=r"clip-ViT-B-32.*--model FOLDER") as err:
        ws.embed_images("photos", str(images_dir["red"]))
    assert "\n" not in str(err.value) and "photos" not in ws.collections


def test_only_unreadable_files_is_an_error_and_creates_nothing(ws, tiny_clip_dir, images_dir):
    with pytest.raises(InvalidArgumentError, match=r"no readable image.*broken\.png"):
        ws.embed_images("photos", str(images_dir["broken"]), model=str(tiny_clip_dir))
    assert "photos" not in ws.collections
    with pytest.raises(InvalidArgumentError, match="no files match"):
        ws.embed_images("photos", str(images_dir["red"].parent / "*.tiff"),
                        model=str(tiny_clip_dir))


def test_image_queries_need_an_image_collection_and_a_readable_image(ws, tiny_clip_dir,
                                                                       images_dir):
    ws.embed("notes", ["a cat"], model="fake")
    with pytest.raises(InvalidArgumentError, match="embedded with --images"):
        ws.neighbors(image=str(images_dir["red"]), collection="notes")
    ws.embed_images("photos", str(images_dir["red"]), model=str(tiny_clip_dir))
    with pytest.raises(InvalidArgumentError, match="not a readable image"):
        ws.neighbors(image=str(images_dir["broken"]), collection="photos")
    with pytest.raises(InvalidArgumentError, match="one of a query text"):
        ws.neighbors("red", image=str(images_dir["red"]), collection="photos")


def test_rag_over_images_says_it_answers_from_text_only(ws, tiny_clip_dir, images_dir):
    ws.embed_images("photos", str(images_dir["red"]), model=str(tiny_clip_dir))
    before = state(ws, "photos")
    with pytest.raises(InvalidArgumentError, match="holds images: %rag answers from text only"):
        ws.ask("what is red?", collection="photos", generate=False)
    assert state(ws, "photos") == before


def test_image_records_survive_save_and_load(ws, tiny_clip_dir, images_dir, tmp_path):
    ws.embed_images("photos", str(images_dir["red"].parent / "*"), model=str(tiny_clip_dir))
    ws.save("photos", str(tmp_path / "photos.emb"))
    other = Workspace()
    other.load(str(tmp_path / "photos.emb"))
    assert state(other, "photos") == state(ws, "photos")
    hits = other.neighbors(image=str(images_dir["blue"]), collection="photos", k=1)
    assert hits[0].metadata["path"] == str(images_dir["blue"])
    assert '<img src="data:image/webp;base64,' in hits._repr_mimebundle_()["text/html"]
    again = other.embed_images("photos", str(images_dir["red"].parent / "*"))
    assert again.added == [] and len(again.existing) == 4


def test_paths_are_text_in_html(ws, tiny_clip_dir, tmp_path):
    odd = tmp_path / "<b>bold.png"
    Image.new("RGB", (8, 8), (9, 9, 9)).save(odd, format="PNG")
    ws.embed_images("photos", [str(odd)], model=str(tiny_clip_dir))
    html = ws.neighbors("bold", collection="photos", k=1)._repr_mimebundle_()["text/html"]
    assert "&lt;b&gt;bold.png" in html and "<b>bold" not in html
    assert html.count("<img ") == 1


def test_an_edited_image_at_a_held_path_is_a_new_record(ws, tiny_clip_dir, tmp_path):
    path = tmp_path / "pic.png"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(path)
    first = ws.embed_images("photos", [str(path)], model=str(tiny_clip_dir))
    Image.new("RGB", (8, 8), (0, 0, 200)).save(path)
    second = ws.embed_images("photos", [str(path)])
    assert len(second.added) == 1 and second.added != first.added
    records = ws.collections["photos"].records()
    assert [r.text for r in records] == [str(path), str(path)]
    assert len({r.metadata["sha256"] for r in records}) == 2
    vectors = ws.collections["photos"].vectors_for([r.id for r in records])
    assert not np.allclose(vectors[0], vectors[1])


def test_images_stream_in_batches_of_the_engine_batch_size(ws, tiny_clip_dir, images_dir):
    ws.options.batch_size = 3  # 4 images: a batch of 3 then 1
    result = ws.embed_images("photos", str(images_dir["red"].parent / "*"),
                             model=str(tiny_clip_dir))
    assert len(result.added) == 4 and result.encoded == 4
    engine = ws.engine(str(tiny_clip_dir))
    assert engine.batch_size == 3
    records = ws.collections["photos"].records()
    stored = ws.collections["photos"].vectors_for([r.id for r in records])
    alone = np.vstack([engine.encode_images([r.text]) for r in records])
    np.testing.assert_allclose(stored, alone, atol=1e-5)


def test_without_pillow_the_error_says_what_to_install(ws, tiny_clip_dir, images_dir,
                                                       monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "PIL" else real(name, *a))
    with pytest.raises(InvalidArgumentError, match=r"pip install 'embmagic\[images\]'"):
        ws.embed_images("photos", str(images_dir["red"]), model=str(tiny_clip_dir))
    assert "photos" not in ws.collections


def test_image_searches_are_dense_whatever_the_search_mode_option(ws, tiny_clip_dir, images_dir):
    ws.embed_images("photos", str(images_dir["red"].parent / "*"), model=str(tiny_clip_dir))
    assert ws.options.search_mode == "hybrid"  # the default: record texts of images are paths
    engine = ws.engine(str(tiny_clip_dir))
    by_text = ws.neighbors("a red square", collection="photos", k=4)
    query = engine.embed(["a red square"])[0]
    stored = ws.collections["photos"].vectors_for([h.id for h in by_text])
    np.testing.assert_allclose([h.score for h in by_text], stored @ query, atol=1e-4)  # cosines
    before = state(ws, "photos")
    with pytest.raises(InvalidArgumentError, match="searches by meaning only: drop --mode"):
        ws.neighbors(image=str(images_dir["green"]), collection="photos", mode="hybrid")
    assert state(ws, "photos") == before
