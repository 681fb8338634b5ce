"""Images in a background job (`%embed COLL --images GLOB --background`, app/images.py on
app/jobs.py) and the image progress bar: the job's result equals the foreground's, a cancel or
an error leaves the collection exactly as it was, one job per collection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embmagic.app import Workspace
from embmagic.app.jobs import Job
from embmagic.errors import CollectionBusyError, JobCancelledError
from tests.app import job_gate
from tests.app.snapshots import named_state


@pytest.fixture
def ws(ws: Workspace) -> Workspace:
    ws.options.batch_size = 1  # one image per encoding step: a cancel lands between images
    return ws


def folder_glob(images_dir: dict[str, Path]) -> str:
    return str(images_dir["red"].parent / "*")


def test_background_result_equals_the_foreground(ws, tiny_clip_dir, images_dir):
    job = ws.embed_images("photos", folder_glob(images_dir), model=str(tiny_clip_dir),
                          background=True)
    assert isinstance(job, Job)
    result = job.result(timeout=60)
    assert len(result.added) == 4 and result.encoded == 4
    assert [s.path for s in result.skipped] == [str(images_dir["broken"])]
    other = Workspace()
    other.options.show_progress = False
    here = other.embed_images("photos", folder_glob(images_dir), model=str(tiny_clip_dir))
    assert here.plain().split(" · ")[0] == result.plain().split(" · ")[0]
    mine, theirs = ws.collections["photos"], other.collections["photos"]
    assert [(r.text, r.metadata) for r in mine.records()] == [
        (r.text, r.metadata) for r in theirs.records()]
    np.testing.assert_allclose(mine.vectors_for(mine.ids().tolist()),
                               theirs.vectors_for(theirs.ids().tolist()), atol=1e-6)
    again = ws.embed_images("photos", folder_glob(images_dir), background=True).result(60)
    assert again.added == [] and len(again.existing) == 4 and again.encoded == 0


def test_cancel_leaves_the_collection_exactly_as_before(ws, tiny_clip_dir, images_dir,
                                                        monkeypatch, tmp_path):
    seed = tmp_path / "seed.png"
    from PIL import Image

    Image.new("RGB", (8, 8), (5, 6, 7)).save(seed)
    ws.embed_images("photos", [str(seed)], model=str(tiny_clip_dir))
    before = named_state(ws, "photos")
    g = job_gate.gate(ws.engine(str(tiny_clip_dir)), monkeypatch, method="encode_images")
    job = ws.embed_images("photos", folder_glob(images_dir), background=True)
    g.allow(2)
    g.until_call(3)  # two images encoded, the third waiting
    assert job.done >= 2 and job.status == "running"
    with pytest.raises(CollectionBusyError):
        ws.embed_images("photos", [str(seed)])
    assert job.cancel(wait=False)
    g.allow()
    assert job.wait(30) and job.status == "cancelled"
    with pytest.raises(JobCancelledError, match="'photos' is as it was before"):
        job.result()
    assert named_state(ws, "photos") == before and ws.jobs == {}


def test_an_error_mid_job_is_raised_again_and_nothing_changes(ws, tiny_clip_dir, images_dir,
                                                              monkeypatch):
    g = job_gate.gate(ws.engine(str(tiny_clip_dir)), monkeypatch, method="encode_images",
                      fail_at=3, error=OSError("device lost"))
    job = ws.embed_images("fresh", folder_glob(images_dir), model=str(tiny_clip_dir),
                          background=True)
    g.allow()
    assert job.wait(30) and job.status == "failed"
    assert repr(job) == "Job(embed 5 images into 'fresh': failed: device lost)"
    with pytest.raises(OSError, match="device lost"):
        job.result()
    assert "fresh" not in ws.collections and ws.jobs == {}


def test_progress_bars_count_every_file(ws, tiny_clip_dir, images_dir, capsys):
    ws.options.show_progress = True
    ws.embed_images("photos", folder_glob(images_dir), model=str(tiny_clip_dir))
    shown = capsys.readouterr().err
    assert "embed 5 images into 'photos'" in shown and "5/5" in shown  # the broken one too
    ws.embed_images("photos", folder_glob(images_dir), background=True).result(60)
    assert "5/5" in capsys.readouterr().err  # held files count as done


def test_the_magic_runs_images_in_the_background(ip, tiny_clip_dir, images_dir):
    from IPython.core.error import UsageError

    glob = folder_glob(images_dir)
    job = ip.run_line_magic("embed", f"photos --images {glob} --model {tiny_clip_dir} "
                                     "--background")
    assert isinstance(job, Job) and len(job.result(60).added) == 4
    with pytest.raises(UsageError, match="--sync runs in the foreground: drop --background"):
        ip.run_line_magic("embed", f"photos --images {glob} --sync --background")
