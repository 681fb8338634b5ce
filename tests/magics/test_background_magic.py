"""`%embed ... --background`, `%%embed ... --background`, `%emb index ... --background`: a Job
at once, one-line errors, and widgets answered while a job works."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.app.background import CHUNK
from embmagic.app.jobs import Job
from embmagic.app.results import EmbedResult, MessageResult
from embmagic.widgets import Explorer
from tests.app.job_gate import Gate, gate
from tests.conftest import FAKE_MODEL, Snapshot, snapshot
from tests.widgets.conftest import invoke

N = CHUNK * 3 + 5


def texts(n: int) -> list[str]:
    return [f"line {i} on subject {i % 5}" for i in range(n)]


def held(magics: Any, monkeypatch: pytest.MonkeyPatch) -> Gate:
    return gate(magics.session.engine(FAKE_MODEL), monkeypatch)


def refused(ip: InteractiveShell, magic: str, line: str, cell: str | None = None) -> str:
    """The one UsageError line a magic gives; every collection unchanged."""
    before = snapshot(ip)
    with pytest.raises(UsageError) as info:
        if cell is None:
            ip.run_line_magic(magic, line)
        else:
            ip.run_cell_magic(magic, line, cell)
    assert "\n" not in str(info.value) and snapshot(ip) == before
    return str(info.value)


def test_line_magic_returns_a_job_and_its_result(ip: InteractiveShell, magics: Any) -> None:
    ip.user_ns["lines"] = texts(N)
    job = ip.run_line_magic("embed", "docs --from lines --background")
    assert isinstance(job, Job)
    result = job.result(timeout=60)
    assert isinstance(result, EmbedResult) and len(result.added) == N
    fore = ip.run_line_magic("embed", "docs --from lines")  # everything is there already
    assert fore.added == [] and len(fore.existing) == N
    assert len(magics.session.collection("docs")) == N


def test_cell_magic_binds_the_job_and_embeds_the_body(ip: InteractiveShell,
                                                      magics: Any) -> None:
    returned = ip.run_cell_magic("embed", "job << notes --background", "first line\nsecond line\n")
    job = ip.user_ns["job"]
    assert returned is None and isinstance(job, Job) and job.result(timeout=60).total == 2
    assert [r.text for r in magics.session.collection("notes").records()] == \
        ["first line", "second line"]


def test_index_magic_in_the_background(ip: InteractiveShell, magics: Any) -> None:
    ip.user_ns["lines"] = texts(60)
    ip.run_line_magic("embed", "docs --from lines")
    job = ip.run_line_magic("emb", "index docs --kind hnsw --m 8 --background")
    assert isinstance(job, Job)
    result = job.result(timeout=60)
    assert isinstance(result, MessageResult) and result.message.startswith("'docs' reindexed")
    assert magics.session.collection("docs").kind == "hnsw"


def test_busy_collection_refuses_in_one_line(ip: InteractiveShell, magics: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ip.user_ns["lines"] = texts(N)
    ip.run_cell_magic("embed", "docs", "already here\n")
    g = held(magics, monkeypatch)
    job = ip.run_line_magic("embed", "docs --from lines --background")
    g.until_call(1)
    busy = f"collection 'docs' is busy: embed {N:,} texts into 'docs' is running"
    assert refused(ip, "embed", "docs --from lines --background") == f"%embed: {busy}; " \
        "wait for it (job.result()) or cancel it (job.cancel()) first"
    assert busy in refused(ip, "embed", "docs", "one more line\n")
    assert busy in refused(ip, "emb", "index docs --kind hnsw")
    assert busy in refused(ip, "emb", "drop docs")
    assert ip.run_line_magic("neighbors", "already here -c docs -k 1").hits[0].text == \
        "already here"  # reading goes on, on the collection as before the job
    g.allow()
    assert len(job.result(timeout=60).added) == N


@pytest.mark.parametrize(
    ("magic", "line", "message"),
    [
        ("embed", "docs --from lines --on ray --background",
         "--background works with --on local"),
        ("emb", "index docs --kind ivfpq --on-disk /tmp/nowhere --background",
         "--background does not go with --on-disk"),
        ("emb", "info docs --background", "--background work only with %emb index"),
    ],
)
def test_flag_errors_are_one_line(ip: InteractiveShell, snap: Snapshot, magic: str, line: str,
                                  message: str) -> None:
    ip.user_ns["lines"] = texts(5)
    ip.run_line_magic("embed", "docs --from lines")
    assert message in refused(ip, magic, line)


def test_widget_commands_are_answered_during_a_job(ip: InteractiveShell, magics: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The explorer's search command (the front end's `model.send`) runs while the worker is
    held mid-job, and answers from the collection as it was before the job."""
    ip.user_ns["lines"] = texts(40)
    ip.run_line_magic("embed", "docs --from lines")
    ex = Explorer("docs")
    before = invoke(ex, "search", {"text": "line 3 on subject 3", "k": 3})
    ip.user_ns["more"] = [f"extra {i}" for i in range(N)]
    g = held(magics, monkeypatch)
    job = ip.run_line_magic("embed", "docs --from more --background")
    g.allow(1)
    g.until_call(2)  # one chunk encoded, the worker held before the second
    during = invoke(ex, "search", {"text": "line 3 on subject 3", "k": 3})
    assert during["ok"] and during == before and job.status == "running"
    assert job.cancel(wait=False)
    g.allow()
    assert job.wait(30) and job.status == "cancelled"
    assert len(magics.session.collection("docs")) == 40
