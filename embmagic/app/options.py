"""The options of a workspace, declared once as traitlets (the magics' `%config EmbMagics`).

`EmbMagics` inherits these traits, so `%config EmbMagics.k = 10` sets the option the magics,
the widgets and the Python API all read; a plain `Workspace()` has its own `Options()`.
Validation lives here too: a bad value is refused with a one-line `TraitError`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from traitlets import (
    Enum,
    Float,
    HasTraits,
    Integer,
    TraitError,
    TraitType,
    Unicode,
    default,
    validate,
)

from embmagic.core.rag.config import Secret, base_url_problem, timeout_problem

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


_POSITIVE = ("k", "batch_size", "gpu_batch_size", "display_limit", "text_width",
             "max_answer_tokens", "ray_batch_size", "ray_threads")
_MAX_COUNT = 1_000_000
"""The largest value of every count option: far above any useful one, far below what would
overflow a C int or exhaust memory when the option is used."""
_NAMES = ("model", "collection", "analogy_space", "generator")
"""Options naming something: non-empty. Unknown names are found where they are used (models
and generators come from plugins and caches that `%config` should not load)."""


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
    batch_size = Integer(32, help="Texts per encoding batch on the CPU.").tag(config=True)
    gpu_batch_size = Integer(
        512, help="Texts per encoding batch on a GPU (CUDA, MPS); halved on out-of-memory."
    ).tag(config=True)
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
    search_mode = Enum(
        ["dense", "lexical", "hybrid"], "hybrid",
        help="How %neighbors and %rag find records when no --mode is given: dense (embedding "
        "similarity), lexical (BM25 over the words) or hybrid (both, fused).",
    ).tag(config=True)
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

    store_dir = Unicode(
        help="Folder where every collection lives and is saved after each change (else "
        "EMBMAGIC_STORE_DIR; empty: collections stay in memory).",
    ).tag(config=True)

    @default("store_dir")
    def _store_dir_from_environment(self) -> str:
        return os.environ.get("EMBMAGIC_STORE_DIR", "")

    @validate("store_dir")
    def _a_store_dir(self, proposal: Any) -> str:
        """An absolute folder (created if missing), or "" for memory only."""
        from embmagic.app.store_dir import check_store_dir
        from embmagic.errors import InvalidArgumentError

        value = str(proposal["value"]).strip()
        if not value:
            return ""
        try:
            return str(check_store_dir(value))
        except InvalidArgumentError as exc:
            raise self.option_error(f"{type(self).__name__}.{exc}") from None

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
        return self._at_most(proposal, value)

    @validate("ray_concurrency")
    def _not_negative(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 0:
            msg = f"{type(self).__name__}.ray_concurrency must be 0 (auto) or more, got {value}"
            raise self.option_error(msg)
        return self._at_most(proposal, value)

    def _at_most(self, proposal: Any, value: int) -> int:
        if value > _MAX_COUNT:
            shown = str(value) if len(str(value)) <= 30 else f"{str(value)[:30]}..."
            msg = (f"{type(self).__name__}.{proposal['trait'].name} must be at most "
                   f"{_MAX_COUNT:,}, got {shown}")
            raise self.option_error(msg)
        return value

    @validate(*_NAMES)
    def _a_name(self, proposal: Any) -> str:
        value, name = str(proposal["value"]), proposal["trait"].name
        if not value.strip() or "\x00" in value:
            msg = f"{type(self).__name__}.{name} must be a non-empty name, got {value!r}"
            raise self.option_error(msg)
        if name == "collection" and value != value.strip():
            msg = f"{type(self).__name__}.collection must not start or end with a space: {value!r}"
            raise self.option_error(msg)
        return value

    @validate("device")
    def _a_device(self, proposal: Any) -> str:
        from embmagic.engine.device import VALID_DEVICES, check_device_name
        from embmagic.errors import InvalidArgumentError

        try:
            return check_device_name(str(proposal["value"]))
        except InvalidArgumentError:
            msg = (f"{type(self).__name__}.device must be one of {VALID_DEVICES}, "
                   f"got {proposal['value']!r}")
            raise self.option_error(msg) from None

    @validate("openai_base_url")
    def _endpoint_url(self, proposal: Any) -> str:
        value = str(proposal["value"]).strip()
        problem = base_url_problem(value) if value else None  # "": not set
        if problem is not None:
            raise self.option_error(f"{type(self).__name__}.openai_base_url {problem}")
        return value

    @validate("openai_timeout")
    def _seconds(self, proposal: Any) -> float:
        value = float(proposal["value"])
        problem = timeout_problem(value)
        if problem is not None:
            raise self.option_error(f"{type(self).__name__}.openai_timeout {problem}")
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
