"""`%embed ... --on ray` on a real local Ray instance: same records and vectors as --on local,
Parquet shards, dedup, Ctrl-C, errors."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.core import distributed
from embmagic.core.distributed import RaySettings, TextSource, embed_on_ray, read_shards
from tests.conftest import magics_of, snapshot
from tests.distributed.conftest import wait_for_idle

WORDS = ["cat", "dog", "kitten", "puppy", "river", "mountain", "tax", "revenue", "budget",
         "quarterly", "sleep", "bark"]  # fmt: skip


def corpus(n: int) -> list[str]:
    rng = np.random.default_rng(7)
    return [" ".join(rng.choice(WORDS, size=6)) + f" {i}" for i in range(n)]


def coll(shell: InteractiveShell, name: str) -> Any:
    return magics_of(shell).session.collections[name]


def contents(c: Any) -> tuple[list[tuple[int, str, dict[str, Any]]], np.ndarray]:
    records = c.records()
    return [(r.id, r.text, r.metadata) for r in records], c.vectors_for([r.id for r in records])


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(6):
        body = " ".join(corpus(40)[i * 5 : i * 5 + 5])
        (folder / f"note{i}.txt").write_text(body + "\n", encoding="utf-8")
    (folder / "readme.md").write_text("# Title\n\nthe small cat sleeps by the river\n")
    (folder / "blob.bin").write_bytes(b"\x00\x01binary")
    return folder


def test_files_on_ray_equal_local_records_vectors_and_shards(
    ip: InteractiveShell, ray_cluster: Any, docs: Path, tmp_path: Path
) -> None:
    pattern = str(docs / "*")
    local = ip.run_line_magic("embed", f"here --files {pattern} --chunk 60 --overlap 10")
    out = tmp_path / "shards"
    remote = ip.run_line_magic(
        "embed", f"there --files {pattern} --chunk 60 --overlap 10 --on ray --out {out}"
    )
    (l_rows, l_vecs), (r_rows, r_vecs) = contents(coll(ip, "here")), contents(coll(ip, "there"))
    assert r_rows == l_rows  # same texts, metadata, ids, order
    assert len(l_rows) > 20
    assert float(np.min(np.sum(l_vecs * r_vecs, axis=1))) >= 0.999
    assert (
        [(s.path, s.reason) for s in remote.skipped]
        == [(s.path, s.reason) for s in local.skipped]
        == [(str(docs / "blob.bin"), "binary file")]
    )
    assert remote.encoded == len(l_rows) and len(remote.added) == len(l_rows)
    plain = remote._repr_mimebundle_()["text/plain"]
    assert plain.startswith(f"there: {len(l_rows)} added, 0 already present")
    assert f"Parquet shard(s) in {out}" in plain
    shard_texts = [t for texts, _, _ in read_shards(out) for t in texts]
    shard_vecs = np.concatenate([v for _, _, v in read_shards(out)])
    assert shard_texts == [t for _, t, _ in l_rows]
    np.testing.assert_allclose(shard_vecs, r_vecs, atol=1e-6)
    # again: the collection already holds every text, nothing is added
    again = ip.run_line_magic("embed", f"there --files {pattern} --chunk 60 --overlap 10 --on ray")
    assert again.added == [] and len(again.existing) == len(l_rows)
    assert contents(coll(ip, "there"))[0] == r_rows


def test_from_variable_on_ray_extends_a_collection_and_skips_known_texts(
    ip: InteractiveShell, ray_cluster: Any
) -> None:
    texts = corpus(600)
    ip.user_ns["first"], ip.user_ns["both"] = texts[:200], texts
    ip.run_line_magic("embed", "c --from first")
    result = ip.run_line_magic("embed", "c --from both --on ray --meta src=ray")
    assert len(result.added) == 400 and len(result.existing) == 200
    assert result.encoded == 400  # the 200 known texts never reached Ray
    ip.run_line_magic("embed", "ref --from both")
    (c_rows, c_vecs), (r_rows, r_vecs) = contents(coll(ip, "c")), contents(coll(ip, "ref"))
    assert [t for _, t, _ in c_rows] == [t for _, t, _ in r_rows]
    assert c_rows[250][2] == {"source": "both", "row": 250, "src": "ray"}
    assert float(np.min(np.sum(c_vecs * r_vecs, axis=1))) >= 0.999
    unchanged = ip.run_line_magic("embed", "c --from both --on ray")
    assert unchanged.added == [] and len(unchanged.existing) == 600


@pytest.mark.model
def test_minilm_on_ray_equals_local_record_by_record(
    shell_with: Callable[..., InteractiveShell], ray_cluster: Any
) -> None:
    from embmagic.engine.corpus import stdlib_sentences

    shell = shell_with(model="minilm", ray_batch_size=64)
    shell.user_ns["texts"] = stdlib_sentences(300)
    shell.run_line_magic("embed", "local --from texts")
    result = shell.run_line_magic("embed", "remote --from texts --on ray")
    assert result.model == "minilm" and len(result.added) == 300
    (l_rows, l_vecs), (r_rows, r_vecs) = (
        contents(coll(shell, "local")),
        contents(coll(shell, "remote")),
    )
    assert r_rows == l_rows
    cosines = np.sum(l_vecs * r_vecs, axis=1)
    assert float(cosines.min()) >= 0.999, cosines.min()


@contextlib.contextmanager
def interrupt_after(batches: int) -> Iterator[Callable[[int, int | None], None]]:
    seen = []

    def progress(done: int, total: int | None) -> None:
        seen.append(done)
        if len(seen) == batches:
            raise KeyboardInterrupt

    yield progress


def test_ctrl_c_cancels_the_job_and_leaves_every_collection_as_it_was(
    shell_with: Callable[..., InteractiveShell],
    ray_cluster: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from embmagic.magics import embed

    shell = shell_with(ray_batch_size=50)
    shell.user_ns["old"], shell.user_ns["more"] = corpus(100), corpus(2000)
    shell.run_line_magic("embed", "c --from old")
    before = snapshot(shell)
    monkeypatch.setattr(embed, "_progress", lambda *a: interrupt_after(3))
    for line in ("c --from more --on ray", "fresh --from more --on ray"):
        with pytest.raises(KeyboardInterrupt):
            shell.run_line_magic("embed", line)
        assert snapshot(shell) == before  # partial adds removed; "fresh" never registered
        assert wait_for_idle(ray_cluster), "the job's actors still hold the CPUs"


def test_library_call_writes_shards_only_and_reports_progress(
    ray_cluster: Any, tmp_path: Path
) -> None:
    texts = corpus(1000)
    calls: list[tuple[int, int | None]] = []
    settings = RaySettings(batch_size=100, concurrency=1, shard_rows=300)
    job = embed_on_ray(
        TextSource(texts), "fake-32", settings=settings, shard_dir=tmp_path,
        progress=lambda d, t: calls.append((d, t)),
    )  # fmt: skip
    assert job.collection is None and job.rows == 1000 and job.actors == 1
    assert [Path(f).name for f in job.shards] == [f"part-{i:05d}.parquet" for i in range(4)]
    assert calls[-1] == (1000, 1000) and len(calls) == 10
    got = [t for chunk, _, _ in read_shards(tmp_path) for t in chunk]
    assert got == texts


def test_on_ray_without_ray_says_what_to_install(
    ip: InteractiveShell, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(distributed, "ray_available", lambda: False)
    message = r'^%embed: Ray is not installed: pip install "embmagic\[ray\]"$'
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("embed", f"x --files {docs}/*.txt --on ray")
    assert magics_of(ip).session.collections == {}


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("x --on ray", "some text", "--on ray works with"),
        ("x --cells --on ray", None, "--on ray works with"),
        ("x --from v --out /tmp/o", None, "--out DIR goes with --on ray"),
        ("x --from v --on cloud", None, "invalid choice"),
    ],
)
def test_bad_on_ray_lines_are_one_line_usage_errors(
    ip: InteractiveShell, line: str, cell: str | None, message: str
) -> None:
    ip.user_ns["v"] = ["a text"]
    with pytest.raises(UsageError, match=message):
        if cell is None:
            ip.run_line_magic("embed", line)
        else:
            ip.run_cell_magic("embed", line, cell)
    assert magics_of(ip).session.collections == {}


def test_connect_uses_ray_address_for_an_existing_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    class FakeRay:
        data = None

        @staticmethod
        def is_initialized() -> bool:
            return False

        @staticmethod
        def init(**kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(distributed, "require_ray", lambda: FakeRay)
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    distributed.connect(None)
    assert seen["address"] == "ray://head:10001"
    assert seen["runtime_env"]["env_vars"]["HF_HUB_OFFLINE"] == "1"
    seen.clear()
    distributed.connect("ray://other:10001")  # %config EmbMagics.ray_address wins
    assert seen["address"] == "ray://other:10001"
    monkeypatch.delenv("RAY_ADDRESS")
    seen.clear()
    distributed.connect(None)
    assert "address" not in seen and seen["include_dashboard"] is False


def test_loading_the_extension_imports_no_ray() -> None:
    code = (
        "import sys\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().extension_manager.load_extension('embmagic')\n"
        "assert 'ray' not in sys.modules, 'ray imported at load'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
