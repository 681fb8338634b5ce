"""`EmbMagics`: the IPython magics class. Each magic parses its line and hands over to a module.

Options are traitlets tagged `config=True`, so `%config EmbMagics` lists them and
`%config EmbMagics.model = "fake-64"` sets one. State lives in `self.session`, one per shell.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, magics_class
from IPython.display import display
from traitlets import Enum, Float, Integer, TraitType, Unicode, observe, validate

from embmagic.core.llm_config import Secret
from embmagic.errors import EmbmagicError, InvalidArgumentError
from embmagic.magics.decorators import (
    argument,
    line_cell_magic,
    line_magic,
    magic_arguments,
    no_var_expand,
)
from embmagic.magics.options import Options
from embmagic.magics.parsing import (
    expand_strings,
    non_negative_int,
    one_line,
    parse_line,
    positive_int,
    split_args,
    split_capture,
    wants_help,
)
from embmagic.magics.results import Result
from embmagic.session import Session

SPLIT_MODES = ("auto", "line", "paragraph", "sentence", "none")
Handler = Callable[[argparse.Namespace, str, "str | None"], Any]
"""Returns a Result, or a widget (`--widget`, `%emb map`)."""


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


@magics_class
class EmbMagics(Magics):
    """Embeddings in the notebook: %%embed, %embed, %neighbors, %analogy, %rag, %%rag, %emb."""

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
        "extractive), extractive, local or openai.",
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

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = Session()
        self.unloaded = False

    @observe("openai_api_key")
    def _forget_clear_key(self, change: Any = None) -> None:
        """`%config` leaves the typed string in the shell's config: replace it by the Secret.

        `%config` merges into the shell's config after setting the trait, so every magic call
        scrubs again (through `options()`)."""
        for config in (self.config, getattr(self.shell, "config", None)):
            section = config.get("EmbMagics") if config is not None else None
            if section is not None and isinstance(section.get("openai_api_key"), str):
                section["openai_api_key"] = self.openai_api_key

    @validate("k", "batch_size", "display_limit", "text_width", "max_answer_tokens",
              "ray_batch_size", "ray_threads")
    def _positive(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 1:
            msg = f"EmbMagics.{proposal['trait'].name} must be at least 1, got {value}"
            raise UsageError(msg)
        return value

    @property
    def _shell(self) -> Any:
        """The shell this instance is registered on (IPython types it as optional)."""
        if self.shell is None:
            raise UsageError("embmagic is not attached to an IPython shell")
        return self.shell

    def options(self) -> Options:
        """The current option values, frozen for one magic call."""
        progress = None if self.show_progress == "auto" else bool(self.show_progress)
        self._forget_clear_key()
        return Options(
            model=self.model, collection=self.collection, k=self.k, device=self.device,
            batch_size=self.batch_size, display_limit=self.display_limit,
            text_width=self.text_width, generator=self.generator, show_progress=progress,
            analogy_space=self.analogy_space, openai_base_url=self.openai_base_url,
            openai_model=self.openai_model, openai_api_key=self.openai_api_key,
            openai_timeout=self.openai_timeout, max_answer_tokens=self.max_answer_tokens,
        )  # fmt: skip

    def _run(self, magic: Any, line: str, cell: str | None, handler: Handler) -> Any:
        """Shared plumbing: `NAME <<`, --help, parsing, `{var}` expansion, one-line errors."""
        capture, line = split_capture(line) if cell is not None else (None, line)
        if wants_help(split_args(line)):
            print(_help_text(magic))
            return None
        args = parse_line(magic.parser, line)
        try:
            expand = self._expander()
            expand_strings(args, expand)
            words = " ".join(args.words).strip()
            body = expand(cell) if cell is not None else None
            result = handler(args, words, body)
        except (EmbmagicError, OSError) as exc:
            raise UsageError(f"{magic.parser.prog}: {one_line(str(exc))}") from None
        if capture is None:
            return result
        self._shell.user_ns[capture] = result
        display(result)  # type: ignore[no-untyped-call]
        return None

    def _expander(self) -> Callable[[str], str]:
        from embmagic.core.text import expand_braces

        namespace = self._shell.user_ns
        return lambda text: expand_braces(text, namespace)

    @no_var_expand
    @magic_arguments()
    @argument("words", nargs="*", metavar="COLL", help="collection (default: EmbMagics.collection)")
    @argument("--split", choices=SPLIT_MODES, default="auto", help="how %%%%embed splits its body")
    @argument("--model", help="embedding model (default: the collection's, else EmbMagics.model)")
    @argument("--meta", action="append", metavar="K=V", help="metadata for every record")
    @argument("--from", dest="from_var", metavar="VAR", help="list / Series / DataFrame variable")
    @argument("--column", metavar="C", help="DataFrame column to embed (with --from)")
    @argument("--files", metavar="GLOB", help="files to embed: .txt .md .py .ipynb, other text")
    @argument("--chunk", type=positive_int, metavar="N", help="chunk files into N characters")
    @argument("--overlap", type=non_negative_int, metavar="M", help="characters chunks share")
    @argument("--cells", action="store_true", help="embed every cell run so far")
    @argument("--on", choices=("local", "ray"), default="local", help="where to embed")
    @argument("--out", metavar="DIR", help="--on ray: folder for the Parquet shards")
    @line_cell_magic
    def embed(self, line: str, cell: str | None = None) -> Result | None:
        """Embed text into a collection (created on first use).

        %%embed [COLL] embeds the cell body (auto split: paragraphs if it has blank lines,
        else lines); %embed COLL --from VAR | --files GLOB | --cells embeds other sources.
        Re-running with unchanged text adds and encodes nothing. --on ray (with --files or
        --from) embeds on a Ray cluster (EmbMagics.ray_address, RAY_ADDRESS, or a local one)
        and writes Parquet shards (--out DIR).
        """
        from embmagic.magics.embed import run_embed

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Result:
            ray = self._ray_settings() if args.on == "ray" else None
            return run_embed(self.session, self.options(), args, body, self._shell, ray)

        result: Result | None = self._run(self.embed, line, cell, handler)
        return result

    def _ray_settings(self) -> Any:
        """`RaySettings` from the ray_* options (imports no Ray)."""
        from embmagic.core.distributed import RaySettings

        return RaySettings(
            address=self.ray_address or None, batch_size=self.ray_batch_size,
            concurrency=self.ray_concurrency, device=self.device,
            engine_batch_size=self.batch_size, threads=self.ray_threads,
        )  # fmt: skip

    @no_var_expand
    @magic_arguments()
    @argument("words", nargs="*", metavar="QUERY", help="query text (no quotes needed)")
    @argument("-c", "--collection", metavar="COLL", help="collection to search")
    @argument("-k", type=positive_int, help="number of neighbours (default: EmbMagics.k)")
    @argument("--id", type=int, help="search by a stored record's id instead of a text")
    @argument("--where", action="append", metavar="K=V", help="keep records whose metadata match")
    @argument("--mmr", action="store_true", help="diversify results (maximal marginal relevance)")
    @argument("--widget", action="store_true", help="open the neighbours explorer instead")
    @argument("--show", metavar="MAP", help="also highlight the results on the map named MAP")
    @line_magic
    def neighbors(self, line: str) -> Any:
        """Nearest records to a text, as a table: rank, score, text, id, metadata."""
        from embmagic.magics.query import run_neighbors

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            from embmagic.magics import widget_magics

            if args.widget:
                if args.show:
                    raise InvalidArgumentError("use --widget or --show MAP, not both")
                return widget_magics.open_explorer(self.session, self.options(), args, words)
            if args.show:
                widget_magics.map_named(self._shell.user_ns, args.show)  # fail before searching
            result = run_neighbors(self.session, self.options(), args, words)
            if args.show:
                widget_magics.show_on_map(self._shell.user_ns, args.show, result)
            return result

        return self._run(self.neighbors, line, None, handler)

    @no_var_expand
    @magic_arguments()
    @argument(
        "words", nargs="*", metavar="EXPR", help="e.g. king - man + woman, or man:king::woman:?"
    )
    @argument("-k", type=positive_int, help="number of answers (default: EmbMagics.k)")
    @argument("--method", choices=("add", "mul"), default="add", help="3CosAdd or 3CosMul")
    @argument("--space", metavar="glove|COLL", help="word vectors or a collection")
    @argument("--include-inputs", action="store_true", help="allow the input words as answers")
    @argument("--eval", metavar="PATH", help="accuracy on a Google-format analogy file")
    @argument("--show", metavar="MAP", help="also highlight the answers on the map named MAP")
    @line_magic
    def analogy(self, line: str) -> Any:
        """Word-vector arithmetic: the words that best complete an analogy."""
        from embmagic.magics.query import run_analogy, run_analogy_eval

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Result:
            from embmagic.magics import widget_magics

            if args.eval is not None:
                if args.show:
                    raise InvalidArgumentError("--show does not combine with --eval")
                return run_analogy_eval(self.session, self.options(), args, words)
            if args.show:
                widget_magics.map_named(self._shell.user_ns, args.show)
            result = run_analogy(self.session, self.options(), args, words)
            if args.show:
                widget_magics.show_on_map(self._shell.user_ns, args.show, result)
            return result

        return self._run(self.analogy, line, None, handler)

    @no_var_expand
    @magic_arguments()
    @argument("words", nargs="*", metavar="QUESTION", help="the question (%%%%rag: the cell body)")
    @argument("-c", "--collection", metavar="COLL", help="collection to retrieve from")
    @argument("-k", type=positive_int, help="sources to retrieve (default 4)")
    @argument("--llm", metavar="NAME", help="generator (default: EmbMagics.generator)")
    @argument("--show-prompt", action="store_true", help="also show the exact prompt")
    @argument("--no-generate", action="store_true", help="build and show the prompt, no answer")
    @argument("--widget", action="store_true", help="open the RAG panel (asks QUESTION if given)")
    @line_cell_magic
    def rag(self, line: str, cell: str | None = None) -> Any:
        """Answer a question from a collection and cite the numbered sources used."""
        from embmagic.magics.rag import run_rag

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            question = words if body is None else " ".join([words, body]).strip()
            if args.widget:
                from embmagic.magics.widget_magics import open_rag_panel

                return open_rag_panel(self.session, self.options(), args, question)
            return run_rag(self.session, self.options(), args, question)

        return self._run(self.rag, line, cell, handler)

    @no_var_expand
    @magic_arguments()
    @argument(
        "words",
        nargs="*",
        metavar="SUBCOMMAND",
        help="list, info, drop, save, load, index, models, device, map",
    )
    @argument("--as", dest="as_name", metavar="NAME", help="name for %%%%emb load")
    @argument("--color-by", metavar="KEY", help="%%%%emb map: colour by this metadata key")
    @argument("--method", choices=("pca", "umap"), default="pca", help="%%%%emb map: projection")
    @argument("--kind", choices=("flat", "hnsw", "ivfpq", "lancedb"),
              help="%%%%emb index: index kind, or lancedb (a LanceDB table at --on-disk)")
    @argument("--nlist", type=positive_int, metavar="N", help="%%%%emb index: ivfpq lists")
    @argument("--m", type=positive_int, metavar="M", help="%%%%emb index: ivfpq PQ codes, hnsw M")
    @argument("--ef-search", type=positive_int, metavar="E", help="%%%%emb index: hnsw ef_search")
    @argument("--nprobe", type=positive_int, metavar="P", help="%%%%emb index: ivfpq lists probed")
    @argument("--on-disk", metavar="PATH",
              help="%%%%emb index: ivfpq on disk, or the LanceDB table, written to PATH")
    @argument("--yes", action="store_true", help="%%%%emb index: build even if RAM looks short")
    @line_magic
    def emb(self, line: str) -> Any:
        """Manage collections: list, info COLL, drop COLL, save COLL PATH, load PATH [--as NAME],
        models, device; map COLL [COLL ...] [--color-by KEY] opens the embedding map."""
        from embmagic.magics.manage import run_emb

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            return run_emb(self.session, self.options(), args)

        return self._run(self.emb, line, None, handler)


def _help_text(magic: Any) -> str:
    """The magic's docstring with its argparse usage, minus the reST `::` marker."""
    return textwrap.dedent(str(magic.__doc__)).replace("::\n\n", "", 1).strip()


_MAGIC_METHODS: tuple[Any, ...] = (
    EmbMagics.embed,
    EmbMagics.neighbors,
    EmbMagics.analogy,
    EmbMagics.rag,
    EmbMagics.emb,
)
for _magic in _MAGIC_METHODS:
    _magic.parser.allow_abbrev = False  # `--mo` must not silently mean `--model`
    _magic.parser.prog = f"%{_magic.__name__}"  # messages start with the magic as typed
