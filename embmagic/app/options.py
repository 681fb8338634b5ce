"""The options of a workspace, declared once as traitlets (the magics' `%config EmbMagics`).

`EmbMagics` inherits these traits, so `%config EmbMagics.k = 10` sets the option the magics,
the widgets and the Python API all read; a plain `Workspace()` has its own `Options()`.
Validation lives here too: a bad value is refused with a one-line `TraitError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from traitlets import Enum, Float, HasTraits, Integer, TraitError, TraitType, Unicode, validate

from embmagic.core.rag.config import Secret

if TYPE_CHECKING:
    from embmagic.core.distributed import RaySettings
    from embmagic.core.rag import GeneratorSettings


class SecretTrait(TraitType[Secret | None, Secret | str | None]):
    """A string option kept as a `Secret`, so `%config EmbMagics` shows `Secret('****')`."""

    default_value = None
    allow_none = True
    info_text = "a secret string (never displayed)"

    def validate(self, obj: Any, value: Any) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value) if value else None
        self.error(obj, "<hidden>")  # never echo what was given
        return None


_POSITIVE = ("k", "batch_size", "display_limit", "text_width", "max_answer_tokens",
             "ray_batch_size", "ray_threads")


class Options(HasTraits):
    """Defaults for every action; each trait's help is what `%config EmbMagics` prints."""

    model = Unicode("minilm", help="Default embedding model for new collections.").tag(config=True)
    collection = Unicode("default", help="Collection used when no -c/COLL is given.").tag(
        config=True
    )
    k = Integer(5, help="Default number of results (-k).").tag(config=True)
    device = Unicode("auto", help="Device for models: auto, cpu, cuda, cuda:N or mps.").tag(
        config=True
    )
    batch_size = Integer(32, help="Texts per encoding batch.").tag(config=True)
    display_limit = Integer(20, help="Most table rows shown in a cell's output.").tag(config=True)
    text_width = Integer(80, help="Characters of record text shown per table row.").tag(config=True)
    generator = Unicode(
        "extractive",
        help="RAG generator: auto (openai if configured, else local if installed, else "
        "extractive), extractive, local, openai, or one a plugin registers.",
    ).tag(config=True)
    openai_base_url = Unicode(
        "", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1, else OPENAI_BASE_URL"
    ).tag(config=True)
    openai_model = Unicode(
        "", help="Model name sent to the endpoint (else EMBMAGIC_OPENAI_MODEL)."
    ).tag(config=True)
    openai_api_key = SecretTrait(
        help="API key (prefer OPENAI_API_KEY or a .env file: a key typed in a cell is saved "
        "with the notebook). Never displayed."
    ).tag(config=True)
    openai_timeout = Float(60.0, help="Seconds to wait for the endpoint.").tag(config=True)
    max_answer_tokens = Integer(128, help="Most tokens a generated RAG answer may have.").tag(
        config=True
    )
    show_progress = Enum(
        ["auto", True, False], "auto", help="Progress bars: auto (long work only), True, False."
    ).tag(config=True)
    analogy_space = Unicode("glove-50", help="Default --space of %analogy.").tag(config=True)
    ray_address = Unicode(
        "", help="Ray cluster for %embed --on ray (else RAY_ADDRESS, else a local Ray instance)."
    ).tag(config=True)
    ray_batch_size = Integer(256, help="Texts per Ray batch (map_batches) for --on ray.").tag(
        config=True
    )
    ray_concurrency = Integer(
        0, help="Engine actors for --on ray; 0: one per GPU, else one per ray_threads CPUs."
    ).tag(config=True)
    ray_threads = Integer(
        1, help="CPU threads per engine actor for --on ray on CPU (each reserves that many)."
    ).tag(config=True)

    def option_error(self, message: str) -> Exception:
        """The error a refused value raises: traitlets' TraitError (the magics raise a one-line
        UsageError instead)."""
        return TraitError(message)

    @validate(*_POSITIVE)
    def _positive(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 1:
            msg = f"{type(self).__name__}.{proposal['trait'].name} must be at least 1, got {value}"
            raise self.option_error(msg)
        return value

    @validate("ray_concurrency")
    def _not_negative(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 0:
            msg = f"{type(self).__name__}.ray_concurrency must be 0 (auto) or more, got {value}"
            raise self.option_error(msg)
        return value

    def __repr__(self) -> str:
        """Every option (secrets shown as `Secret('****')`), for `print(ws.options)`."""
        shown = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in sorted(self.class_traits(config=True)))
        return f"{type(self).__name__}({shown})"

    @property
    def progress(self) -> bool | None:
        """Progress bars: None (auto: long work only), True or False."""
        return None if self.show_progress == "auto" else bool(self.show_progress)

    def ray_settings(self) -> RaySettings:
        """How `--on ray` jobs run, from the ray_* options (imports no Ray)."""
        from embmagic.core.distributed import RaySettings

        return RaySettings(
            address=self.ray_address or None, batch_size=self.ray_batch_size,
            concurrency=self.ray_concurrency, device=self.device,
            engine_batch_size=self.batch_size, threads=self.ray_threads,
        )  # fmt: skip

    def generator_settings(self) -> GeneratorSettings:
        """Generator settings from these options, the environment and `.env`, in that order."""
        from embmagic.core.rag import GeneratorSettings, resolve_openai_config

        openai = resolve_openai_config(
            self.openai_base_url, self.openai_model, self.openai_api_key,
            timeout=self.openai_timeout,
        )  # fmt: skip
        return GeneratorSettings(openai=openai, max_tokens=self.max_answer_tokens)
