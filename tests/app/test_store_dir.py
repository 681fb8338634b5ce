"""Collections that live in a folder (`store_dir` / EMBMAGIC_STORE_DIR): saved after each change,
reopened lazily by a new workspace, one writing process at a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

from embmagic.app import Workspace
from embmagic.app.options import Options
from embmagic.errors import StoreLockedError
from embmagic.store.lockfile import LOCK_NAME


def workspace(store: Path | str | None = None) -> Workspace:
    options = Options(model="fake-64", show_progress=False)
    if store is not None:
        options.store_dir = str(store)
    return Workspace(options=options)


def records(ws: Workspace, name: str) -> list[tuple[int, str]]:
    return [(r.id, r.text) for r in ws.collection(name).records()]


def test_every_change_is_saved_and_a_new_workspace_reopens_lazily(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.embed_text("notes", "Tomatoes need sun.\n\nBasil likes warmth.")
    ws.embed_text("other", "Mint spreads.")
    ws.embed_text("notes", "Dill seeds itself.")
    assert (tmp_path / "notes" / "manifest.json").is_file()
    again = workspace(tmp_path)  # a restarted kernel
    assert again.collections.loaded() == {}
    listing = again.list_collections().plain()
    assert "notes" in listing and "other" in listing and "not loaded yet" in listing
    assert again.collections.loaded() == {}  # %emb list reads manifests, not vectors
    assert records(again, "notes") == records(ws, "notes")
    assert set(again.collections.loaded()) == {"notes"}
    hit = again.neighbors("Dill seeds itself.", collection="notes", k=1).hits[0]
    assert hit.text == "Dill seeds itself."


def test_drop_removes_the_folder_and_reindex_is_saved(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.embed_text("a", "one\ntwo\nthree")
    ws.embed_text("b", "four")
    ws.index("a", "hnsw")
    assert workspace(tmp_path).collection("a").kind == "hnsw"
    ws.drop("b")
    assert not (tmp_path / "b").exists()
    assert sorted(workspace(tmp_path).collections) == ["a"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != LOCK_NAME]


def test_the_environment_variable_turns_it_on(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBMAGIC_STORE_DIR", str(tmp_path / "made"))
    ws = workspace()
    assert ws.options.store_dir == str(tmp_path / "made")
    ws.embed_text("env", "saved via the environment")
    assert (tmp_path / "made" / "env" / "manifest.json").is_file()


def test_a_bad_environment_path_warns_and_stays_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("EMBMAGIC_STORE_DIR", str(tmp_path / "file"))
    with pytest.warns(UserWarning, match="is not a folder.*collections stay in memory"):
        ws = workspace()
    assert ws.options.store_dir == ""
    ws.embed_text("mem", "kept in memory")
    assert (tmp_path / "file").read_text() == "x"


def test_default_is_memory_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBMAGIC_STORE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    ws = workspace()
    ws.embed_text("mem", "nothing written")
    assert ws.options.store_dir == "" and list(tmp_path.iterdir()) == []


def test_turning_it_on_writes_what_the_session_holds(tmp_path: Path) -> None:
    ws = workspace()
    ws.embed_text("kept", "made before the store existed")
    ws.options.store_dir = str(tmp_path)
    assert records(workspace(tmp_path), "kept") == records(ws, "kept")


def test_a_bad_path_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "good")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(TraitError, match="not a folder"):
        ws.options.store_dir = str(a_file)
    assert ws.options.store_dir == str(tmp_path / "good")
    ws.embed_text("still", "saved in the good folder")
    assert (tmp_path / "good" / "still").is_dir()


def test_a_name_clash_refuses_the_switch(tmp_path: Path) -> None:
    workspace(tmp_path).embed_text("same", "on disk")
    ws = workspace()
    ws.embed_text("same", "in memory")
    with pytest.raises(TraitError, match="already holds a collection named 'same'"):
        ws.options.store_dir = str(tmp_path)
    assert ws.options.store_dir == "" and records(ws, "same") == [(0, "in memory")]
    assert records(workspace(tmp_path), "same") == [(0, "on disk")]


def test_odd_names_map_to_one_folder_each(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    for name in ("a/b", ".hidden", "é x"):
        ws.embed_text(name, f"text of {name}")
    assert sorted(workspace(tmp_path).collections) == sorted(["a/b", ".hidden", "é x"])
    assert all(not p.name.startswith(".") for p in tmp_path.iterdir() if p.name != LOCK_NAME)


def test_the_magics_take_the_option(ip: Any, magics: Any, tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    ip.run_line_magic("config", f"EmbMagics.store_dir = {str(tmp_path)!r}")
    ip.run_cell_magic("embed", "cells", "first\nsecond")
    assert (tmp_path / "cells" / "manifest.json").is_file()
    bad = str(tmp_path / "cells" / "manifest.json")
    ip.run_line_magic("config", f"EmbMagics.store_dir = {bad!r}")  # %config logs the error
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "\n" not in errors[0] and "not a folder" in errors[0]
    assert magics.store_dir == str(tmp_path)


HOLDER = textwrap.dedent("""
    import sys
    from embmagic.app import Workspace
    from embmagic.app.options import Options
    ws = Workspace(options=Options(model="fake-64", show_progress=False, store_dir=sys.argv[1]))
    ws.embed_text("shared", "written by the first kernel")
    print("ready", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that has written the store and keeps it (until killed)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_process_reads_but_cannot_write(tmp_path: Path,
                                                 holder: subprocess.Popen[str]) -> None:
    lock = json.loads((tmp_path / LOCK_NAME).read_text())
    assert lock["pid"] == holder.pid
    ws = workspace(tmp_path)
    assert records(ws, "shared") == [(0, "written by the first kernel")]
    with pytest.raises(StoreLockedError, match=f"pid {holder.pid}") as info:
        ws.embed_text("shared", "a second writer")
    assert "\n" not in str(info.value)
    with pytest.raises(StoreLockedError):
        ws.drop("shared")
    assert records(workspace(tmp_path), "shared") == [(0, "written by the first kernel")]
    holder.kill()
    holder.wait()
    ws.embed_text("shared", "the dead holder's lock is taken over")  # stale lock
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert len(workspace(tmp_path).collection("shared")) == 2


def test_the_magic_error_names_the_holder(ip: Any, tmp_path: Path,
                                          holder: subprocess.Popen[str]) -> None:
    ip.run_line_magic("config", f"EmbMagics.store_dir = {str(tmp_path)!r}")
    with pytest.raises(UsageError, match=f"pid {holder.pid}") as info:
        ip.run_cell_magic("embed", "shared", "second kernel")
    assert "\n" not in str(info.value)
    assert "shared" in ip.run_line_magic("emb", "list").plain()


def test_small_changes_go_to_the_log_and_are_replayed(tmp_path: Path) -> None:
    from embmagic.store.changelog import log_path

    ws = workspace(tmp_path)
    ws.embed_text("log", "one\ntwo\nthree")
    base = (tmp_path / "log" / "manifest.json").read_bytes()
    ws.embed_text("log", "four\nfive")
    ws.collection("log").delete([1])
    ws.persist("log")
    assert (tmp_path / "log" / "manifest.json").read_bytes() == base  # no full save
    assert log_path(tmp_path / "log").stat().st_size > 0
    again = workspace(tmp_path)
    assert records(again, "log") == records(ws, "log")
    assert [t for _, t in records(again, "log")] == ["one", "three", "four", "five"]
    np_again = again.collection("log").vectors_for([4])
    assert np_again.tobytes() == ws.collection("log").vectors_for([4]).tobytes()
    assert again.collection("log").next_id == 5


def test_a_sync_into_the_store_survives_a_restart(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Apples.")
    (docs / "b.txt").write_text("Basil.")
    ws = workspace(tmp_path / "store")
    ws.embed_files("docs", str(docs / "*"), sync=True)
    (docs / "a.txt").write_text("Apricots.")
    (docs / "b.txt").unlink()
    ws.embed_files("docs", str(docs / "*"), sync=True)
    again = workspace(tmp_path / "store")
    assert [t.strip() for _, t in records(again, "docs")] == ["Apricots."]
    assert again.embed_files("docs", str(docs / "*"), sync=True).unchanged == [str(docs / "a.txt")]


def test_a_torn_last_line_is_ignored_and_cut(tmp_path: Path) -> None:
    from embmagic.store.changelog import log_path

    ws = workspace(tmp_path)
    ws.embed_text("t", "one")
    ws.embed_text("t", "two")
    log = log_path(tmp_path / "t")
    with open(log, "ab") as fh:
        fh.write(b'{"op": "add", "id": 9, "text": "cut sh')  # a crash mid-append
    again = workspace(tmp_path)
    assert [t for _, t in records(again, "t")] == ["one", "two"]
    again.embed_text("t", "three")  # the next append starts on a fresh line
    assert [t for _, t in records(workspace(tmp_path), "t")] == ["one", "two", "three"]


def test_a_damaged_log_line_is_one_line_error(tmp_path: Path) -> None:
    from embmagic.errors import StoreFormatError
    from embmagic.store.changelog import log_path

    ws = workspace(tmp_path)
    ws.embed_text("d", "one")
    ws.embed_text("d", "two")
    log = log_path(tmp_path / "d")
    log.write_bytes(b"not json\n" + log.read_bytes())
    with pytest.raises(StoreFormatError, match="line 1 is damaged") as info:
        workspace(tmp_path).collection("d")
    assert "\n" not in str(info.value)


def test_a_long_log_is_compacted_into_a_full_save(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from embmagic.app import store_dir
    from embmagic.store.changelog import log_path

    monkeypatch.setattr(store_dir, "COMPACT_AT", 3)
    ws = workspace(tmp_path)
    ws.embed_text("c", "one")
    ws.embed_text("c", "two\nthree")
    assert log_path(tmp_path / "c").exists()
    ws.embed_text("c", "four\nfive")  # 4 logged records > 3: a full save, the log removed
    assert not log_path(tmp_path / "c").exists()
    assert [t for _, t in records(workspace(tmp_path), "c")] == [
        "one", "two", "three", "four", "five"]


def test_load_ext_in_a_restarted_kernel_reopens_the_store(shell_with: Any, tmp_path: Path
                                                          ) -> None:
    first = shell_with(store_dir=str(tmp_path))
    first.run_cell_magic("embed", "notes", "The cat sleeps.\nThe dog runs.")
    second = shell_with(store_dir=str(tmp_path))  # a fresh shell: a restarted kernel
    session = second.magics_manager.registry["EmbMagics"].session
    listing = second.run_line_magic("emb", "list").plain()
    assert "notes" in listing and "not loaded yet" in listing and session.collections.loaded() == {}
    hits = second.run_line_magic("neighbors", "a sleeping cat -c notes -k 1")
    assert hits.to_pandas()["text"].tolist() == ["The cat sleeps."]
