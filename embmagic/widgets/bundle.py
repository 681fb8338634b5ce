"""Where the built front ends live (`embmagic/static/*.js`, built from js/ by hatch)."""

from __future__ import annotations

from pathlib import Path

from embmagic.errors import EmbmagicError

STATIC = Path(__file__).resolve().parent.parent / "static"


def bundle(name: str) -> Path:
    """A built front-end file, or an error saying how to build it."""
    path = STATIC / name
    if not path.is_file():
        msg = (
            f"the widget front end {name} is not built: run `cd js && npm ci && npm run build` "
            "in the embmagic checkout, or reinstall embmagic"
        )
        raise EmbmagicError(msg)
    return path
