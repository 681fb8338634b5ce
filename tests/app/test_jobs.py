"""Background jobs (app/jobs.py, app/background.py): result, error, cancel, one job per
collection, and what searches in other threads see while a job works."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from embmagic.app import Workspace
from embmagic.app.background import CHUNK
from embmagic.app.jobs import Job
from embmagic.app.results import EmbedResult
from embmagic.errors import (
    CollectionBusyError,
    DeviceMemoryError,
    InvalidArgumentError,
    JobCancelledError,
    ModelMismatchError,
)
from embmagic.store import Collection
from tests.app import job_gate
from tests.app.job_gate import Gate
from tests.app.snapshots import collection_state

N = CHUNK * 4 + 17  # five chunks, the last one short


def gate(ws: Workspace, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Gate:
    return job_gate.gate(ws.engine("fake-64"), monkeypatch, **kwargs)


def texts(n: int, tag: str = "t") -> list[str]:
    return [f"{tag} sentence number {i} about topic {i % 7}" for i in range(n)]


state = collection_state


def seeded(ws: Workspace) -> Collection:
    ws.embed("docs", texts(40, "old"))
    c = ws.collection("docs")
    assert isinstance(c, Collection)
    return c


def test_result_equals_the_foreground_embed(ws: Workspace) -> None:
    job = ws.embed("docs", texts(N), background=True)
    assert isinstance(job, Job)
    result = job.result(timeout=60)
    assert isinstance(result, EmbedResult) and job.status == "done"
    assert len(result.added) == N and result.total == N and result.encoded == N
    fore = Workspace()
    fore.options.model, fore.options.show_progress = "fake-64", False
    fore.embed("docs", texts(N))
    assert state(ws.collection("docs")) == state(fore.collection("docs"))  # type: ignore[arg-type]
    assert repr(job) == f"Job(embed {N:,} texts into 'docs': done)"
    assert ws.jobs == {}  # the name is free again


def test_repr_and_status_while_running(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(ws, monkeypatch)
    job = ws.embed("docs", texts(N), background=True)
    g.until_call(1)
    assert job.status == "running" and not job.wait(0.05)
    assert repr(job) == f"Job(embed {N:,} texts into 'docs': running)"
    assert "docs" not in ws.collections  # a new collection appears only at the commit
    with pytest.raises(TimeoutError):
        job.result(timeout=0.01)
    g.allow()
    assert len(job.result(timeout=60).added) == N and job.done == N == job.total


@pytest.mark.parametrize("chunks_before_cancel", [0, 2])
def test_cancel_leaves_the_collection_exactly_as_before(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, chunks_before_cancel: int) -> None:
    c = seeded(ws)
    before = state(c)
    g = gate(ws, monkeypatch)
    job = ws.embed("docs", texts(N), background=True)
    g.allow(chunks_before_cancel)
    g.until_call(chunks_before_cancel + 1)
    assert job.done == chunks_before_cancel * CHUNK
    assert job.cancel(wait=False) and job.status == "cancelling"
    g.allow()
    assert job.wait(30) and job.status == "cancelled"
    assert repr(job) == f"Job(embed {N:,} texts into 'docs': cancelled, 'docs' unchanged)"
    with pytest.raises(JobCancelledError, match="was cancelled; 'docs' is as it was before"):
        job.result()
    assert state(c) == before and ws.collection("docs") is c
    ws.embed("docs", ["written after the cancel"])  # the collection takes writes again
    assert c.next_id == before[2] + 1  # no id was used up by the cancelled job


def test_cancel_of_a_new_collection_registers_nothing(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    g = gate(ws, monkeypatch)
    job = ws.embed("fresh", texts(N), background=True)
    g.until_call(1)
    cancelled = threading.Thread(target=job.cancel)  # cancel() waits for the worker
    cancelled.start()
    g.allow()
    cancelled.join(30)
    assert job.status == "cancelled" and "fresh" not in ws.collections and ws.jobs == {}
    assert job.cancel() is True  # asking again changes nothing


def test_an_error_mid_job_is_raised_again_and_nothing_changes(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    c = seeded(ws)
    before = state(c)
    error = DeviceMemoryError("cpu ran out of memory encoding a single text")
    g = gate(ws, monkeypatch, fail_at=3, error=error)
    job = ws.embed("docs", texts(N), background=True)
    g.allow()
    assert job.wait(30) and job.status == "failed" and job.error is error
    with pytest.raises(DeviceMemoryError) as raised:
        job.result()
    assert raised.value is error  # the same typed error a foreground embed raises
    assert repr(job) == (f"Job(embed {N:,} texts into 'docs': failed: "
                         "cpu ran out of memory encoding a single text)")
    assert state(c) == before and ws.jobs == {}
    assert job.cancel() is False  # it had already ended


def test_input_errors_are_raised_at_once_not_by_the_job(ws: Workspace) -> None:
    c = seeded(ws)
    before = state(c)
    with pytest.raises(ModelMismatchError, match="holds fake-64 vectors"):
        ws.embed("docs", ["x"], model="fake-32", background=True)
    with pytest.raises(InvalidArgumentError, match="--background works with --on local"):
        ws.embed("docs", ["x"], on="ray", background=True)
    assert state(c) == before and ws.jobs == {}


def test_one_job_per_collection_and_no_foreground_writes(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    c = seeded(ws)
    before = state(c)
    g = gate(ws, monkeypatch)
    job = ws.embed("docs", texts(N), background=True)
    g.until_call(1)
    busy = f"collection 'docs' is busy: embed {N:,} texts into 'docs' is running"
    refused = [
        lambda: ws.embed("docs", ["another"], background=True),
        lambda: ws.embed("docs", ["another"]),
        lambda: ws.index("docs", "hnsw"),
        lambda: ws.index("docs", "hnsw", background=True),
        lambda: ws.drop("docs"),
        lambda: c.add(["direct"], np.eye(1, 64, dtype=np.float32)),  # the store's own lease
        lambda: c.delete([0]),
        lambda: c.reindex("hnsw"),
    ]
    for call in refused:
        with pytest.raises(CollectionBusyError) as info:
            call()
        assert str(info.value).startswith(busy) and "\n" not in str(info.value)
    other = ws.embed("other", texts(30, "o"), background=True)  # another collection: fine
    assert isinstance(other, Job)
    assert state(c) == before  # reading works, and shows the collection before the job
    assert ws.neighbors("old sentence number 3", collection="docs", k=1).hits[0].text == \
        "old sentence number 3 about topic 3"
    g.allow()
    job.result(timeout=60)
    other.result(timeout=60)
    assert len(c) == 40 + N and len(ws.collection("other")) == 30
    c.delete([0])  # free again
    assert len(c) == 40 + N - 1


def test_searches_during_a_job_see_the_collection_before_or_after_the_commit(
        ws: Workspace) -> None:
    c = seeded(ws)
    query = ws.engine("fake-64").embed(["probe"])
    job = ws.embed("docs", texts(N * 4), background=True)
    seen: set[int] = set()
    while not job.wait(0):
        hits = c.search(query, k=10_000)[0]
        seen.add(len(hits))
        assert {h.id for h in hits} == set(c.ids()) or len(hits) != len(c)  # own snapshot
        assert len(hits) in (40, 40 + N * 4)
    job.result()
    seen.add(len(c.search(query, k=10_000)[0]))
    assert seen <= {40, 40 + N * 4} and 40 + N * 4 in seen


def test_concurrent_searches_during_adds_see_whole_batches(ws: Workspace) -> None:
    """A writer thread adds batches of 50 while reader threads search, list and fetch: every
    answer holds whole batches only, and every id a search returns can be fetched."""
    batch, batches = 50, 60
    c = Collection("live", "fake-64", 64)
    engine = ws.engine("fake-64")
    payload = [(texts(batch, f"b{b}"), engine.embed(texts(batch, f"b{b}")))
               for b in range(batches)]  # fmt: skip
    query = engine.embed(["b3 sentence number 1"])
    problems: list[str] = []
    done = threading.Event()

    def write() -> None:
        for b, (words, vectors) in enumerate(payload):
            c.add(words, vectors, [{"batch": b}] * batch)
        done.set()

    def read() -> None:
        while not done.is_set():
            hits = c.search(query, k=100_000)[0]
            counts = np.bincount([h.metadata["batch"] for h in hits], minlength=batches)
            if not set(counts.tolist()) <= {0, batch}:
                problems.append(f"search saw part of a batch: {counts.tolist()}")
            if len(c.records()) % batch or len(c.ids()) % batch:
                problems.append("records() or ids() saw part of a batch")
            for h in hits[:5]:
                c.get(h.id)  # RecordNotFoundError if the index ran ahead of the records
            where = c.search(query, k=3, where={"batch": 0})[0]
            if hits and len(where) != 3:
                problems.append(f"filtered search saw {len(where)} of batch 0")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    write()
    for t in readers:
        t.join(60)
    assert problems == [] and len(c) == batch * batches


def test_background_index_swaps_at_the_end_and_cancel_keeps_the_old(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    c = seeded(ws)
    query = ws.engine("fake-64").embed(["old sentence number 7 about topic 0"])
    expected = [h.id for h in c.search(query, k=5)[0]]
    job = ws.index("docs", "hnsw", background=True)
    assert isinstance(job, Job)
    assert job.result(timeout=60).message.startswith("'docs' reindexed: hnsw")
    assert c.kind == "hnsw" and [h.id for h in c.search(query, k=5)[0]] == expected
    assert repr(job) == "Job(index 'docs' as hnsw: done)"

    building = threading.Event()
    release = threading.Event()
    real = c.build_index

    def slow_build(kind: str, **params: Any) -> Any:
        building.set()
        assert release.wait(30)
        return real(kind, **params)

    monkeypatch.setattr(c, "build_index", slow_build)
    before = state(c)
    job = ws.index("docs", "flat", background=True)
    assert building.wait(30)
    assert [h.id for h in c.search(query, k=5)[0]] == expected  # the old index answers
    job.cancel(wait=False)
    release.set()
    assert job.wait(30) and job.status == "cancelled" and state(c) == before == state(c)
    assert c.kind == "hnsw"


def test_background_index_refuses_bad_input_at_once(ws: Workspace) -> None:
    c = seeded(ws)
    before = state(c)
    with pytest.raises(InvalidArgumentError, match="--background does not go with --on-disk"):
        ws.index("docs", "ivfpq", on_disk="/tmp/x", background=True)
    with pytest.raises(InvalidArgumentError, match="unknown index kind 'nope'; choose one of"):
        ws.index("docs", "nope", background=True)
    assert state(c) == before and ws.jobs == {}


def test_progress_bar_counts_every_text_and_says_how_it_ended(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    ws.options.show_progress = True
    ws.embed("docs", texts(N), background=True).result(timeout=60)
    done = capsys.readouterr().err
    assert f"embed {N:,} texts into 'docs'" in done and f"{N}/{N}" in done
    g = gate(ws, monkeypatch)
    job = ws.embed("docs", texts(N, "new"), background=True)
    g.until_call(1)
    job.cancel(wait=False)
    g.allow()
    assert job.wait(30)
    assert f"cancelled: embed {N:,} texts into 'docs'" in capsys.readouterr().err


@pytest.mark.model
def test_real_model_job_leaves_the_main_thread_free_and_matches_the_foreground(
        ws: Workspace) -> None:
    """MiniLM (torch) encodes in the worker; the main thread keeps running small calls, each
    well under 100 ms, and the vectors equal a foreground embed of the same texts."""
    import time

    from embmagic.engine import load_engine
    from embmagic.engine.corpus import stdlib_sentences

    engine = load_engine("minilm", device="cpu", backend="torch", progress=False)
    ws.options.model = "minilm"
    ws.engines[("minilm", ws.options.device)] = engine
    sentences = stdlib_sentences(160)
    job = ws.embed("back", sentences, background=True)
    latencies = []
    while not job.wait(0.01):
        start = time.perf_counter()
        sum(range(1000))
        latencies.append(time.perf_counter() - start)
    job.result()
    assert len(latencies) >= 3 and sorted(latencies)[len(latencies) // 2] < 0.1
    engine.cache.clear()
    ws.embed("fore", sentences)
    back, fore = ws.collection("back"), ws.collection("fore")
    ids = [r.id for r in back.records()]
    assert [r.text for r in back.records()] == [r.text for r in fore.records()]
    cosines = np.einsum("ij,ij->i", back.vectors_for(ids), fore.vectors_for(ids))
    assert float(cosines.min()) > 0.9999


def test_a_job_draws_one_bar_even_when_the_engine_shows_its_own(monkeypatch) -> None:
    """show_progress=True makes the engine draw a bar per embed call; the job asks for none."""
    from embmagic.engine.engine import Engine

    calls: list[bool | None] = []
    original = Engine._progress_bar

    def spy(self: Engine, total: int, progress: bool | None = None) -> object:
        calls.append(progress)
        return original(self, total, progress)

    monkeypatch.setattr(Engine, "_progress_bar", spy)
    ws = Workspace()
    ws.options.model, ws.options.show_progress = "fake-16", True
    texts = [f"text number {i}" for i in range(600)]  # three 256-text chunks
    job = ws.embed("big", texts, background=True)
    job.result()
    assert calls and all(p is False for p in calls)  # every chunk's engine bar switched off
    assert len(ws.collection("big")) == 600
