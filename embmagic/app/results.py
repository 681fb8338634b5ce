"""Result objects of every action (magics, widgets and the Python API return the same ones).

Each gives deterministic `text/plain` (fixed rounding and ordering, so nbval can compare cells)
and `text/html` in which every piece of document text is escaped with `html.escape`. Tables
offer `.to_pandas()` (pandas is imported only then).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embmagic.types import Hit

DEFAULT_LIMIT = 20
DEFAULT_WIDTH = 80


@dataclass(frozen=True)
class Table:
    """Column names plus rows of cell strings, rendered as aligned text or an HTML table."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    limit: int = DEFAULT_LIMIT
    images: Sequence[str | None] = ()
    """Per row, a data: URI our code built from a validated thumbnail (core/images.py), shown
    as a first `image` column in HTML only; empty: no such column."""

    def plain(self) -> str:
        """Columns padded to their widest cell; rows past `limit` summarised on one line."""
        shown = [list(r) for r in self.rows[: self.limit]]
        widths = [max([len(c), *(len(r[i]) for r in shown)]) for i, c in enumerate(self.columns)]
        lines = [_pad(self.columns, widths), _pad(["-" * w for w in widths], widths)]
        lines += [_pad(row, widths) for row in shown]
        if len(self.rows) > self.limit:
            lines.append(f"… {len(self.rows) - self.limit} more rows (see .to_pandas())")
        return "\n".join(lines)

    def html(self) -> str:
        """An HTML table; every cell escaped. Number columns are right-aligned, text columns
        left-aligned and wrapping (inline styles: hosts such as JupyterLab right-align every
        cell by default)."""
        shown = self.rows[: self.limit]
        styles = [_RIGHT if _numeric(i, shown) else _LEFT for i in range(len(self.columns))]
        head = "".join(
            f'<th style="{st}">{html.escape(c)}</th>'
            for c, st in zip(self.columns, styles, strict=True)
        )
        pictures = [_image_cell(uri) for uri in self.images[: len(shown)]] if self.images else []
        if pictures:
            head = f"<th>image</th>{head}"
        body = "".join(
            "<tr>" + (pictures[i] if pictures else "")
            + "".join(f'<td style="{st}">{html.escape(cell)}</td>'
                      for cell, st in zip(row, styles, strict=True)) + "</tr>"
            for i, row in enumerate(shown)
        )  # fmt: skip
        more = ""
        if len(self.rows) > self.limit:
            more = (
                f"<p>… {len(self.rows) - self.limit} more rows (see <code>.to_pandas()</code>)</p>"
            )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _image_cell(uri: str | None) -> str:
    """A cell showing a thumbnail: `uri` is a data:image URI built by core/images.py."""
    if not uri or not uri.startswith("data:image/"):
        return "<td></td>"
    return f'<td><img src="{html.escape(uri, quote=True)}" alt="" style="max-width: 64px"></td>'


_RIGHT = "text-align: right; white-space: nowrap"
_LEFT = "text-align: left; white-space: normal; overflow-wrap: anywhere"
_NUMBER = re.compile(r"^[-+]?(\[\d+\]|[\d,]*\.?\d+(e[-+]?\d+)?%?)$")


def _numeric(column: int, rows: Sequence[Sequence[str]]) -> bool:
    """A column whose every non-empty cell is a number (or a source number like `[2]`)."""
    cells = [row[column].strip() for row in rows if row[column].strip()]
    return bool(cells) and all(_NUMBER.match(cell) for cell in cells)


