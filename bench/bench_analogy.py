"""Google analogy set with GloVe-50: gensim's evaluate_word_analogies vs embmagic's vectorised one.

Run: python bench/bench_analogy.py   (about a minute: gensim answers one question at a time)
Prints both accuracies, both wall times and the speed-up; exits 1 if the results differ.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from embmagic.core.analogy import evaluate_analogies, load_word_space


def main() -> int:
    questions = Path(datapath("questions-words.txt"))
    space = load_word_space("glove-50")
    kv = KeyedVectors(vector_size=space.vectors.shape[1])
    kv.add_vectors(space.words, space.vectors)

    start = time.perf_counter()
    ours = evaluate_analogies(space, questions)
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    gensim_score, gensim_sections = kv.evaluate_word_analogies(str(questions))
    gensim_s = time.perf_counter() - start

    total = gensim_sections[-1]
    answered = len(ours.total.correct) + len(ours.total.incorrect)
    print(f"questions: {ours.questions}, skipped (OOV): {ours.skipped}, answered: {answered}")
    print(
        f"gensim   accuracy {gensim_score:.4f} ({len(total['correct'])}/"
        f"{len(total['correct']) + len(total['incorrect'])})  time {gensim_s:6.1f} s"
    )
    print(
        f"embmagic accuracy {ours.accuracy:.4f} ({len(ours.total.correct)}/{answered})"
        f"  time {ours_s:6.1f} s"
    )
    print(f"speed-up {gensim_s / ours_s:.1f}x")
    same = all(
        theirs["correct"] == mine.correct and theirs["incorrect"] == mine.incorrect
        for theirs, mine in zip(gensim_sections, [*ours.sections, ours.total], strict=True)
    )
    print("identical per-question results:", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
