"""Real English sentences for benchmarks and tests: first sentences of stdlib docstrings, and
news sentences from the Lee corpus that gensim's wheel carries.

Deterministic for a given Python version: files are read in sorted order and parsed with `ast`
(never imported, so nothing in the stdlib runs).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sysconfig
from collections.abc import Iterator
from pathlib import Path

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "lib2to3", "__pycache__"}


def stdlib_sentences(n: int, *, min_chars: int = 20, max_chars: int = 300) -> list[str]:
    """The first `n` distinct first sentences of docstrings in the standard library."""
    seen: dict[str, None] = {}
    for sentence in _docstring_sentences(min_chars, max_chars):
        seen.setdefault(sentence, None)
        if len(seen) == n:
            break
    return list(seen)


def lee_sentences(n: int | None = None, *, min_chars: int = 20) -> list[str]:
    """Distinct sentences of gensim's Lee background corpus (300 news articles, split at
    `.`, `!` or `?` followed by a space; longer than `min_chars`), in corpus order: 2,504
    sentences, 29 MiniLM tokens on average. gensim is read from disk, never imported."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        msg = "the Lee corpus ships in gensim's wheel: pip install gensim"
        raise ModuleNotFoundError(msg)
    path = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / "lee_background.cor"
    seen: dict[str, None] = {}
    for sentence in _SENTENCE_END.split(path.read_text(encoding="utf-8", errors="replace")):
        sentence = " ".join(sentence.split())
        if len(sentence) > min_chars:
            seen.setdefault(sentence, None)
    out = list(seen)
    return out if n is None else out[:n]


def unique_sentences(n: int) -> list[str]:
    """`n` distinct short sentences: stdlib ones, then numbered variants when they run out."""
    base = stdlib_sentences(n)
    out = list(base)
    round_ = 1
    while len(out) < n and base:
        out.extend(f"{s} (variant {round_})" for s in base[: n - len(out)])
        round_ += 1
    return out


def _docstring_sentences(min_chars: int, max_chars: int) -> Iterator[str]:
    for path in _stdlib_files():
        for doc in _docstrings(path):
            sentence = _first_sentence(doc)
            if min_chars <= len(sentence) <= max_chars and sentence[0].isalpha():
                yield sentence


def _stdlib_files() -> Iterator[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(root.rglob("*.py")):
        if not _SKIP_DIRS.intersection(path.relative_to(root).parts[:-1]):
            yield path


def _docstrings(path: Path) -> Iterator[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, nodes):
            doc = ast.get_docstring(node)
            if doc:
                yield doc


def _first_sentence(doc: str) -> str:
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0]
