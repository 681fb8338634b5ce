"""What a save may replace: only a missing path, an empty folder, or a folder holding our save.
Everything else is refused with one line and left exactly as it was; only names of our own
(`.<name>.embmagic-tmp-*` / `-old-*`) are ever created or removed beside the target."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from store_helpers import make, texts, unit_vectors

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store import Collection, persist
from embmagic.store.ondisk import DiskCollection


def small() -> Collection:
    store = make("flat")
    assert isinstance(store, Collection)
    store.add(texts(45), unit_vectors(45))
    return store


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry under `folder` (not following links): kind, and bytes for files."""
    out: dict[str, object] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            info = os.lstat(path)
            key = str(path.relative_to(folder))
            out[key] = path.read_bytes() if stat.S_ISREG(info.st_mode) else stat.S_IFMT(
                info.st_mode)
    return out


def within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run `call` in a thread; fail if it blocks longer than `seconds`; its exception or None."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), "the call blocked"
    return errors[0] if errors else None


SAVERS: dict[str, Callable[[Path], object]] = {
    "save": lambda path: small().save(path),
    "to_disk": lambda path: small().to_disk(path),
}


def refused(saver: str, target: Path) -> str:
    """Save to `target`, expecting a one-line InvalidArgumentError; its message."""
    error = within(20, lambda: SAVERS[saver](target))
    assert isinstance(error, InvalidArgumentError), error
    assert "\n" not in str(error) and "nothing was changed" in str(error)
    return str(error)


@pytest.mark.parametrize("saver", list(SAVERS))
def test_a_folder_with_a_foreign_manifest_is_refused(tmp_path: Path, saver: str) -> None:
    """A web app's manifest.json is not ours: the folder must survive a save to it."""
    app = tmp_path / "webapp"
    app.mkdir()
    (app / "index.html").write_text("<html></html>")
    (app / "app.js").write_text("console.log(1)")
    (app / "manifest.json").write_text(json.dumps({"name": "My app", "version": 1}))
    before = snapshot(tmp_path)
    assert "not an embmagic save" in refused(saver, app)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("saver", list(SAVERS))
def test_fifo_file_and_socket_targets_are_refused_without_blocking(tmp_path: Path,
                                                                   saver: str) -> None:
    import socket

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "plain.txt").write_text("mine")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        before = snapshot(tmp_path)
        assert "FIFO" in refused(saver, tmp_path / "pipe")
        assert "a file" in refused(saver, tmp_path / "plain.txt")
        assert "socket" in refused(saver, tmp_path / "sock")
        assert snapshot(tmp_path) == before
    finally:
        sock.close()


def test_a_character_device_is_refused_before_anything_is_touched() -> None:
    """/dev/null (this runs as root in CI: the check alone, never a save that could move it)."""
    with pytest.raises(InvalidArgumentError, match="character device"):
        persist.check_target(Path("/dev/null"))
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


@pytest.mark.parametrize("saver", list(SAVERS))
def test_symbolic_links_are_refused(tmp_path: Path, saver: str) -> None:
    real = tmp_path / "real"
    small().save(real)
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    before = snapshot(tmp_path)
    assert "symbolic link" in refused(saver, tmp_path / "link")
    assert "symbolic link" in refused(saver, tmp_path / "dangling")
    assert snapshot(tmp_path) == before
    assert len(Collection.load(tmp_path / "link")) == 45  # loading through a link still works


def test_names_we_did_not_create_are_never_touched(tmp_path: Path) -> None:
    """A user's `.notes.backup/` (the old backup name) and look-alikes survive saves."""
    mine = [tmp_path / ".notes.backup", tmp_path / ".notes.tmp-1-abcd",
            tmp_path / ".notes.embmagic-old-notapid"]
    for folder in mine:
        folder.mkdir()
        (folder / "keep.txt").write_text("mine")
    small().save(tmp_path / "notes")
    small().save(tmp_path / "notes")
    small().to_disk(tmp_path / "notes")
    for folder in mine:
        assert (folder / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in mine] + ["notes"])


def test_stale_temporary_folders_of_killed_saves_are_cleaned(tmp_path: Path) -> None:
    """Ours, older than the save, from a process that is gone (or from this one)."""
    dead_pid = 2**22 + 12345  # above the kernel's pid_max: never a running process
    stale = [tmp_path / f".c.embmagic-tmp-{dead_pid}-0123abcd",
             tmp_path / f".c.embmagic-old-{dead_pid}-4567abcd",
             tmp_path / f".c.embmagic-tmp-{os.getpid()}-89abcdef"]
    running = tmp_path / ".c.embmagic-tmp-1-0123abcd"  # pid 1 is alive: a save in progress
    other = tmp_path / f".d.embmagic-tmp-{dead_pid}-0123abcd"  # another target's
    for folder in [*stale, running, other]:
        folder.mkdir()
        (folder / "part").write_text("x")
        os.utime(folder, (1, 1))
    small().save(tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c", running.name, other.name])


def test_a_backup_is_kept_while_it_is_the_only_copy(tmp_path: Path) -> None:
    """A crash between the two renames leaves only our backup: load recovers it."""
    small().save(tmp_path / "c")
    backup = tmp_path / ".c.embmagic-old-999999-0123abcd"
    os.rename(tmp_path / "c", backup)
    assert len(Collection.load(tmp_path / "c")) == 45
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


def test_an_old_style_backup_is_recovered_only_when_it_is_ours(tmp_path: Path) -> None:
    small().save(tmp_path / "c")
    os.rename(tmp_path / "c", tmp_path / ".c.backup")
    assert len(Collection.load(tmp_path / "c")) == 45
    (tmp_path / ".d.backup").mkdir()
    (tmp_path / ".d.backup" / "manifest.json").write_text('{"name": "not ours"}')
    with pytest.raises(StoreFormatError, match="no saved collection"):
        Collection.load(tmp_path / "d")
    assert (tmp_path / ".d.backup" / "manifest.json").exists()


def test_our_saves_and_empty_folders_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    small().save(tmp_path / "empty")
    small().to_disk(tmp_path / "disk")
    small().save(tmp_path / "disk")  # an on-disk save of ours may be replaced by an in-memory one
    assert isinstance(Collection.load(tmp_path / "empty"), Collection)
    assert isinstance(Collection.load(tmp_path / "disk"), Collection)
    disk = tmp_path / "d2"
    small().to_disk(disk)
    opened = Collection.load(disk)
    assert isinstance(opened, DiskCollection)
    os.mkfifo(tmp_path / "pipe")
    error = within(20, lambda: opened.save(tmp_path / "pipe"))
    assert isinstance(error, InvalidArgumentError)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
