"""The session's collections, in memory or living in a folder (`EmbMagics.store_dir`).

`Collections` is the mapping name -> collection every action uses. Without a folder it is a plain
dict. With one (`%config EmbMagics.store_dir = PATH` or `EMBMAGIC_STORE_DIR`):

- each collection is a subfolder written with the collection's own atomic save (persist.py:
  temp folder + rename, so a crash leaves the old or the new save), after every change;
- the collections already saved there are known by name at once and read from disk on first
  use (`%load_ext` stays fast); `summary` reads a manifest for `%emb list` without the vectors;
- one process writes a folder at a time (`store/lockfile.py`): the first change takes the lock,
  another process that tries to change the store gets a one-line error naming the holder, and
  can still read every collection;
- a process that reads a collection follows the writer: when the save or its log changed on
  disk since it was read, the next use reads it again (`_followed`; two `stat` calls per use),
  unless the collection was changed in this process since (never dropped).

Folder names are the collection names percent-encoded (`urllib.parse.quote`), so any name maps
to one folder and back. Collections that live elsewhere already (on-disk ivfpq, LanceDB) keep
their own path and are not copied into the folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from embmagic.errors import InvalidArgumentError, StoreFormatError

if TYPE_CHECKING:
    from embmagic.store import BaseCollection
    from embmagic.store.lockfile import StoreLock


COMPACT_AT = 2_000
"""Records a change log may hold before the next write is a full save instead (or a tenth of
the collection, whichever is more): bounds both the log and the time to reopen."""


def folder_name(name: str) -> str:
    """The subfolder of a collection name (never hidden, never a path)."""
    encoded = quote(name, safe=" -_+,=@")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def check_store_dir(path: str) -> Path:
    """An absolute folder for `store_dir`, created if missing; one-line InvalidArgumentError if it
    cannot be (a file, a symbolic link, no permission)."""
    folder = Path(os.path.expanduser(path)).absolute()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        msg = f"store_dir {folder} is not a folder; name a folder (it is created if missing)"
        raise InvalidArgumentError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"store_dir {folder}: cannot create it ({exc.strerror or exc})"
        raise InvalidArgumentError(msg) from None
    if not os.access(folder, os.R_OK | os.X_OK):
        msg = f"store_dir {folder}: cannot read it (permissions)"
        raise InvalidArgumentError(msg)
    return folder


class Collections(MutableMapping[str, "BaseCollection"]):
    """name -> collection; backed by a folder once `attach` names one."""

    def __init__(self) -> None:
        self._loaded: dict[str, BaseCollection] = {}
        self.folder: Path | None = None
        self._lock: StoreLock | None = None
        self._saved_ids: dict[str, set[int]] = {}
        """Ids each collection had when last written: the next write logs the difference."""
        self._logged: dict[str, int] = {}
        self._read_as: dict[str, tuple[DiskState, int | None]] = {}
        """Each collection's save as this process read it (`disk_state`) and the collection's
        `revision` then: changes another process makes later are followed (`_followed`)."""

    # -- the folder ------------------------------------------------------------------------

    def attach(self, folder: Path | None) -> None:
        """Use `folder` from now on (None: memory only). Collections held in memory are written
        there; a name saved there already refuses the switch (nothing changes)."""
        from embmagic.store.lockfile import StoreLock

        if folder == self.folder:
            return
        if folder is not None:
            clash = sorted(n for n in self._loaded if (folder / folder_name(n)).exists())
            if clash:
                msg = (f"store_dir {folder} already holds a collection named {clash[0]!r}, "
                       "as does this session: drop or rename one first (nothing changed)")
                raise InvalidArgumentError(msg)
        lock = StoreLock(folder) if folder is not None else None
        if lock is not None and self._loaded:
            lock.acquire()  # before anything is written
        if self._lock is not None:
            self._lock.release()
        self.folder, self._lock = folder, lock
        self._saved_ids.clear()
        self._read_as.clear()
        for name in list(self._loaded):
            self.save(name, full=True)

    def on_disk(self) -> list[str]:
        """Collection names saved in the folder (sorted), none without a folder."""
        from embmagic.store.persist import is_our_save

        if self.folder is None:
            return []
        found = [unquote(p.name) for p in sorted(self.folder.iterdir())
                 if not p.name.startswith(".") and is_our_save(p)]
        return found

    def check_writable(self) -> None:
        """StoreLockedError when another live process writes the folder (checked before any
        work that would change a collection)."""
        if self._lock is not None:
            self._lock.acquire()

    def save(self, name: str, *, full: bool = False) -> None:
        """Write collection `name`'s changes to the folder; nothing without a folder.

        New and deleted records since the last write are appended to the collection's change
        log (store/changelog.py); a full atomic save replaces save + log when `full`, on the
        first write, for index kinds other than flat, and once the log holds more than
        `COMPACT_AT` records or a tenth of the collection."""
        from embmagic.store import changelog

        collection = self._loaded.get(name)
        if self.folder is None or collection is None or collection.path is not None:
            return
        self.check_writable()
        target = self.folder / folder_name(name)
        saved = self._saved_ids.get(name)
        ids = [int(i) for i in collection.ids()]
        if saved is not None and not full and collection.kind == "flat":
            added = [i for i in ids if i not in saved]
            deleted = sorted(saved.difference(ids))
            logged = self._logged.get(name, 0) + len(added) + len(deleted)
            if logged <= max(COMPACT_AT, len(collection) // 10):
                changelog.append(target, [collection.get(i) for i in added],
                                 collection.vectors_for(added), deleted)
                self._saved_ids[name], self._logged[name] = set(ids), logged
                return
        collection.save(target)
        changelog.remove(target)  # after the save: a crash between replays onto the same state
        self._saved_ids[name], self._logged[name] = set(ids), 0

    def summary(self, name: str) -> tuple[int, str, int, str]:
        """(records, model, dim, index) of a collection, from its manifest if not loaded."""
        from embmagic.store.persist import read_manifest

        if name in self._loaded or self.folder is None:
            c = self[name]
            return len(c), c.model_id, c.dim, c.index_status
        manifest = read_manifest(self.folder / folder_name(name))
        counts = manifest.get("counts") or {}
        return (int(counts.get("records", 0)), str(manifest.get("model_id")),
                int(manifest.get("dim", 0)), f"{manifest.get('kind')} (not loaded yet)")

    # -- the mapping -----------------------------------------------------------------------

    def __getitem__(self, name: str) -> BaseCollection:
        found = self._loaded.get(name)
        if found is not None:
            return self._followed(name, found)
        if self.folder is None or not isinstance(name, str):
            raise KeyError(name)
        path = self.folder / folder_name(name)
        if not path.is_dir():
            raise KeyError(name)
        return self._read(name, path)

    def _read(self, name: str, path: Path) -> BaseCollection:
        """Open a collection's save and replay its log."""
        from embmagic.store import changelog, open_collection

        state = disk_state(path)  # before reading: a write meanwhile shows as a change later
        try:
            collection = open_collection(path, name)
            self._logged[name] = changelog.replay(path, collection)
        except StoreFormatError as exc:
            msg = f"collection {name!r} in store_dir cannot be read: {exc}"
            raise StoreFormatError(msg) from None
        self._loaded[name] = collection
        self._saved_ids[name] = {int(i) for i in collection.ids()}
        self._read_as[name] = (state, getattr(collection, "revision", None))
        return collection

    def _followed(self, name: str, held: BaseCollection) -> BaseCollection:
        """`held`, or the collection as the folder holds it now when another process has written
        it since this one read it: a reader follows the writer, and a reader about to write
        starts from the writer's last state. KeyError when the writer dropped it."""
        now = self._changed_on_disk(name, held)
        if now is False:
            return held
        if now is None:  # dropped by the writer
            self._forget(name)
            raise KeyError(name)
        assert self.folder is not None  # _changed_on_disk says False without a folder
        try:
            return self._read(name, self.folder / folder_name(name))
        except (StoreFormatError, OSError):  # caught mid-write: the next use reads it again
            self._loaded[name] = held
            return held

    def _changed_on_disk(self, name: str, held: BaseCollection) -> DiskState | bool:
        """False while the folder holds `name` as this process read it, else its state now
        (None: dropped). Also False once `held` changed here (its `revision` moved): a
        collection changed here, written or not (`%embed`, `coll.add`), is this process's own
        from then on and is never replaced. (Only one process writes a folder, so a collection
        this process wrote has no other writer to follow.)"""
        seen = self._read_as.get(name)
        if seen is None or self.folder is None:
            return False
        state, revision = seen
        if revision is None or getattr(held, "revision", None) != revision:
            return False
        now = disk_state(self.folder / folder_name(name))
        return False if now == state else now

    def _still_there(self, name: str) -> bool:
        """Whether a loaded collection still exists (forgotten when the writer dropped it)."""
        held = self._loaded.get(name)
        if held is None:
            return False
        if self._changed_on_disk(name, held) is None:
            self._forget(name)
            return False
        return True

    def __setitem__(self, name: str, collection: BaseCollection) -> None:
        self.check_writable()
        previous = self._loaded.get(name)
        self._loaded[name] = collection
        try:
            self.save(name)
        except BaseException:
            if previous is None:
                del self._loaded[name]
            else:
                self._loaded[name] = previous
            raise

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        if self.folder is not None:
            from embmagic.store import changelog

            self.check_writable()
            _remove_save(self.folder / folder_name(name))
            changelog.remove(self.folder / folder_name(name))
        self._forget(name)

    def _forget(self, name: str) -> None:
        self._loaded.pop(name, None)
        self._saved_ids.pop(name, None)
        self._read_as.pop(name, None)

    def __contains__(self, name: object) -> bool:
        if name in self._loaded:
            return self._still_there(name)  # type: ignore[arg-type]  # a key of _loaded: a str
        return (isinstance(name, str) and self.folder is not None
                and (self.folder / folder_name(name)).is_dir())

    def __iter__(self) -> Iterator[str]:
        held = [n for n in list(self._loaded) if self._still_there(n)]
        yield from held
        yield from (n for n in self.on_disk() if n not in self._loaded)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def loaded(self) -> dict[str, BaseCollection]:
        """The collections read so far (in memory), by name."""
        return dict(self._loaded)


