"""CLIP through sentence-transformers: images and texts encoded into one space.

A sentence-transformers model whose modules take images (its `modalities` include "image", e.g.
`clip-ViT-B-32` or a folder saved with a CLIP `Transformer` module) loads as a `ClipBackend`:
`encode_batch(texts)` runs the text tower, `encode_images(images)` the vision tower, both into
the same space. torch, sentence-transformers and Pillow are imported only when one is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embmagic.engine.backend import Backend
from embmagic.engine.tokens import TokenCounter, dim_and_window, model_token_counter
from embmagic.errors import InvalidArgumentError
from embmagic.types import Vectors

HOW_TO_GET_CLIP = (
    "images need a CLIP model: --model clip-ViT-B-32 (fetched once from the Hugging Face hub "
    "when online, HF_HUB_OFFLINE unset) or --model FOLDER (a saved sentence-transformers CLIP)"
)


def is_image_model(model: Any) -> bool:
    """Whether a loaded `SentenceTransformer` encodes images (sentence-transformers >= 5.4)."""
    modalities = getattr(model, "modalities", None) or ()
    return "image" in modalities


class ClipBackend(Backend):
    """A loaded CLIP `SentenceTransformer` on one device: texts and images, one space."""

    backend_name = "torch"
    modality = "image"

    def __init__(self, model: Any, model_id: str, device: str) -> None:
        self.model = model.eval()
        self.model_id = model_id
        self.device = device
        self.dim, self.max_tokens = dim_and_window(model)

    def token_counter(self) -> TokenCounter:
        return model_token_counter(self.model)

    def encode_batch(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    def encode_images(self, images: Sequence[Any]) -> Vectors:
        """Rows of PIL images (or paths), in order; rows need not be normalised."""
        if not images:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._encode([as_rgb(i) for i in images])

    def _encode(self, inputs: list[Any]) -> Vectors:
        out = self.model.encode(inputs, batch_size=len(inputs), convert_to_numpy=True,
                                show_progress_bar=False)  # fmt: skip
        return np.ascontiguousarray(out, dtype=np.float32)


def as_rgb(image: Any) -> Any:
    """A PIL image, or the first frame of the image file at a path, as RGB."""
    from PIL import Image

    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    if isinstance(image, str | Path):
        with Image.open(image) as img:
            img.seek(0)
            return img.convert("RGB")
    msg = f"expected a PIL image or a path to one, got {type(image).__name__}"
    raise InvalidArgumentError(msg)


def check_images(images: Any) -> list[Any]:
    """A list of PIL images or paths, else InvalidArgumentError."""
    if isinstance(images, str | Path):
        msg = "encode_images() takes a sequence of images or paths; wrap one in a list"
        raise InvalidArgumentError(msg)
    return list(images)
