"""A tiny random CLIP saved as a sentence-transformers folder, built at test time (no hub).

Shared by the engine, app, magics and widget image tests: `build_tiny_clip(folder)` writes a
CLIP (text and vision towers of hidden size 32, 2 layers, 32x32 images in 8x8 patches, random
weights), a byte-level BPE tokenizer over the 256 byte symbols, and a CLIP image processor of
size 32, then saves them as a `SentenceTransformer` folder that `load_engine(folder)` reads.
`draw_images(folder)` draws small test images with Pillow.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

_WORDS = ("a", "dog", "cat", "on", "the", "beach", "red", "blue", "photo", "of")


def _byte_symbols() -> list[str]:
    """The 256 printable stand-ins byte-level BPE uses for bytes (GPT-2's table)."""
    from tokenizers.pre_tokenizers import ByteLevel

    return sorted(ByteLevel.alphabet())


def _vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    symbols = _byte_symbols()
    tokens = [*symbols, *(s + "</w>" for s in symbols)]
    merges: list[tuple[str, str]] = []
    for word in _WORDS:  # merge each test word left to right, so it is one token
        if len(word) < 2:
            continue
        left = word[0]
        for i, char in enumerate(word[1:], start=1):
            right = char + "</w>" if i == len(word) - 1 else char
            merges.append((left, right))
            left += right
            if left not in tokens:
                tokens.append(left)
    merges = list(dict.fromkeys(merges))
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(tokens)}, merges


def build_tiny_clip(folder: Path, *, seed: int = 0) -> Path:
    """Write a tiny random CLIP sentence-transformers model into `folder`; return it.
    Quiet: transformers' progress bars and notes are off while it builds."""
    from transformers.utils import logging as hf_logging

    from embmagic.engine.quiet import no_loading_bars

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "requires torchvision ... falling back" notes
    try:
        with no_loading_bars():
            return _build(folder, seed)
    finally:
        hf_logging.set_verbosity(level)


def _build(folder: Path, seed: int) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.transformer import Transformer
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizerFast,
    )

    vocab, merges = _vocab_and_merges()
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 32,
            "bos_token_id": vocab["<|startoftext|>"], "eos_token_id": vocab["<|endoftext|>"],
            "pad_token_id": vocab["<|endoftext|>"],
        },
        vision_config={
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "image_size": 32, "patch_size": 8,
        },
        projection_dim=16,
    )  # fmt: skip
    model = CLIPModel(config).eval()
    tokenizer = CLIPTokenizerFast(vocab=vocab, merges=merges, model_max_length=32)
    images = CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    with tempfile.TemporaryDirectory() as raw:  # the transformers folder ST wraps
        model.save_pretrained(raw)
        CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(raw)
        st = SentenceTransformer(modules=[Transformer(raw)], device="cpu")
        st.save(str(folder))
    return folder


def draw_images(folder: Path) -> dict[str, Path]:
    """Small images in several formats, plus an unreadable file; name -> path."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    red = Image.new("RGB", (40, 30), (220, 20, 20))
    out["red"] = folder / "red.png"
    red.save(out["red"])
    blue = Image.new("RGB", (24, 48), (20, 40, 220))
    out["blue"] = folder / "blue.jpg"
    blue.save(out["blue"], quality=90)
    green = Image.new("RGBA", (50, 50), (20, 200, 40, 255))
    out["green"] = folder / "green.webp"
    green.save(out["green"])
    frames = [Image.new("RGB", (20, 20), c) for c in ((250, 0, 0), (0, 250, 0), (0, 0, 250))]
    out["anim"] = folder / "anim.gif"
    frames[0].save(out["anim"], save_all=True, append_images=frames[1:], duration=50, loop=0)
    out["broken"] = folder / "broken.png"
    out["broken"].write_bytes(b"\x89PNG\r\n\x1a\nnot really an image")
    return out
