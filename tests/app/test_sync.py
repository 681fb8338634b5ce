"""`%embed COLL --files GLOB --sync` / `Workspace.embed_files(..., sync=True)` with real files."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from embmagic.app import Workspace
from embmagic.core import documents
from embmagic.core.sync import HASH_KEY, file_sha256
from embmagic.errors import InvalidArgumentError
from tests.app.snapshots import fail_first_call


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.md").write_text("Apples grow on trees.\n\nThey ripen in autumn.\n")
    (tmp_path / "b.txt").write_text("Basil likes sun.\n")
    (tmp_path / "c.txt").write_text("Carrots grow underground.\n")
    (tmp_path / "d.txt").write_text("Dill seeds itself.\n")
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the document reader opens (hashing is not reading)."""
    seen: list[str] = []
    original = documents.read_file

    def spy(path: Path) -> Any:
        seen.append(path.name)
        return original(path)

    monkeypatch.setattr(documents, "read_file", spy)
    return seen


def by_path(ws: Workspace, name: str = "docs") -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for r in ws.collection(name).records():
        out.setdefault(Path(str(r.metadata["path"])).name, []).append((r.id, r.text.strip()))
    return out


def state(ws: Workspace, name: str = "docs") -> tuple[Any, ...]:
    c = ws.collection(name)
    records = c.records()
    ids = [r.id for r in records]
    return ([(r.id, r.text, r.metadata) for r in records], c.vectors_for(ids).tobytes())


def test_first_sync_embeds_every_file_with_its_hash(ws: Workspace, folder: Path) -> None:
    result = ws.embed_files("docs", str(folder / "*"), sync=True)
    assert sorted(result.new) == sorted(str(p) for p in folder.iterdir())
    assert len(result.added) == 4 and result.removed == 0
    for r in ws.collection("docs").records():
        assert r.metadata[HASH_KEY] == file_sha256(str(r.metadata["path"]))
    assert "files: 0 unchanged, 4 new · records: +4 −0 (4 records)" in result.summary()


def test_edit_delete_rename_and_unchanged(ws: Workspace, folder: Path, reads: list[str]
                                          ) -> None:
    pattern = str(folder / "*")
    ws.embed_files("docs", pattern, sync=True)
    before = by_path(ws)
    top = ws.collection("docs").next_id
    (folder / "a.md").write_text("Apples grow on trees.\n\nPears too.\n")  # edited
    (folder / "b.txt").unlink()  # deleted
    (folder / "c.txt").rename(folder / "carrots.txt")  # renamed
    reads.clear()
    engine = ws.engine("fake-64")
    engine.cache.clear()
    result = ws.embed_files("docs", pattern, sync=True)
    assert sorted(reads) == ["a.md", "carrots.txt"]  # d.txt is hashed, never read
    assert result.unchanged == [str(folder / "d.txt")]
    assert result.updated == [str(folder / "a.md")]
    assert result.new == [str(folder / "carrots.txt")]
    assert sorted(result.removed_files) == [str(folder / "b.txt"), str(folder / "c.txt")]
    assert result.encoded == 2  # a.md's new text and carrots.txt; d.txt not encoded
    after = by_path(ws)
    assert set(after) == {"a.md", "carrots.txt", "d.txt"}
    assert after["d.txt"] == before["d.txt"]  # same record, same id
    assert "Pears too." in after["a.md"][0][1]
    new_ids = [i for _, group in after.items() for i, _ in group if i not in
               {j for g in before.values() for j, _ in g}]
    assert new_ids and min(new_ids) >= top  # ids are never reused
    assert len(result.added) == 2 and result.removed == 3
    assert "files: 1 unchanged, 1 new, 1 updated, 2 removed · records: +2 −3 (3 records)" in (
        result.summary())


def test_unchanged_folder_does_nothing(ws: Workspace, folder: Path, reads: list[str]) -> None:
    ws.embed_files("docs", str(folder / "*"), sync=True)
    before = state(ws)
    reads.clear()
    result = ws.embed_files("docs", str(folder / "*"), sync=True)
    assert reads == [] and result.encoded == 0 and result.added == [] and result.removed == 0
    assert state(ws) == before
    assert "files: 4 unchanged · records: +0 −0" in result.summary()


