"""Relevance judgements ("qrels") for retrieval evaluation: reading them and checking them
against a collection.

Two formats:
- JSON lines, one query per line: `{"query": "text", "relevant": [12, 40]}`; relevant records
  are given by id (integers) or by their exact text (strings), or a mix.
- TREC qrels, `QUERY_ID ITERATION DOC_ID RELEVANCE` per line (whitespace-separated; DOC_ID is a
  record id, RELEVANCE > 0 counts as relevant), with the query texts in a separate
  `QUERY_ID<TAB>TEXT` file (the BEIR / MS MARCO `queries.tsv` layout), since TREC qrels carry
  only query ids.

Every error is one line naming the file and the line number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embmagic.errors import InvalidArgumentError

if TYPE_CHECKING:
    from embmagic.store import BaseCollection

Reference = int | str
"""A relevant record: its id, or its exact text."""
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


@dataclass(frozen=True)
class Judgement:
    """One query and the records that are relevant to it; `line` is where it was read."""

    query: str
    relevant: tuple[Reference, ...]
    line: int = 0


@dataclass(frozen=True)
class Qrels:
    """The judgements of one file (or list), with `source` naming it in errors."""

    source: str
    judgements: tuple[Judgement, ...]

    def __len__(self) -> int:
        return len(self.judgements)


def read_qrels(path: str | os.PathLike[str], queries: str | os.PathLike[str] | None = None
               ) -> Qrels:
    """Qrels from a JSONL file, or from a TREC qrels file plus its `queries` file."""
    lines = _read_lines(path, "qrels")
    first = next((line.strip() for line in lines if line.strip()), "")
    if str(path).lower().endswith(JSONL_SUFFIXES) or first.startswith("{"):
        if queries is not None:
            raise InvalidArgumentError("--queries goes with TREC qrels; JSONL qrels hold the "
                                       "query texts themselves")
        judgements = _parse_jsonl(lines, str(path))
    else:
        judgements = _parse_trec(lines, str(path), queries)
    return _non_empty(Qrels(str(path), tuple(judgements)))


def qrels_from_entries(entries: Sequence[Mapping[str, Any]], source: str = "qrels") -> Qrels:
    """Qrels from Python dicts shaped like the JSONL lines (entry i is "line" i + 1)."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, Sequence):
        raise InvalidArgumentError("qrels: give a file path or a list of "
                                   '{"query": ..., "relevant": [...]} dicts')
    judgements = [_judgement(entry, n, source) for n, entry in enumerate(entries, start=1)]
    return _non_empty(Qrels(source, tuple(judgements)))


def read_queries(path: str | os.PathLike[str]) -> dict[str, str]:
    """`QUERY_ID<TAB>TEXT` lines as {query id: text}."""
    texts: dict[str, str] = {}
    for n, line in enumerate(_read_lines(path, "queries"), start=1):
        if not line.strip():
            continue
        qid, tab, text = line.partition("\t")
        if not tab or not qid.strip() or not text.strip():
            raise InvalidArgumentError(f"queries {path} line {n}: expected QUERY_ID<TAB>TEXT")
        texts[qid.strip()] = text.strip()
    return texts


