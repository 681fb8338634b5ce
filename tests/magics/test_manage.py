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
        # CPU time of this process, not wall time: other processes on a shared machine
        # (the rest of the test run, a browser) stretch wall time, not this
        start = time.process_time()
        ip.run_line_magic("load_ext", "embmagic")
        elapsed = time.process_time() - start
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


def _embed_many(ip: InteractiveShell, n: int = 120) -> None:
    body = "\n".join(f"note {i} word{i % 7}" for i in range(n))
    ip.run_cell_magic("embed", "big --meta src=t", body)


def test_index_rebuilds_in_another_kind_and_info_shows_it(
    ip: InteractiveShell, snap: Callable[[], dict[str, Any]], magics: Any
) -> None:
    _embed_many(ip)
    before = snap()
    result = ip.run_line_magic("emb", "index big --kind hnsw --m 16 --ef-search 64")
    assert "hnsw (M=16, ef_search=64" in str(result.data["kind"])
    assert result.data["estimate"].vectors == 120 and "estimated" in result.message
    assert snap() == before
    info = ip.run_line_magic("emb", "info big").to_pandas().set_index("property")["value"]
    assert info["kind"].startswith("hnsw (M=16") and info["vectors"] == "120"
    assert "index" in info["bytes in memory"] and info["on disk"] == "no"
    ip.run_line_magic("emb", "index big --kind ivfpq --nlist 2 --m 8")
    assert magics.session.collection("big").kind == "ivfpq"
    assert ip.run_line_magic("neighbors", "note 5 word5 -c big -k 1")[0].text == "note 5 word5"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("index big --kind ivfpq --m 5", "must divide"),
        ("index big --kind ivfpq --nlist 1000", "nlist=1000"),
        ("index big --kind flat --nlist 4", "--nlist works only with --kind ivfpq"),
        ("index big --kind ivfpq --ef-search 9", "--ef-search works only with --kind hnsw"),
        ("index big --kind hnsw --on-disk x", "--on-disk works only with --kind ivfpq"),
        ("index big", "usage: %emb index COLL --kind"),
        ("index nope --kind flat", "no collection named 'nope'"),
        ("info big --kind flat", "--kind work only with %emb index"),
        ("index big --kind ivfpq --on-disk {bad} --m 5", "must divide"),
    ],
)
def test_bad_index_requests_are_one_line_and_change_nothing(
    ip: InteractiveShell, snap: Callable[[], dict[str, Any]], magics: Any, tmp_path: Path,
    line: str, message: str,
) -> None:
    from IPython.core.error import UsageError

    _embed_many(ip)
    ip.run_line_magic("emb", "index big --kind hnsw")
    coll = magics.session.collection("big")
    before = (snap(), coll.kind, coll.index_params, coll.index_status)
    with pytest.raises(UsageError, match=message) as info:
        ip.run_line_magic("emb", line.replace("{bad}", str(tmp_path / "bad")))
    assert "\n" not in str(info.value)
    coll = magics.session.collection("big")
    assert (snap(), coll.kind, coll.index_params, coll.index_status) == before
    assert not (tmp_path / "bad").exists()


