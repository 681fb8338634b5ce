"""The CLIP backend over a tiny random CLIP built at test time (tests/tiny_clip.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embmagic.engine import load_engine
from embmagic.engine.clip import HOW_TO_GET_CLIP
from embmagic.errors import InvalidArgumentError, ModelNotFoundError


@pytest.fixture(scope="module")
def clip(tiny_clip_dir: Path):  # type: ignore[no-untyped-def]
    return load_engine(str(tiny_clip_dir), device="cpu")


def test_a_clip_folder_loads_as_an_image_model(clip, tiny_clip_dir: Path) -> None:
    assert clip.modality == "image"
    assert clip.dim == 16
    assert clip.model_id == str(tiny_clip_dir.resolve())


def test_images_are_unit_rows_in_order(clip, images_dir: dict[str, Path]) -> None:
    paths = [images_dir[k] for k in ("red", "blue", "green", "anim")]
    vectors = clip.encode_images(paths)
    assert vectors.shape == (4, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    one_by_one = np.vstack([clip.encode_images([p]) for p in paths])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)
    assert np.linalg.matrix_rank(vectors) > 1  # different images, different vectors


def test_paths_and_pil_images_agree_first_frame_of_a_gif(clip, images_dir) -> None:
    with Image.open(images_dir["anim"]) as img:
        img.seek(0)
        first = img.convert("RGB")
        img.seek(2)
        last = img.convert("RGB")
    by_path, by_first, by_last = clip.encode_images([images_dir["anim"], first, last])
    np.testing.assert_allclose(by_path, by_first, atol=1e-5)
    assert not np.allclose(by_path, by_last, atol=1e-3)


def test_texts_land_in_the_same_space(clip, images_dir) -> None:
    texts = clip.embed(["a red photo", "a dog on the beach"])
    images = clip.encode_images([images_dir["red"]])
    assert texts.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, rtol=1e-5)
    # the same model's text and image towers: cosines are defined and differ by text
    scores = texts @ images[0]
    assert scores[0] != pytest.approx(scores[1])
    # texts go through sentence-transformers' own encode, normalised
    raw = clip.backend.model.encode(["a red photo"], convert_to_numpy=True)
    np.testing.assert_allclose(texts[0], raw[0] / np.linalg.norm(raw[0]), atol=1e-5)


def test_a_text_model_refuses_images_with_how_to_get_clip(images_dir) -> None:
    fake = load_engine("fake")
    assert fake.modality == "text"
    with pytest.raises(InvalidArgumentError, match="is a text model; images need a CLIP") as err:
        fake.encode_images([images_dir["red"]])
    assert "\n" not in str(err.value) and "clip-ViT-B-32" in HOW_TO_GET_CLIP


def test_unreadable_image_and_wrong_input_are_errors(clip, images_dir) -> None:
    with pytest.raises(OSError):
        clip.encode_images([images_dir["broken"]])
    with pytest.raises(InvalidArgumentError, match="wrap one in a list"):
        clip.encode_images(str(images_dir["red"]))
    with pytest.raises(InvalidArgumentError, match="PIL image or a path"):
        clip.encode_images([b"bytes"])


def test_an_uncached_clip_name_offline_says_how_to_get_one() -> None:
    with pytest.raises(ModelNotFoundError, match=r"need a CLIP model.*--model FOLDER") as err:
        load_engine("clip-ViT-B-32")
    assert "\n" not in str(err.value)
