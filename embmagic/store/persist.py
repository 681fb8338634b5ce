"""Saving and loading collections as a directory, without pickle.

    <dir>/manifest.json    versioned JSON: name, model, dim, kind, params, counts, tombstones,
                           and the SHA-256 of every other file
    <dir>/index.faiss      FAISS's own serialisation (faiss.write_index)
    <dir>/records.jsonl    one JSON object per record: id, text, metadata, sha256 (of the text)
    <dir>/lexical.npz      the BM25 index's tokens (store/lexical.py; integer arrays, no pickle);
                           absent in saves of earlier versions, rebuilt on the first lexical query

A save is written to a temporary directory beside the target and renamed into place; the previous
save is renamed to a backup first and removed last, and `read` falls back to a leftover backup, so
a crash at any moment leaves the old or the new save loadable. Temporary and backup directories
are named `.<name>.embmagic-tmp-<pid>-<hex>` / `.<name>.embmagic-old-<pid>-<hex>`: a save only ever
removes names of that form (its own, or stale ones of dead processes), and only replaces a target
that is missing, an empty directory, or a directory holding an embmagic manifest (`check_target`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store._faiss import faiss, write_index
from embmagic.store.validate import metadata_json

FORMAT = "embmagic.collection"
VERSION = 1
ONDISK_VERSION = 2
"""On-disk collections (ondisk.py) write version 2 with `"storage": "on-disk"`: an embmagic that
predates them says "upgrade" instead of misreading the directory."""
MANIFEST = "manifest.json"
INDEX = "index.faiss"
RECORDS = "records.jsonl"
LEXICAL = "lexical.npz"


@dataclass
class StoredRecord:
    """One line of records.jsonl."""

    id: int
    text: str
    metadata: dict[str, Any]
    metadata_json: str
    sha256: str

    def line(self) -> str:
        """The JSON line, reusing the already-rendered metadata."""
        text = json.dumps(self.text, ensure_ascii=False)
        return (f'{{"id": {self.id}, "sha256": "{self.sha256}", "text": {text}, '
                f'"metadata": {self.metadata_json}}}\n')


@dataclass
class Saved:
    """Everything a save holds, independent of the Collection class."""

    name: str
    model_id: str
    dim: int
    kind: str
    params: dict[str, Any]
    next_id: int
    index: Any
    records: list[StoredRecord]
    tombstones: list[int] = field(default_factory=list)
    lexical: bytes | None = None
    """`lexical.npz` to write (None: none); after `read`, its bytes when the save has one."""


def write(path: str | os.PathLike[str], saved: Saved) -> None:
    """Atomically replace `path` with a save of `saved`."""
    target = Path(path)
    started = time.time()
    tmp = make_temp_dir(target)
    try:
        _write_contents(tmp, saved)
        swap_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    clean_stale(target, started)


def check_target(target: Path) -> None:
    """Refuse (InvalidArgumentError, one line, nothing changed) a save target that exists and is
    not a plain directory that is empty or holds an embmagic manifest: a file, FIFO, device,
    socket or symbolic link, or somebody else's folder (a web app's `manifest.json` included)."""
    if check_plain_directory(target) and any(target.iterdir()) and not is_our_save(target):
        msg = (f"{target} is not an embmagic save (no embmagic manifest.json; nothing was "
               "changed); choose another path")
        raise InvalidArgumentError(msg)



def check_plain_directory(target: Path) -> bool:
    """True when `target` is a real directory, False when it does not exist; anything else (a
    symbolic link, file, FIFO, device, socket) is refused with one InvalidArgumentError line."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        msg = f"{target} is a symbolic link; save to the folder itself (nothing was changed)"
        raise InvalidArgumentError(msg)
    if not stat.S_ISDIR(info.st_mode):
        msg = (f"{target} is {_file_kind(info.st_mode)}, not an embmagic save "
               "(nothing was changed); choose another path")
        raise InvalidArgumentError(msg)
    return True


def parse_json(text: str) -> Any:
    """`json.loads` for files we did not necessarily write: ValueError (never RecursionError or
    a later OverflowError) for JSON nested too deeply, NaN/Infinity, or a number such as 1e400
    that overflows a float."""
    try:
        return json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        msg = "JSON nested too deeply"
        raise ValueError(msg) from None


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        msg = f"number {text[:20]} is too large"
        raise ValueError(msg)
    return value


