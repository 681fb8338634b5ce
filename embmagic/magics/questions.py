"""Questions end in `?`: keep IPython's help syntax from taking them.

IPython reads a line ending in `?` as a help request, so `%rag How far is Porto?` printed
"Object `Porto` not found." and never ran. An input transformer, registered by `%load_ext`
(removed by `%unload_ext`), turns a line magic of ours with words before its trailing `?` into
the call IPython would make for it, so the magic receives the whole line; `%rag?` and
`%neighbors?` alone still show help.
"""

from __future__ import annotations

import re

MAGICS = ("rag", "neighbors", "analogy", "embed", "emb")
_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<assign>[A-Za-z_]\w*\s*=\s*)?%(?P<name>" + "|".join(MAGICS)
    + r")[ \t]+(?P<rest>.*\S)[ \t]*$"
)  # fmt: skip


def keep_questions(lines: list[str]) -> list[str]:
    """IPython `input_transformers_cleanup` hook: rewrite `%rag words…?` lines only."""
    if lines and lines[0].lstrip().startswith("%%"):
        return lines  # a cell magic's body is the magic's, not IPython's
    return [_rewrite(line) for line in lines]


def _rewrite(line: str) -> str:
    body = line.rstrip("\r\n")
    match = _LINE.match(body)
    if match is None or not body.endswith("?") or not match["rest"].rstrip("?").strip():
        return line
    call = f"get_ipython().run_line_magic({match['name']!r}, {match['rest']!r})"
    return f"{match['indent']}{match['assign'] or ''}{call}{line[len(body):]}"
