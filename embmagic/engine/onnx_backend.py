"""MiniLM on onnxruntime: a local, cached ONNX export of the bundled weights (fast CPU path).

The transformer plus mean pooling and normalisation are exported once with `torch.onnx.export`
(the TorchScript exporter; no onnxscript needed) into `<cache>/onnx/<weights-sha256>/`, written
to a temporary file and renamed, so concurrent processes never see half a file. Beside each file
a `.sha256` file holds its digest; a file that no longer matches it (or has none) is rebuilt.
The opt-in int8 model (`quantize.py`) is made from the fp32 export and cached the same way.
At run time only `tokenizers` and onnxruntime are used: no torch import after the first export.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.engine.integrity import file_sha256
from embmagic.engine.tokens import TokenCounter, TokenizerCounter
from embmagic.types import Vectors

ONNX_FILE = "model.onnx"
DIGEST_SUFFIX = ".sha256"
_export_lock = threading.Lock()


def cache_root() -> Path:
    """`$EMBMAGIC_CACHE`, else `~/.cache/embmagic`."""
    env = os.environ.get("EMBMAGIC_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "embmagic"


def onnx_path_for(weights_sha256: str, root: Path | None = None) -> Path:
    """Where the export of the weights with this SHA-256 lives."""
    return (root or cache_root()) / "onnx" / weights_sha256 / ONNX_FILE


def int8_path_for(weights_sha256: str, root: Path | None = None) -> Path:
    """Where the int8 model made from that export lives (its name carries the recipe)."""
    from embmagic.engine.quantize import INT8_RECIPE

    return onnx_path_for(weights_sha256, root).with_name(f"model-{INT8_RECIPE}.onnx")


def ensure_onnx_export(model_dir: Path, target: Path) -> Path:
    """Export `model_dir`'s transformer to `target` unless a verified copy is there; return it."""
    return _ensure_cached(target, lambda out: export_onnx(model_dir, out))


def ensure_int8_model(fp32_file: Path, target: Path) -> Path:
    """Quantise `fp32_file` to `target` unless a verified copy is there; return it."""
    from embmagic.engine.quantize import quantize_int8

    return _ensure_cached(target, lambda out: quantize_int8(fp32_file, out))


def is_cached(target: Path) -> bool:
    """True when `target` and its digest file exist and agree."""
    digest = target.with_name(target.name + DIGEST_SUFFIX)
    if not (target.is_file() and digest.is_file()):
        return False
    return digest.read_text(encoding="ascii").strip() == file_sha256(target)


def _ensure_cached(target: Path, build: Callable[[Path], None]) -> Path:
    """Build `target` through a temporary file and a rename, then write its digest file (also
    atomically); a crash in between leaves no digest, so the next call builds again."""
    with _export_lock:
        if not is_cached(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = _temp_in(target.parent, ".onnx")
            try:
                build(tmp)
                digest = file_sha256(tmp)
                os.replace(tmp, target)
                _write_atomic(target.with_name(target.name + DIGEST_SUFFIX), digest + "\n")
            finally:
                tmp.unlink(missing_ok=True)
    return target


def _temp_in(folder: Path, suffix: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def _write_atomic(path: Path, text: str) -> None:
    tmp = _temp_in(path.parent, ".tmp")
    try:
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_onnx(model_dir: Path, out: Path) -> None:
    """Export transformer + mean pooling + L2 normalisation, dynamic batch and sequence axes."""
    import warnings

    import torch
    from transformers import AutoModel

    from embmagic.engine.quiet import no_loading_bars

    with no_loading_bars():
        model = AutoModel.from_pretrained(str(model_dir)).eval()
    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # TorchScript-exporter deprecation chatter
        torch.onnx.export(
            _mean_pooled_class()(model), (ids, torch.ones_like(ids)), str(out), dynamo=False,
            input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes,
                          "sentence_embedding": {0: "batch"}},
            opset_version=17,
        )  # fmt: skip


def _mean_pooled_class() -> type:
    """The export wrapper, defined on demand so that importing this module never imports torch."""
    import torch

    class MeanPooled(torch.nn.Module):
        """Takes (input_ids, attention_mask) by name: transformers 5 reordered forward()."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state  # fmt: skip
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooled


class OnnxBackend(Backend):
    """Runs an exported MiniLM with onnxruntime on the CPU; tokenises with `tokenizers`.

    `threads` None: onnxruntime's default, every core with spinning threads (fastest alone);
    a number: at most that many threads, which sleep when idle (see docs/engine.md, Ray).
    """

    backend_name = "onnx"

    def __init__(
        self, onnx_file: Path, model_dir: Path, model_id: str, dim: int, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_id = model_id
        self.dim = dim
        self.device = "cpu"
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            # a share of a machine (a Ray actor beside others): that many threads, and idle ones
            # sleep instead of spinning, so they do not take CPU from the processes beside them
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        definition = (model_dir / "tokenizer.json").read_text(encoding="utf-8")
        self.max_tokens = _max_seq_length(model_dir)
        self._tokenizer = Tokenizer.from_str(definition)
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._counter = TokenizerCounter(definition)

    def token_counter(self) -> TokenCounter:
        return self._counter

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch([t.strip() for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (out,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.ascontiguousarray(out, dtype=np.float32)


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", 256))
    return 256
