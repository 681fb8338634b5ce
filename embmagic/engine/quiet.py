"""Silence the weight-loading progress bars of transformers while we load a model.

transformers 5 prints a "Loading weights" bar on stderr on every load: noise in a cell's output,
and it made a notebook's stored output depend on whether a model was already cached.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def no_loading_bars() -> Iterator[None]:
    """Disable transformers' progress bars for the duration, restoring the previous setting."""
    hf_logging: Any = importlib.import_module("transformers.utils.logging")

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
