"""Shared fixtures: a real IPython shell with embmagic loaded and the fake encoder configured."""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

FAKE_MODEL = "fake-64"

# Tests never touch the network: an unknown model name must fail from the local cache at once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def make_shell(**embmagics_config: Any) -> InteractiveShell:
    """A fresh singleton shell (history in memory), embmagic loaded after its config is set."""
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.EmbMagics.model = FAKE_MODEL
    config.EmbMagics.show_progress = False
    for key, value in embmagics_config.items():
        setattr(config.EmbMagics, key, value)
    shell = InteractiveShell.instance(config=config)
    shell.extension_manager.load_extension("embmagic")
    return shell


def dispose(shell: InteractiveShell) -> None:
    """Unload embmagic and drop the shell's exit hook.

    IPython registers `atexit_operations` per shell, each ending in a full `gc.collect()`;
    with a hundred test shells and large models in memory that added ~30 s to every exit.
    """
    shell.extension_manager.unload_extension("embmagic")
    atexit.unregister(shell.atexit_operations)


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    """A real IPython shell with a fresh embmagic session, errors raised rather than shown."""
    shell = make_shell()
    yield shell
    dispose(shell)
    InteractiveShell.clear_instance()


def magics_of(shell: InteractiveShell) -> Any:
    """The EmbMagics instance registered on `shell`."""
    return shell.magics_manager.registry["EmbMagics"]


def snapshot(shell: InteractiveShell) -> dict[str, Any]:
    """Everything observable about every collection, for before/after comparisons."""
    out: dict[str, Any] = {}
    for name, coll in magics_of(shell).session.collections.items():
        records = coll.records()
        ids = [r.id for r in records]
        vectors = coll.vectors_for(ids).tobytes() if ids else b""
        out[name] = (
            coll.model_id,
            coll.dim,
            [(r.id, r.text, sorted(r.metadata.items(), key=str)) for r in records],
            vectors,
        )
    return out


Snapshot = Callable[[], dict[str, Any]]


@pytest.fixture
def magics(ip: InteractiveShell) -> Any:
    """The EmbMagics instance of the `ip` fixture (its `.session` holds the collections)."""
    return magics_of(ip)


@pytest.fixture
def snap(ip: InteractiveShell) -> Snapshot:
    """`snap()` returns a deep snapshot of every collection of the `ip` fixture."""
    return lambda: snapshot(ip)


@pytest.fixture
def shell_with() -> Iterator[Callable[..., InteractiveShell]]:
    """Factory for a shell configured with other EmbMagics options (e.g. a real model)."""
    made: list[InteractiveShell] = []

    def factory(**config: Any) -> InteractiveShell:
        shell = make_shell(**config)
        made.append(shell)
        return shell

    yield factory
    for shell in made:
        dispose(shell)
    InteractiveShell.clear_instance()


CROSS_ENCODER_WORDS = (
    "the", "eiffel", "tower", "is", "330", "metres", "tall", "and", "stands", "in", "paris",
    "bananas", "are", "yellow", "rich", "potassium", "mount", "everest", "8849", "high", "how",
    "what", "which", "where", "it", "a", "an", "of", "cat", "dog", "small", "big", "sleeps",
    "barks", "red", "car", "solar", "power", "panels", "wind", "energy", "river", "flows", "sea",
)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder holding a real sentence-transformers CrossEncoder built here: a 2-layer BERT
    (hidden size 32, one output label) with random weights and a WordPiece vocabulary of the
    test texts' words. No weights exist offline; this exercises the real loading and scoring."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("cross-encoder")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(CROSS_ENCODER_WORDS))]
    tokenizer = BertTokenizerFast(vocab={word: i for i, word in enumerate(vocab)})
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, num_labels=1,
        initializer_range=0.2,  # wider than BERT's 0.02: scores spread, no ties
    )  # fmt: skip
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CrossEncoder(str(folder), local_files_only=True, device="cpu")  # loads: a valid folder
    return str(folder)


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random CLIP saved as a sentence-transformers folder (tests/tiny_clip.py)."""
    from tests.tiny_clip import build_tiny_clip

    return build_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture
def images_dir(tmp_path: Path) -> dict[str, Path]:
    """Small PNG, JPEG, WebP and animated GIF images plus an unreadable `broken.png`."""
    from tests.tiny_clip import draw_images

    return draw_images(tmp_path / "images")


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt during the test, as in a terminal or a kernel, even when
    pytest was started with SIGINT ignored (a shell's background job, `cmd &`, ignores it)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def ws() -> Any:
    """A Workspace on the fast deterministic fake encoder (fake-64), no progress bars."""
    from embmagic.app import Workspace

    made = Workspace()
    made.options.model = "fake-64"
    made.options.show_progress = False
    return made
