"""The IPython magics of embmagic; `EmbMagics` is registered by `%load_ext embmagic`."""

from __future__ import annotations

from embmagic.magics.embmagics import EmbMagics

__all__ = ["EmbMagics"]
