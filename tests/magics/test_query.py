"""%neighbors and %analogy through a real shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

ANIMALS = "small cat sleeps\nbig dog barks\nsmall cat plays\nred car drives\n"


@pytest.fixture
def animals(ip: InteractiveShell) -> InteractiveShell:
    ip.run_cell("%%embed animals\n" + ANIMALS, store_history=True).raise_error()
    return ip


def test_free_text_query_without_quotes(animals: InteractiveShell) -> None:
    hits = animals.run_line_magic("neighbors", "small cat -c animals -k 2")
    assert hits.query == "small cat"
    assert [h.text for h in hits] == ["small cat sleeps", "small cat plays"] or [
        h.text for h in hits
    ] == ["small cat plays", "small cat sleeps"]
    assert len(hits) == 2


def test_options_may_come_first_and_quotes_work(animals: InteractiveShell) -> None:
    hits = animals.run_line_magic("neighbors", "-c animals -k 1 'big dog'")
    assert hits.query == "big dog"
    assert hits[0].text == "big dog barks"


def test_line_magic_result_binds_in_user_ns(animals: InteractiveShell) -> None:
    animals.run_cell("hits = %neighbors red car -c animals -k 1").raise_error()
    assert animals.user_ns["hits"][0].text == "red car drives"


def test_default_k_and_collection_from_config(animals: InteractiveShell, magics: Any) -> None:
    magics.collection = "animals"
    magics.k = 3
    assert len(animals.run_line_magic("neighbors", "cat")) == 3


def test_brace_expansion_in_query(animals: InteractiveShell) -> None:
    animals.user_ns["q"] = "red car"
    hits = animals.run_line_magic("neighbors", "{q} -c animals -k 1")
    assert hits.query == "red car"
    assert hits[0].text == "red car drives"


def test_where_filters_by_metadata(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "m --meta lang=en", "small cat sleeps")
    ip.run_cell_magic("embed", "m --meta lang=fr", "small cat dort")
    hits = ip.run_line_magic("neighbors", "small cat -c m --where lang=fr")
    assert [h.text for h in hits] == ["small cat dort"]


def test_where_on_a_key_no_record_has_is_empty_not_error(animals: InteractiveShell) -> None:
    hits = animals.run_line_magic("neighbors", "cat -c animals --where nosuchkey=1")
    assert len(hits) == 0
    assert "0 neighbours" in hits._repr_mimebundle_()["text/plain"]


def test_by_id_excludes_the_record_itself(animals: InteractiveShell, magics: Any) -> None:
    first = magics.session.collections["animals"].records()[0]
    hits = animals.run_line_magic("neighbors", f"--id {first.id} -c animals -k 1")
    assert hits[0].text == "small cat plays"


def test_mmr_returns_k_distinct_hits(animals: InteractiveShell) -> None:
    hits = animals.run_line_magic("neighbors", "small cat -c animals -k 3 --mmr")
    assert len({h.id for h in hits}) == 3


def test_neighbors_table_to_pandas(animals: InteractiveShell) -> None:
    frame = animals.run_line_magic("neighbors", "cat -c animals -k 2").to_pandas()
    assert list(frame.columns) == ["rank", "score", "text", "id", "cell"]
    assert list(frame["rank"]) == [1, 2]


def test_to_pandas_spreads_metadata_into_columns(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "m --meta text=shadow --meta lang=en", "small cat")
    ip.run_cell_magic("embed", "m", "small dog")
    frame = ip.run_line_magic("neighbors", "small cat -c m -k 2").to_pandas()
    assert list(frame.columns) == ["rank", "score", "text", "id", "cell", "lang", "meta.text"]
    assert list(frame["text"]) == ["small cat", "small dog"]
    assert frame["lang"][0] == "en" and frame["meta.text"][0] == "shadow"
    assert frame["lang"].isna()[1] and frame["meta.text"].isna()[1]  # the dog has neither


def test_analogy_in_a_collection_space(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "words", "king\nqueen\nman\nwoman\napple\n")
    result = ip.run_line_magic("analogy", "king - man + woman --space words -k 2")
    assert len(result) == 2
    assert {w for w, _ in result.answers}.isdisjoint({"king", "man", "woman"})
    with_inputs = ip.run_line_magic("analogy", "king - man + woman --space words --include-inputs")
    assert len(with_inputs) == 5


@pytest.mark.model
def test_glove_king_man_woman_gives_queen(ip: InteractiveShell) -> None:
    result = ip.run_line_magic("analogy", "king - man + woman")
    assert result.best == "queen"
    assert result.answers[0][0] == "queen"
    proportion = ip.run_line_magic("analogy", "man:king::woman:? --method mul")
    assert proportion.best == "queen"


@pytest.mark.model
def test_glove_analogy_eval_matches_gensim_small_file(ip: InteractiveShell, tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text(
        ": capital\nathens greece berlin germany\nparis france rome italy\n"
        "paris france zzzqqq italy\n: family\nboy girl brother sister\n"
    )
    result = ip.run_line_magic("analogy", f"--eval {path}")
    assert [s.name for s in result.sections] == ["capital", "family"]
    assert result.total == 3
    assert result.skipped == 1
    plain = result._repr_mimebundle_()["text/plain"]
    assert "total" in plain and "1 questions skipped" in plain


def google_analogies() -> Path:
    """The Google analogy file shipped in gensim's wheel (a test dependency)."""
    import importlib.util

    spec = importlib.util.find_spec("gensim")
    assert spec is not None and spec.submodule_search_locations, "the test extra installs gensim"
    return Path(spec.submodule_search_locations[0]) / "test" / "test_data" / "questions-words.txt"


@pytest.mark.model
@pytest.mark.slow
def test_glove_google_analogy_eval_equals_gensim(ip: InteractiveShell) -> None:
    """gensim's evaluate_word_analogies on GloVe-50 (top 300k words, case-insensitive) gives
    9036 / 19486 = 0.4637 with 58 questions skipped (measured once; gensim takes ~60 s)."""
    result = ip.run_line_magic("analogy", f"--eval {google_analogies()}")
    assert (result.correct, result.total) == (9036, 19486)
    assert f"{result.accuracy:.4f}" == "0.4637"
    assert "capital-common-countries" in result._repr_mimebundle_()["text/plain"]