def _no_constant(text: str) -> float:
    msg = f"{text} is not a number JSON allows"
    raise ValueError(msg)


def int64(value: Any) -> int:
    """A manifest count or id: an int in 0..2**63-1 (what FAISS's int64 ids hold), else
    ValueError (TypeError for a non-number)."""
    out = int(value)
    if isinstance(value, bool) or not 0 <= out < 2**63 or out != value:
        msg = f"{value!r} is not an integer from 0 to 2**63 - 1"
        raise ValueError(msg)
    return out


def is_our_save(directory: Path) -> bool:
    """True when `directory` is a real directory whose manifest.json carries our format marker."""
    manifest = directory / MANIFEST
    if directory.is_symlink() or not directory.is_dir() or not _is_regular(manifest):
        return False
    try:
        data = parse_json(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    version = data.get("version") if isinstance(data, dict) else None
    return (isinstance(data, dict) and data.get("format") == FORMAT
            and isinstance(version, int) and version >= 1)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISREG, "a file"))
    return next((name for test, name in kinds if test(mode)), "not a directory")


def _ours(target: Path, role: str) -> Path:
    """A fresh, unique name beside `target` for one of our temporary or backup directories."""
    return target.parent / f".{target.name}.embmagic-{role}-{os.getpid()}-{secrets.token_hex(4)}"


def make_temp_dir(target: Path) -> Path:
    """Check the target, then create our temporary directory beside it (parents as needed)."""
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _ours(target, "tmp")
    tmp.mkdir()
    return tmp


_OURS = re.compile(r"\.(?P<name>.+)\.embmagic-(?P<role>tmp|old)-(?P<pid>\d+)-[0-9a-f]{8}")


def ours_beside(target: Path, role: str) -> list[Path]:
    """Our temporary (`tmp`) or backup (`old`) directories of `target`, oldest first."""
    found = []
    for entry in _listdir(target.parent):
        m = _OURS.fullmatch(entry)
        if m and m["name"] == target.name and m["role"] == role:
            path = target.parent / entry
            if path.is_dir() and not path.is_symlink():
                found.append(path)
    return sorted(found, key=_mtime)


