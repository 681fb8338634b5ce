"""`%embed ... --on ray` on a real local Ray instance: same records and vectors as --on local,
Parquet shards, dedup, Ctrl-C, errors."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.core import distributed
from embmagic.core.distributed import RaySettings, TextSource, embed_on_ray, read_shards
from embmagic.errors import InvalidArgumentError
from embmagic.store import Collection
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
    local = ip.run_line_magic("embed", f"here --files {pattern} --chunk 12 --overlap 3")
    out = tmp_path / "shards"
    remote = ip.run_line_magic(
        "embed", f"there --files {pattern} --chunk 12 --overlap 3 --on ray --out {out}"
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
    # again: the collection already holds every text: nothing is embedded, nothing added
    again = ip.run_line_magic("embed", f"there --files {pattern} --chunk 12 --overlap 3 --on ray")
    assert again.added == [] and again.encoded == 0
    assert sorted(again.existing) == [i for i, _, _ in l_rows]
    assert contents(coll(ip, "there"))[0] == r_rows


def test_rerun_on_ray_embeds_only_new_chunks_and_keeps_shards_only_with_out(
    ip: InteractiveShell, ray_cluster: Any, docs: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    pattern, out = str(docs / "*.txt"), tmp_path / "out"
    first = ip.run_line_magic("embed", f"c --files {pattern} --chunk 60 --on ray")
    assert "shards not kept (--out DIR keeps them)" in first._repr_mimebundle_()["text/plain"]
    assert list((tmp_path / "tmp" / "embmagic-ray").iterdir()) == []  # temporary: deleted
    (docs / "new.txt").write_text("a brand new note about the quarterly budget and taxes\n")
    second = ip.run_line_magic("embed", f"c --files {pattern} --chunk 60 --on ray --out {out}")
    assert second.encoded == len(second.added) == 1  # only the new file's chunk reached an actor
    assert len(second.existing) == len(first.added)
    assert coll(ip, "c").get(second.added[0]).metadata["path"] == str(docs / "new.txt")
    (docs / "newer.txt").write_text("the puppy barks at the mountain river\n")
    ip.run_line_magic("embed", f"c --files {pattern} --chunk 60 --on ray --out {out}")
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert [t for texts, _, _ in read_shards(out) for t in texts] == [
        "a brand new note about the quarterly budget and taxes",
        "the puppy barks at the mountain river",
    ]  # the second run's shard was added after the first's, not written over it


def test_on_ray_into_an_on_disk_collection_is_refused_before_the_job(
    ip: InteractiveShell, ray_cluster: Any, docs: Path, tmp_path: Path
) -> None:
    ip.run_line_magic("embed", f"c --files {docs}/*.txt")
    coll(ip, "c").to_disk(tmp_path / "c.disk")
    magics_of(ip).session.collections["c"] = Collection.open(tmp_path / "c.disk")
    before = snapshot(ip)
    with pytest.raises(UsageError, match="read-only"):
        ip.run_line_magic("embed", f"c --files {docs}/*.md --on ray --out {tmp_path / 'o'}")
    assert snapshot(ip) == before and not (tmp_path / "o").exists()


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
    tmp_path: Path,
) -> None:
    from embmagic.app import ingest

    shell = shell_with(ray_batch_size=50)
    shell.user_ns["old"], shell.user_ns["more"] = corpus(100), corpus(2000)
    shell.run_line_magic("embed", "c --from old")
    before = snapshot(shell)
    monkeypatch.setattr(ingest, "_progress", lambda *a: interrupt_after(3))
    out = tmp_path / "out"
    for line in ("c --from more --on ray", f"fresh --from more --on ray --out {out}"):
        with pytest.raises(KeyboardInterrupt):
            shell.run_line_magic("embed", line)
        assert snapshot(shell) == before  # partial adds removed; "fresh" never registered
        assert wait_for_idle(ray_cluster), "the job's actors still hold the CPUs"
    # a library call whose shards were already written when cancelled deletes them
    settings = RaySettings(batch_size=50, concurrency=1, shard_rows=50)
    with interrupt_after(4) as progress, pytest.raises(KeyboardInterrupt):
        embed_on_ray(TextSource(corpus(2000)), "fake-32", settings=settings, shard_dir=out,
                     progress=progress)  # fmt: skip
    assert out.is_dir() and list(out.iterdir()) == []


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


class FakeCluster:
    """What `default_actors` reads from Ray: cluster resources and the nodes."""

    def __init__(self, gpus: int, nodes: list[tuple[bool, int]]) -> None:
        self.gpus, self._nodes = gpus, nodes

    def cluster_resources(self) -> dict[str, float]:
        cpus = sum(c for alive, c in self._nodes if alive)
        return {"CPU": float(cpus), **({"GPU": float(self.gpus)} if self.gpus else {})}

    def nodes(self) -> list[dict[str, Any]]:
        return [{"Alive": alive, "Resources": {"CPU": float(c)} if c else {}}
                for alive, c in self._nodes]  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "nodes", "settings", "expected"),
    [
        (4, [(True, 16), (True, 16)], RaySettings(), (4, 0.0, 1.0)),  # one actor per GPU
        (4, [(True, 16)], RaySettings(concurrency=2), (2, 0.0, 1.0)),  # the user's count wins
        (4, [(True, 16), (True, 8)], RaySettings(device="cpu"), (24, 1.0, 0.0)),  # GPUs unused
        # one per CPU of the live nodes
        (0, [(True, 2), (False, 8), (True, 4), (True, 0)], RaySettings(), (6, 1.0, 0.0)),
        (0, [(True, 16), (True, 6)], RaySettings(threads=4), (5, 4.0, 0.0)),  # per node: 4 + 1
        (0, [(True, 2)], RaySettings(threads=4), (1, 2.0, 0.0)),  # a small node still gets one
        # more actors than CPUs: fractional CPUs, so that every actor can start
        (0, [(True, 2)], RaySettings(concurrency=3), (3, 2 / 3, 0.0)),
    ],
)
def test_actor_pool_is_one_per_gpu_else_one_per_threads_cpus(
    gpus: int, nodes: list[tuple[bool, int]], settings: RaySettings,
    expected: tuple[int, float, float],
) -> None:  # fmt: skip
    fake: Any = FakeCluster(gpus, nodes)
    assert distributed.default_actors(fake, settings) == expected


def test_ray_threads_option_reaches_the_settings_and_rejects_zero(ip: InteractiveShell) -> None:
    magics = magics_of(ip)
    ip.run_line_magic("config", "EmbMagics.ray_threads = 2")
    assert magics.ray_settings().threads == 2
    with pytest.raises(UsageError, match=r"^EmbMagics\.ray_threads must be at least 1, got 0$"):
        magics.ray_threads = 0
    assert magics.ray_threads == 2
    with pytest.raises(InvalidArgumentError, match="ray threads must be at least 1, got 0"):
        RaySettings(threads=0)
