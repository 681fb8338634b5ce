"""Cross-encoders: a sentence-transformers `CrossEncoder` that scores (query, text) pairs.

A bi-encoder (the engine's models) embeds query and text apart; a cross-encoder reads them
together and scores their relevance, far better and far slower, so it only reorders the few
dozen candidates a search found (`core/rerank.py`). Loaded by folder or by a Hugging Face name
already in the local cache (offline: nothing is downloaded); sentence-transformers and torch are
imported only here, when one is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.engine.device import choose_device
from embmagic.errors import ModelNotFoundError

EXAMPLE = "cross-encoder/ms-marco-MiniLM-L6-v2"
"""A small, widely used reranker, named in the error when none can be loaded."""
HOW_TO_GET_ONE = (
    f"pass a folder holding a sentence-transformers CrossEncoder, or a model name from the "
    f"local Hugging Face cache (with network: --rerank {EXAMPLE} downloads one once)"
)


class CrossEncoderScorer:
    """Scores (query, text) pairs with a loaded `CrossEncoder`; higher is more relevant.

    The score is the model's own (`CrossEncoder.predict` with its default activation: a
    sigmoid for single-label models unless the model's config names another).
    """

    def __init__(self, model: Any, name: str, device: str, batch_size: int = 32) -> None:
        self.model = model
        self.name = name
        self.device = device
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"CrossEncoderScorer({self.name!r}, device={self.device!r})"

    def score(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One float per text: its relevance to `query`."""
        if not texts:
            return np.empty(0, dtype=np.float32)
        scores = self.model.predict(
            [(query, text) for text in texts], batch_size=self.batch_size,
            show_progress_bar=False, convert_to_numpy=True,
        )  # fmt: skip
        out = np.asarray(scores, dtype=np.float32)
        if out.ndim != 1:  # a classifier with several labels is no reranker
            msg = f"{self.name!r} gives {out.shape[-1]} scores per pair, not one: not a reranker"
            raise ModelNotFoundError(msg)
        return out


def load_cross_encoder(name: str, *, device: str = "auto") -> CrossEncoderScorer:
    """The cross-encoder in folder `name`, or called `name` in the local Hugging Face cache."""
    from embmagic.engine.st_torch import hub_offline, resolve_hub_name

    if not name.strip():
        raise ModelNotFoundError(f"--rerank needs a cross-encoder: {HOW_TO_GET_ONE}")
    path = Path(name).expanduser()
    if path.is_dir():
        source, local_only = str(path.resolve()), True
        _check_is_cross_encoder(path, name)
    else:
        try:
            source = resolve_hub_name(name, organisation="cross-encoder")
        except ModelNotFoundError:
            msg = f"no cross-encoder {name!r} here: {HOW_TO_GET_ONE}"
            raise ModelNotFoundError(msg) from None
        local_only = hub_offline()
    torch_device = choose_device(device)
    try:
        from sentence_transformers import CrossEncoder

        from embmagic.engine.quiet import no_loading_bars

        with no_loading_bars():
            model = CrossEncoder(source, device=torch_device, local_files_only=local_only)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"could not load cross-encoder {name!r} ({first}): {HOW_TO_GET_ONE}"
        raise ModelNotFoundError(msg) from exc
    return CrossEncoderScorer(model, name, torch_device)


def _check_is_cross_encoder(path: Path, name: str) -> None:
    """Refuse a folder whose model is not a sequence classifier (e.g. an embedding model,
    which would load with a random, untrained scoring head)."""
    config = path / "config.json"
    if not config.is_file():
        raise ModelNotFoundError(f"{name!r} has no config.json: {HOW_TO_GET_ONE}")
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError) as exc:
        msg = f"{name!r}: unreadable config.json ({type(exc).__name__}): {HOW_TO_GET_ONE}"
        raise ModelNotFoundError(msg) from None
    if architectures and not any(
        str(a).endswith(("ForSequenceClassification", "ForCausalLM")) for a in architectures
    ):
        msg = (
            f"{name!r} is not a cross-encoder (its model is {architectures[0]}, which embeds "
            f"texts rather than scoring pairs): {HOW_TO_GET_ONE}"
        )
        raise ModelNotFoundError(msg)