def test_sync_leaves_records_without_a_path_alone(ws: Workspace, folder: Path) -> None:
    ws.embed_text("docs", "A note typed in a cell.")
    ws.embed_files("docs", str(folder / "a.md"), sync=True)
    ws.embed_files("docs", str(folder / "b.txt"), sync=True)  # a.md no longer matches
    texts = [r.text.strip() for r in ws.collection("docs").records()]
    assert texts == ["A note typed in a cell.", "Basil likes sun."]


def test_files_with_the_same_text_each_keep_a_record(ws: Workspace, folder: Path) -> None:
    (folder / "e.txt").write_text("Dill seeds itself.\n")  # same as d.txt
    ws.embed_files("docs", str(folder / "*.txt"), sync=True)
    again = ws.embed_files("docs", str(folder / "*.txt"), sync=True)
    assert set(by_path(ws)) == {"b.txt", "c.txt", "d.txt", "e.txt"}
    assert len(again.unchanged) == 4 and again.added == []


def test_a_file_that_becomes_unreadable_keeps_its_records(ws: Workspace, folder: Path) -> None:
    ws.embed_files("docs", str(folder / "*"), sync=True)
    before = by_path(ws)
    (folder / "b.txt").write_bytes(b"\xff\xfe broken \x80")
    result = ws.embed_files("docs", str(folder / "*"), sync=True)
    assert by_path(ws) == before  # a sync never drops what it could not read
    assert result.updated == [] and result.removed == 0 and result.added == []
    assert [s.path for s in result.skipped] == [str(folder / "b.txt")]
    assert "skipped 1 file(s):" in result.plain()
    (folder / "b.txt").write_text("Basil likes sun and warmth.\n")  # readable again: replaced
    fixed = ws.embed_files("docs", str(folder / "*"), sync=True)
    assert fixed.updated == [str(folder / "b.txt")] and fixed.removed == 1
    assert [t for _, t in by_path(ws)["b.txt"]] == ["Basil likes sun and warmth."]


def test_an_unreadable_new_file_is_not_new_on_every_sync(ws: Workspace, folder: Path) -> None:
    (folder / "e.txt").write_bytes(b"\xff\xfe broken \x80")
    first = ws.embed_files("docs", str(folder / "*"), sync=True)
    again = ws.embed_files("docs", str(folder / "*"), sync=True)
    for result in (first, again):
        assert str(folder / "e.txt") not in result.new
        assert [s.path for s in result.skipped] == [str(folder / "e.txt")]
    assert again.new == [] and again.added == [] and "1 new" not in again.summary()


class Boom(RuntimeError):
    pass


