"""The generator registry: one `register_generator` line adds a generator; another package adds
one through the `embmagic.generators` entry-point group, found lazily, loaded on first use."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from embmagic.core.rag import (
    GeneratorInfo,
    GeneratorSettings,
    ask,
    generator_names,
    load_generator,
    register_generator,
    unregister_generator,
)
from embmagic.engine import Engine
from embmagic.errors import GenerationError, InvalidArgumentError
from embmagic.store import Collection
from embmagic.types import Encoder

MakeCollection = Callable[..., Collection]


class ToyGenerator:
    """Answers every question with the first source, cited, and remembers the prompts it saw."""

    name = "toy"

    def __init__(self, encoder: Encoder, settings: GeneratorSettings) -> None:
        self.model = f"{encoder.model_id}/max{settings.max_tokens}"
        self.prompts: list[str] = []

    def generate(self, prompt: str, *, stream: bool) -> Iterator[str]:
        self.prompts.append(prompt)
        yield from ["The first source ", "says so [1]."]


@pytest.fixture
def toy() -> Iterator[str]:
    register_generator("toy", ToyGenerator, description="a test double")
    yield "toy"
    unregister_generator("toy")


def test_a_registered_generator_answers_by_name(
    toy: str, make_collection: MakeCollection, fake_engine: Engine
) -> None:
    facts = make_collection(["The Eiffel Tower is 330 metres tall.", "Bananas are yellow."])
    assert toy in generator_names()
    gen = load_generator(toy, encoder=fake_engine, settings=GeneratorSettings(max_tokens=7))
    assert isinstance(gen, ToyGenerator)
    chunks: list[str] = []
    reply = ask(facts, fake_engine, "How tall?", gen, k=2, stream=True, on_chunk=chunks.append)
    assert chunks == ["The first source ", "says so [1]."]
    assert reply.answer == "The first source says so [1]."
    assert reply.generator == GeneratorInfo("toy", "fake-64/max7")
    assert [s.number for s in reply.cited] == [1] and gen.prompts == [reply.prompt]


def test_unregistered_generator_is_unknown_again(fake_engine: Engine) -> None:
    register_generator("toy", ToyGenerator)
    unregister_generator("toy")
    assert "toy" not in generator_names()
    with pytest.raises(InvalidArgumentError, match="unknown generator 'toy': use one of auto, "):
        load_generator("toy", encoder=fake_engine, settings=GeneratorSettings())
    with pytest.raises(InvalidArgumentError, match="no generator named 'toy'"):
        unregister_generator("toy")


def test_names_are_not_taken_twice_and_auto_is_reserved(toy: str) -> None:
    with pytest.raises(InvalidArgumentError, match="'toy' is already registered"):
        register_generator(toy, ToyGenerator)
    with pytest.raises(InvalidArgumentError, match="'auto' cannot name a generator"):
        register_generator("auto", ToyGenerator)


def test_builtins_are_registered_and_auto_comes_first() -> None:
    names = generator_names()
    assert names[0] == "auto" and {"extractive", "local", "openai"} <= set(names)


def make_distribution(root: Path, entry_point: str, package: str = "toygen") -> None:
    """An installed distribution on disk: a package and its `.dist-info` with an entry point."""
    (root / package).mkdir()
    (root / package / "__init__.py").write_text(
        "from embmagic.core.rag import CallableGenerator\n\n\n"
        "def factory(encoder, settings):\n"
        "    return CallableGenerator(lambda prompt: 'Plugged in [1].', 'toygen', 'v0.1')\n"
    )
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[embmagic.generators]\n{entry_point}\n")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path on sys.path; whatever a test discovers there is forgotten afterwards."""
    monkeypatch.syspath_prepend(tmp_path)
    yield tmp_path
    for name in ("toygen", "brokengen"):
        sys.modules.pop(name, None)
        if name in generator_names():
            unregister_generator(name)


def test_an_entry_point_is_discovered_and_loaded_on_first_use(
    plugin_path: Path, make_collection: MakeCollection, fake_engine: Engine
) -> None:
    make_distribution(plugin_path, "toygen = toygen:factory")
    assert "toygen" in generator_names()
    assert "toygen" not in sys.modules  # listing names imports no plugin
    gen = load_generator("toygen", encoder=fake_engine, settings=GeneratorSettings())
    facts = make_collection(["The Eiffel Tower is 330 metres tall."])
    reply = ask(facts, fake_engine, "How tall?", gen, k=1)
    assert reply.answer == "Plugged in [1]." and str(reply.generator) == "toygen (v0.1)"


def test_an_entry_point_is_found_by_name_without_listing_first(
    plugin_path: Path, fake_engine: Engine
) -> None:
    make_distribution(plugin_path, "toygen = toygen:factory")
    gen = load_generator("toygen", encoder=fake_engine, settings=GeneratorSettings())
    assert gen.name == "toygen"


def test_a_broken_plugin_fails_when_used_and_says_which(
    plugin_path: Path, fake_engine: Engine
) -> None:
    make_distribution(plugin_path, "brokengen = brokengen_missing:factory", package="brokengen")
    assert "brokengen" in generator_names()
    with pytest.raises(GenerationError, match=r"'brokengen' \(brokengen_missing:factory\)"):
        load_generator("brokengen", encoder=fake_engine, settings=GeneratorSettings())


def test_an_entry_point_cannot_replace_a_builtin(plugin_path: Path, fake_engine: Engine) -> None:
    make_distribution(plugin_path, "extractive = toygen:factory")
    gen = load_generator("extractive", encoder=fake_engine, settings=GeneratorSettings())
    assert type(gen).__name__ == "ExtractiveGenerator" and "toygen" not in sys.modules


def test_importing_rag_loads_no_model_runtime_and_reads_no_entry_points(tmp_path: Path) -> None:
    """`%load_ext embmagic` stays fast: no torch, xllamacpp or openai, no entry-point scan."""
    make_distribution(tmp_path, "toygen = toygen:factory")
    code = """
import importlib.metadata, sys
scans = []
real = importlib.metadata.entry_points
importlib.metadata.entry_points = lambda **kw: scans.append(kw) or real(**kw)
import embmagic.core.rag as rag
print(sorted(m for m in ("torch", "xllamacpp", "openai", "toygen") if m in sys.modules), len(scans))
print("toygen" in rag.generator_names(), len(scans), "toygen" in sys.modules)
"""
    env = {"PYTHONPATH": str(tmp_path), "PATH": "", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
        cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert out.stdout.splitlines() == ["[] 0", "True 1 False"]
