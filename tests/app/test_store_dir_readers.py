"""A process that reads a store_dir follows the process that writes it (app/store_dir.py
`Collections._followed`): logged changes, full saves, drops; a reader that becomes the writer
starts from the folder's latest state. Changes the reader made itself and has not written are
never replaced, and the writer never reloads its own collections."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from embmagic.app import Workspace
from embmagic.app.options import Options
from embmagic.errors import CollectionNotFoundError


def workspace(store: Path) -> Workspace:
    return Workspace(options=Options(model="fake-64", show_progress=False, store_dir=str(store)))


def texts(ws: Workspace, name: str) -> list[str]:
    return [r.text for r in ws.collection(name).records()]


def test_a_reader_follows_logged_changes_full_saves_and_drops(tmp_path: Path) -> None:
    writer = workspace(tmp_path)
    writer.embed_text("notes", "one\ntwo")
    reader = workspace(tmp_path)
    first = reader.collection("notes")
    assert texts(reader, "notes") == ["one", "two"]
    assert reader.collection("notes") is first  # nothing changed: the same object, no reading
    writer.embed_text("notes", "three")  # a logged change
    assert texts(reader, "notes") == ["one", "two", "three"]
    assert reader.neighbors("three", collection="notes", k=1).hits[0].text == "three"
    writer.index("notes", "hnsw")  # a full save
    assert reader.collection("notes").kind == "hnsw"
    writer.collection("notes").delete([0])
    writer.persist("notes")
    assert texts(reader, "notes") == ["two", "three"]
    writer.embed_text("kept", "four")
    assert sorted(reader.collections) == ["kept", "notes"]
    writer.drop("notes")
    assert "notes" not in reader.collections and len(reader.collections) == 1
    assert "notes" not in reader.list_collections().plain()  # listing a dropped one: no error
    with pytest.raises(CollectionNotFoundError):
        reader.collection("notes")


def test_changes_the_reader_has_not_written_are_kept(tmp_path: Path) -> None:
    writer = workspace(tmp_path)
    writer.embed_text("notes", "one")
    reader = workspace(tmp_path)
    mine = reader.collection("notes")
    vector = reader.engine("fake-64").embed(["only here"])
    mine.add(["only here"], vector)  # in memory, not written (no persist)
    writer.embed_text("notes", "from the writer")
    assert reader.collection("notes") is mine
    assert texts(reader, "notes") == ["one", "only here"]


def test_the_writer_never_reloads_its_own_collections(tmp_path: Path) -> None:
    workspace(tmp_path).embed_text("notes", "one")
    writer = workspace(tmp_path)  # reads the collection from the folder, then writes it
    held = writer.collection("notes")
    writer.embed_text("notes", "two")  # a logged change
    writer.index("notes", "hnsw")  # a full save
    writer.embed_text("notes", "three")
    assert writer.collection("notes") is held
    assert texts(workspace(tmp_path), "notes") == ["one", "two", "three"]


WRITER = textwrap.dedent("""
    import sys
    from embmagic.app import Workspace
    from embmagic.app.options import Options
    ws = Workspace(options=Options(model="fake-64", show_progress=False, store_dir=sys.argv[1]))
    for line in sys.stdin:
        command, _, text = line.strip().partition(" ")
        if command == "add":
            ws.embed_text("shared", text)
        elif command == "index":
            ws.index("shared", text)
        print("done", flush=True)
""")


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another kernel that writes the store when told to (a line on its stdin)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield proc
    proc.kill()
    proc.wait()


def tell(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "done"


def test_a_reader_process_follows_a_writer_process(tmp_path: Path,
                                                   writer: subprocess.Popen[str]) -> None:
    tell(writer, "add first from the writer")
    reader = workspace(tmp_path)
    assert texts(reader, "shared") == ["first from the writer"]
    tell(writer, "add second from the writer")
    assert texts(reader, "shared") == ["first from the writer", "second from the writer"]
    tell(writer, "index hnsw")
    assert reader.collection("shared").kind == "hnsw"
    hit = reader.neighbors("second from the writer", collection="shared", k=1).hits[0]
    assert hit.text == "second from the writer"


def test_a_reader_that_becomes_the_writer_starts_from_the_latest_state(
        tmp_path: Path, writer: subprocess.Popen[str]) -> None:
    tell(writer, "add first from the writer")
    reader = workspace(tmp_path)
    assert texts(reader, "shared") == ["first from the writer"]
    tell(writer, "add second from the writer")
    writer.kill()  # its lock is stale now: the next write here takes it over
    writer.wait()
    reader.embed_text("shared", "then the reader writes")
    expected = ["first from the writer", "second from the writer", "then the reader writes"]
    assert texts(reader, "shared") == expected
    assert texts(workspace(tmp_path), "shared") == expected  # nothing the writer wrote was lost