@pytest.fixture
def failing_encoder(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Arm with `failing.append(exc)`: the second batch the backend encodes raises it."""
    engine = ws.engine("fake-64", batch_size=1)
    engine.batch_size = 1
    armed: list[Any] = []
    original = engine.backend.encode_batches

    def encode(batches: Any) -> Any:
        for n, vectors in enumerate(original(batches)):
            if armed and n == 1:
                raise armed[0]
            yield vectors

    monkeypatch.setattr(engine.backend, "encode_batches", encode)
    yield armed


@pytest.mark.parametrize("exc", [Boom("encoder died"), KeyboardInterrupt()])
def test_an_interrupted_sync_leaves_the_collection_as_it_was(
        ws: Workspace, folder: Path, failing_encoder: list[Any], exc: BaseException) -> None:
    pattern = str(folder / "*")
    ws.embed_files("docs", pattern, sync=True)
    before, next_id = state(ws), ws.collection("docs").next_id
    (folder / "a.md").write_text("Apples, edited.\n")
    (folder / "b.txt").write_text("Basil, edited.\n")
    (folder / "c.txt").unlink()
    (folder / "new.txt").write_text("A new file.\n")
    ws.engine("fake-64").cache.clear()
    failing_encoder.append(exc)
    with pytest.raises(type(exc)):
        ws.embed_files("docs", pattern, sync=True)
    assert state(ws) == before and ws.collection("docs").next_id == next_id
    failing_encoder.clear()
    result = ws.embed_files("docs", pattern, sync=True)  # the next sync does it all
    assert set(by_path(ws)) == {"a.md", "b.txt", "d.txt", "new.txt"} and result.removed == 3


def test_a_failing_delete_undoes_the_add(ws: Workspace, folder: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ws.embed_files("docs", str(folder / "*"), sync=True)
    before = state(ws)
    (folder / "a.md").write_text("Apples, edited.\n")
    # the sync's delete fails; the undo's delete works
    calls = fail_first_call(monkeypatch, ws.collection("docs"), "delete", Boom("disk full"))
    with pytest.raises(Boom):
        ws.embed_files("docs", str(folder / "*"), sync=True)
    monkeypatch.undo()
    assert state(ws) == before and len(calls) == 2


@pytest.mark.usefixtures("ctrl_c")
def test_ctrl_c_during_the_commit_is_held_until_it_is_done(ws: Workspace, folder: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    ws.embed_files("docs", str(folder / "*"), sync=True)
    (folder / "a.md").write_text("Apples, edited.\n")
    coll = ws.collection("docs")
    original = coll.delete

    def delete_after_a_signal(ids: Any) -> int:
        signal.raise_signal(signal.SIGINT)  # arrives between the add and the delete
        return original(ids)

    monkeypatch.setattr(coll, "delete", delete_after_a_signal)
    with pytest.raises(KeyboardInterrupt):
        ws.embed_files("docs", str(folder / "*"), sync=True)
    assert by_path(ws)["a.md"][0][1] == "Apples, edited."  # the whole change went in
    assert len(by_path(ws)["a.md"]) == 1


def test_a_new_collection_is_not_made_when_the_sync_fails(ws: Workspace, folder: Path,
                                                          failing_encoder: list[Any]) -> None:
    failing_encoder.append(Boom("encoder died"))
    with pytest.raises(Boom):
        ws.embed_files("fresh", str(folder / "*"), sync=True)
    assert "fresh" not in ws.collections


def test_bad_input_is_one_line_and_changes_nothing(ws: Workspace, folder: Path) -> None:
    ws.embed_files("docs", str(folder / "*"), sync=True)
    before = state(ws)
    with pytest.raises(InvalidArgumentError, match="no files match"):
        ws.embed_files("docs", str(folder / "*.nope"), sync=True)
    with pytest.raises(InvalidArgumentError, match="longer than fake-64's window of 256"):
        ws.embed_files("docs", str(folder / "*"), chunk=1000, sync=True)
    with pytest.raises(InvalidArgumentError, match="--sync runs locally"):
        ws.embed_files("docs", str(folder / "*"), sync=True, on="ray")
    assert state(ws) == before


def test_the_magic_prints_the_sync_summary(ip: Any, folder: Path) -> None:
    from IPython.core.error import UsageError

    ip.run_line_magic("embed", f"docs --files {folder}/* --sync")
    (folder / "d.txt").unlink()
    result = ip.run_line_magic("embed", f"docs --files {folder}/* --sync")
    assert "files: 3 unchanged, 1 removed · records: +0 −1 (3 records)" in result.plain()
    with pytest.raises(UsageError, match="--sync goes with --files"):
        ip.run_line_magic("embed", "docs --from x --sync")


def test_records_of_a_plain_files_run_are_replaced_once(ws: Workspace, folder: Path) -> None:
    ws.embed_files("docs", str(folder / "*.txt"))  # no file hashes yet
    first = ws.embed_files("docs", str(folder / "*.txt"), sync=True)
    assert len(first.updated) == 3 and first.removed == 3 and len(first.added) == 3
    assert sorted(t for g in by_path(ws).values() for _, t in g) == [
        "Basil likes sun.", "Carrots grow underground.", "Dill seeds itself."]
    again = ws.embed_files("docs", str(folder / "*.txt"), sync=True)
    assert len(again.unchanged) == 3 and again.added == [] and again.removed == 0
