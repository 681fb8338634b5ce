"""One writer per store folder: a lock file holding the writer's pid.

`StoreLock(folder).acquire()` creates `<folder>/.embmagic.lock` (O_CREAT | O_EXCL, so two
processes never both win) containing `{"pid": ..., "host": ...}`. A lock whose process is gone
(same host, pid not running) is stale and taken over; a live holder gives a one-line
`StoreLockedError` naming it. Readers never take the lock. The holder removes the file on
`release()` (and at interpreter exit).
"""

from __future__ import annotations

import atexit
import json
import os
import socket
from pathlib import Path
from typing import Any

from embmagic.errors import StoreLockedError

LOCK_NAME = ".embmagic.lock"


class StoreLock:
    """The writer lock of one folder; `held` once this process has acquired it."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.held = False

    def holder(self) -> dict[str, Any] | None:
        """The lock file's contents (pid, host), None when there is no readable lock."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def acquire(self) -> None:
        """Take the lock (a no-op when held); StoreLockedError when a live process holds it."""
        if self.held and self._ours(self.holder()):
            return
        for _ in range(3):  # a stale lock removed by a racing process: try again
            if self._create():
                self.held = True
                atexit.register(self.release)
                return
            found = self.holder()
            if found is not None and not _stale(found):
                if self._ours(found):
                    self.held = True
                    return
                msg = (f"the store {self.path.parent} is being written by another process "
                       f"(pid {found.get('pid')} on {found.get('host')}, lock {self.path}); "
                       "this kernel can read it but not change it: close that kernel or use "
                       "another store_dir")
                raise StoreLockedError(msg)
            self._remove_stale(found)
        msg = f"could not take the lock {self.path}: remove it if no kernel uses this store"
        raise StoreLockedError(msg)

    def release(self) -> None:
        """Remove the lock file if this process holds it."""
        if self.held and self._ours(self.holder()):
            self.path.unlink(missing_ok=True)
        self.held = False

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"pid": os.getpid(), "host": socket.gethostname()}, fh)
        return True

    def _remove_stale(self, found: dict[str, Any] | None) -> None:
        """Remove the lock if it still holds what was judged stale (or unreadable)."""
        if self.holder() == found:
            self.path.unlink(missing_ok=True)

    @staticmethod
    def _ours(found: dict[str, Any] | None) -> bool:
        return (found is not None and found.get("pid") == os.getpid()
                and found.get("host") == socket.gethostname())


def _stale(found: dict[str, Any]) -> bool:
    """True when the holder ran on this host and its pid is no longer running."""
    pid = found.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    if found.get("host") != socket.gethostname():
        return False  # another machine's process: we cannot tell, so it holds
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