def resolve(qrels: Qrels, collection: BaseCollection) -> list[frozenset[int]]:
    """The relevant record ids of each judgement in `collection`, in order; a one-line error
    naming the first line whose relevant records are not all in the collection."""
    texts = sorted({r for j in qrels.judgements for r in j.relevant if isinstance(r, str)})
    found = dict(zip(texts, collection.ids_for_texts(texts), strict=True)) if texts else {}
    ids = {int(i) for i in collection.ids()}

    def record_id(ref: Reference) -> int | None:
        return found.get(ref) if isinstance(ref, str) else (ref if ref in ids else None)

    resolved: list[frozenset[int]] = []
    for j in qrels.judgements:
        got = [record_id(r) for r in j.relevant]
        missing = [r for r, i in zip(j.relevant, got, strict=True) if i is None]
        if missing:
            shown = ", ".join(_describe(r) for r in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            msg = (f"qrels {qrels.source} line {j.line}: relevant record(s) not in collection "
                   f"{collection.name!r}: {shown}{more} (qrels name records by id or exact text)")
            raise InvalidArgumentError(msg)
        resolved.append(frozenset(i for i in got if i is not None))
    return resolved


def _describe(ref: Reference) -> str:
    if isinstance(ref, int):
        return f"id {ref}"
    flat = " ".join(ref.split())
    return f"text {flat[:40] + '…' if len(flat) > 40 else flat!r}"


def _read_lines(path: str | os.PathLike[str], what: str) -> list[str]:
    file = Path(path)
    if not file.is_file():
        raise InvalidArgumentError(f"{what} file {path} not found (give the path of a file)")
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        msg = f"{what} file {path} is not UTF-8 text (byte {exc.start})"
        raise InvalidArgumentError(msg) from None
    except OSError as exc:
        raise InvalidArgumentError(f"{what} file {path} cannot be read: {exc.strerror}") from None


def _parse_jsonl(lines: list[str], source: str) -> list[Judgement]:
    judgements = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"qrels {source} line {n}: not valid JSON ({exc.msg}, column {exc.colno})"
            raise InvalidArgumentError(msg) from None
        judgements.append(_judgement(entry, n, source))
    return judgements


def _judgement(entry: Any, n: int, source: str) -> Judgement:
    where = f"qrels {source} line {n}"
    if not isinstance(entry, Mapping):
        raise InvalidArgumentError(f'{where}: expected {{"query": ..., "relevant": [...]}}')
    for key in ("query", "relevant"):
        if key not in entry:
            raise InvalidArgumentError(f"{where}: missing key {key!r}")
    query, relevant = entry["query"], entry["relevant"]
    if not isinstance(query, str) or not query.strip():
        raise InvalidArgumentError(f"{where}: 'query' must be a non-empty string")
    if isinstance(relevant, (int, str)) and not isinstance(relevant, bool):
        relevant = [relevant]
    if not isinstance(relevant, list) or not relevant:
        raise InvalidArgumentError(f"{where}: 'relevant' must be a non-empty list of record ids "
                                   "or exact texts")
    for ref in relevant:
        if isinstance(ref, bool) or not isinstance(ref, (int, str)) or ref == "":
            raise InvalidArgumentError(f"{where}: relevant {ref!r} is neither a record id "
                                       "(whole number) nor a record's text")
    return Judgement(query.strip(), tuple(dict.fromkeys(relevant)), n)


def _parse_trec(lines: list[str], source: str, queries_path: str | os.PathLike[str] | None
                ) -> list[Judgement]:
    _check_trec_columns(lines, source)
    if queries_path is None:
        msg = (f"qrels {source} is in TREC format (QUERY_ID ITERATION DOC_ID RELEVANCE): "
               "give the query texts with --queries PATH (QUERY_ID<TAB>TEXT per line)")
        raise InvalidArgumentError(msg)
    queries = read_queries(queries_path)
    relevant: dict[str, list[int]] = {}
    first_line: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        columns = line.split()
        if not columns:
            continue
        where = f"qrels {source} line {n}"
        qid, _, doc, grade = columns
        try:
            doc_id, level = int(doc), int(grade)
        except ValueError:
            raise InvalidArgumentError(f"{where}: DOC_ID and RELEVANCE must be whole numbers "
                                       f"(record id, grade), got {doc!r} {grade!r}") from None
        if qid not in queries:
            raise InvalidArgumentError(f"{where}: query id {qid!r} is not in the queries file")
        first_line.setdefault(qid, n)
        if level > 0:
            relevant.setdefault(qid, []).append(doc_id)
    return [Judgement(queries[qid], tuple(dict.fromkeys(ids)), first_line[qid])
            for qid, ids in relevant.items()]


def _check_trec_columns(lines: list[str], source: str) -> None:
    for n, line in enumerate(lines, start=1):
        columns = line.split()
        if columns and len(columns) != 4:
            raise InvalidArgumentError(f"qrels {source} line {n}: expected 4 columns QUERY_ID "
                                       f"ITERATION DOC_ID RELEVANCE, got {len(columns)}")


def _non_empty(qrels: Qrels) -> Qrels:
    if not qrels.judgements:
        raise InvalidArgumentError(f"qrels {qrels.source} has no judgements (no query with a "
                                   "relevant record)")
    return qrels
