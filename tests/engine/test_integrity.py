from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from embmagic.engine import integrity
from embmagic.engine.glove import EMB_FILE, INDEX_FILE, glove_data_dir, load_word_vectors
from embmagic.engine.minilm import load_minilm, minilm_model_dir
from embmagic.errors import ModelIntegrityError


def test_tampered_minilm_weights_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "minilm"
    shutil.copytree(minilm_model_dir(), folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ModelIntegrityError, match=r"model\.safetensors"):
        load_minilm(device="cpu", backend="torch", model_dir=folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        load_minilm(device="cpu", model_dir=folder)


def test_tampered_glove_files_are_refused(tmp_path: Path) -> None:
    source = glove_data_dir()
    shutil.copy(source / INDEX_FILE, tmp_path / INDEX_FILE)
    data = bytearray((source / EMB_FILE).read_bytes())
    data[-1] ^= 0xFF  # flip one byte of one vector
    (tmp_path / EMB_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=EMB_FILE):
        load_word_vectors("glove-50", data_dir=tmp_path)
    shutil.copy(source / EMB_FILE, tmp_path / EMB_FILE)
    (tmp_path / INDEX_FILE).write_bytes(b"PAR1 nonsense")
    with pytest.raises(ModelIntegrityError, match=INDEX_FILE):
        load_word_vectors("glove-50", data_dir=tmp_path)


def test_each_file_is_hashed_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = hashlib.sha256

    def counting() -> hashlib._Hash:
        calls.append(1)
        return real()

    monkeypatch.setattr("embmagic.engine.integrity.hashlib.sha256", counting)
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    good = real(b"abc").hexdigest()
    integrity.verify_file(path, good, "test")
    integrity.verify_file(path, good, "test")
    assert len(calls) == 1
    path.write_bytes(b"abcd")  # new size: hashed again, and now refused
    with pytest.raises(ModelIntegrityError, match="test"):
        integrity.verify_file(path, good, "test")
    assert len(calls) == 2
