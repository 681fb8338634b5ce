"""`%emb SUBCOMMAND ...`: one small argparse parser per subcommand, each a workspace call.

A flag that belongs to another subcommand is refused naming where it works. The `index`
parser is built from the index kinds' own parameter schemas (store/kinds), so a new kind's
parameters become flags without an edit here; it is built on first use (it imports FAISS).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from embmagic.app import manage
from embmagic.app.workspace import Workspace
from embmagic.errors import InvalidArgumentError
from embmagic.magics.parsing import Parser, parse_tokens, positive_int, split_args

Run = Callable[[Workspace, list[str], argparse.Namespace], Any]


@dataclass(frozen=True)
class Subcommand:
    """One `%emb` subcommand: its positional words, flags, and what it runs."""

    name: str
    words: str  # "COLL PATH"; "COLL ..." takes one or more
    help: str
    run: Run
    flags: Callable[[argparse.ArgumentParser], None] | None = None
    only: str = ""  # the error for its flags given to another subcommand ({flags} filled in)

    @property
    def usage(self) -> str:
        return f"%emb {self.name} {self.words}".strip()

    def check_words(self, words: list[str]) -> None:
        wanted = self.words.split()
        variadic = wanted[-1:] == ["..."]
        if (len(words) < 1) if variadic else (len(words) != len(wanted)):
            raise InvalidArgumentError(f"usage: {self.usage}")


def _index_flags(parser: argparse.ArgumentParser) -> None:
    from embmagic.store.kinds import KINDS

    parser.add_argument("--kind", metavar="KIND",
                        help=f"index kind: {', '.join(KINDS)}, or lancedb (needs --on-disk)")
    for flag, help_text in index_flags().items():
        parser.add_argument(flag, type=positive_int, metavar="N", help=help_text)
    parser.add_argument("--on-disk", metavar="PATH",
                        help="ivfpq on disk, or the LanceDB table, written to PATH")
    parser.add_argument("--yes", action="store_true", help="build even if RAM looks short")
    parser.add_argument("--background", action="store_true",
                        help="build in a background job: returns a Job at once")


def _map_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--color-by", metavar="KEY", help="colour by this metadata key")
    parser.add_argument("--method", choices=("pca", "umap"), default="pca", help="projection")
    parser.add_argument("--clusters", type=cluster_count, metavar="N|auto",
                        help="k-means clusters (2 or more, or auto), labelled and coloured")
    parser.add_argument("--html", metavar="PATH",
                        help="also save the map as one self-contained HTML file (no kernel)")


def cluster_count(text: str) -> int | str:
    """argparse `type=` for `--clusters`: "auto" or a whole number (range checked later)."""
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        msg = f"takes a whole number of at least 2 or auto, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _eval_flags(parser: argparse.ArgumentParser) -> None:
    from embmagic.types import SEARCH_MODES

    parser.add_argument("--qrels", metavar="PATH",
                        help='judgements: JSONL {"query": ..., "relevant": [ids or texts]} '
                             "or TREC (QUERY_ID ITER DOC_ID REL)")
    parser.add_argument("--queries", metavar="PATH",
                        help="query texts of TREC qrels: QUERY_ID<TAB>TEXT per line")
    parser.add_argument("-k", type=positive_int, default=10, help="cut-off of recall and MRR")
    parser.add_argument("--mode", nargs="+", choices=SEARCH_MODES, metavar="MODE",
                        help=f"search modes side by side (default: {' '.join(SEARCH_MODES)})")
    parser.add_argument("--by", metavar="KEY",
                        help="chunked collections: qrels name documents by metadata KEY")


def _eval(ws: Workspace, words: list[str], args: argparse.Namespace) -> Any:
    from embmagic.app.evaluate import evaluate_retrieval

    if not args.qrels:
        raise InvalidArgumentError(f"usage: {SUBCOMMANDS['eval'].usage} --qrels PATH [-k 10] "
                                   "[--mode dense lexical hybrid] [--queries PATH] [--by KEY]")
    return evaluate_retrieval(ws, words, args.qrels, k=args.k, modes=args.mode,
                              queries=args.queries, by=args.by)


def _load_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="as_name", metavar="NAME", help="name for the collection")


def index_flags() -> dict[str, str]:
    """Every `%emb index` flag that sets an index parameter (from the kinds' schemas): help."""
    from embmagic.store.kinds import KINDS

    flags: dict[str, str] = {}
    for name, cls in KINDS.items():
        for param in cls.param_specs:
            flags.setdefault(param.flag, f"{name}: {param.help}")
    return flags


def index_params(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The kind and its parameters from the flags; one-line errors for flags it does not take."""
    from embmagic.store.kinds import KINDS, kind_flags

    kind = args.kind
    if kind is None:
        flags = " ".join(f"[{f} N]" for f in index_flags())
        raise InvalidArgumentError(f"usage: %emb index COLL --kind {'|'.join(KINDS)}|lancedb "
                                   f"{flags} [--on-disk PATH] [--yes]")
    takes = kind_flags(kind) if kind in KINDS else {}
    params: dict[str, Any] = {}
    for flag in index_flags():
        value = getattr(args, _dest(flag))
        if value is None:
            continue
        if flag not in takes:
            takers = [k for k in KINDS if flag in kind_flags(k)]
            raise InvalidArgumentError(f"{flag} works only with --kind {' or '.join(takers)}")
        params[takes[flag]] = value
    if kind in KINDS:
        KINDS[kind].check_params(params)  # out of range: refused before any estimate or build
    return kind, params


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _index(ws: Workspace, words: list[str], args: argparse.Namespace) -> Any:
    kind, params = index_params(args)
    if args.background:
        return ws.index(words[0], kind, on_disk=args.on_disk, yes=args.yes, background=True,
                        **params)
    return manage.index(ws, words[0], kind, params, on_disk=args.on_disk, yes=args.yes)


def _map(ws: Workspace, words: list[str], args: argparse.Namespace) -> Any:
    from embmagic.magics.widget_magics import open_map

    return open_map(ws, words, args)


SUBCOMMANDS: dict[str, Subcommand] = {s.name: s for s in (
    Subcommand("list", "", "every collection", lambda ws, w, a: manage.list_collections(ws)),
    Subcommand("info", "COLL", "one collection's properties and memory",
               lambda ws, w, a: manage.info(ws, w[0])),
    Subcommand("drop", "COLL", "forget a collection", lambda ws, w, a: manage.drop(ws, w[0])),
    Subcommand("save", "COLL PATH", "write a collection to a folder",
               lambda ws, w, a: manage.save(ws, w[0], w[1])),
    Subcommand("load", "PATH", "open a saved collection",
               lambda ws, w, a: manage.load(ws, w[0], a.as_name), _load_flags,
               "--as works only with %emb load PATH --as NAME"),
    Subcommand("index", "COLL", "rebuild the index as another kind", _index, _index_flags,
               "{flags} work only with %emb index COLL --kind KIND"),
    Subcommand("models", "", "models this machine can load", lambda ws, w, a: manage.models(ws)),
    Subcommand("device", "", "the device engines run on", lambda ws, w, a: manage.device(ws)),
    Subcommand("eval", "COLL ...", "retrieval quality against judged queries", _eval,
               _eval_flags, "{flags} work only with %emb eval COLL ... --qrels PATH"),
    Subcommand("map", "COLL ...", "open the embedding map", _map, _map_flags,
               "--color-by, --html, --method and --clusters work only with %emb map"),
)}  # fmt: skip
"""Each subcommand, in the order `%emb --help` lists them."""


@cache
def parser(name: str) -> argparse.ArgumentParser:
    """The argparse parser of one subcommand (built once)."""
    sub = SUBCOMMANDS[name]
    usage = sub.usage + (" [options]" if sub.flags is not None else "")
    made = Parser(prog=f"%emb {name}", usage=usage.replace("%", "%%"),  # argparse %-formats it
                  description=sub.help, add_help=False,
                  allow_abbrev=False)  # `--ye` must not silently mean `--yes`
    made.add_argument("words", nargs="*", metavar=sub.words or "WORDS",
                      help=None if sub.words else argparse.SUPPRESS)
    if sub.flags is not None:
        sub.flags(made)
    return made


def parse_emb(line: str) -> argparse.Namespace:
    """`%emb SUBCOMMAND ...` parsed by that subcommand's parser (`words` keeps every word)."""
    tokens = split_args(line)
    if not tokens:
        raise InvalidArgumentError(f"%emb needs a subcommand: {' | '.join(SUBCOMMANDS)}")
    if tokens[0] not in SUBCOMMANDS:
        msg = f"unknown %emb subcommand {tokens[0]!r}: use one of {', '.join(SUBCOMMANDS)}"
        raise InvalidArgumentError(msg)
    _refuse_foreign_flags(tokens[0], tokens[1:])
    args = parse_tokens(parser(tokens[0]), tokens[1:])
    args.words = [tokens[0], *args.words]
    return args


def _refuse_foreign_flags(name: str, tokens: list[str]) -> None:
    """A flag of another subcommand gets that subcommand's "works only with" line."""
    own = set(parser(name)._option_string_actions)
    given = [t.partition("=")[0] for t in tokens if t.startswith("--")]
    for other in SUBCOMMANDS.values():
        if other.name == name or other.flags is None:
            continue
        theirs = set(parser(other.name)._option_string_actions)
        foreign = [flag for flag in given if flag in theirs and flag not in own]
        if foreign:
            raise InvalidArgumentError(other.only.format(flags=", ".join(foreign)))


def run_emb(ws: Workspace, args: argparse.Namespace) -> Any:
    """Run the parsed subcommand after checking it got exactly the words it needs."""
    name, words = args.words[0], list(args.words[1:])
    sub = SUBCOMMANDS[name]
    sub.check_words(words)
    return sub.run(ws, words, args)


def help_text(tokens: list[str], overview: str) -> str:
    """`%emb SUBCOMMAND --help`: that parser's help; `%emb --help`: every subcommand."""
    if tokens and tokens[0] in SUBCOMMANDS:
        return parser(tokens[0]).format_help().strip()
    lines = [f"  {s.usage:<32} {s.help}" for s in SUBCOMMANDS.values()]
    return "\n".join([overview, "", "Subcommands:", *lines])