def _pad(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def shorten(text: str, width: int = DEFAULT_WIDTH) -> str:
    """One line of at most `width` characters: whitespace collapsed, an ellipsis if cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def score(value: float) -> str:
    """Scores are shown with four decimals everywhere (deterministic for nbval)."""
    return f"{value:.4f}"


def format_metadata(metadata: Mapping[str, Any]) -> str:
    """`{"b": 1, "a": "x"}` -> `"a=x, b=1"` (sorted keys, so output never depends on order)."""
    return ", ".join(f"{key}={metadata[key]}" for key in sorted(metadata, key=str))


def _without_thumbnail(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """An image record's metadata as text: its thumbnail is a picture in HTML only, its
    sha256 stays in `.to_pandas()`."""
    return {k: v for k, v in metadata.items() if k not in ("thumbnail", "sha256")}


class Result:
    """Base class: subclasses provide `plain()` and `html_body()`."""

    def plain(self) -> str:
        raise NotImplementedError

    def html_body(self) -> str:
        return f"<pre>{html.escape(self.plain())}</pre>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.plain(), "text/html": self.html_body()}

    def __repr__(self) -> str:
        return self.plain()


@dataclass(repr=False)
class NeighborsResult(Result):
    """The hits of `%neighbors`, best first."""

    query: str
    collection: str
    hits: list[Hit]
    limit: int = DEFAULT_LIMIT
    width: int = DEFAULT_WIDTH
    reranker: str = ""  # the cross-encoder that chose the hits (scores are its own), if any
    search_scores: list[float] | None = None  # reranked: each hit's score in the search
    candidates: int = 0  # reranked: how many candidates the search gave the cross-encoder

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]

    def title(self) -> str:
        noun = "neighbour" if len(self.hits) == 1 else "neighbours"
        title = f"{len(self.hits)} {noun} of {self.query!r} in {self.collection!r}"
        if self.reranker:
            title += f", reranked by {self.reranker} from {self.candidates} candidates"
        return title

    def table(self, width: int | None = None) -> Table:
        from embmagic.core.images import thumbnail_data_uri

        searched = self.search_scores
        uris = [thumbnail_data_uri(h.metadata.get("thumbnail")) for h in self.hits]
        rows = [
            [
                str(rank),
                score(h.score),
                *([score(searched[rank - 1])] if searched is not None else []),
                shorten(h.text, width or 10**9),
                str(h.id),
                format_metadata(_without_thumbnail(h.metadata) if uri else h.metadata),
            ]
            for rank, (h, uri) in enumerate(zip(self.hits, uris, strict=True), start=1)
        ]
        columns = ["rank", "score", *(["search score"] if searched is not None else []),
                   "text", "id", "metadata"]  # fmt: skip
        images = uris if any(uris) else []
        return Table(columns, rows, self.limit, images)

    def plain(self) -> str:
        return f"{self.title()}\n{self.table(self.width).plain()}"

    def html_body(self) -> str:
        return f"<p>{html.escape(self.title())}</p>{self.table().html()}"

    def to_pandas(self) -> Any:
        """DataFrame: rank, score (reranked: the cross-encoder's, then search_score), text,
        id, then one column per metadata key (sorted).

        A key that a hit lacks is missing (None/NaN) in its row; a key named like a fixed column
        gets a `meta.` prefix so nothing is overwritten.
        """
        import pandas as pd

        fixed = ["rank", "score", "search_score", "text", "id"]
        keys = sorted({key for h in self.hits for key in h.metadata})
        columns: dict[str, list[Any]] = {
            "rank": list(range(1, len(self.hits) + 1)),
            "score": [h.score for h in self.hits],
        }
        if self.search_scores is not None:  # reranked: `score` is the cross-encoder's
            columns["search_score"] = list(self.search_scores)
        columns["text"] = [h.text for h in self.hits]
        columns["id"] = [h.id for h in self.hits]
        for key in keys:
            name = f"meta.{key}" if key in fixed else key
            columns[name] = [h.metadata.get(key) for h in self.hits]
        return pd.DataFrame(columns)


@dataclass(frozen=True)
class Skipped:
    """A file `%embed --files` did not embed, and why."""

    path: str
    reason: str


@dataclass(repr=False)
class EmbedResult(Result):
    """What `%%embed` / `%embed` did: the one summary line of DESIGN §2.

    The time makes the line non-deterministic; nbval users sanitise `in [0-9.]+ s`.
    """

    collection: str
    added: list[int]
    existing: list[int]
    model: str
    device: str
    seconds: float
    total: int
    encoded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    cut: int = 0  # records longer than the model's window (it reads only their start)
    window: int = 0  # the model's window in tokens, 0: none

    def summary(self) -> str:
        return (
            f"{self.collection}: {len(self.added)} added, {len(self.existing)} already present "
            f"({self.total} records) · model {self.model} · device {self.device} "
            f"· in {self.seconds:.2f} s"
        )

    def skipped_lines(self) -> list[str]:
        """The window warning, then the files skipped and why."""
        lines = []
        if self.cut:
            lines.append(
                f"Warning: {self.cut} record(s) longer than {self.model}'s {self.window}-token "
                f"window: it reads only their first {self.window} tokens (--split sentence, or "
                "--files with --chunk, keeps every word)"
            )
        if self.skipped:
            lines += [f"skipped {len(self.skipped)} file(s):",
                      *(f"  {s.path}: {s.reason}" for s in self.skipped)]
        return lines

    def plain(self) -> str:
        return "\n".join([self.summary(), *self.skipped_lines()])


@dataclass(repr=False)
class RayEmbedResult(EmbedResult):
    """`EmbedResult` of `--on ray`, plus where the Parquet shards were written."""

    shard_dir: str = ""
    shards: int = 0
    actors: int = 0

    def plain(self) -> str:
        lines = [self.summary()]
        kept = (f"{self.shards} Parquet shard(s) in {self.shard_dir}" if self.shard_dir else
                "shards not kept (--out DIR keeps them)")  # fmt: skip
        lines.append(f"ray: {self.actors} engine actor(s); {kept}")
        lines += self.skipped_lines()
        return "\n".join(lines)


@dataclass(repr=False)
class AnalogyResult(Result):
    """Ranked answers of `%analogy`."""

    expression: str
    answers: list[tuple[str, float]]
    method: str
    space: str
    limit: int = DEFAULT_LIMIT

    def __len__(self) -> int:
        return len(self.answers)

    def __getitem__(self, index: int) -> tuple[str, float]:
        return self.answers[index]

    @property
    def best(self) -> str | None:
        return self.answers[0][0] if self.answers else None

    def title(self) -> str:
        return f"{self.expression} ({self.method}, {self.space})"

    def table(self) -> Table:
        rows = [[str(i), word, score(s)] for i, (word, s) in enumerate(self.answers, start=1)]
        return Table(["rank", "word", "score"], rows, self.limit)

    def plain(self) -> str:
        return f"{self.title()}\n{self.table().plain()}"

    def html_body(self) -> str:
        return f"<p>{html.escape(self.title())}</p>{self.table().html()}"

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            {
                "rank": list(range(1, len(self.answers) + 1)),
                "word": [w for w, _ in self.answers],
                "score": [s for _, s in self.answers],
            }
        )


@dataclass(frozen=True)
class SectionScore:
    """Accuracy of one `: section` of an analogy file."""

    name: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(repr=False)
class AnalogyEvalResult(Result):
    """Per-section and total accuracy of `%analogy --eval` (gensim's semantics)."""

    path: str
    sections: list[SectionScore]
    correct: int
    total: int
    skipped: int
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def table(self) -> Table:
        rows = [[s.name, f"{s.accuracy:.4f}", str(s.correct), str(s.total)] for s in self.sections]
        rows.append(["total", f"{self.accuracy:.4f}", str(self.correct), str(self.total)])
        return Table(["section", "accuracy", "correct", "total"], rows, limit=10**9)

    def footer(self) -> str:
        return f"{self.skipped} questions skipped (words not in the vocabulary)"

    def plain(self) -> str:
        return f"{self.table().plain()}\n{self.footer()}"

    def html_body(self) -> str:
        return f"{self.table().html()}<p>{html.escape(self.footer())}</p>"

    def to_pandas(self) -> Any:
        import pandas as pd

        rows = [(s.name, s.correct, s.total, s.accuracy) for s in self.sections]
        rows.append(("total", self.correct, self.total, self.accuracy))
        return pd.DataFrame(rows, columns=["section", "correct", "total", "accuracy"])


@dataclass(repr=False)
class RagResult(Result):
    """An answer, who answered (generator and model), the numbered sources and which it cites.

    `sources` are the retrieved hits that went into the prompt (numbered from 1); `prompt` is
    the exact prompt, shown only with `show_prompt`; `dropped` counts sources retrieved but left
    out because the context was full. Citations that match no source are listed as warnings.
    """

    question: str
    answer: str
    generator: str
    sources: list[Hit]
    cited: list[int]
    prompt: str | None = None
    width: int = DEFAULT_WIDTH
    unknown_citations: list[int] = field(default_factory=list)
    raw: Any = None  # core's RagAnswer, for users who want every detail
    collection: str = ""
    origins: list[str] = field(default_factory=list)
    show_prompt: bool = False
    dropped: int = 0
    generated: bool = True
    misattributed: list[str] = field(default_factory=list)  # one line per doubtful citation
    unsupported: list[str] = field(default_factory=list)  # numbers and names in no source
    reranker: str = ""  # the cross-encoder that chose the sources (scores are its own), if any
    candidates: int = 0  # reranked: how many retrieved candidates it chose from
    search_scores: list[float] | None = None  # reranked: each source's retrieval score

    def __str__(self) -> str:
        return self.answer

    def _origin(self, number: int) -> str:
        return self.origins[number - 1] if number <= len(self.origins) else ""

    def source_table(self, width: int | None = None) -> Table:
        """Every retrieved source in number order, the cited ones marked: source, cited, score,
        collection, id, text, origin."""
        searched = self.search_scores
        rows = [
            [
                f"[{n}]",
                "cited" if n in self.cited else "",
                score(hit.score),
                *([score(searched[n - 1])] if searched is not None else []),
                self.collection,
                str(hit.id),
                shorten(hit.text, width or 10**9),
                self._origin(n),
            ]
            for n, hit in enumerate(self.sources, start=1)
        ]
        columns = ["source", "cited", "score", *(["search score"] if searched is not None else []),
                   "collection", "id", "text", "origin"]  # fmt: skip
        return Table(columns, rows, limit=10**9)

    def header(self) -> str:
        """`Answer · extractive · minilm`: who answered, without nested brackets."""
        info = getattr(self.raw, "generator", None)
        name, model = (info.name, info.model) if info is not None else (self.generator, "")
        return " · ".join(part for part in ("Answer", name, model) if part)

    def notes(self) -> list[str]:
        """One line each: unknown and doubtful citations, ungrounded terms, dropped sources."""
        lines = []
        if self.unknown_citations:
            listed = ", ".join(f"[{n}]" for n in self.unknown_citations)
            lines.append(f"Warning: the answer cites {listed}, which match no source.")
        lines.extend(f"Warning: {line}." for line in self.misattributed)
        if self.unsupported:
            listed = ", ".join(repr(term) for term in self.unsupported)
            lines.append(f"Warning: not in any source: {listed}.")
        if self.dropped:
            lines.append(
                f"{self.dropped} lower-ranked source(s) left out: they did not fit the context."
            )
        return lines

    def _answer_text(self) -> str:
        return self.answer if self.generated else "(not generated: --no-generate)"

    def _sources_title(self) -> str:
        cited = len([n for n in self.cited if 1 <= n <= len(self.sources)])
        how = f", reranked by {self.reranker} from {self.candidates}" if self.reranker else ""
        return f"Sources ({len(self.sources)} retrieved{how}, {cited} cited)"

    def plain(self) -> str:
        parts = []
        if self.show_prompt or not self.generated:
            parts.append(f"Prompt:\n{self.prompt}\n")
        parts.append(f"{self.header()}\n{self._answer_text()}\n")
        parts.extend(line + "\n" for line in self.notes())
        if self.generated:
            table = self.source_table(self.width).plain() if self.sources else "(none)"
            parts.append(f"{self._sources_title()}:\n{table}")
        return "\n".join(parts).rstrip("\n")

    def markdown(self) -> str:
        """The answer as Markdown, then the notes and the sources. Document text (answer,
        prompt, sources) is escaped as in HTML and its Markdown syntax neutralised, so a
        source cannot close a fence, show an image or render markup."""
        parts = []
        if self.show_prompt or not self.generated:
            parts.append(_md_pre(self.prompt or ""))
        answer = _md_text(self._answer_text())
        parts.append(f"**{_md_text(self.header())}**\n\n{answer}")
        parts.extend(f"*{_md_text(line)}*" for line in self.notes())
        if self.generated and self.sources:
            table = self.source_table(self.width)
            head = "| " + " | ".join(table.columns) + " |"
            rule = "|" + "---|" * len(table.columns)
            rows = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            parts.append("\n".join([f"**{self._sources_title()}**", "", head, rule, *rows]))
        return "\n\n".join(parts)

    def html_body(self) -> str:
        prompt = ""
        if self.show_prompt or not self.generated:
            prompt = (
                f"<details><summary>Prompt</summary><pre>{html.escape(self.prompt or '')}</pre>"
                "</details>"
            )
        answer = html.escape(self._answer_text()).replace("\n", "<br>")
        notes = "".join(f"<p><i>{html.escape(line)}</i></p>" for line in self.notes())
        table = self.source_table().html() if self.sources and self.generated else ""
        title = f"<p><b>{html.escape(self._sources_title())}</b></p>" if self.generated else ""
        return (
            f"{prompt}<p><b>{html.escape(self.header())}</b></p><p>{answer}</p>"
            f"{notes}{title}{table}"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {**super()._repr_mimebundle_(), "text/markdown": self.markdown()}

    def to_pandas(self) -> Any:
        """The sources: number, cited, score (reranked: the cross-encoder's, then
        search_score), text, id, metadata."""
        import pandas as pd

        columns: dict[str, list[Any]] = {
            "source": list(range(1, len(self.sources) + 1)),
            "cited": [n in self.cited for n in range(1, len(self.sources) + 1)],
            "score": [h.score for h in self.sources],
        }
        if self.search_scores is not None:
            columns["search_score"] = list(self.search_scores)
        columns["text"] = [h.text for h in self.sources]
        columns["id"] = [h.id for h in self.sources]
        columns["metadata"] = [dict(h.metadata) for h in self.sources]
        return pd.DataFrame(columns)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _md_text(text: str) -> str:
    """Document text for Markdown: HTML escaped, every Markdown punctuation mark
    backslash-escaped (no fences, images, links or emphasis), line breaks kept."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return escaped.replace("\n", "  \n")


def _md_pre(text: str) -> str:
    """A `<pre>` block for Markdown: HTML escaped and Markdown punctuation as character
    references, so no renderer can read a fence, image or link in it."""
    escaped = html.escape(text, quote=False)
    return "<pre>" + _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group(1))};", escaped) + "</pre>"


def _md_cell(text: str) -> str:
    """A Markdown table cell: one line of escaped text."""
    return _md_text(" ".join(text.split()))


@dataclass(repr=False)
class TableResult(Result):
    """A titled table (`%emb list`, `%emb models`, `%emb info`)."""

    title: str
    columns: list[str]
    rows: list[list[str]]

    def table(self) -> Table:
        return Table(self.columns, self.rows, limit=10**9)

    def plain(self) -> str:
        return f"{self.title}\n{self.table().plain()}" if self.rows else f"{self.title}\n(none)"

    def html_body(self) -> str:
        return f"<p>{html.escape(self.title)}</p>{self.table().html()}"

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


@dataclass(repr=False)
class MessageResult(Result):
    """One line saying what a management command did (`%emb drop/save/load/device`)."""

    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def plain(self) -> str:
        return self.message

    def html_body(self) -> str:
        return f"<p>{html.escape(self.message)}</p>"


@dataclass(frozen=True)
class RetrievalScore:
    """Mean metrics of one collection searched in one mode (`%emb eval`)."""

    collection: str
    mode: str
    index: str
    queries: int
    recall: float
    mrr: float
    ndcg: float
    hit1: float
    index_recall: float | None = None  # approximate kinds: dense top-k vs exact search


@dataclass(repr=False)
class RetrievalEvalResult(Result):
    """recall@k, MRR@k, nDCG@10 and hit@1 per collection and mode, side by side, plus how much
    of exact search each approximate index finds (`%emb eval`)."""

    source: str
    k: int
    scores: list[RetrievalScore]
    seconds: float = 0.0  # not shown: the output stays deterministic

    def score(self, collection: str, mode: str) -> RetrievalScore:
        """The row of one collection and mode; KeyError if it was not evaluated."""
        for row in self.scores:
            if (row.collection, row.mode) == (collection, mode):
                return row
        raise KeyError(f"no scores for collection {collection!r} in mode {mode!r}")

    def title(self) -> str:
        queries = self.scores[0].queries if self.scores else 0
        name = self.source.replace("\\", "/").rsplit("/", 1)[-1]  # the file name: deterministic
        return f"retrieval evaluation: {queries} queries from {name}, k={self.k}"

    def table(self) -> Table:
        rows = [[s.collection, s.mode, s.index, str(s.queries), score(s.recall), score(s.mrr),
                 score(s.ndcg), score(s.hit1)] for s in self.scores]
        columns = ["collection", "mode", "index", "queries", f"recall@{self.k}",
                   f"MRR@{self.k}", "nDCG@10", "hit@1"]
        return Table(columns, rows, limit=10**9)

    def notes(self) -> list[str]:
        """One line per approximate index: its recall against exact search."""
        seen: dict[str, RetrievalScore] = {}
        for s in self.scores:
            if s.index_recall is not None:
                seen.setdefault(s.collection, s)
        return [f"{s.collection} ({s.index}): the index finds {score(s.index_recall or 0.0)} of "
                f"exact search's top {self.k} (dense recall@{self.k} against exact search)"
                for s in seen.values()]

    def plain(self) -> str:
        return "\n".join([self.title(), self.table().plain(), *self.notes()])

    def html_body(self) -> str:
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in self.notes())
        return f"<p>{html.escape(self.title())}</p>{self.table().html()}{notes}"

    def to_pandas(self) -> Any:
        """One row per collection and mode; `index_recall` is None for exact indexes."""
        import pandas as pd

        columns = ["collection", "mode", "index", "queries", "recall", "mrr", "ndcg", "hit1",
                   "index_recall"]
        return pd.DataFrame([[getattr(s, c) for c in columns] for s in self.scores],
                            columns=columns)
