"""Turning a magic's line into arguments: tokenising, option parsing, `NAME <<` capture.

Free text needs no quotes (`%neighbors small cat -c animals`), so options are parsed with the
magic's argparse parser in intermixed mode and the leftover words are joined back into the text.
An apostrophe inside a word ("What's") is text, not the start of a quoted string.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.error import UsageError

from embmagic.errors import InvalidArgumentError

_QUOTES = "\"'"
_CAPTURE = re.compile(r"^\s*([A-Za-z_]\w*)\s*<<(.*)$", re.DOTALL)
_HELP_FLAGS = frozenset({"-h", "--help"})


def split_args(line: str) -> list[str]:
    """Split on whitespace; a quote opens a quoted span only at a word's start or after `=`.

    A quote that is never closed is kept as a literal character, so unbalanced apostrophes in
    free text never swallow the options that follow.
    """
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    i = 0
    while i < len(line):
        char = line[i]
        if char.isspace():
            if in_token:
                tokens.append("".join(current))
                current, in_token = [], False
            i += 1
            continue
        opens_quote = char in _QUOTES and (not current or current[-1] == "=")
        close = line.find(char, i + 1) if opens_quote else -1
        if close != -1:
            current.append(line[i + 1 : close])
            i = close + 1
        else:
            current.append(char)
            i += 1
        in_token = True
    if in_token:
        tokens.append("".join(current))
    return tokens


def wants_help(tokens: list[str]) -> bool:
    """True when the user asked for `--help` / `-h` (before any `--` separator)."""
    head = tokens[: tokens.index("--")] if "--" in tokens else tokens
    return any(token in _HELP_FLAGS for token in head)


def parse_line(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace:
    """Parse `line` with `parser`, options and free words in any order."""
    return parse_tokens(parser, split_args(line))


def parse_tokens(parser: argparse.ArgumentParser, tokens: list[str]) -> argparse.Namespace:
    """Parse tokens with `parser`, options and free words in any order.

    Every argparse failure (unknown flag, bad integer, missing value) becomes one UsageError line
    that names the magic; `parse_intermixed_args` lets options follow free text.
    """
    try:
        return parser.parse_intermixed_args(tokens)
    except UsageError as exc:
        msg = f"{parser.prog}: {one_line(str(exc))} (see {parser.prog} --help)"
        raise UsageError(msg) from None
    except SystemExit:  # argparse exits on a few internal errors despite error() raising
        msg = f"{parser.prog}: could not parse {' '.join(tokens)!r} (see {parser.prog} --help)"
        raise UsageError(msg) from None


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are UsageErrors (IPython's MagicArgumentParser without
    its reST help formatting), for the `%emb` subcommands."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def split_capture(line: str) -> tuple[str | None, str]:
    """`"res << docs --split line"` -> `("res", "docs --split line")` (jupysql's convention)."""
    match = _CAPTURE.match(line)
    if match is None:
        return None, line
    return match.group(1), match.group(2)


def positive_int(text: str) -> int:
    """argparse `type=` for counts such as `-k`: an integer of at least 1."""
    value = _integer(text)
    if value < 1:
        msg = f"must be a positive integer, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def non_negative_int(text: str) -> int:
    """argparse `type=` for sizes such as `--overlap`: an integer of at least 0."""
    value = _integer(text)
    if value < 0:
        msg = f"must be 0 or more, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        msg = f"must be an integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def parse_pairs(pairs: list[str] | None, flag: str) -> dict[str, str]:
    """`["lang=en", "year=2024"]` -> `{"lang": "en", "year": "2024"}` for `--meta` / `--where`."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            msg = f"{flag} takes KEY=VALUE, got {pair!r}"
            raise InvalidArgumentError(msg)
        result[key.strip()] = value
    return result


def one_line(text: str) -> str:
    """Collapse a message onto one line: UsageErrors are shown as a single line."""
    return " ".join(text.split())


def expand_strings(args: argparse.Namespace, expand: Callable[[str], str]) -> None:
    """Apply `{var}` expansion to every string (or list-of-strings) option in place."""
    for name, value in vars(args).items():
        new: Any = value
        if isinstance(value, str):
            new = expand(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            new = [expand(v) for v in value]
        setattr(args, name, new)
