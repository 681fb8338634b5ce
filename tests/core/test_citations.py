"""Citation checking: a `[n]` that another source clearly beats is flagged, never trusted."""

from __future__ import annotations

import pytest

from embmagic.core.rag import (
    CallableGenerator,
    Source,
    answer,
    check_citations,
    parse_citations,
    strip_citations,
)
from embmagic.engine import Engine, load_engine
from embmagic.types import Hit

FACTS = (
    "The Eiffel Tower is 330 metres tall.",
    "Bananas are yellow and rich in potassium.",
    "Mount Everest is 8849 metres high.",
)


def sources(*texts: str) -> list[Source]:
    return [Source(i, Hit(i, 0.9, t, {}), "facts") for i, t in enumerate(texts, 1)]


@pytest.fixture(scope="module")
def fake() -> Engine:
    return load_engine("fake-64")


def test_a_wrong_number_is_flagged_with_the_source_that_fits(fake: Engine) -> None:
    [flag] = check_citations("The Eiffel Tower is 330 metres tall [2].", sources(*FACTS), fake)
    assert flag.cited == (2,) and flag.best == 1
    assert flag.best_score > flag.cited_score + 0.1
    assert "cites [2], but source [1] supports it better" in str(flag)


def test_right_numbers_and_uncited_sentences_pass(fake: Engine) -> None:
    text = "The Eiffel Tower is 330 metres tall [1]. Everest is 8849 metres high [1][3]. Hello."
    assert check_citations(text, sources(*FACTS), fake) == []


def test_only_known_numbers_are_checked(fake: Engine) -> None:
    # [9] matches no source: that is `unknown_citations`' job, not a misattribution.
    assert check_citations("The Eiffel Tower is 330 metres tall [9].", sources(*FACTS), fake) == []


def test_answer_reports_misattributions_when_given_the_encoder(fake: Engine) -> None:
    wrong = CallableGenerator(lambda prompt: "Everest is 8849 metres high [2].", "fixed", "x")
    reply = answer("How high is Everest?", sources(*FACTS), wrong, encoder=fake)
    assert [(m.cited, m.best) for m in reply.misattributed] == [((2,), 3)]
    assert [s.number for s in reply.cited] == [2]  # the answer is not rewritten
    assert answer("How high is Everest?", sources(*FACTS), wrong).misattributed == []


@pytest.mark.model
def test_local_model_citations_are_right_or_flagged() -> None:
    """SmolLM2-135M often cites the wrong number; whatever it cites must not pass unchecked."""
    from embmagic.core.rag import GeneratorSettings, load_generator

    minilm = load_engine("minilm")
    local = load_generator("local", encoder=minilm, settings=GeneratorSettings(max_tokens=32))
    for position in range(3):
        texts = list(FACTS[1:])
        texts.insert(position, FACTS[0])
        reply = answer("How tall is the Eiffel Tower?", sources(*texts), local, encoder=minilm)
        eiffel = position + 1
        cited = {s.number for s in reply.cited}
        assert cited or reply.unknown_citations, reply.answer  # it does cite by number
        if eiffel not in cited:  # a wrong source, shown as support, must carry a warning
            assert any(m.best == eiffel for m in reply.misattributed), reply.answer


@pytest.mark.parametrize("citation", ["[1, 2]", "[1][3]", "[ 2 ; 4 ]", "[3][ 1 ;2 ]"])
def test_the_check_reads_citations_as_parse_citations_does(fake: Engine, citation: str) -> None:
    """One citation syntax: whatever `parse_citations` reads is what the check checks."""
    texts = ("Bananas are yellow.", "Everest is 8849 metres high.", "Grass is green.",
             "The Louvre is a museum.", "The Eiffel Tower is 330 metres tall.")  # fmt: skip
    sentence = f"The Eiffel Tower is 330 metres tall {citation}."
    [flag] = check_citations(sentence, sources(*texts), fake)
    assert flag.cited == tuple(parse_citations(sentence)) and flag.best == 5
    assert strip_citations(sentence) == "The Eiffel Tower is 330 metres tall ."


@pytest.mark.parametrize("text", ["[a]", "[]", "[1.5]", "[1,]", "(1)"])
def test_what_is_not_a_citation_is_neither_parsed_nor_stripped(text: str) -> None:
    assert parse_citations(text) == [] and strip_citations(text) == text
