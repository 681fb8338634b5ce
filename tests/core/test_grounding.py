"""Grounding: numbers and names of an answer that no retrieved source contains are flagged."""

from __future__ import annotations

from pathlib import Path

import gensim
import pytest

from embmagic.core.rag import (
    CallableGenerator,
    ExtractiveGenerator,
    Source,
    answer,
    check_grounding,
)
from embmagic.core.rag.generators.extractive import EXTRACTIVE_PREFIX
from embmagic.core.text import split_text
from embmagic.engine import Engine
from embmagic.types import Hit

EIFFEL = "The Eiffel Tower is 330 metres tall. It was built in 1889 by Gustave Eiffel's company."
LEE = Path(gensim.__file__).parent / "test" / "test_data" / "lee_background.cor"


def flagged(text: str, *sources: str, question: str = "") -> list[tuple[str, str]]:
    return [(u.text, u.kind) for u in check_grounding(text, sources, question)]


def test_the_issue_example_flags_the_wall_china_and_its_height() -> None:
    text = "The Great Wall of China is 27,231.25 metres tall [3]."
    assert flagged(text, EIFFEL, question="How tall is the Eiffel Tower?") == [
        ("Great Wall", "name"), ("China", "name"), ("27,231.25", "number"),
    ]  # fmt: skip


def test_a_faithful_answer_is_not_flagged() -> None:
    text = "The Eiffel Tower is 330 metres tall [1]; Gustave Eiffel's company built it in 1889."
    assert flagged(text, EIFFEL) == []


@pytest.mark.parametrize(
    ("written", "source"),
    [
        ("27,231.25", "27231.25"),
        ("27231.25", "27,231.25"),
        ("330", "330.0"),
        ("1,000,000", "1000000"),
        ("3", "three"),
        ("12", "Twelve"),
    ],
)
def test_numbers_are_compared_by_value(written: str, source: str) -> None:
    assert flagged(f"It is {written} metres long.", f"A wall {source} metres long.") == []


def test_a_different_number_is_flagged_even_when_its_digits_occur() -> None:
    assert flagged("It is 33 metres tall.", EIFFEL) == [("33", "number")]
    assert flagged("It is 330.5 metres tall.", EIFFEL) == [("330.5", "number")]


def test_citation_numbers_and_list_numbering_are_not_numbers() -> None:
    text = "1. The tower is 330 metres tall [7].\n2) It dates from 1889 [1, 12][4]."
    assert flagged(text, EIFFEL) == []
    text = "According to Source 2, it is 330 metres tall; sources 1 and 3 agree. Source 4 says 5."
    assert flagged(text, EIFFEL) == [("5", "number")]


def test_sentence_initial_capitals_are_not_names_but_initial_runs_are() -> None:
    # "Unfortunately" and "Gustave" start a sentence or clause: any word may be capitalised there
    assert flagged("Unfortunately, it is tall. Answer: Gustave did it.", EIFFEL) == []
    # a run at the start keeps its name, without the leading function word
    assert flagged("The Statue of Liberty is smaller.", EIFFEL) == [
        ("Statue", "name"), ("Liberty", "name"),
    ]  # fmt: skip
    assert flagged("Mount Everest is higher.", EIFFEL) == [("Mount Everest", "name")]


def test_names_match_in_any_case_as_whole_words_in_order() -> None:
    assert flagged("It stands near the eiffel TOWER.", EIFFEL) == []
    assert flagged("It stands near the Tower Eiffel.", EIFFEL) == [("Tower Eiffel", "name")]
    assert flagged("It is in Eiffelstadt.", EIFFEL) == [("Eiffelstadt", "name")]


def test_punctuation_separates_names() -> None:
    assert flagged("It was built in Paris, France by Eiffel.", EIFFEL) == [
        ("Paris", "name"), ("France", "name"),
    ]  # fmt: skip


def test_units_after_numbers_and_single_letters_are_not_names() -> None:
    source = "The server has 64 GB of memory and runs at 20 °C and 3 GHz."
    assert flagged("It has 64 GB and runs at 20 °C, 3 GHz.", source) == []


def test_terms_of_the_question_are_not_flagged() -> None:
    text = "The Eiffel Tower is in Paris."
    assert flagged(text, EIFFEL, question="Is it in Paris?") == []
    assert flagged(text, EIFFEL) == [("Paris", "name")]


def test_each_term_is_listed_once_in_answer_order() -> None:
    text = "It is 27 metres. China is big. It is 27 metres in China and Peru."
    assert flagged(text, EIFFEL) == [("27", "number"), ("China", "name"), ("Peru", "name")]


def sources(*texts: str) -> list[Source]:
    return [Source(i, Hit(i, 0.9, t, {}), "facts") for i, t in enumerate(texts, 1)]


def test_answer_reports_unsupported_terms_of_a_generated_answer() -> None:
    wrong = CallableGenerator(
        lambda prompt: "The Great Wall of China is 27,231.25 metres tall [3].", "fixed", "x"
    )
    reply = answer("How tall is the Eiffel Tower?", sources(EIFFEL, "Bananas are yellow."), wrong)
    assert [str(u) for u in reply.unsupported] == ["Great Wall", "China", "27,231.25"]
    assert reply.answer.startswith("The Great Wall")  # nothing is rewritten
    unused = answer("How tall?", sources(EIFFEL), wrong, generate=False)
    assert unused.unsupported == []


def lee_articles() -> list[str]:
    return [line for line in LEE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_extractive_answers_from_real_articles_are_never_flagged(fake_engine: Engine) -> None:
    articles = lee_articles()
    assert len(articles) == 300
    generator = ExtractiveGenerator(fake_engine, relative_floor=0.0)
    for start in range(0, 300, 4):
        group = sources(*articles[start : start + 4])
        first = split_text(group[0].text, "sentence")[0]
        reply = answer(" ".join(first.split()[:8]), group, generator)
        assert reply.answer.startswith(EXTRACTIVE_PREFIX) and len(reply.cited) >= 1
        assert reply.unsupported == [], (start, reply.answer)


def test_every_sentence_of_every_article_is_grounded_in_its_article() -> None:
    checked = 0
    for article in lee_articles():
        sentences = split_text(article, "sentence")
        for i in range(0, len(sentences), 2):
            text = EXTRACTIVE_PREFIX + " ".join(f"{s} [1]" for s in sentences[i : i + 3])
            assert check_grounding(text, [article]) == [], text
            checked += 1
    assert checked > 1000
