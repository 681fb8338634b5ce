"""Recognising device out-of-memory errors without importing torch."""

from __future__ import annotations

import sys


def is_out_of_memory(exc: BaseException) -> bool:
    """True for CUDA / MPS out-of-memory errors (torch's class, or the message older torch uses)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def release_device_memory() -> None:
    """Return cached blocks to the device after an out-of-memory error, if torch is loaded."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
