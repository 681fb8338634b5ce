"""Generators by name: a name -> factory registry, open to other packages through entry points.

A factory is `(encoder, settings) -> generator`. The built-in generators register themselves
with `register_generator`, one line each. Another package adds one with an entry point in the
`embmagic.generators` group: the entry point's name is the generator's name and it loads to the
factory. Entry points are looked up on the first request for a name not registered yet and when
names are listed, never when embmagic is imported; a plugin's code loads when it is first used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embmagic.core.rag.generators.settings import GeneratorSettings
from embmagic.core.rag.types import AnyGenerator
from embmagic.errors import GenerationError, InvalidArgumentError
from embmagic.types import Encoder

if TYPE_CHECKING:  # annotations only: importlib.metadata is imported on the first lookup
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "embmagic.generators"
AUTO = "auto"
AUTO_ORDER = ("openai", "local", "extractive")
"""What `auto` tries, in order: the first one registered and available answers."""

Factory = Callable[[Encoder, GeneratorSettings], AnyGenerator]
Availability = Callable[[GeneratorSettings], bool]


@dataclass(frozen=True)
class GeneratorEntry:
    """One registered generator. `available` (None: always) says whether `auto` may pick it."""

    name: str
    factory: Factory
    description: str = ""
    available: Availability | None = None

    def is_available(self, settings: GeneratorSettings) -> bool:
        return self.available is None or self.available(settings)


_registry: dict[str, GeneratorEntry] = {}


def register_generator(
    name: str, factory: Factory, *, description: str = "", available: Availability | None = None
) -> None:
    """Make `load_generator(name, ...)` call `factory(encoder, settings)`."""
    if not name or name == AUTO:
        raise InvalidArgumentError(f"{name!r} cannot name a generator")
    if name in _registry:
        msg = f"a generator named {name!r} is already registered: unregister it first"
        raise InvalidArgumentError(msg)
    _registry[name] = GeneratorEntry(name, factory, description, available)


def unregister_generator(name: str) -> None:
    """Forget the generator called `name` (tests; replacing a built-in)."""
    if _registry.pop(name, None) is None:
        raise InvalidArgumentError(f"no generator named {name!r} is registered")


def generator_names() -> tuple[str, ...]:
    """`auto`, then every generator name, plugins included, sorted."""
    _discover()
    return (AUTO, *sorted(_registry))


def generator_descriptions() -> dict[str, str]:
    """Each registered generator's one-line description, by name (for help texts)."""
    _discover()
    return {name: _registry[name].description for name in sorted(_registry)}


def load_generator(name: str, *, encoder: Encoder, settings: GeneratorSettings) -> AnyGenerator:
    """The generator called `name`; `auto` is openai if configured, else local if installed,
    else extractive. Nothing heavy is loaded here: the local model loads on first use."""
    entry = _auto(settings) if name == AUTO else _lookup(name)
    return entry.factory(encoder, settings)


def _lookup(name: str) -> GeneratorEntry:
    if name not in _registry:
        _discover()  # a plugin may have been installed since the last look
    if name not in _registry:
        msg = f"unknown generator {name!r}: use one of {', '.join(generator_names())}"
        raise InvalidArgumentError(msg)
    return _registry[name]


def _auto(settings: GeneratorSettings) -> GeneratorEntry:
    for name in AUTO_ORDER:
        entry = _registry.get(name)
        if entry is not None and entry.is_available(settings):
            return entry
    msg = f"no generator is available for auto (it tries {', '.join(AUTO_ORDER)})"
    raise GenerationError(msg)


def _discover() -> None:
    """Register each new entry point of the group (a registered name keeps its generator)."""
    from importlib.metadata import entry_points  # ~20 ms: paid on first use, not by %load_ext

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name and point.name != AUTO and point.name not in _registry:
            origin = f"from {point.dist.name}" if point.dist is not None else point.value
            _registry[point.name] = GeneratorEntry(point.name, _PluginFactory(point), origin)


@dataclass(frozen=True)
class _PluginFactory:
    """Loads an entry point's factory on first use, so listing names imports no plugin."""

    point: EntryPoint

    def __call__(self, encoder: Encoder, settings: GeneratorSettings) -> AnyGenerator:
        try:
            factory: Factory = self.point.load()
        except Exception as exc:
            msg = (
                f"generator {self.point.name!r} ({self.point.value}) cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            )
            raise GenerationError(msg) from exc
        return factory(encoder, settings)
