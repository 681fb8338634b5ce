"""%emb subcommands, %load_ext behaviour, %config, completion."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


def test_load_ext_is_fast_and_imports_no_heavy_library() -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        start = time.perf_counter()
        ip.run_line_magic("load_ext", "embmagic")
        elapsed = time.perf_counter() - start
        heavy = ("torch", "sentence_transformers", "faiss", "pandas")
        heavy = [m for m in heavy if m in sys.modules]
        print(heavy, elapsed)
        assert not heavy, heavy
        assert elapsed <= 0.3, elapsed
        assert "neighbors" in ip.magics_manager.magics["line"]
        assert "embed" in ip.magics_manager.magics["cell"]
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_all_magics_registered(ip: InteractiveShell) -> None:
    line = ip.magics_manager.magics["line"]
    cell = ip.magics_manager.magics["cell"]
    assert {"embed", "neighbors", "analogy", "rag", "emb"} <= set(line)
    assert {"embed", "rag"} <= set(cell)


def test_unload_removes_magics(ip: InteractiveShell) -> None:
    ip.extension_manager.unload_extension("embmagic")
    assert "neighbors" not in ip.magics_manager.magics["line"]
    ip.extension_manager.load_extension("embmagic")
    assert "neighbors" in ip.magics_manager.magics["line"]


def test_config_lists_and_sets_options(ip: InteractiveShell, magics: Any) -> None:
    with capture_output() as captured:
        ip.run_line_magic("config", "EmbMagics")
    for option in (
        "model",
        "collection",
        "k",
        "device",
        "batch_size",
        "display_limit",
        "generator",
        "show_progress",
    ):
        assert f"EmbMagics.{option}" in captured.stdout
    ip.run_line_magic("config", "EmbMagics.k = 7")
    assert magics.k == 7


def test_help_flag_prints_usage(ip: InteractiveShell) -> None:
    with capture_output() as captured:
        assert ip.run_line_magic("neighbors", "--help") is None
    assert "%neighbors" in captured.stdout
    assert "--mmr" in captured.stdout


def test_list_info_drop(ip: InteractiveShell, snap: Callable[[], dict[str, Any]]) -> None:
    ip.run_cell_magic("embed", "a --meta lang=en", "one\ntwo")
    listing = ip.run_line_magic("emb", "list")
    plain = listing._repr_mimebundle_()["text/plain"]
    assert plain.splitlines()[0] == "1 collection"
    assert "fake-64" in plain
    assert list(listing.to_pandas()["name"]) == ["a"]
    info = ip.run_line_magic("emb", "info a")._repr_mimebundle_()["text/plain"]
    assert "cell, lang" in info
    ip.run_line_magic("emb", "drop a")
    assert snap() == {}


def test_save_and_load_roundtrip(
    ip: InteractiveShell, snap: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    ip.run_cell_magic("embed", "a", "one cat\ntwo dogs")
    before = snap()["a"]
    ip.run_line_magic("emb", f"save a {tmp_path / 'a'}")
    ip.run_line_magic("emb", f"load {tmp_path / 'a'} --as b")
    after = snap()
    assert after["b"][2] == before[2]
    assert after["b"][3] == before[3]
    hits = ip.run_line_magic("neighbors", "cat -c b -k 1")
    assert hits[0].text == "one cat"


def test_models_and_device(ip: InteractiveShell) -> None:
    models = ip.run_line_magic("emb", "models")
    names = list(models.to_pandas()["name"])
    assert "minilm" in names and "glove-50" in names
    device = ip.run_line_magic("emb", "device")
    assert device.data["device"] in ("cpu", "cuda", "mps")


def complete(ip: InteractiveShell, line: str) -> list[str]:
    _, matches = ip.Completer.complete(line_buffer=line, cursor_pos=len(line))
    return list(matches)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_completion_of_collection_names_and_subcommands(ip: InteractiveShell) -> None:
    ip.run_cell_magic("embed", "animals", "cat")
    ip.run_cell_magic("embed", "apples", "fruit")
    assert complete(ip, "%neighbors cat -c an") == ["animals"]
    assert complete(ip, "%neighbors cat -c ") == ["animals", "apples"]
    assert complete(ip, "%emb dr") == ["drop"]
    assert complete(ip, "%emb info ap") == ["apples"]
    assert "models" in complete(ip, "%emb ")
