"""Saving and loading collections as a directory, without pickle.

    <dir>/manifest.json    versioned JSON: name, model, dim, kind, params, counts, tombstones,
                           and the SHA-256 of every other file
    <dir>/index.faiss      FAISS's own serialisation (faiss.write_index)
    <dir>/records.jsonl    one JSON object per record: id, text, metadata, sha256 (of the text)

A save is written to a temporary directory beside the target and renamed into place; the previous
save is renamed to a backup first and removed last, and `read` falls back to a leftover backup, so
a crash at any moment leaves the old or the new save loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store._faiss import faiss
from embmagic.store.validate import metadata_json

FORMAT = "embmagic.collection"
VERSION = 1
ONDISK_VERSION = 2
"""On-disk collections (ondisk.py) write version 2 with `"storage": "on-disk"`: an embmagic that
predates them says "upgrade" instead of misreading the directory."""
MANIFEST = "manifest.json"
INDEX = "index.faiss"
RECORDS = "records.jsonl"


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


def write(path: str | os.PathLike[str], saved: Saved) -> None:
    """Atomically replace `path` with a save of `saved`."""
    target = Path(path)
    refuse_foreign(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        tmp.mkdir()
        _write_contents(tmp, saved)
        swap_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def refuse_foreign(target: Path) -> None:
    """Never replace a file or a non-empty directory that is not a saved collection."""
    if target.is_file() or (target.is_dir() and any(target.iterdir())
                            and not (target / MANIFEST).is_file()):
        msg = f"{target} exists and is not a saved collection; choose another path"
        raise InvalidArgumentError(msg)


def _write_contents(tmp: Path, saved: Saved) -> None:
    faiss.write_index(saved.index, str(tmp / INDEX))
    with open(tmp / RECORDS, "w", encoding="utf-8") as fh:
        fh.writelines(r.line() for r in saved.records)
    files = {name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size}
             for name in (INDEX, RECORDS)}
    manifest = {
        "format": FORMAT, "version": VERSION, "name": saved.name, "model_id": saved.model_id,
        "dim": saved.dim, "kind": saved.kind, "params": saved.params, "next_id": saved.next_id,
        "counts": {"records": len(saved.records), "vectors": int(saved.index.ntotal),
                   "tombstones": len(saved.tombstones)},
        "tombstones": saved.tombstones, "files": files,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for name in (INDEX, RECORDS, MANIFEST):
        fsync(tmp / name)
    fsync(tmp)


def swap_into_place(tmp: Path, target: Path) -> None:
    """tmp -> target, keeping the old target as a backup until the new one is in place."""
    backup = backup_path(target)
    if target.exists():
        if backup.exists():  # a stale backup: target is complete, since renames are atomic
            shutil.rmtree(backup)
        os.rename(target, backup)
    os.rename(tmp, target)
    fsync(target.parent)
    shutil.rmtree(backup, ignore_errors=True)


def backup_path(target: Path) -> Path:
    """Where the previous save waits while a new one is renamed into place."""
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
        _verify_file(source, name, manifest)
    try:
        index = faiss.read_index(str(source / INDEX))
    except RuntimeError as exc:
        msg = f"{source / INDEX} is not a readable FAISS index"
        raise StoreFormatError(msg) from exc
    try:
        return Saved(
            name=str(manifest["name"]), model_id=str(manifest["model_id"]),
            dim=int(manifest["dim"]), kind=str(manifest["kind"]), params=dict(manifest["params"]),
            next_id=int(manifest["next_id"]), index=index,
            records=list(_read_records(source / RECORDS)),
            tombstones=[int(t) for t in manifest["tombstones"]],
        )
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"{source / MANIFEST} is incomplete or malformed ({exc})"
        raise StoreFormatError(msg) from exc


def locate(target: Path) -> Path:
    """The directory to read: the target, or the backup a crash between two renames left."""
    if target.is_dir():
        return target
    backup = backup_path(target)
    if (backup / MANIFEST).is_file():
        try:
            os.rename(backup, target)
        except OSError:
            return backup
        return target
    if target.exists():
        msg = f"{target} is a file, not a saved collection directory"
        raise StoreFormatError(msg)
    msg = f"no saved collection at {target}"
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
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{path} is not valid JSON"
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


def _verify_file(source: Path, name: str, manifest: dict[str, Any]) -> None:
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
                row = json.loads(line)
                meta = dict(row["metadata"])
                yield StoredRecord(int(row["id"]), str(row["text"]), meta, metadata_json(meta),
                                   str(row["sha256"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                msg = f"{path}:{line_no} is not a valid record"
                raise StoreFormatError(msg) from exc

