"""Google-format analogy evaluation with gensim's exact semantics, vectorised with NumPy.

gensim's `KeyedVectors.evaluate_word_analogies` answers one question at a time (a matrix-vector
product over 300,000 words each). Here all questions of a section are scored in batches with
one matrix-matrix product, which gives the same predictions several times faster.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import numpy.typing as npt

from embmagic.core.wordspace import WordSpace
from embmagic.errors import InvalidArgumentError

Question = tuple[str, str, str, str]
"""(a, b, c, expected): a is to b as c is to expected; upper-cased when case-insensitive."""
_BATCH = 256  # questions per matrix product: 256 x 300k float32 scores = 300 MB
_GENSIM_TOPN = 5  # gensim looks at the top 5 non-input words for a usable prediction
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SectionResult:
    """Questions of one section (or of all: 'Total accuracy') answered right and wrong."""

    name: str
    correct: list[Question]
    incorrect: list[Question]

    @property
    def accuracy(self) -> float:
        """correct / answered, 0.0 when nothing was answered (as gensim)."""
        answered = len(self.correct) + len(self.incorrect)
        return len(self.correct) / answered if answered else 0.0


@dataclass(frozen=True)
class AnalogyEval:
    """Result of `evaluate_analogies`: per-section results, the total and what was skipped."""

    sections: list[SectionResult]
    total: SectionResult
    questions: int  # well-formed question lines
    skipped: int  # questions with a word outside the first `restrict_vocab` words

    @property
    def accuracy(self) -> float:
        """Total accuracy over the questions that were not skipped."""
        return self.total.accuracy


@dataclass
class _Vocab:
    """gensim's `ok_vocab`: key -> row of its first occurrence among the first R words."""

    keys: list[str]  # key of each row < R
    index: dict[str, int]
    canon: IntArray  # canonical row of each row's key
    case_insensitive: bool

    @classmethod
    def build(cls, words: Sequence[str], case_insensitive: bool) -> _Vocab:
        keys = [w.upper() for w in words] if case_insensitive else list(words)
        index: dict[str, int] = {}
        for row, key in enumerate(keys):
            index.setdefault(key, row)
        canon = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
        return cls(keys, index, canon, case_insensitive)

    def key(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word


def evaluate_analogies(
    space: WordSpace,
    path: str | os.PathLike[str],
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
) -> AnalogyEval:
    """Accuracy of 3CosAdd on a Google-format file (`: section` lines, then `a b c d` lines).

    Same semantics as gensim's `evaluate_word_analogies` (default arguments): only the first
    `restrict_vocab` words count; with `case_insensitive` words are upper-cased and the first
    casing in the vocabulary stands for all; a question with a word outside that vocabulary is
    skipped and counted; the prediction is the best-scoring word that is not one of the three
    inputs; lines that are not four words are ignored. One deliberate difference: blank lines
    before the first section header are ignored instead of raising.
    """
    vocab = _Vocab.build(space.words[:restrict_vocab], case_insensitive)
    matrix = np.ascontiguousarray(space.vectors[: len(vocab.keys)])
    sections: list[SectionResult] = []
    questions = skipped = 0
    for name, lines in _read_sections(path, vocab):
        known = [q for q in lines if all(w in vocab.index for w in q)]
        questions += len(lines)
        skipped += len(lines) - len(known)
        sections.append(_evaluate_section(name, known, matrix, vocab))
    total = SectionResult(
        "Total accuracy",
        [q for s in sections for q in s.correct],
        [q for s in sections for q in s.incorrect],
    )
    return AnalogyEval(sections, total, questions, skipped)


def _read_sections(
    path: str | os.PathLike[str], vocab: _Vocab
) -> Iterator[tuple[str, list[Question]]]:
    """(section name, its well-formed questions as keys) in file order."""
    name: str | None = None
    questions: list[Question] = []
    with open_regular_file(path) as fin:
        for line_no, line in enumerate(_utf8_lines(fin, path)):
            if line.startswith(": "):
                if name is not None:
                    yield name, questions
                name, questions = line.lstrip(": ").strip(), []
                continue
            words = [vocab.key(w) for w in line.split()]
            if name is None and words:
                msg = f"missing ': section' header before line {line_no + 1} of {path}"
                raise InvalidArgumentError(msg)
            if len(words) == 4:
                questions.append((words[0], words[1], words[2], words[3]))
    if name is not None:
        yield name, questions


def _utf8_lines(fin: TextIO, path: str | os.PathLike[str]) -> Iterator[str]:
    """The file's lines; a file in another encoding (Latin-1...) is one InvalidArgumentError
    line rather than a guess: a wrong guess would silently turn words into other words."""
    try:
        yield from fin
    except UnicodeDecodeError as exc:
        msg = (f"{path} is not UTF-8 text (it holds byte 0x{exc.object[exc.start]:02x}); "
               "convert it first, e.g. iconv -f latin1 -t utf-8")
        raise InvalidArgumentError(msg) from None


def open_regular_file(path: str | os.PathLike[str]) -> TextIO:
    """`path` opened for reading as UTF-8 text, if it is a regular file (a symbolic link to one
    is fine); a FIFO, device, socket or folder is refused with one line instead of blocking."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens at once
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file (FIFO, device, socket)"
            msg = f"{path} is {what}: analogy questions are read from a text file"
            raise InvalidArgumentError(msg)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def _evaluate_section(
    name: str, questions: list[Question], matrix: npt.NDArray[np.float32], vocab: _Vocab
) -> SectionResult:
    """Answer every question of a section; split into correct and incorrect, in file order."""
    correct: list[Question] = []
    incorrect: list[Question] = []
    rows = np.array([[vocab.index[w] for w in q] for q in questions], dtype=np.int64)
    for start in range(0, len(questions), _BATCH):
        batch = rows[start : start + _BATCH]
        predicted = _predict(matrix, batch, vocab)
        for question, pred, expected in zip(
            questions[start : start + _BATCH], predicted, batch[:, 3], strict=True
        ):
            (correct if pred == expected else incorrect).append(question)
    return SectionResult(name, correct, incorrect)


def _predict(matrix: npt.NDArray[np.float32], batch: IntArray, vocab: _Vocab) -> IntArray:
    """Canonical row of gensim's prediction for each (a, b, c, expected) row, -1 for none."""
    a, b, c = batch[:, 0], batch[:, 1], batch[:, 2]
    means = _unit_means(matrix, a, b, c)
    scores = means @ matrix.T
    n = np.arange(len(batch))
    scores[n, a] = scores[n, b] = scores[n, c] = -np.inf
    best: IntArray = vocab.canon[scores.argmax(axis=1)]
    clash = (best == a) | (best == b) | (best == c)  # another casing of an input won: rare
    for i in np.flatnonzero(clash):
        best[i] = _gensim_pick(matrix @ means[i], batch[i], vocab)
    return best


def _unit_means(
    matrix: npt.NDArray[np.float32], a: IntArray, b: IntArray, c: IntArray
) -> npt.NDArray[np.float32]:
    """gensim's query vector: (b + c - a) / 3 in float64, then unit length, as float32."""
    mean = (matrix[b].astype(np.float64) + matrix[c] - matrix[a]) / 3.0
    norms = np.linalg.norm(mean, axis=1, keepdims=True)
    return (mean / np.where(norms == 0, 1, norms)).astype(np.float32)


def _gensim_pick(scores: npt.NDArray[np.float32], question: IntArray, vocab: _Vocab) -> int:
    """gensim's loop for one question: first of the top 5 non-input rows whose key is new."""
    inputs = [int(r) for r in question[:3]]
    top = np.argsort(-scores, kind="stable")[: _GENSIM_TOPN + len(inputs)]
    candidates = [int(r) for r in top if int(r) not in inputs][:_GENSIM_TOPN]
    ignore = {vocab.keys[r] for r in inputs}
    predicted = -1
    for row in candidates:
        predicted = int(vocab.canon[row])
        if vocab.keys[row] not in ignore:
            break
    return predicted
