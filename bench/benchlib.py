"""What several benchmarks share: the side-by-side table they print, clustered test vectors.

Imported by the scripts in this folder (`python bench/x.py` puts bench/ on sys.path).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def print_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns as wide as their widest cell, a rule under the header."""
    table = [tuple(head), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def clustered(n: int, centres: int, seed: int, dim: int = 384) -> np.ndarray:
    """n unit vectors (float32) scattered tightly around `centres` random centres."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim)).astype(np.float32)
    x = rng.standard_normal((n, dim), dtype=np.float32) / np.float32(np.sqrt(dim))
    x += middle[rng.integers(0, centres, n)]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x
