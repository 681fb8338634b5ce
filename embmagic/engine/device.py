"""Choosing the device a model runs on: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import re

from embmagic.errors import InvalidArgumentError

_VALID = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
VALID_DEVICES = "auto, cpu, cuda, cuda:N, mps"


def check_device_name(requested: str) -> str:
    """Normalise a device name and reject unknown ones, without importing torch."""
    name = requested.strip().lower()
    if not _VALID.match(name):
        msg = f"unknown device {requested!r}; valid: {VALID_DEVICES}"
        raise InvalidArgumentError(msg)
    return name


def choose_device(requested: str = "auto") -> str:
    """The device to use: "auto" picks cuda > mps > cpu; an explicit one must be available.

    Imports torch (only called when a torch-backed model is actually loaded).
    """
    name = check_device_name(requested)
    if name == "cpu":
        return "cpu"
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if _mps_available(torch) else "cpu"
    if name.startswith("cuda"):
        return _check_cuda(torch, name)
    if not _mps_available(torch):
        msg = "device 'mps' requested but Apple MPS is not available here; use device='cpu'"
        raise InvalidArgumentError(msg)
    return "mps"


def _check_cuda(torch: object, name: str) -> str:
    """Reject a CUDA device that this torch build or machine does not have."""
    cuda = torch.cuda  # type: ignore[attr-defined]
    if not cuda.is_available():
        msg = (
            f"device {name!r} requested but CUDA is not available "
            "(no NVIDIA GPU, or a CPU-only torch build); use device='cpu' or 'auto'"
        )
        raise InvalidArgumentError(msg)
    index = int(name.split(":")[1]) if ":" in name else 0
    if index >= cuda.device_count():
        msg = f"device {name!r} requested but only {cuda.device_count()} CUDA device(s) exist"
        raise InvalidArgumentError(msg)
    return name


def _mps_available(torch: object) -> bool:
    backends = getattr(torch, "backends", None)
    mps = getattr(backends, "mps", None)
    return bool(mps is not None and mps.is_available())