DiskState = tuple[tuple[int, int, int], tuple[int, int, int] | None] | None
"""(inode, size, mtime) of a save's manifest and of its change log (None: no log); None: no
save."""


def disk_state(path: Path) -> DiskState:
    """What a collection's save and log look like on disk now: a full save renames a new folder
    (a new manifest), a logged change grows the log."""
    from embmagic.store.changelog import log_path
    from embmagic.store.persist import MANIFEST

    def stat(file: Path) -> tuple[int, int, int] | None:
        try:
            found = file.stat()
        except FileNotFoundError:
            return None
        return found.st_ino, found.st_size, found.st_mtime_ns

    manifest = stat(path / MANIFEST)
    return None if manifest is None else (manifest, stat(log_path(path)))


def _remove_save(path: Path) -> None:
    """Remove a collection's folder: renamed aside first (one atomic step), then deleted; only
    an embmagic save is ever removed."""
    from embmagic.store.persist import is_our_save

    if not path.exists():
        return
    if not is_our_save(path):
        msg = f"{path} is not an embmagic save: not removed"
        raise InvalidArgumentError(msg)
    aside = path.parent / f".{path.name}.embmagic-old-{os.getpid()}-{secrets.token_hex(4)}"
    os.replace(path, aside)
    shutil.rmtree(aside, ignore_errors=True)
