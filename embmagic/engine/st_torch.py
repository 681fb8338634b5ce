"""The sentence-transformers torch backend, as a fast pipeline rather than `model.encode`.

Per batch, `SentenceTransformer.encode` tokenises, copies, runs, normalises and synchronises in
sequence. Here the model's tokenizer runs ahead on a background thread in large batched calls
(the Rust tokenizer directly when it is proven equal, see `fast_tokenize`; then each batch is
trimmed to its own longest text), inputs go through pinned memory
with non-blocking copies, the model runs in fp16 under `torch.inference_mode`, rows are
normalised on the device, and each result is copied back asynchronously while the next batch
runs. torch and sentence-transformers are imported here only, when a model is loaded.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.engine.device import choose_device
from embmagic.engine.fast_tokenize import Features, fast_tokenizer_for
from embmagic.engine.pipeline import Prefetcher
from embmagic.engine.tokens import TokenCounter, dim_and_window, model_token_counter
from embmagic.errors import ModelNotFoundError
from embmagic.types import Vectors

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class SentenceTransformerBackend(Backend):
    """Runs a loaded `SentenceTransformer` (its tokenizer + modules) on one device."""

    backend_name = "torch"

    def __init__(
        self,
        model: Any,
        model_id: str,
        device: str,
        *,
        tokenize_group: int = 8,
        fast_tokenize: bool = True,
    ) -> None:
        import torch

        self._torch = torch
        self.model = model.eval()
        self.model_id = model_id
        self.device = device
        self.dim, self.max_tokens = dim_and_window(model)
        self.tokenize_group = tokenize_group  # batches per tokenizer call
        self._cuda = device.startswith("cuda")
        if self._cuda:
            self.model.half()  # fp16: ~2x throughput, cosine to fp32 > 0.999
        tokenizer = getattr(model[0], "tokenizer", None)
        self._left_pad = getattr(tokenizer, "padding_side", "right") == "left"
        fast = fast_tokenizer_for(model) if fast_tokenize else None
        self._preprocess: Callable[[Sequence[str]], Features] = fast or model.preprocess
        self.fast_tokenize = fast is not None

    def token_counter(self) -> TokenCounter:
        """The model's own tokenizer (its Rust definition), else words."""
        return model_token_counter(self.model)

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        (out,) = list(self.encode_batches([texts]))
        return out

    def encode_batches(self, batches: Iterable[Sequence[str]]) -> Iterator[Vectors]:
        prefetch = Prefetcher(batches, self._tokenize_group, group=self.tokenize_group)
        pending: deque[tuple[Any, Any]] = deque()
        try:
            with self._torch.inference_mode():
                for features in prefetch:
                    pending.append(self._run(features))
                    if len(pending) > 1:  # keep one batch in flight while the host waits
                        yield self._collect(pending.popleft())
                while pending:
                    yield self._collect(pending.popleft())
        finally:
            prefetch.close()

    def _tokenize_group(self, group: list[Sequence[str]]) -> list[Features]:
        """One tokenizer call for several batches, split back and trimmed per batch."""
        texts = [t for batch in group for t in batch]
        features = self._preprocess(texts)
        out: list[Features] = []
        start = 0
        for batch in group:
            out.append(self._slice(features, start, start + len(batch)))
            start += len(batch)
        return out

    def _slice(self, features: Features, start: int, end: int) -> Features:
        mask = features["attention_mask"][start:end]
        width = int(mask.sum(dim=1).max())
        cols = slice(-width, None) if self._left_pad else slice(0, width)
        part: Features = {}
        for key, value in features.items():
            if isinstance(value, self._torch.Tensor) and value.dim() == 2:
                value = value[start:end, cols].contiguous()
                if self._cuda:
                    value = value.pin_memory()
            part[key] = value
        return part

    def _run(self, features: Features) -> tuple[Any, Any]:
        """Start one batch on the device; return (host tensor, event) to collect later."""
        torch = self._torch
        on_device = {
            k: v.to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
            for k, v in features.items()
        }
        emb = self.model.forward(on_device)["sentence_embedding"]
        emb = torch.nn.functional.normalize(emb.float(), dim=1)
        if not self._cuda:
            return emb.cpu(), None  # MPS: synchronous copy; CPU: no-op
        host = torch.empty(emb.shape, dtype=emb.dtype, pin_memory=True)
        host.copy_(emb, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return host, event

    def _collect(self, item: tuple[Any, Any]) -> Vectors:
        host, event = item
        if event is not None:
            event.synchronize()
        return np.ascontiguousarray(host.numpy(), dtype=np.float32)


def load_sentence_transformer(
    name: str, *, device: str = "auto", model_id: str | None = None, threads: int | None = None
) -> Backend:
    """A torch backend for a local folder or a hub name (offline: must already be cached).

    `threads` on CPU sets torch's intra-op threads, which are per process (`torch.set_num_threads`).
    """
    path = Path(name).expanduser()
    if path.is_dir():
        source, local_only, ident = str(path.resolve()), True, str(path.resolve())
    else:
        source, local_only = resolve_hub_name(name), hub_offline()
        ident = name
    torch_device = choose_device(device)
    try:
        from sentence_transformers import SentenceTransformer

        from embmagic.engine.quiet import no_loading_bars

        with no_loading_bars():
            model = SentenceTransformer(source, device=torch_device, local_files_only=local_only)
    except Exception as exc:
        msg = f"could not load model {name!r}: {type(exc).__name__}: {_first_line(exc)}"
        raise ModelNotFoundError(msg) from exc
    if threads is not None and torch_device == "cpu":
        import torch

        torch.set_num_threads(threads)
    from embmagic.engine.clip import ClipBackend, is_image_model

    if is_image_model(model):
        return ClipBackend(model, model_id or ident, torch_device)
    return SentenceTransformerBackend(model, model_id or ident, torch_device)


def resolve_hub_name(name: str, organisation: str = "sentence-transformers") -> str:
    """A hub repo id for `name` (a bare name is tried under `organisation` first); fail fast
    (no network) when offline and it is not cached."""
    if not _HUB_NAME.match(name):
        msg = (
            f"unknown model {name!r}: not an alias (see list_models()), not an existing "
            "folder, and not a valid model name"
        )
        raise ModelNotFoundError(msg)
    candidates = [name] if "/" in name else [f"{organisation}/{name}", name]
    for repo in candidates:
        if _cached(repo):
            return repo
    if hub_offline():
        msg = (
            f"unknown model {name!r}: not an alias (see list_models()), not an existing folder, "
            "and not in the local Hugging Face cache (HF_HUB_OFFLINE is set, so nothing is "
            "downloaded)"
        )
        if "clip" in name.lower():
            from embmagic.engine.clip import HOW_TO_GET_CLIP

            msg += f"; {HOW_TO_GET_CLIP}"
        raise ModelNotFoundError(msg)
    return candidates[0] if "/" in name else name


def _cached(repo: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo, "config.json")
    except Exception:  # malformed id: not cached
        return False
    return isinstance(found, str)


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no details"