def _listdir(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _in_use(path: Path) -> bool:
    """Made by a process that is still running (another process's save in progress)."""
    m = _OURS.fullmatch(path.name)
    pid = int(m["pid"]) if m else 0
    if pid == os.getpid():
        return False  # ours: this process runs one save at a time per target
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_stale(target: Path, started: float) -> None:
    """Remove our leftovers of `target` from killed or interrupted saves: temporary directories
    and backups older than the save that just completed, whose process is gone. Backups are
    kept while `target` is not a complete save of ours (they may be the only copy)."""
    stale = ours_beside(target, "tmp")
    if is_our_save(target):
        stale += ours_beside(target, "old")
    for path in stale:
        if _mtime(path) < started and not _in_use(path):
            shutil.rmtree(path, ignore_errors=True)


def _write_contents(tmp: Path, saved: Saved) -> None:
    write_index(saved.index, str(tmp / INDEX))
    with open(tmp / RECORDS, "w", encoding="utf-8") as fh:
        fh.writelines(r.line() for r in saved.records)
    names = [INDEX, RECORDS]
    if saved.lexical is not None:
        (tmp / LEXICAL).write_bytes(saved.lexical)
        names.append(LEXICAL)
    files = {name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size}
             for name in names}
    manifest = {
        "format": FORMAT, "version": VERSION, "name": saved.name, "model_id": saved.model_id,
        "dim": saved.dim, "kind": saved.kind, "params": saved.params, "next_id": saved.next_id,
        "counts": {"records": len(saved.records), "vectors": int(saved.index.ntotal),
                   "tombstones": len(saved.tombstones)},
        "tombstones": saved.tombstones, "files": files,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for name in [*names, MANIFEST]:
        fsync(tmp / name)
    fsync(tmp)


def swap_into_place(tmp: Path, target: Path) -> None:
    """tmp -> target, keeping the old target as a backup (a fresh name of ours) until the new
    one is in place. The target is checked again first: it may have changed while we wrote."""
    check_target(target)
    backup = None
    if os.path.lexists(target):
        backup = _ours(target, "old")
        os.rename(target, backup)
    os.rename(tmp, target)
    fsync(target.parent)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def backup_path(target: Path) -> Path:
    """Where saves before embmagic 0.x kept the previous save while renaming: still recovered by
    `locate` when it holds our manifest, never removed or written."""
    return target.parent / f".{target.name}.backup"


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(path: str | os.PathLike[str]) -> Saved:
    """Load and verify a save; StoreFormatError (one line) for anything missing or wrong."""
    source = locate(Path(path))
    manifest = read_manifest(source)
    for name in (INDEX, RECORDS):
        verify_file(source, name, manifest)
    lexical = None
    if isinstance(manifest.get("files"), dict) and LEXICAL in manifest["files"]:
        verify_file(source, LEXICAL, manifest)
        lexical = (source / LEXICAL).read_bytes()
    try:
        index = faiss.read_index(str(source / INDEX))
    except RuntimeError as exc:
        msg = f"{source / INDEX} is not a readable FAISS index"
        raise StoreFormatError(msg) from exc
    try:
        return Saved(
            name=str(manifest["name"]), model_id=str(manifest["model_id"]),
            dim=int64(manifest["dim"]), kind=str(manifest["kind"]),
            params=dict(manifest["params"]), next_id=int64(manifest["next_id"]), index=index,
            records=list(_read_records(source / RECORDS)),
            tombstones=[int64(t) for t in manifest["tombstones"]], lexical=lexical,
        )
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"{source / MANIFEST} is incomplete or malformed ({exc})"
        raise StoreFormatError(msg) from exc


def locate(target: Path) -> Path:
    """The directory to read: the target, or the backup a crash between two renames left (the
    newest of ours, or an older embmagic's `.<name>.backup` holding our manifest)."""
    if target.is_dir():
        return target
    if not os.path.lexists(target):
        backups = [b for b in ours_beside(target, "old") if is_our_save(b)]
        legacy = backup_path(target)
        if not backups and is_our_save(legacy):
            backups = [legacy]
        if backups:
            try:
                os.rename(backups[-1], target)
            except OSError:
                return backups[-1]
            return target
        msg = f"no saved collection at {target}"
        raise StoreFormatError(msg)
    msg = f"{target} is a file, not a saved collection directory"
    raise StoreFormatError(msg)


def is_on_disk(path: str | os.PathLike[str]) -> bool:
    """True when `path` holds an on-disk collection (see ondisk.py), False for other saves."""
    manifest = read_manifest(locate(Path(path)), max_version=ONDISK_VERSION)
    return manifest.get("storage") == "on-disk" and manifest.get("version") == ONDISK_VERSION


def read_manifest(source: Path, max_version: int = VERSION) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        msg = f"{source} is not an embmagic collection (no {MANIFEST})"
        raise StoreFormatError(msg)
    try:
        manifest = parse_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # UnicodeDecodeError included
        msg = f"{path} is not valid JSON ({one_line(exc)})"
        raise StoreFormatError(msg) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        msg = f"{source} is not an embmagic collection (manifest format is not {FORMAT!r})"
        raise StoreFormatError(msg)
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        msg = f"{path} has an invalid format version {version!r}"
        raise StoreFormatError(msg)
    if version > max_version:
        msg = (f"{source} was saved in format version {version}, newer than this embmagic reads "
               f"({max_version}): upgrade embmagic")
        raise StoreFormatError(msg)
    return manifest


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 120 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 120 else text[:117] + "..."


def verify_file(source: Path, name: str, manifest: dict[str, Any]) -> None:
    try:
        expected = manifest["files"][name]["sha256"]
    except (KeyError, TypeError) as exc:
        msg = f"{source / MANIFEST} lists no checksum for {name}"
        raise StoreFormatError(msg) from exc
    path = source / name
    if not path.is_file():
        msg = f"{path} is missing"
        raise StoreFormatError(msg)
    if sha256_file(path) != expected:
        msg = f"{path} does not match its SHA-256 in the manifest (modified or corrupt)"
        raise StoreFormatError(msg)


def _read_records(path: Path) -> Iterator[StoredRecord]:
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            try:
                row = parse_json(line)
                meta = dict(row["metadata"])
                yield StoredRecord(int64(row["id"]), str(row["text"]), meta, metadata_json(meta),
                                   str(row["sha256"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                msg = f"{path}:{line_no} is not a valid record"
                raise StoreFormatError(msg) from exc

