"""`Engine`: caching, length-sorted batching, normalising and OOM recovery over a `Backend`."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.engine.cache import EmbeddingCache, text_hash
from embmagic.engine.oom import is_out_of_memory, release_device_memory
from embmagic.engine.tokens import TokenCounter
from embmagic.errors import DeviceMemoryError, InvalidArgumentError
from embmagic.types import Vectors

log = logging.getLogger(__name__)

PROGRESS_THRESHOLD = 1000
"""Inputs with at least this many texts to encode show a progress bar when progress=None."""


class Engine:
    """Text in, L2-normalised float32 vectors out; a text is encoded at most once per cache.

    Satisfies `embmagic.types.Encoder`. `batch_size` may shrink after a device out-of-memory
    error and stays shrunk for later calls.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
        cache_size: int = 200_000,
        progress: bool | None = None,
        progress_threshold: int = PROGRESS_THRESHOLD,
    ) -> None:
        if batch_size < 1:
            msg = f"batch_size must be >= 1, got {batch_size}"
            raise InvalidArgumentError(msg)
        self.backend = backend
        self.batch_size = batch_size
        self.cache = cache if cache is not None else EmbeddingCache(cache_size)
        self.progress = progress
        self.progress_threshold = progress_threshold
        self.encoded_count = 0
        self._counter: TokenCounter | None = None

    @property
    def model_id(self) -> str:
        return self.backend.model_id

    @property
    def dim(self) -> int:
        return self.backend.dim

    @property
    def device(self) -> str:
        return self.backend.device

    @property
    def max_tokens(self) -> int | None:
        """The model's window in tokens (special tokens included); None: no limit."""
        return self.backend.max_tokens

    def token_counter(self) -> TokenCounter:
        """The backend's picklable token counter (made once)."""
        if self._counter is None:
            self._counter = self.backend.token_counter()
        return self._counter

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text as the model sees them, before any truncation."""
        return self.token_counter()(list(texts)) if len(texts) else []

    @property
    def backend_name(self) -> str:
        return self.backend.backend_name

    @property
    def modality(self) -> str:
        """"text", or "image" for a model whose images and texts share one space (CLIP)."""
        return getattr(self.backend, "modality", "text")

    def encode_images(self, images: Sequence[Any]) -> Vectors:
        """Unit rows for PIL images or image paths, in order, in the model's text space: (n, dim)
        float32. Only an image model (`modality == "image"`) can; images are not cached."""
        encode = getattr(self.backend, "encode_images", None)
        if self.modality != "image" or encode is None:
            from embmagic.engine.clip import HOW_TO_GET_CLIP

            msg = f"{self.model_id} is a text model; {HOW_TO_GET_CLIP}"
            raise InvalidArgumentError(msg)
        from embmagic.engine.clip import check_images

        items = check_images(images)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        for start in range(0, len(items), self.batch_size):
            part = items[start : start + self.batch_size]
            out[start : start + len(part)] = _check_shape(encode(part), len(part), self.dim)
        self.encoded_count += len(items)
        return normalize_rows(out)

    def __repr__(self) -> str:
        return (
            f"Engine(model_id={self.model_id!r}, dim={self.dim}, device={self.device!r}, "
            f"backend={self.backend_name!r}, batch_size={self.batch_size})"
        )

    def embed(self, texts: Sequence[str], *, progress: bool | None = None) -> Vectors:
        """Vectors of `texts`, one row each, in order: (n, dim) float32, C-contiguous, unit rows.

        Cached texts are not re-encoded; duplicates within the call are encoded once.
        `progress`: this call's bar (None: the engine's `progress` setting), e.g. False for a
        background job that draws its own.
        """
        items = _check_texts(texts)
        keys = [(self.model_id, text_hash(t)) for t in items]
        found: dict[tuple[str, str], Vectors] = {}
        missing: dict[tuple[str, str], str] = {}
        for key, text in zip(keys, items, strict=True):
            if key in found or key in missing:
                continue
            row = self.cache.get(key)
            if row is None:
                missing[key] = text
            else:
                found[key] = row
        if missing:
            found.update(self._encode_missing(missing, progress))
        out = np.empty((len(items), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out

    def _encode_missing(
        self, missing: dict[tuple[str, str], str], progress: bool | None = None
    ) -> dict[tuple[str, str], Vectors]:
        """Encode unseen texts longest first (little padding), cache them, map key -> row."""
        self.backend.validate(list(missing.values()))  # input order, so errors read naturally
        order = sorted(missing, key=lambda k: -len(missing[k]))
        texts = [missing[k] for k in order]
        vectors = normalize_rows(self._encode_sorted(texts, progress))
        vectors.setflags(write=False)  # rows are cached as views: nobody may write to them
        self.encoded_count += len(texts)
        rows: dict[tuple[str, str], Vectors] = {}
        for key, row in zip(order, vectors, strict=True):
            self.cache.put(key, row, copy=False)
            rows[key] = row
        return rows

    def _encode_sorted(self, texts: list[str], progress: bool | None = None) -> Vectors:
        """Run the backend over batches; on out-of-memory halve the batch and resume."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        done = 0
        with self._progress_bar(len(texts), progress) as bar:
            while done < len(texts):
                size = self.batch_size
                stream = self.backend.encode_batches(_batches(texts, done, size))
                try:
                    for vectors in stream:
                        end = min(done + size, len(texts))
                        out[done:end] = _check_shape(vectors, end - done, self.dim)
                        done = end
                        if bar is not None:
                            bar.update(len(vectors))
                except Exception as exc:
                    if not is_out_of_memory(exc):
                        raise
                    self._shrink_batch(exc)
                finally:
                    _close(stream)
        return out

    def _shrink_batch(self, exc: BaseException) -> None:
        """Halve the batch size after an out-of-memory error; give up at one text."""
        if self.batch_size == 1:
            msg = (
                f"{self.device} ran out of memory encoding a single text with {self.model_id}; "
                "free device memory or use device='cpu'"
            )
            raise DeviceMemoryError(msg) from exc
        self.batch_size = max(1, self.batch_size // 2)
        log.warning("out of memory on %s; batch size now %d", self.device, self.batch_size)
        release_device_memory()

    def _progress_bar(self, total: int, progress: bool | None = None
                      ) -> AbstractContextManager[Any]:
        show = self.progress if progress is None else progress
        if show is None:
            show = total >= self.progress_threshold
        if not show:
            return nullcontext(None)
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=f"embedding ({self.model_id})", unit="text")  # type: ignore[no-any-return]


def normalize_rows(vectors: Vectors) -> Vectors:
    """Rows scaled to unit L2 norm (zero rows stay zero), float32 and C-contiguous."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))[:, None]  # 5x faster than linalg.norm
    np.maximum(norms, np.float32(1e-12), out=norms)
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        msg = "embed() takes a sequence of texts, not a single string; wrap it in a list"
        raise InvalidArgumentError(msg)
    items = list(texts)
    bad = [type(t).__name__ for t in items if not isinstance(t, str)]
    if bad:
        msg = f"embed() takes strings only; got {len(bad)} item(s) of type {bad[0]}"
        raise InvalidArgumentError(msg)
    return items


def _batches(texts: list[str], start: int, size: int) -> Iterator[list[str]]:
    for i in range(start, len(texts), size):
        yield texts[i : i + size]


def _check_shape(vectors: Vectors, rows: int, dim: int) -> Vectors:
    if vectors.shape != (rows, dim):
        msg = f"backend returned shape {vectors.shape}, expected {(rows, dim)}"
        raise RuntimeError(msg)
    return vectors


def _close(stream: Iterator[Vectors]) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        close()
