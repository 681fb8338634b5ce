"""`%emb eval`: retrieval metrics per collection and mode, one-line errors, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from embmagic.core.retrieval_eval import score_rankings

ANIMALS = "\n".join([
    "the small cat sleeps on the warm sofa",
    "a big dog barks at the postman",
    "parrots repeat words they hear",
    "goldfish swim in a round bowl",
    "the zebra has black and white stripes",
    "owls hunt mice at night",
])
QUERIES = [("sleeping cat on a sofa", [0]), ("zebra stripes", [4]), ("a dog barking", [1]),
           ("birds that talk", [2]), ("night hunters", [5, 0])]


def qrels_file(tmp_path: Path, entries: list[tuple[str, list[Any]]] = QUERIES) -> str:
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"query": q, "relevant": r}) + "\n" for q, r in entries))
    return str(path)


@pytest.fixture
def zoo(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic("embed", "zoo", ANIMALS)
    ip.run_cell_magic("embed", "zoo2", ANIMALS)
    return ip


def test_eval_prints_each_collection_and_mode_side_by_side(
        zoo: InteractiveShell, magics: Any, tmp_path: Path) -> None:
    result = zoo.run_line_magic("emb", f"eval zoo zoo2 --qrels {qrels_file(tmp_path)} -k 3")
    text = result._repr_mimebundle_()["text/plain"]
    assert text.splitlines()[0] == "retrieval evaluation: 5 queries from q.jsonl, k=3"
    assert text.splitlines()[1].split()[-4:] == ["recall@3", "MRR@3", "nDCG@10", "hit@1"]
    pairs = [(s.collection, s.mode) for s in result.scores]
    assert pairs == [(c, m) for c in ("zoo", "zoo2") for m in ("dense", "lexical", "hybrid")]
    assert "<table>" in result._repr_mimebundle_()["text/html"]
    frame = result.to_pandas()
    assert list(frame.columns[:4]) == ["collection", "mode", "index", "queries"]
    assert len(frame) == 6
    # the figures are those of the searches %neighbors runs
    ws = magics.session
    for mode in ("dense", "lexical", "hybrid"):
        ranked = [[h.id for h in ws.neighbors(q, collection="zoo", k=10, mode=mode)]
                  for q, _ in QUERIES]
        want = score_rankings(ranked, [set(r) for _, r in QUERIES], k=3)
        got = result.score("zoo", mode)
        assert (got.recall, got.mrr, got.ndcg, got.hit1) == pytest.approx(
            (want.recall, want.mrr, want.ndcg, want.hit1))
    # exact words: BM25 puts the record with "zebra stripes" first
    assert result.score("zoo", "lexical").recall > 0


def test_mode_picks_the_modes_and_trec_equals_jsonl(zoo: InteractiveShell, tmp_path: Path
                                                    ) -> None:
    one = zoo.run_line_magic("emb", f"eval zoo --qrels {qrels_file(tmp_path)} --mode lexical")
    assert [s.mode for s in one.scores] == ["lexical"]
    trec = tmp_path / "qrels.txt"
    trec.write_text("".join(f"q{n} 0 {rid} 1\n" for n, (_, rel) in enumerate(QUERIES)
                            for rid in rel))
    queries = tmp_path / "queries.tsv"
    queries.write_text("".join(f"q{n}\t{q}\n" for n, (q, _) in enumerate(QUERIES)))
    other = zoo.run_line_magic("emb", f"eval zoo --qrels {trec} --queries {queries} "
                                      "--mode lexical")
    assert other.scores == one.scores


def test_texts_as_relevant_and_documents_by_metadata(
        ip: InteractiveShell, magics: Any, tmp_path: Path) -> None:
    from embmagic.app.ingest import Batch

    lines = ANIMALS.splitlines()
    batch = Batch()
    for n, line in enumerate(lines):  # two chunks per document, the document id in metadata
        words = line.split()
        batch.add(" ".join(words[:3]), {"doc": f"d{n}"})
        batch.add(" ".join(words[3:]), {"doc": f"d{n}"})
    magics.session.embed_batch("chunks", batch)
    by_doc = [(q, [f"d{r}" for r in rel]) for q, rel in QUERIES]
    result = ip.run_line_magic("emb", f"eval chunks --qrels {qrels_file(tmp_path, by_doc)} "
                                      "--by doc --mode lexical")
    assert result.score("chunks", "lexical").queries == 5
    assert result.score("chunks", "lexical").recall > 0
    ip.run_cell_magic("embed", "zoo", ANIMALS)
    by_text = [(q, [lines[r] for r in rel]) for q, rel in QUERIES]
    as_text = ip.run_line_magic("emb", f"eval zoo --qrels {qrels_file(tmp_path, by_text)}")
    as_ids = ip.run_line_magic("emb", f"eval zoo --qrels {qrels_file(tmp_path)}")
    assert as_text.scores == as_ids.scores


def test_approximate_indexes_report_recall_against_exact_search(
        zoo: InteractiveShell, tmp_path: Path) -> None:
    zoo.run_line_magic("emb", "index zoo2 --kind hnsw")
    result = zoo.run_line_magic("emb", f"eval zoo zoo2 --qrels {qrels_file(tmp_path)} -k 3")
    assert result.score("zoo", "dense").index_recall is None  # flat is exact
    assert result.score("zoo2", "dense").index_recall == 1.0  # 6 vectors: HNSW finds them all
    assert result.notes() == ["zoo2 (hnsw): the index finds 1.0000 of exact search's top 3 "
                              "(dense recall@3 against exact search)"]


@pytest.mark.parametrize(("line", "message"), [
    ("eval zoo", r"usage: %emb eval COLL \.\.\. --qrels PATH"),
    ("eval --qrels {q}", r"usage: %emb eval COLL \.\.\."),
    ("eval nope --qrels {q}", "no collection named 'nope'"),
    ("eval zoo --qrels {q} --mode fuzzy", "invalid choice: 'fuzzy'"),
    ("eval zoo --qrels {q} -k 0", "-k"),
    ("eval zoo --qrels {dir}/missing.jsonl", "missing.jsonl not found"),
    ("eval zoo --qrels {bad_json}", "line 2: not valid JSON"),
    ("eval zoo --qrels {no_key}", "line 1: missing key 'relevant'"),
    ("eval zoo --qrels {empty_rel}", "line 1: 'relevant' must be a non-empty list"),
    ("eval zoo --qrels {trec3}", "line 1: expected 4 columns"),
    ("eval zoo zoo2 --qrels {unknown_id}", r"line 2: relevant record\(s\) not in collection "
                                           r"'zoo': id 99"),
    ("eval zoo --qrels {q} --by doc", "--by doc: no record of 'zoo' has metadata key 'doc'"),
    ("list --by doc", "--by work only with %emb eval"),
])
def test_bad_eval_requests_are_one_line_and_change_nothing(
        zoo: InteractiveShell, snap: Callable[[], dict[str, Any]], tmp_path: Path,
        line: str, message: str) -> None:
    files = {
        "q": qrels_file(tmp_path),
        "bad_json": '{"query": "a", "relevant": [1]}\n{"query": "b", "relevant": [1\n',
        "no_key": '{"query": "a"}\n',
        "empty_rel": '{"query": "a", "relevant": []}\n',
        "trec3": "q1 0 4\n",
        "unknown_id": '{"query": "a", "relevant": [1]}\n{"query": "b", "relevant": [99]}\n',
    }
    paths = {"dir": str(tmp_path)}
    for name, text in files.items():
        path = Path(text) if name == "q" else tmp_path / f"{name}.txt"
        if name != "q":
            path.write_text(text)
        paths[name] = str(path)
    before = snap()
    with pytest.raises(UsageError, match=message) as info:
        zoo.run_line_magic("emb", line.format(**paths))
    assert "\n" not in str(info.value)
    assert snap() == before


def test_eval_help_lists_its_flags(zoo: InteractiveShell, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    zoo.run_line_magic("emb", "eval --help")
    out = capsys.readouterr().out
    for flag in ("--qrels", "--queries", "--mode", "--by", "-k"):
        assert flag in out


def test_python_api_takes_dicts_and_refuses_bad_arguments(
        zoo: InteractiveShell, magics: Any, snap: Callable[[], dict[str, Any]]) -> None:
    from embmagic.errors import InvalidArgumentError

    ws = magics.session
    entries = [{"query": q, "relevant": r} for q, r in QUERIES]
    result = ws.evaluate_retrieval(["zoo", ws.collection("zoo2")], entries, k=2,
                                   modes=["hybrid", "dense"])
    assert [(s.collection, s.mode) for s in result.scores] == [
        ("zoo", "hybrid"), ("zoo", "dense"), ("zoo2", "hybrid"), ("zoo2", "dense")]
    assert result.title() == "retrieval evaluation: 5 queries from qrels, k=2"
    before = snap()
    for kwargs, message in [({"k": 0}, "k must be a positive whole number"),
                            ({"modes": ["dense", "semantic"]}, "--mode semantic: choose from"),
                            ({"queries": "q.tsv"}, "queries= goes with a TREC qrels file")]:
        with pytest.raises(InvalidArgumentError, match=message):
            ws.evaluate_retrieval("zoo", entries, **kwargs)
    with pytest.raises(InvalidArgumentError, match="name at least one collection"):
        ws.evaluate_retrieval([], entries)
    assert snap() == before


def test_long_runs_show_a_progress_bar(zoo: InteractiveShell, magics: Any,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    ws = magics.session
    entries = [{"query": q, "relevant": r} for q, r in QUERIES]
    ws.options.show_progress = True
    ws.evaluate_retrieval("zoo", entries, modes=["lexical"])
    assert "evaluating retrieval" in capsys.readouterr().err
    ws.options.show_progress = "auto"  # 5 searches: far below the threshold
    ws.evaluate_retrieval("zoo", entries, modes=["lexical"])
    assert "evaluating retrieval" not in capsys.readouterr().err
