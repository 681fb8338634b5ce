"""2-D projections for maps: PCA by default, UMAP when `umap-learn` is installed and asked for.

A `Projection` is fitted once and then places any vector, so a query typed into a map lands
where its own vector says, by the same transform as every record. Fitting is seeded and PCA's
component signs are fixed, so the same data always gives the same picture. Output coordinates
are centred and scaled by one factor (aspect kept) into [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.errors import InvalidArgumentError, ModelNotFoundError

METHODS = ("pca", "umap")
FIT_SAMPLE = 50_000
"""Rows a projection is fitted on (a seeded sample when there are more); all rows are placed."""

Coords = npt.NDArray[np.float32]


@dataclass
class Projection:
    """A fitted map from d-dimensional vectors to 2-D coordinates in [-1, 1]."""

    method: str
    mean: npt.NDArray[np.float64]
    components: npt.NDArray[np.float64] | None  # (2, d) for PCA
    model: Any  # the fitted UMAP, or None
    center: npt.NDArray[np.float64]
    scale: float

    def transform(self, vectors: npt.ArrayLike) -> Coords:
        """2-D coordinates of `vectors` (n, d), in the map's frame (float32, n x 2)."""
        raw = self._raw(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
        return ((raw - self.center) * self.scale).astype(np.float32)

    def _raw(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        if self.components is not None:
            out = np.empty((len(vectors), 2))
            for start in range(0, len(vectors), 65_536):  # bounded temporaries at 1M rows
                block = vectors[start : start + 65_536].astype(np.float64) - self.mean
                out[start : start + len(block)] = block @ self.components.T
            return out
        return np.asarray(self.model.transform(vectors), dtype=np.float64)


def fit_projection(
    vectors: npt.ArrayLike, method: str = "pca", *, seed: int = 0, sample: int = FIT_SAMPLE
) -> tuple[Projection, Coords]:
    """Fit a projection on `vectors` (n, d) and return it with the coordinates of every row."""
    data = np.asarray(vectors, dtype=np.float32)
    if data.ndim != 2 or len(data) == 0:
        msg = "a map needs at least one vector: add records to the collection first"
        raise InvalidArgumentError(msg)
    if method not in METHODS:
        msg = f"unknown projection {method!r}: use one of {', '.join(METHODS)}"
        raise InvalidArgumentError(msg)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(data), sample, replace=False)) if len(data) > sample else None
    fit_on = data if rows is None else data[rows]
    if method == "pca":
        mean, components = _pca(fit_on)
        projection = Projection("pca", mean, components, None, np.zeros(2), 1.0)
    else:
        projection = Projection("umap", np.zeros(0), None, _umap(fit_on, seed), np.zeros(2), 1.0)
    raw = projection._raw(data)
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    projection.center = (lo + hi) / 2
    half = float(np.max(hi - lo)) / 2
    projection.scale = 1.0 / half if half > 0 else 1.0
    return projection, ((raw - projection.center) * projection.scale).astype(np.float32)


def _pca(data: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean and the top two principal axes, each signed so its largest loading is positive."""
    mean = data.mean(axis=0, dtype=np.float64)
    centred = data.astype(np.float64) - mean
    if len(data) == 1 or not np.any(centred):
        components = np.zeros((2, data.shape[1]))
        components[0, 0] = 1.0
        if data.shape[1] > 1:
            components[1, 1] = 1.0
        return mean, components
    # Eigenvectors of the d x d scatter matrix: the same axes as an SVD, far cheaper for n >> d.
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1][:2]
    components = np.zeros((2, data.shape[1]))
    components[: len(order)] = vectors[:, order].T
    for row in components:
        pivot = int(np.argmax(np.abs(row)))
        if row[pivot] < 0:
            row *= -1
    return mean, components


def _umap(data: npt.NDArray[np.float32], seed: int) -> Any:
    try:
        import umap
    except ImportError as exc:
        msg = 'method "umap" needs umap-learn: pip install "embmagic[umap]" (or use pca)'
        raise ModelNotFoundError(msg) from exc
    if len(data) < 3:
        raise InvalidArgumentError("UMAP needs at least 3 vectors; use method pca")
    reducer = umap.UMAP(n_components=2, random_state=seed, n_neighbors=min(15, len(data) - 1))
    return reducer.fit(data)
