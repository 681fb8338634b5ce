"""Arrays on the wire: `{"view": memoryview, "dtype": str, "shape": [...]}` (docs/widgets.md).

ipywidgets sends any memoryview inside a trait value as a binary websocket frame, so arrays
never become JSON lists of numbers. The front end decodes them in `js/src/buffers.ts`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

DTYPES = ("float32", "uint8", "uint16", "int32", "uint32")
Wire = dict[str, Any]


def to_wire(array: npt.ArrayLike, dtype: str) -> Wire:
    """The wire form of `array` as `dtype` (little-endian, C order; no copy when it already is)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} cannot travel to the front end: use one of {DTYPES}")
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"view": data.data.cast("B"), "dtype": dtype, "shape": list(data.shape)}


def from_wire(wire: Wire) -> npt.NDArray[Any]:
    """The array a wire value holds (read-only view of its bytes)."""
    dtype = np.dtype(wire["dtype"]).newbyteorder("<")
    shape = tuple(int(n) for n in wire["shape"])
    return np.frombuffer(wire["view"], dtype=dtype).reshape(shape)


def empty_wire(dtype: str, columns: int | None = None) -> Wire:
    """A wire value holding no rows."""
    shape = (0,) if columns is None else (0, columns)
    return to_wire(np.zeros(shape), dtype)
