"""Input checks shared by every store: each raises a typed error before anything is changed."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.errors import DimensionMismatchError, InvalidArgumentError, utf8
from embmagic.types import Metadata, Vectors

IdArray = npt.NDArray[np.int64]

_NORM_TOLERANCE = 1e-4
"""Vectors whose norm is within this of 1 are stored bit-for-bit as given (engine output)."""


def content_hash(text: str) -> str:
    """SHA-256 of the UTF-8 text: the identity used to skip texts already stored
    (InvalidArgumentError for a lone surrogate, which has no UTF-8 bytes)."""
    return hashlib.sha256(utf8(text)).hexdigest()


def digest_array(hex_digests: Iterable[str]) -> np.ndarray:
    """`content_hash` digests as a sorted `S32` array of raw bytes (for `np.searchsorted`)."""
    return np.sort(np.array([bytes.fromhex(h) for h in hex_digests], dtype="S32"))


def check_texts(texts: Sequence[str]) -> list[str]:
    """A list of str; a bare str is refused since iterating it would store one record per char."""
    if isinstance(texts, (str, bytes)):
        msg = "texts must be a list of strings, not a single string"
        raise InvalidArgumentError(msg)
    out = list(texts)
    bad = next((t for t in out if not isinstance(t, str)), None)
    if bad is not None:
        msg = f"texts must be strings, got {type(bad).__name__}"
        raise InvalidArgumentError(msg)
    return out


def check_vectors(vectors: Any, n: int, dim: int, *, what: str = "vectors") -> Vectors:
    """(n, dim) finite, non-zero float rows -> C-contiguous float32 with unit norm."""
    arr = _as_float_array(vectors, what)
    if arr.ndim == 1 and arr.size == 0 and n == 0:
        arr = arr.reshape(0, dim)
    if arr.ndim != 2:
        msg = f"{what} must be a 2-D array (n, {dim}), got shape {arr.shape}"
        raise InvalidArgumentError(msg)
    if arr.shape[1] != dim:
        msg = f"{what} are {arr.shape[1]}-d but the collection is {dim}-d"
        raise DimensionMismatchError(msg)
    if arr.shape[0] != n:
        msg = f"got {n} texts but {arr.shape[0]} {what}"
        raise InvalidArgumentError(msg)
    return normalise(arr, what)


def check_queries(vectors: Any, dim: int) -> Vectors:
    """One query (dim,) or a batch (q, dim) -> (q, dim) normalised float32."""
    arr = _as_float_array(vectors, "query vectors")
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        msg = f"query vectors must be 1-D or 2-D, got shape {arr.shape}"
        raise InvalidArgumentError(msg)
    if arr.shape[1] != dim:
        msg = f"query vectors are {arr.shape[1]}-d but the collection is {dim}-d"
        raise DimensionMismatchError(msg)
    return normalise(arr, "query vectors")


def _as_float_array(vectors: Any, what: str) -> npt.NDArray[Any]:
    try:
        arr = np.asarray(vectors)
    except (ValueError, TypeError) as exc:
        msg = f"{what} must be a numeric array: {exc}"
        raise InvalidArgumentError(msg) from exc
    numeric = np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    if arr.dtype == np.bool_ or not numeric:
        msg = f"{what} must hold real numbers, got dtype {arr.dtype}"
        raise InvalidArgumentError(msg)
    return arr


def normalise(arr: npt.NDArray[Any], what: str = "vectors") -> Vectors:
    """Float32 unit rows; rows already of unit norm are left untouched (bit-exact)."""
    out = np.ascontiguousarray(arr, dtype=np.float32)
    if out.size == 0:
        return out
    if not np.isfinite(out).all():
        msg = f"{what} contain NaN or infinite values"
        raise InvalidArgumentError(msg)
    norms = np.linalg.norm(out.astype(np.float64), axis=1)
    if (norms == 0).any():
        msg = f"{what} contain an all-zero row, which has no direction"
        raise InvalidArgumentError(msg)
    off = np.abs(norms - 1.0) > _NORM_TOLERANCE
    if off.any():
        out = out.copy()
        out[off] = (out[off] / norms[off, None]).astype(np.float32)
    return out


def metadata_json(metadata: Metadata) -> str:
    """The canonical JSON text of a metadata dict (as stored in records.jsonl)."""
    return json.dumps(metadata, ensure_ascii=False, allow_nan=False)


def check_metadata(metadata: Any, n: int) -> list[Metadata]:
    """None, one mapping for every record, or one mapping (or None) per record; JSON values only."""
    if metadata is None:
        return [{} for _ in range(n)]
    if isinstance(metadata, Mapping):
        one = _check_mapping(metadata)
        return [json.loads(json.dumps(one)) for _ in range(n)]
    if isinstance(metadata, (str, bytes)) or not isinstance(metadata, Sequence):
        msg = "metadata must be a dict or a list with one dict per text"
        raise InvalidArgumentError(msg)
    if len(metadata) != n:
        msg = f"got {n} texts but {len(metadata)} metadata entries"
        raise InvalidArgumentError(msg)
    return [{} if m is None else _check_mapping(m) for m in metadata]


def _check_mapping(meta: Any) -> Metadata:
    if not isinstance(meta, Mapping):
        msg = f"each metadata entry must be a dict, got {type(meta).__name__}"
        raise InvalidArgumentError(msg)
    _check_json_value(meta, "metadata")
    copied: Metadata = json.loads(json.dumps(meta, allow_nan=False))
    return copied


def _check_json_value(value: Any, path: str) -> None:
    """Scalars, lists and str-keyed dicts only, so records round-trip through JSON unchanged."""
    if value is None or isinstance(value, (str, bool)):
        return
    if isinstance(value, numbers.Integral):
        if not isinstance(value, int):
            msg = f"{path}: use a Python int, not {type(value).__name__}"
            raise InvalidArgumentError(msg)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"{path}: {value} is not valid JSON"
            raise InvalidArgumentError(msg)
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json_value(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                msg = f"{path}: keys must be strings, got {key!r}"
                raise InvalidArgumentError(msg)
            _check_json_value(item, f"{path}.{key}")
        return
    kind = type(value).__name__
    msg = f"{path}: {kind} is not JSON-serialisable (use str, number, bool, list or dict)"
    raise InvalidArgumentError(msg)


def check_ids(ids: Any, n: int) -> list[int] | None:
    """None, or n distinct non-negative integers (FAISS reserves -1 for 'no result')."""
    if ids is None:
        return None
    values = np.asarray(ids).reshape(-1).tolist() if isinstance(ids, np.ndarray) else list(ids)
    if len(values) != n:
        msg = f"got {n} texts but {len(values)} ids"
        raise InvalidArgumentError(msg)
    out = [check_id(v) for v in values]
    if len(set(out)) != len(out):
        msg = "ids must be distinct within one add"
        raise InvalidArgumentError(msg)
    return out


def check_id(value: Any) -> int:
    """A non-negative int64 id."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"ids must be integers, got {value!r}"
        raise InvalidArgumentError(msg)
    out = int(value)
    if not 0 <= out < 2**63:
        msg = f"ids must be between 0 and 2**63 - 1, got {out}"
        raise InvalidArgumentError(msg)
    return out


def check_k(k: Any) -> int:
    """k is a positive int (bools refused: True is an int to Python, not to a user)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) <= 0:
        msg = f"k must be a positive integer, got {k!r}"
        raise InvalidArgumentError(msg)
    return int(k)


def as_id_array(ids: Any) -> IdArray:
    """Any iterable of ids (or one id) as an int64 array."""
    if isinstance(ids, numbers.Integral):
        ids = [ids]
    return np.asarray([check_id(i) for i in np.asarray(ids).reshape(-1).tolist()], dtype=np.int64)
