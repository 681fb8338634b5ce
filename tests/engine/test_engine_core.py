from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from embmagic.engine import EmbeddingCache, Engine, FakeBackend, fake_vector
from embmagic.errors import DeviceMemoryError, InvalidArgumentError
from embmagic.types import Encoder, Vectors

if TYPE_CHECKING:
    from conftest import OomBackend


def test_embed_returns_normalised_contiguous_float32_in_input_order(fake_engine: Engine) -> None:
    texts = ["short", "a much longer text than the others here", "mid length one", ""]
    vecs = fake_engine.embed(texts)
    assert vecs.dtype == np.float32 and vecs.flags["C_CONTIGUOUS"] and vecs.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    for row, text in zip(vecs, texts, strict=True):
        np.testing.assert_allclose(row, fake_vector(text, 32), atol=1e-6)
    assert isinstance(fake_engine, Encoder)


def test_batches_are_length_sorted_longest_first() -> None:
    seen: list[list[str]] = []

    class Recording(FakeBackend):
        def encode_batch(self, texts: Sequence[str]) -> Vectors:
            seen.append(list(texts))
            return super().encode_batch(texts)

    backend = Recording(8)
    engine = Engine(backend, batch_size=2, progress=False)
    engine.embed(["bb", "dddd", "a", "ccc", "eeeee"])
    assert seen == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]
    assert backend.batch_sizes == [2, 2, 1]


def test_cache_means_a_text_is_never_encoded_twice(fake_engine: Engine) -> None:
    first = fake_engine.embed(["x y", "y z", "x y", "x y"])
    assert fake_engine.encoded_count == 2  # duplicates inside one call: encoded once
    second = fake_engine.embed(["y z", "new one", "x y"])
    assert fake_engine.encoded_count == 3
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    assert fake_engine.cache.hits >= 2


def test_cache_is_bounded_lru_and_keyed_by_model() -> None:
    cache = EmbeddingCache(2)
    a = Engine(FakeBackend(8), cache=cache, progress=False)
    b = Engine(FakeBackend(16), cache=cache, progress=False)
    a.embed(["one"])
    b.embed(["one"])  # same text, other model: a separate entry
    assert b.encoded_count == 1 and len(cache) == 2
    a.embed(["one"])  # hit: "one"/fake-8 becomes most recent
    a.embed(["two"])  # evicts "one"/fake-16
    assert len(cache) == 2 and a.encoded_count == 2
    b.embed(["one"])
    assert b.encoded_count == 2


def test_cached_rows_cannot_be_corrupted_by_callers(fake_engine: Engine) -> None:
    out = fake_engine.embed(["stable"])
    out[0] = 0.0
    np.testing.assert_allclose(
        fake_engine.embed(["stable"])[0], fake_vector("stable", 32), atol=1e-6
    )


def test_empty_input_and_bad_input(fake_engine: Engine) -> None:
    assert fake_engine.embed([]).shape == (0, 32)
    with pytest.raises(InvalidArgumentError, match="not a single string"):
        fake_engine.embed("oops")
    with pytest.raises(InvalidArgumentError, match="strings only"):
        fake_engine.embed(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        Engine(FakeBackend(4), batch_size=0)


def test_out_of_memory_halves_batch_and_resumes(oom_backend: type[OomBackend]) -> None:
    texts = [f"text number {i} " + "w " * (i % 7) for i in range(50)]
    reference = Engine(FakeBackend(16), batch_size=16, progress=False).embed(texts)
    backend = oom_backend(limit=5)
    engine = Engine(backend, batch_size=16, progress=False)
    np.testing.assert_array_equal(engine.embed(texts), reference)
    assert engine.batch_size == 4  # 16 -> 8 -> 4
    assert backend.attempts[:3] == [16, 8, 4]
    assert sum(n for n in backend.attempts if n <= 5) == 50  # each text encoded exactly once
    assert engine.encoded_count == 50


def test_out_of_memory_resumes_where_it_failed(oom_backend: type[OomBackend]) -> None:
    class LateOom(oom_backend):  # type: ignore[valid-type,misc]
        def encode_batch(self, texts):  # type: ignore[no-untyped-def]
            if len(self.attempts) == 2:  # third call fails: first two batches are kept
                self.limit = 2
            return super().encode_batch(texts)

    backend = LateOom(limit=100)
    engine = Engine(backend, batch_size=4, progress=False)
    engine.embed([f"t{i}" for i in range(12)])
    assert backend.attempts == [4, 4, 4, 2, 2]


def test_out_of_memory_at_batch_of_one_is_a_clear_error(oom_backend: type[OomBackend]) -> None:
    engine = Engine(oom_backend(limit=0), batch_size=4, progress=False)
    with pytest.raises(DeviceMemoryError, match="single text"):
        engine.embed(["a", "b"])
    assert engine.cache.hits == 0 and len(engine.cache) == 0


def test_other_errors_are_not_mistaken_for_oom() -> None:
    class Broken(FakeBackend):
        def encode_batch(self, texts):  # type: ignore[no-untyped-def]
            raise ValueError("boom")

    engine = Engine(Broken(4), batch_size=8, progress=False)
    with pytest.raises(ValueError, match="boom"):
        engine.embed(["a"])
    assert engine.batch_size == 8


def test_progress_bar_only_when_asked_or_long(capsys: pytest.CaptureFixture[str]) -> None:
    Engine(FakeBackend(4), progress=True).embed(["a", "b"])
    assert "embedding (fake-4)" in capsys.readouterr().err
    Engine(FakeBackend(4), progress=None, progress_threshold=3).embed(["a", "b"])
    assert capsys.readouterr().err == ""
    Engine(FakeBackend(4), progress=None, progress_threshold=3).embed(["a", "b", "c"])
    assert "3/3" in capsys.readouterr().err
    Engine(FakeBackend(4), progress=False, progress_threshold=1).embed(["z"])
    assert capsys.readouterr().err == ""


def test_importing_the_engine_does_not_import_torch() -> None:
    code = (
        "import sys, embmagic.engine as e; e.load_engine('fake').embed(['x']); "
        "bad = [m for m in ('torch', 'sentence_transformers', 'onnxruntime', 'transformers') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
