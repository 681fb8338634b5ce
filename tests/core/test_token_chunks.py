"""Chunking in model tokens: the real MiniLM tokenizer, the fake's words, the window warning."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Sequence
from pathlib import Path

import pytest

from embmagic.app import Workspace
from embmagic.core.text import chunk_text, count_over
from embmagic.engine import Engine, load_engine
from embmagic.engine.corpus import stdlib_sentences
from embmagic.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def minilm() -> Engine:
    return load_engine("minilm", progress=False)


@pytest.fixture(scope="module")
def prose() -> str:
    return " ".join(stdlib_sentences(120))


@pytest.mark.model
def test_minilm_counts_are_the_models_tokens_never_padded_or_cut(minilm: Engine) -> None:
    assert minilm.max_tokens == 256
    counts = minilm.count_tokens(["", "hello world", "word " * 600])
    assert counts == [2, 4, 602]  # [CLS] and [SEP] included; not padded to 128, not cut at 256
    again = pickle.loads(pickle.dumps(minilm.token_counter()))
    assert again(["hello world", "word " * 600]) == [4, 602]


@pytest.mark.model
@pytest.mark.parametrize(("chunk", "overlap"), [(64, 0), (64, 16), (256, 32), (20, 5)])
def test_minilm_chunks_fit_overlap_and_keep_every_word(minilm: Engine, prose: str, chunk: int,
                                                      overlap: int) -> None:
    pieces = chunk_text(prose, chunk, overlap, minilm.count_tokens)
    sizes = minilm.count_tokens([p for _, p in pieces])
    special = minilm.count_tokens([""])[0]
    assert max(sizes) <= chunk
    for (o1, p1), (o2, _) in itertools.pairwise(pieces):
        assert prose[o1 : o1 + len(p1)] == p1
        end1 = o1 + len(p1)
        rest = prose[end1:].split(maxsplit=1)
        assert minilm.count_tokens([f"{p1} {rest[0]}"])[0] > chunk  # full: the next word spills
        shared = prose[o2:end1] if o2 < end1 else ""
        if overlap == 0:
            assert not shared and prose[end1:o2].strip() == ""  # no gap, no overlap
        else:
            last = p1.split()[-1]
            if minilm.count_tokens([last])[0] - special <= overlap:
                assert shared, "neighbours share their boundary words"
            assert minilm.count_tokens([shared])[0] - special <= overlap
    assert {w for _, p in pieces for w in p.split()} == set(prose.split())
    if overlap == 0:
        assert " ".join(p for _, p in pieces).split() == prose.split()


@pytest.mark.model
def test_a_word_longer_than_the_chunk_is_cut_into_pieces_that_fit(minilm: Engine) -> None:
    word = "-".join(f"part{i}" for i in range(60))  # one whitespace word, ~180 tokens
    assert minilm.count_tokens([word])[0] > 40
    pieces = chunk_text(f"before {word} after", 40, 0, minilm.count_tokens)
    assert max(minilm.count_tokens([p for _, p in pieces])) <= 40
    assert "".join(p for _, p in pieces).replace(" ", "") == f"before{word}after"


def test_a_tokenizer_that_is_not_additive_still_gets_chunks_within_the_limit() -> None:
    def by_characters(texts: Sequence[str]) -> list[int]:  # spaces count: sums undercount
        return [len(t) // 4 + 1 for t in texts]

    text = " ".join(f"w{i:03d}" for i in range(200))
    pieces = chunk_text(text, 12, 2, by_characters)
    assert max(by_characters([p for _, p in pieces])) <= 12
    assert {w for _, p in pieces for w in p.split()} == set(text.split())


def test_fake_tokens_are_words_and_its_window_is_256() -> None:
    fake = load_engine("fake-8", progress=False)
    assert fake.max_tokens == 256
    assert fake.count_tokens(["one, two... three!", ""]) == [3, 0]
    pieces = chunk_text(" ".join(f"w{i}" for i in range(10)), 4, 1, fake.count_tokens)
    assert [p for _, p in pieces] == ["w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"]
    assert count_over(["a b c", "a " * 300], fake.max_tokens, fake.count_tokens) == 1
    assert count_over(["a " * 300], None, fake.count_tokens) == 0


def test_chunk_leaving_no_room_for_text_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="special tokens"):
        chunk_text("a b c", 2, 0, lambda texts: [len(t.split()) + 2 for t in texts])


def test_files_are_chunked_to_the_window_by_default(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text(" ".join(f"word{i}" for i in range(600)))
    (tmp_path / "short.txt").write_text("just a few words")
    result = ws.embed_files("docs", str(tmp_path / "*.txt"))
    records = ws.collection("docs").records()
    long = [r for r in records if r.metadata["path"].endswith("long.txt")]
    assert [len(r.text.split()) for r in long] == [256, 256, 88]
    assert [r.metadata["chunk"] for r in long] == [0, 1, 2]
    short = [r for r in records if r.metadata["path"].endswith("short.txt")]
    assert short[0].metadata == {"path": str(tmp_path / "short.txt")}  # whole: not a chunk
    assert result.cut == 0 and "Warning" not in result.plain()


def test_records_longer_than_the_window_get_one_warning_line(ws: Workspace) -> None:
    long = " ".join(f"w{i}" for i in range(300))
    result = ws.embed_text("notes", f"{long}\n\nshort one\n\n{long} more", split="paragraph")
    assert result.cut == 2
    warnings = [ln for ln in result.plain().splitlines() if ln.startswith("Warning")]
    assert warnings == [
        "Warning: 2 record(s) longer than fake-64's 256-token window: it reads only their "
        "first 256 tokens (--split sentence, or --files with --chunk, keeps every word)"
    ]
    again = ws.embed_text("notes", f"{long}\n\nshort one", split="paragraph")
    assert again.cut == 0  # only texts encoded now are counted
    from_list = ws.embed("listed", [long, "tiny"])
    assert from_list.cut == 1


def test_chunk_beyond_the_window_is_refused_and_nothing_changes(ws: Workspace,
                                                                tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("some words here")
    with pytest.raises(InvalidArgumentError, match=r"--chunk 300 is longer than fake-64's "
                       r"window of 256 tokens"):  # fmt: skip
        ws.embed_files("docs", str(tmp_path / "*"), chunk=300)
    assert "docs" not in ws.collections


@pytest.mark.model
def test_minilm_workspace_keeps_every_file_chunk_within_256_tokens(minilm: Engine,
                                                                   tmp_path: Path) -> None:
    ws = Workspace()
    ws.options.show_progress = False
    ws.engines[("minilm", ws.options.device)] = minilm
    ws.options.model = "minilm"
    text = " ".join(stdlib_sentences(80))
    (tmp_path / "doc.md").write_text(f"# Guide\n\n## Long\n\n{text}\n")
    result = ws.embed_files("docs", str(tmp_path / "doc.md"))
    records = ws.collection("docs").records()
    assert len(records) > 1 and result.cut == 0
    assert max(minilm.count_tokens([r.text for r in records])) <= 256
    assert {r.metadata["heading"] for r in records} == {"Guide > Long"}
    cut = ws.embed("raw", [text, "short"])
    assert cut.cut == 1 and "Warning: 1 record(s) longer than minilm's 256-token" in cut.plain()
