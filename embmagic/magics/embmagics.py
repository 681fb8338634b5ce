"""`EmbMagics`: the IPython magics. Each magic parses its line and makes one workspace call.

The options are the application layer's traits (`embmagic.app.options.Options`), inherited, so
`%config EmbMagics` lists them and `%config EmbMagics.model = "fake-64"` sets the option every
front end reads. State lives in `self.session`, the shell's `Workspace`.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, magics_class
from IPython.display import display
from traitlets import TraitError, observe

from embmagic.app.options import Options
from embmagic.app.workspace import Workspace
from embmagic.magics.boundary import refuse_nul, user_message
from embmagic.magics.decorators import (
    argument,
    line_cell_magic,
    line_magic,
    magic_arguments,
    no_var_expand,
)
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
from embmagic.types import SEARCH_MODES

SPLIT_MODES = ("auto", "line", "paragraph", "sentence", "none")
Handler = Callable[[argparse.Namespace, str, "str | None"], Any]
"""Returns a result object, or a widget (`--widget`, `%emb map`)."""
Parse = Callable[[str], argparse.Namespace]


class OptionError(UsageError, TraitError):
    """`%config EmbMagics.k = 0`: shown as one line, and the option keeps its value."""


@magics_class
class EmbMagics(Magics, Options):
    """Embeddings in the notebook: %%embed, %embed, %neighbors, %analogy, %rag, %%rag, %emb."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.session = Workspace(options=self)
        self.unloaded = False

    @observe("openai_api_key")
    def _forget_clear_key(self, change: Any = None) -> None:
        """`%config` leaves the typed string in the shell's config: replace it by the Secret.

        `%config` merges into the shell's config after setting the trait, so every magic call
        scrubs again."""
        for config in (self.config, getattr(self.shell, "config", None)):
            section = config.get("EmbMagics") if config is not None else None
            if section is not None and isinstance(section.get("openai_api_key"), str):
                section["openai_api_key"] = self.openai_api_key

    def option_error(self, message: str) -> Exception:
        """A refused option value is one line, like every other mistake in a magic; being a
        TraitError too, `%config` rolls the value back."""
        return OptionError(message)

    @property
    def _shell(self) -> Any:
        """The shell this instance is registered on (IPython types it as optional)."""
        if self.shell is None:
            raise UsageError("embmagic is not attached to an IPython shell")
        return self.shell

    def _run(self, magic: Any, line: str, cell: str | None, handler: Handler,
             parse: Parse | None = None, help_text: Callable[[list[str]], str] | None = None
             ) -> Any:
        """Shared plumbing: `NAME <<`, --help, parsing, `{var}` expansion, and the boundary:
        a failure the input or environment caused is one UsageError line (boundary.py)."""
        self._forget_clear_key()
        capture, line = split_capture(line) if cell is not None else (None, line)
        tokens = split_args(line)
        if wants_help(tokens):
            print(help_text(tokens) if help_text is not None else _help_text(magic))
            return None
        try:
            args = parse(line) if parse is not None else parse_line(magic.parser, line)
            expand = self._expander()
            expand_strings(args, expand)
            refuse_nul(args)
            words = " ".join(args.words).strip()
            body = expand(cell) if cell is not None else None
            result = handler(args, words, body)
        except Exception as exc:  # the boundary: see boundary.py
            message = user_message(exc)
            if message is None:
                raise  # a bug: keep the traceback
            raise UsageError(f"{_prog(magic)}: {one_line(message)}") from None
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
    @argument("--meta", action="append", metavar="K=V",
              help="metadata for every record; with --from DF: COL1,COL2 or all (columns kept)")
    @argument("--from", dest="from_var", metavar="VAR", help="list / Series / DataFrame variable")
    @argument("--column", metavar="C", help="DataFrame column to embed (with --from)")
    @argument("--files", metavar="GLOB", help="files to embed: .txt .md .py .ipynb, other text")
    @argument("--images", metavar="GLOB",
              help="image files to embed with a CLIP model (--model clip-ViT-B-32 or FOLDER)")
    @argument("--chunk", type=positive_int, metavar="N",
              help="cut files into chunks of N model tokens (default: the model's window)")
    @argument("--overlap", type=non_negative_int, metavar="M", help="model tokens chunks share")
    @argument("--sync", action="store_true",
              help="with --files or --images: replace changed files' records, remove those "
                   "of files gone")
    @argument("--cells", action="store_true", help="embed every cell run so far")
    @argument("--on", choices=("local", "ray"), default="local", help="where to embed")
    @argument("--out", metavar="DIR", help="--on ray: folder for the Parquet shards")
    @argument("--background", action="store_true",
              help="run in a background job: returns a Job at once (job.result(), job.cancel())")
    @line_cell_magic
    def embed(self, line: str, cell: str | None = None) -> Any:
        """Embed text into a collection (created on first use).

        %%embed [COLL] embeds the cell body (auto split: paragraphs if it has blank lines,
        else lines); %embed COLL --from VAR | --files GLOB | --cells embeds other sources.
        Re-running with unchanged text adds and encodes nothing. --on ray (with --files or
        --from) embeds on a Ray cluster (EmbMagics.ray_address, RAY_ADDRESS, or a local one)
        and writes Parquet shards (--out DIR). --background returns a running Job at once;
        the kernel stays free and the collection readable until the job commits.
        """
        from embmagic.magics.embed import run_embed

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            return run_embed(self.session, args, body, self._shell)

        return self._run(self.embed, line, cell, handler)

    @no_var_expand
    @magic_arguments()
    @argument("words", nargs="*", metavar="QUERY", help="query text (no quotes needed)")
    @argument("-c", "--collection", metavar="COLL", help="collection to search")
    @argument("-k", type=positive_int, help="number of neighbours (default: EmbMagics.k)")
    @argument("--id", type=int, help="search by a stored record's id instead of a text")
    @argument("--image", metavar="PATH",
              help="search by an image (a collection embedded with %%embed COLL --images)")
    @argument("--where", action="append", metavar="K=V", help="keep records whose metadata match")
    @argument("--mmr", action="store_true", help="diversify results (maximal marginal relevance)")
    @argument("--mode", choices=SEARCH_MODES,
              help="dense, lexical (BM25) or hybrid (default: EmbMagics.search_mode)")
    @argument("--rerank", metavar="MODEL", help="reorder by a cross-encoder (folder or name)")
    @argument("--rerank-depth", type=positive_int, metavar="N",
              help="candidates the cross-encoder chooses from (default 50)")
    @argument("--widget", action="store_true", help="open the neighbours explorer instead")
    @argument("--show", metavar="MAP", help="also highlight the results on the map named MAP")
    @line_magic
    def neighbors(self, line: str) -> Any:
        """Nearest records to a text, as a table: rank, score, text, id, metadata."""
        from embmagic.magics.query import run_neighbors

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            return run_neighbors(self.session, args, words, self._shell.user_ns)

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
        from embmagic.magics.query import run_analogy

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            return run_analogy(self.session, args, words, self._shell.user_ns)

        return self._run(self.analogy, line, None, handler)

    @no_var_expand
    @magic_arguments()
    @argument("words", nargs="*", metavar="QUESTION", help="the question (%%%%rag: the cell body)")
    @argument("-c", "--collection", metavar="COLL", help="collection to retrieve from")
    @argument("-k", type=positive_int, help="sources to retrieve (default 4)")
    @argument("--llm", metavar="NAME", help="generator (default: EmbMagics.generator)")
    @argument("--mode", choices=SEARCH_MODES,
              help="retrieve dense, lexical (BM25) or hybrid (default: EmbMagics.search_mode)")
    @argument("--rerank", metavar="MODEL", help="pick sources by a cross-encoder (folder or name)")
    @argument("--rerank-depth", type=positive_int, metavar="N",
              help="candidates the cross-encoder chooses from (default 50)")
    @argument("--show-prompt", action="store_true", help="also show the exact prompt")
    @argument("--no-generate", action="store_true", help="build and show the prompt, no answer")
    @argument("--widget", action="store_true", help="open the RAG panel (asks QUESTION if given)")
    @line_cell_magic
    def rag(self, line: str, cell: str | None = None) -> Any:
        """Answer a question from a collection and cite the numbered sources used."""
        from embmagic.magics.rag import run_rag

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            question = words if body is None else " ".join([words, body]).strip()
            return run_rag(self.session, args, question)

        return self._run(self.rag, line, cell, handler)

    @no_var_expand
    @line_magic
    def emb(self, line: str) -> Any:
        """Manage collections: list, info COLL, drop COLL, save COLL PATH, load PATH [--as NAME],
        index COLL --kind KIND, models, device; map COLL [COLL ...] [--color-by KEY] opens the
        embedding map. `%emb SUBCOMMAND --help` shows one subcommand's options."""
        from embmagic.magics import manage

        def handler(args: argparse.Namespace, words: str, body: str | None) -> Any:
            return manage.run_emb(self.session, args)

        return self._run(self.emb, line, None, handler, parse=manage.parse_emb,
                         help_text=lambda tokens: manage.help_text(tokens, _help_text(self.emb)))


def _prog(magic: Any) -> str:
    parser = getattr(magic, "parser", None)
    return parser.prog if parser is not None else f"%{magic.__name__}"


def _help_text(magic: Any) -> str:
    """The magic's docstring with its argparse usage, minus the reST `::` marker."""
    return textwrap.dedent(str(magic.__doc__)).replace("::\n\n", "", 1).strip()


MAGIC_METHODS: tuple[Any, ...] = (
    EmbMagics.embed,
    EmbMagics.neighbors,
    EmbMagics.analogy,
    EmbMagics.rag,
)
"""The magics with one argparse parser each (`%emb` has one per subcommand: manage.py)."""
for _magic in MAGIC_METHODS:
    _magic.parser.allow_abbrev = False  # `--mo` must not silently mean `--model`
    _magic.parser.prog = f"%{_magic.__name__}"  # messages start with the magic as typed
    _magic.__doc__ = _help_text(_magic)  # `%neighbors?` shows no reST `::` line
