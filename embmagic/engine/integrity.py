"""SHA-256 checks of bundled weights before they are loaded, hashed once per file per process."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from embmagic.errors import ModelIntegrityError

MINILM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
GLOVE_EMB_SHA256 = "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15"
GLOVE_INDEX_SHA256 = "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39"

_lock = threading.Lock()
# (resolved path, size, mtime_ns) -> hex digest; a rewritten file changes size or mtime
_digests: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, memoised by path, size and modification time."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _digests.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    hexdigest = digest.hexdigest()
    with _lock:
        _digests[key] = hexdigest
    return hexdigest


def verify_file(path: Path, expected: str, what: str) -> None:
    """Raise ModelIntegrityError unless `path` exists and hashes to `expected`."""
    if not path.is_file():
        msg = f"{what}: file missing at {path}; reinstall the package that carries it"
        raise ModelIntegrityError(msg)
    actual = file_sha256(path)
    if actual != expected:
        msg = (
            f"{what}: {path.name} has SHA-256 {actual[:12]}…, expected {expected[:12]}…; "
            "the file is corrupt or was replaced — reinstall the package"
        )
        raise ModelIntegrityError(msg)