def test_big_index_needs_yes(ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    from IPython.core.error import UsageError

    from embmagic.app import manage

    _embed_many(ip)
    monkeypatch.setattr(manage, "available_ram", lambda: 1_000)
    with pytest.raises(UsageError, match="add --yes"):
        ip.run_line_magic("emb", "index big --kind hnsw")
    assert "hnsw" in ip.run_line_magic("emb", "index big --kind hnsw --yes").data["kind"]


def test_index_on_disk_replaces_the_collection_read_only(
    ip: InteractiveShell, magics: Any, tmp_path: Path
) -> None:
    from IPython.core.error import UsageError

    from embmagic.store.ondisk import DiskCollection

    _embed_many(ip)
    records = magics.session.collection("big").records()
    path = tmp_path / "big-disk"
    result = ip.run_line_magic("emb", f"index big --kind ivfpq --on-disk {path}")
    disk = magics.session.collection("big")
    assert isinstance(disk, DiskCollection) and disk.records() == records
    assert "on disk" in result.message and result.data["memory"].disk_bytes > 0
    assert ip.run_line_magic("neighbors", "note 7 word0 -c big -k 1")[0].text == "note 7 word0"
    info = ip.run_line_magic("emb", "info big").to_pandas().set_index("property")["value"]
    assert str(path) in info["on disk"] and info["kind"].startswith("ivfpq")
    encoded = sum(e.encoded_count for e in magics.session.engines.values())
    ip.user_ns["more"] = ["another note", "and one more"]
    for run in (lambda: ip.run_cell_magic("embed", "big", "another note"),
                lambda: ip.run_line_magic("embed", "big --from more")):
        with pytest.raises(UsageError, match="read-only"):
            run()
    assert sum(e.encoded_count for e in magics.session.engines.values()) == encoded  # refused
    assert disk.records() == records  # before encoding; nothing changed
    ip.run_line_magic("emb", f"load {path} --as again")
    assert isinstance(magics.session.collection("again"), DiskCollection)


def test_index_into_lancedb_keeps_hits_and_takes_new_embeds(
    ip: InteractiveShell, magics: Any, tmp_path: Path
) -> None:
    from IPython.core.error import UsageError

    from embmagic.store.lance import LanceCollection

    _embed_many(ip)
    records = magics.session.collection("big").records()
    queries = ("note 7 word0", "word3", "note 99")
    before = [list(ip.run_line_magic("neighbors", f"{q} -c big -k 5")) for q in queries]
    path = tmp_path / "big-lance"
    result = ip.run_line_magic("emb", f"index big --kind lancedb --on-disk {path}")
    lance = magics.session.collection("big")
    assert isinstance(lance, LanceCollection) and lance.records() == records
    assert "in LanceDB" in result.message and result.data["memory"].disk_bytes > 0
    after = [list(ip.run_line_magic("neighbors", f"{q} -c big -k 5")) for q in queries]
    for got, want in zip(after, before, strict=True):
        assert [(h.id, h.text, h.metadata) for h in got] == [
            (h.id, h.text, h.metadata) for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-6)
    info = ip.run_line_magic("emb", "info big").to_pandas().set_index("property")["value"]
    assert info["kind"] == "lancedb" and str(path) in info["on disk"]
    added = ip.run_cell_magic("embed", "big", "another note\nnote 7 word0")
    assert added.added == [120] and len(added.existing) == 1
    assert LanceCollection.open(path).get(120).text == "another note"
    assert ip.run_line_magic("neighbors", "another note -c big -k 1")[0].text == "another note"
    with pytest.raises(UsageError, match="--kind lancedb needs --on-disk PATH"):
        ip.run_line_magic("emb", "index big --kind lancedb")
    with pytest.raises(UsageError, match="lancedb collection searches exactly"):
        ip.run_line_magic("emb", "index big --kind hnsw")


def test_a_refused_option_value_is_one_line_and_rolled_back(
    ip: InteractiveShell, caplog: pytest.LogCaptureFixture
) -> None:
    magics = ip.magics_manager.registry["EmbMagics"]
    ip.run_line_magic("config", "EmbMagics.k = 0")  # IPython logs the error, one line
    assert "EmbMagics.k must be at least 1, got 0" in caplog.text
    assert magics.k == 5 and magics.session.options.k == 5  # %config kept the old value


def test_emb_subcommands_have_their_own_parsers_and_help(ip: InteractiveShell) -> None:
    from IPython.core.error import UsageError

    with capture_output() as captured:
        ip.run_line_magic("emb", "index --help")
    assert "usage: %emb index COLL [options]" in captured.stdout
    assert "--ef-search" in captured.stdout and "--nlist" in captured.stdout  # from the kinds
    with capture_output() as overview:
        ip.run_line_magic("emb", "--help")
    assert "%emb save COLL PATH" in overview.stdout and "%emb map COLL ..." in overview.stdout
    with pytest.raises(UsageError, match=r"^%emb list: unrecognized arguments: --bogus"):
        ip.run_line_magic("emb", "list --bogus")
