"""Index parameters stay in what FAISS can take; hostile manifests and failed writes are one
typed error, never an OverflowError, RecursionError or FAISS RuntimeError later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_helpers import DIM, make, texts, unit_vectors

from embmagic.errors import InvalidArgumentError, StoreFormatError
from embmagic.store import Collection
from embmagic.store.kinds import KINDS
from embmagic.store.kinds.base import INT32_MAX
from embmagic.store.persist import parse_json


def saved_hnsw(tmp_path: Path) -> Path:
    store = Collection("c", "fake-32", DIM, "hnsw")
    store.add(texts(10), unit_vectors(10), None)
    store.save(tmp_path / "c")
    return tmp_path / "c"


def edit_manifest(path: Path, change: Any) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    change(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_every_parameter_has_a_bound_faiss_can_take() -> None:
    for cls in KINDS.values():
        for spec in cls.param_specs:
            assert 1 <= spec.maximum <= INT32_MAX, (cls.kind, spec.name)


@pytest.mark.parametrize("value", [10**20, INT32_MAX + 1, 1_000_001, 0, -1, 1.5, True, "7"])
def test_an_out_of_range_parameter_is_refused_when_the_collection_is_made(value: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="ef_search must be an integer from 1 to"):
        Collection("c", "fake-32", DIM, "hnsw", ef_search=value)


def test_the_largest_accepted_parameter_still_searches() -> None:
    store = Collection("c", "fake-32", DIM, "hnsw", ef_search=1_000_000)
    store.add(texts(5), unit_vectors(5), None)
    assert store.search(unit_vectors(1)[0], k=2)[0][0].id in range(5)


@pytest.mark.parametrize("value", [10**20, INT32_MAX + 1, 0])
def test_an_out_of_range_parameter_in_a_manifest_is_a_format_error(
    tmp_path: Path, value: int
) -> None:
    path = saved_hnsw(tmp_path)
    edit_manifest(path, lambda m: m["params"].update(ef_search=value))
    with pytest.raises(StoreFormatError, match="ef_search must be an integer from 1 to"):
        Collection.load(path)


@pytest.mark.parametrize(("field", "text"), [
    ("next_id", "1e400"), ("dim", "1e400"), ("dim", "-1e400"), ("next_id", "NaN"),
    ("next_id", "Infinity"), ("next_id", "1" + "0" * 30), ("tombstones", "[1e400]"),
    ("params", '{"ef_search": 1e400}'),
])
def test_a_manifest_number_out_of_range_is_a_format_error(
    tmp_path: Path, field: str, text: str
) -> None:
    path = saved_hnsw(tmp_path)
    edit_manifest(path, lambda m: m.update({field: "@@"}))
    raw = (path / "manifest.json").read_text().replace('"@@"', text)
    (path / "manifest.json").write_text(raw)
    with pytest.raises(StoreFormatError) as caught:
        Collection.load(path)
    assert "\n" not in str(caught.value)


def test_a_deeply_nested_manifest_is_a_format_error_not_a_recursion_error(
    tmp_path: Path
) -> None:
    path = saved_hnsw(tmp_path)
    deep = "[" * 100_000 + "]" * 100_000
    edit_manifest(path, lambda m: m.update(params="@@"))
    (path / "manifest.json").write_text(
        (path / "manifest.json").read_text().replace('"@@"', deep))
    with pytest.raises(StoreFormatError, match="nested too deeply"):
        Collection.load(path)


def test_a_deeply_nested_record_is_a_format_error(tmp_path: Path) -> None:
    path = saved_hnsw(tmp_path)
    (path / "records.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    edit_manifest(path, lambda m: m["files"]["records.jsonl"].update(
        sha256=__import__("hashlib").sha256((path / "records.jsonl").read_bytes()).hexdigest()))
    with pytest.raises(StoreFormatError, match="not a valid record"):
        Collection.load(path)


def test_parse_json_refuses_what_would_overflow_later() -> None:
    assert parse_json('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    for text in ("1e400", "-1e400", "NaN", "Infinity", "[" * 50_000 + "]" * 50_000):
        with pytest.raises(ValueError):
            parse_json(text)


def test_a_failed_faiss_write_is_an_os_error_and_keeps_the_previous_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    store = make("flat", name="c")
    store.add(texts(5), unit_vectors(5), None)
    store.save(tmp_path / "c")
    before = sorted((p.name, p.read_bytes()) for p in (tmp_path / "c").iterdir())
    store.add(["more"], unit_vectors(1, seed=3), None)

    def full_disk(*args: Any) -> None:
        raise RuntimeError("Error in faiss::FileIOWriter::operator() Error: 'ret == (n)' "
                           "failed: write error")

    monkeypatch.setattr(faiss, "write_index", full_disk)
    with pytest.raises(OSError, match=r"could not write .*: 'ret == \(n\)' failed: write error"):
        store.save(tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # no temporary left behind
    assert sorted((p.name, p.read_bytes()) for p in (tmp_path / "c").iterdir()) == before
    monkeypatch.undo()
    assert len(Collection.load(tmp_path / "c")) == 5
    assert np.array_equal(np.sort(Collection.load(tmp_path / "c").ids()), np.arange(5))
