"""Corrupt saves are refused at open, with one line: checksums, the on-disk format's invariants,
and a manifest kind that does not match the index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from store_helpers import make, texts, unit_vectors

from embmagic.errors import StoreFormatError
from embmagic.store import Collection, ondisk, open_collection
from embmagic.store.ondisk import DiskCollection


@pytest.fixture
def disk_path(tmp_path: Path) -> Path:
    store = make("flat")
    store.add(texts(80), unit_vectors(80))
    store.delete([5])
    store.to_disk(tmp_path / "d")
    return tmp_path / "d"


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def refused(path: Path, match: str) -> None:
    with pytest.raises(StoreFormatError, match=match) as info:
        open_collection(path)
    assert "\n" not in str(info.value)


def test_every_on_disk_file_is_hashed_at_write(disk_path: Path) -> None:
    files = json.loads((disk_path / "manifest.json").read_text())["files"]
    assert all(len(entry["sha256"]) == 64 for entry in files.values())
    assert set(files) == {*ondisk.FILES, "lexical.npz"}


@pytest.mark.parametrize("name", ["ids.npy", "order.npy", "vectors.f16", "records.parquet"])
def test_a_flipped_byte_in_a_small_file_is_refused(disk_path: Path, name: str) -> None:
    flip(disk_path / name, -3)
    refused(disk_path, "SHA-256")


@pytest.mark.parametrize(("name", "offset", "match"), [
    ("ids.npy", -8 * 3 + 1, "distinct ids|outside"),  # a high byte of one id
    ("order.npy", -8 * 2, "permutation|distinct"),
    ("ids.npy", 20, "readable|int64"),  # the .npy header
])
def test_without_hashes_the_row_invariants_still_catch_flips(
        disk_path: Path, name: str, offset: int, match: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Files above HASH_AT_OPEN_MAX are only size-checked: ids/order are still checked."""
    monkeypatch.setattr(ondisk, "HASH_AT_OPEN_MAX", 0)
    flip(disk_path / name, offset)
    refused(disk_path, match)


def test_vectors_above_the_threshold_are_checked_by_size(
        disk_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ondisk, "HASH_AT_OPEN_MAX", 0)
    with open(disk_path / "vectors.f16", "r+b") as fh:
        fh.truncate(100)
    refused(disk_path, "bytes")


def test_an_on_disk_manifest_with_another_kind_is_refused(disk_path: Path) -> None:
    manifest = json.loads((disk_path / "manifest.json").read_text())
    manifest["kind"] = "flat"
    (disk_path / "manifest.json").write_text(json.dumps(manifest))
    refused(disk_path, "always ivfpq")


def test_a_good_on_disk_save_opens(disk_path: Path) -> None:
    opened = open_collection(disk_path)
    assert isinstance(opened, DiskCollection) and len(opened) == 79
    np.testing.assert_array_equal(np.sort(opened.ids()), [i for i in range(80) if i != 5])


def test_an_ivfpq_manifest_over_a_flat_index_is_refused(tmp_path: Path) -> None:
    """An untrained ivfpq holds fewer than its training size; more means the index is flat."""
    store = make("flat")
    store.add(texts(50), unit_vectors(50))
    store.save(tmp_path / "c")
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    manifest["kind"], manifest["params"] = "ivfpq", {"nlist": 1}  # would train at 39
    (tmp_path / "c" / "manifest.json").write_text(json.dumps(manifest))
    refused(tmp_path / "c", "the index is a flat index of 50 vectors")


def test_a_real_untrained_ivfpq_save_still_loads(tmp_path: Path) -> None:
    store = Collection("q", "m", 8, "ivfpq", nlist=1)
    store.add(texts(30), unit_vectors(30, 8))
    store.save(tmp_path / "q")
    assert Collection.load(tmp_path / "q").index_status == store.index_status
