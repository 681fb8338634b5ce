"""`%embed COLL --images GLOB`, `%neighbors ... -c photos`, `%neighbors --image PATH`, and the
one-line refusals (text model, mixing, %rag), through a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.conftest import Snapshot, magics_of


def embed_photos(ip: InteractiveShell, images: dict[str, Path], clip: Path) -> object:
    folder = images["red"].parent
    return ip.run_line_magic("embed", f'photos --images "{folder}/*" --model {clip}')


def one_line_error(ip: InteractiveShell, magic: str, line: str) -> str:
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic(magic, line)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_embed_images_then_search_by_text_and_by_image(ip, tiny_clip_dir, images_dir):
    result = embed_photos(ip, images_dir, tiny_clip_dir)
    plain = result._repr_mimebundle_()["text/plain"]
    assert plain.startswith("photos: 4 added, 0 already present (4 records)")
    assert f"{images_dir['broken']}: not a readable image" in plain
    again = embed_photos(ip, images_dir, tiny_clip_dir)
    assert len(again.added) == 0 and len(again.existing) == 4  # same bytes: nothing encoded

    hits = ip.run_line_magic("neighbors", "a dog on the beach -c photos -k 4")
    assert len(hits) == 4 and {h.metadata["path"] for h in hits} == {
        str(images_dir[k]) for k in ("red", "blue", "green", "anim")}
    bundle = hits._repr_mimebundle_()
    assert bundle["text/html"].count('<img src="data:image/webp;base64,') == 4
    assert str(images_dir["blue"]) in bundle["text/plain"]
    assert "thumbnail=" not in bundle["text/plain"]
    assert list(hits.to_pandas()["path"]) == [h.metadata["path"] for h in hits]

    by_image = ip.run_line_magic("neighbors", f'--image "{images_dir["blue"]}" -c photos -k 2')
    assert by_image[0].text == str(images_dir["blue"])
    assert by_image[0].score == pytest.approx(1.0, abs=1e-4)


def test_images_need_a_clip_model(ip, images_dir, snap: Snapshot):
    before = snap()
    message = one_line_error(ip, "embed", f"photos --images {images_dir['red']}")
    assert "clip-ViT-B-32" in message and "--model FOLDER" in message
    message = one_line_error(ip, "embed", f"photos --images {images_dir['red']} --model fake")
    assert "is a text model" in message
    assert snap() == before


def test_text_and_image_models_never_share_a_collection(ip, tiny_clip_dir, images_dir,
                                                        snap: Snapshot):
    ip.run_cell_magic("embed", "notes", "a cat\na dog")
    embed_photos(ip, images_dir, tiny_clip_dir)
    before = snap()
    message = one_line_error(ip, "embed", f"notes --images {images_dir['red']}")
    assert "holds text vectors" in message
    one_line_error(ip, "embed", f"notes --images {images_dir['red']} --model {tiny_clip_dir}")
    ip.user_ns["words"] = ["a caption"]
    assert "embed into another collection" in one_line_error(
        ip, "embed", "photos --from words --model fake")
    assert "embedded with --images" in one_line_error(
        ip, "neighbors", f"--image {images_dir['red']} -c notes")
    assert "drop --widget" in one_line_error(
        ip, "neighbors", f"--image {images_dir['red']} -c photos --widget")
    assert "not both" in one_line_error(
        ip, "neighbors", f"--image {images_dir['red']} -c photos --id 1")
    assert snap() == before


def test_flags_that_do_not_go_with_images(ip, tiny_clip_dir, images_dir, snap: Snapshot):
    before = snap()
    line = f"photos --images {images_dir['red']} --model {tiny_clip_dir}"
    assert "exactly one of" in one_line_error(ip, "embed", f"{line} --files x.txt")
    assert "--chunk/--overlap go with --files" in one_line_error(ip, "embed", f"{line} --chunk 5")
    assert "--on ray works with" in one_line_error(ip, "embed", f"{line} --on ray")
    assert "--split is for text" in one_line_error(ip, "embed", f"{line} --split line")
    with pytest.raises(UsageError, match="--images are for %embed"):
        ip.run_cell_magic("embed", line, "some text")
    assert "no files match" in one_line_error(
        ip, "embed", f"photos --images {images_dir['red'].parent}/*.bmp --model {tiny_clip_dir}")
    assert snap() == before


def test_rag_over_images_answers_from_text_only(ip, tiny_clip_dir, images_dir, snap: Snapshot):
    embed_photos(ip, images_dir, tiny_clip_dir)
    before = snap()
    message = one_line_error(ip, "rag", "what is red? -c photos --no-generate")
    assert "answers from text only" in message
    assert snap() == before
    assert len(magics_of(ip).session.collections["photos"]) == 4
