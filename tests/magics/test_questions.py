"""Questions ending in `?` reach the magics; `%rag?` alone is still help; the one collection
is used when no -c is given; `{var}` expansion refuses private attributes and broken str()."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from embmagic.magics.questions import keep_questions
from tests.conftest import magics_of


@pytest.fixture
def notes(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell_magic("embed", "notes", "The train from Lisbon to Porto takes three hours.\n"
                      "Cats sleep all afternoon.")  # fmt: skip
    return ip


def test_a_question_mark_at_the_end_is_part_of_the_question(notes: InteractiveShell) -> None:
    result = notes.run_cell("answer = %rag How long is the train ride from Lisbon to Porto?")
    assert result.error_in_exec is None and result.error_before_exec is None
    answer = notes.user_ns["answer"]
    assert answer.question == "How long is the train ride from Lisbon to Porto?"
    assert "three hours" in answer.answer
    notes.run_cell("hits = %neighbors train to Porto? -c notes -k 1")
    assert notes.user_ns["hits"].query == "train to Porto?"


def test_the_magic_alone_with_a_question_mark_is_still_help(notes: InteractiveShell) -> None:
    for line in ("%rag?", "%neighbors?", "%analogy?"):
        with capture_output() as out:
            notes.run_cell(line)
        name = line.split("?")[0].strip()
        assert "Docstring" in out.stdout and f"{name} [-" in out.stdout, (line, out.stdout)
        assert "::" not in out.stdout.splitlines()  # no stray reST marker line


def test_the_transformer_rewrites_only_our_line_magics() -> None:
    assert keep_questions(["%rag Why?\n"]) == ["get_ipython().run_line_magic('rag', 'Why?')\n"]
    assert keep_questions(["  x = %neighbors 'it''s'?"]) == [
        "  x = get_ipython().run_line_magic('neighbors', \"'it''s'?\")"]
    for kept in (["%rag?\n"], ["%rag ??\n"], ["len?\n"], ["%timeit x?\n"],
                 ["%%rag Why?\n", "body?\n"], ["%rag no question\n"]):
        assert keep_questions(kept) == kept


def test_unload_removes_the_transformer(ip: InteractiveShell) -> None:
    assert keep_questions in ip.input_transformers_cleanup
    ip.extension_manager.unload_extension("embmagic")
    assert keep_questions not in ip.input_transformers_cleanup
    ip.extension_manager.load_extension("embmagic")


def test_the_only_collection_is_used_without_c(notes: InteractiveShell) -> None:
    res = notes.run_line_magic("rag", "How long is the train?")
    assert res.collection == "notes" and res.sources
    assert notes.run_line_magic("neighbors", "cats").collection == "notes"
    notes.run_cell_magic("embed", "other", "red car")
    with pytest.raises(UsageError, match=r"no collection named 'default' \(collections: notes, "
                                         r"other\)"):
        notes.run_line_magic("rag", "How long is the train?")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("{x.__class__}", "attributes starting with '_'"), ("{big}", "could not be made")],
)
def test_brace_expansion_refuses_private_attributes_and_broken_str(
    notes: InteractiveShell, value: str, fragment: str
) -> None:
    notes.user_ns.update(x=1, big=10**5000)
    before = [r.text for r in magics_of(notes).session.collection("notes").records()]
    with pytest.raises(UsageError, match=fragment) as caught:
        notes.run_cell_magic("embed", "notes", value)
    assert "\n" not in str(caught.value)
    assert [r.text for r in magics_of(notes).session.collection("notes").records()] == before
