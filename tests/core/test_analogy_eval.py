"""evaluate_analogies equals gensim's evaluate_word_analogies, section by section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embmagic.core.analogy import WordSpace, evaluate_analogies, load_word_space
from embmagic.errors import InvalidArgumentError

QUESTIONS = Path(__file__).parents[2] / "bench" / "questions-words.txt"


def _questions_file() -> Path:
    from gensim.test.utils import datapath

    return Path(datapath("questions-words.txt"))


def _sections(path: Path, names: set[str], out: Path) -> Path:
    """A copy of `path` with only the named sections (and a malformed line for good measure)."""
    keep, lines = False, []
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith(": "):
            keep = line[2:].strip() in names
        if keep:
            lines.append(line)
    lines.insert(1, "too few words\n")
    out.write_text("".join(lines))
    return out


@pytest.fixture(scope="module")
def glove() -> WordSpace:
    return load_word_space("glove-50")


def test_toy_file_semantics(tmp_path: Path) -> None:
    words = ["A", "b", "c", "d", "e", "a"]  # "a" is a later casing of "A"
    vecs = np.eye(6, dtype=np.float32)
    vecs[3] = [0, 0.6, 0.6, 0.5, 0, 0]  # d ~ b + c - A
    vecs[5] = [-0.8, 0.5, 0.5, 0, 0, 0]  # "a" is closer, but as a casing of input A it is ignored
    space = WordSpace.from_arrays("toy", words, vecs)
    path = tmp_path / "q.txt"
    path.write_text(": one\na b c d\nA B C E\na b zzz d\nbad line\n: two\n: three\nb c a e\n")
    result = evaluate_analogies(space, path)
    assert [(s.name, len(s.correct), len(s.incorrect)) for s in result.sections] == [
        ("one", 1, 1), ("two", 0, 0), ("three", 0, 1)
    ]
    assert result.questions == 4 and result.skipped == 1
    assert result.total.name == "Total accuracy" and result.accuracy == pytest.approx(1 / 3)
    assert result.sections[0].correct == [("A", "B", "C", "D")]


def test_question_before_any_section_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("\na b c d\n")
    with pytest.raises(InvalidArgumentError, match="section"):
        evaluate_analogies(WordSpace.from_arrays("t", ["a"], np.ones((1, 2))), path)


@pytest.mark.model
def test_equals_gensim_on_two_sections(glove: WordSpace, tmp_path: Path) -> None:
    from gensim import models as gensim_models

    subset = _sections(
        _questions_file(), {"capital-common-countries", "family"}, tmp_path / "q.txt"
    )
    kv = gensim_models.KeyedVectors(vector_size=50)
    kv.add_vectors(glove.words, glove.vectors)
    gensim_score, gensim_sections = kv.evaluate_word_analogies(str(subset))
    ours = evaluate_analogies(glove, subset)
    assert len(gensim_sections) == len(ours.sections) + 1
    for theirs, mine in zip(gensim_sections, [*ours.sections, ours.total], strict=True):
        assert theirs["section"] == mine.name
        assert theirs["correct"] == mine.correct
        assert theirs["incorrect"] == mine.incorrect
    assert ours.accuracy == gensim_score


@pytest.mark.model
def test_full_google_set_accuracy(glove: WordSpace) -> None:
    result = evaluate_analogies(glove, _questions_file())
    assert (len(result.total.correct), len(result.total.correct) + len(result.total.incorrect)) == (
        9036, 19486
    )
    assert round(result.accuracy, 4) == 0.4637
    assert result.skipped == 58 and len(result.sections) == 14


def test_a_fifo_or_folder_is_refused_at_once(tmp_path: Path) -> None:
    """A FIFO would block open() forever; it is refused with one line instead (in a thread with
    a timeout, so a regression fails rather than hangs)."""
    import os
    import threading

    space = WordSpace.from_arrays("toy", ["a", "b", "c", "d"], np.eye(4, dtype=np.float32))
    fifo = tmp_path / "questions.fifo"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        errors: list[BaseException] = []

        def run(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                evaluate_analogies(space, path)
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(timeout=10)
        if worker.is_alive():  # unblock the reader so the process can exit
            with open(fifo, "w"):
                pass
            pytest.fail(f"evaluate_analogies blocked on {path}")
        assert len(errors) == 1 and isinstance(errors[0], InvalidArgumentError), errors
        assert "\n" not in str(errors[0]) and "text file" in str(errors[0])
