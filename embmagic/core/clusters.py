"""Clusters of records and the words that name them: spherical k-means and c-TF-IDF.

`cluster_vectors(vectors, k | "auto", seed)` groups unit vectors by cosine with FAISS's k-means
(spherical, seeded: the same vectors and seed always give the same clusters on a CPU). Clusters
are numbered by size, largest first (ties: the one whose first row comes first), so the numbers
do not depend on FAISS's internal order. `"auto"` picks k in 2..min(30, sqrt(n / 2)) by the best
mean silhouette (cosine distance) over a seeded sample; ties go to the smaller k.

`distinctive_words(texts_per_cluster)` names each cluster by class-based TF-IDF (BERTopic's
c-TF-IDF): a word scores high in a cluster when it is frequent there and rare in the others.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from embmagic.errors import InvalidArgumentError

ClusterCount = int | Literal["auto"]
AUTO_MIN, AUTO_MAX = 2, 30
"""The range `"auto"` chooses k from, also capped at sqrt(n / 2) (the rule of thumb for n rows:
without it, silhouette on a few dozen short texts favours many tiny clusters) and n - 1."""
AUTO_SAMPLE = 2_000
"""Rows `"auto"` scores each candidate k on (a seeded sample when there are more)."""
NITER = 20
MAX_POINTS_PER_CENTROID = 1_000
"""FAISS trains on a seeded sample of at most this many rows per cluster; all rows are assigned."""
INIT_SAMPLE = 5_000
"""Rows the k-means++ start is chosen from (a seeded sample when there are more)."""

Labels = npt.NDArray[np.int64]

_WORD = re.compile(r"[^\W\d_]+")  # runs of letters: no digits, no underscores
MIN_WORD = 3
_STOP_WORDS = """
a about above across after afterwards again against all almost alone along already also although
always am among amongst an and another any anyhow anyone anything anyway anywhere are around as at
back be became because become becomes becoming been before beforehand behind being below beside
besides between beyond both but by can cannot could did do does doing done down due during each
either else elsewhere enough etc even ever every everyone everything everywhere except few first
for former formerly from further get gets got had has have having he hence her here hereafter
hereby herein hers herself him himself his how however i ie if in indeed into is it its itself
just keep last latter least less let like made make many may me meanwhile might mine more
moreover most mostly much must my myself namely neither never nevertheless next no nobody none
noone nor not nothing now nowhere of off often on once one only onto or other others otherwise
our ours ourselves out over own per perhaps please put rather re same see seem seemed seeming
seems several she should since so some somehow someone something sometime sometimes somewhere
still such than that the their theirs them themselves then thence there thereafter thereby
therefore therein thereupon these they this those though through throughout thru thus to
together too toward towards under until up upon us use used uses using very via was we well were
what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
whether which while whither who whoever whole whom whose why will with within without would yet
you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""English function words never used as cluster labels (lowercase)."""


def check_cluster_count(k: object, n: int) -> ClusterCount:
    """`k` as given when it can cluster `n` rows: "auto", or a whole number in 2..n."""
    if k == "auto":
        if n < 3:
            msg = f"--clusters auto needs at least 3 records, got {n}"
            raise InvalidArgumentError(msg)
        return "auto"
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        msg = f"clusters must be a whole number of at least 2 or 'auto', got {k!r}"
        raise InvalidArgumentError(msg)
    if k < 2:
        raise InvalidArgumentError(f"clusters must be at least 2, got {k}")
    if k > n:
        msg = f"{k} clusters need at least {k} records, but there are {n}: ask for fewer"
        raise InvalidArgumentError(msg)
    return int(k)


def cluster_vectors(vectors: npt.ArrayLike, k: object, *, seed: int = 0) -> Labels:
    """A cluster number per row of `vectors` (n, d), numbered 0.. by size; `k` a count or
    "auto"."""
    data = _unit_rows(vectors)
    count = check_cluster_count(k, len(data))
    if count != "auto":
        return kmeans(data, count, seed=seed)
    sample = _sample(len(data), seed)
    chosen, labels = choose_k(data[sample], seed=seed, top=auto_max(len(data)))
    return labels if len(sample) == len(data) else kmeans(data, chosen, seed=seed)


def kmeans(vectors: npt.ArrayLike, k: int, *, seed: int = 0, niter: int = NITER) -> Labels:
    """Spherical k-means by FAISS (cosine) from a seeded greedy k-means++ start; clusters that
    end up empty are dropped. One FAISS thread: results do not depend on the core count (and
    small inputs run faster than with OpenMP's spinning threads)."""
    data = _unit_rows(vectors)
    k = int(check_cluster_count(k, len(data)))
    import faiss  # heavy at import: only when clustering

    km = faiss.Kmeans(
        data.shape[1], k, niter=niter, seed=seed, spherical=True, verbose=False,
        min_points_per_centroid=1,  # no "please provide at least ... points" warning
        max_points_per_centroid=MAX_POINTS_PER_CENTROID,
    )  # fmt: skip
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        km.train(data, init_centroids=kmeans_plus_plus(data, k, seed=seed))
        _, nearest = km.index.search(data, 1)
    finally:
        faiss.omp_set_num_threads(threads)
    return renumber(nearest[:, 0])


def kmeans_plus_plus(
    vectors: npt.NDArray[np.float32], k: int, *, seed: int = 0
) -> npt.NDArray[np.float32]:
    """`k` starting centres by greedy k-means++ (cosine distance; 2 + log k candidates a step,
    the one that lowers the total distance most), over a seeded sample of at most INIT_SAMPLE
    rows. A plain k-means++ start still lands in a bad local optimum a few percent of the time."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    data = vectors if n <= INIT_SAMPLE else vectors[np.sort(rng.choice(n, INIT_SAMPLE, False))]
    n, trials = len(data), 2 + int(np.log(k))
    chosen = [int(rng.integers(n))]
    nearest = np.maximum(1.0 - data @ data[chosen[0]], 0.0)
    for _ in range(1, k):
        total = float(nearest.sum())
        if total <= 0:  # every row sits on a centre already (duplicates)
            chosen.append(int(rng.integers(n)))
            continue
        candidates = rng.choice(n, size=trials, p=nearest / total)
        after = np.minimum(nearest[None, :], np.maximum(1.0 - data[candidates] @ data.T, 0.0))
        best = int(np.argmin(after.sum(axis=1)))
        chosen.append(int(candidates[best]))
        nearest = after[best]
    return np.ascontiguousarray(data[chosen])


def renumber(labels: npt.ArrayLike) -> Labels:
    """Labels renamed 0.. by cluster size, largest first (ties: the earlier first row)."""
    raw = np.asarray(labels, dtype=np.int64)
    values, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))  # by -count, then first row
    rename = np.empty(len(values), dtype=np.int64)
    rename[order] = np.arange(len(values))
    return rename[np.searchsorted(values, raw)]


def auto_max(n: int) -> int:
    """The largest k `"auto"` tries for n rows: min(30, floor(sqrt(n / 2))), at least 2."""
    return max(AUTO_MIN, min(AUTO_MAX, int(np.sqrt(n / 2))))


def choose_k(
    vectors: npt.ArrayLike, *, seed: int = 0, top: int | None = None
) -> tuple[int, Labels]:
    """The k in AUTO_MIN..top (default `auto_max(n)`; at most n - 1) whose k-means has the best
    mean silhouette, with those labels; ties (within 1e-9) go to the smaller k."""
    data = _unit_rows(vectors)
    top = min(auto_max(len(data)) if top is None else top, len(data) - 1)
    if top < AUTO_MIN:
        raise InvalidArgumentError(f"--clusters auto needs at least 3 records, got {len(data)}")
    best: tuple[float, int, Labels] | None = None
    for k in range(AUTO_MIN, top + 1):
        labels = kmeans(data, k, seed=seed)
        score = silhouette(data, labels)
        if best is None or score > best[0] + 1e-9:
            best = (score, k, labels)
    assert best is not None
    return best[1], best[2]


def silhouette(vectors: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean silhouette with cosine distance (1 - dot) of unit rows; a row alone in its cluster
    scores 0. Computed from per-cluster vector sums, O(n·d·k), no n x n matrix."""
    data = np.asarray(vectors, dtype=np.float64)
    lab = np.asarray(labels, dtype=np.int64)
    k = int(lab.max()) + 1
    if k < 2:
        return 0.0
    counts = np.bincount(lab, minlength=k).astype(np.float64)
    sums = np.zeros((k, data.shape[1]))
    for c in range(k):
        sums[c] = data[lab == c].sum(axis=0)
    dots = data @ sums.T  # (n, k): sum of x_i . x_j over j in each cluster
    rows = np.arange(len(data))
    own = counts[lab]
    self_dot = np.einsum("ij,ij->i", data, data)
    alone = own <= 1
    a = np.where(alone, 0.0, (own - 1 - (dots[rows, lab] - self_dot)) / np.maximum(own - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_other = (counts[None, :] - dots) / counts[None, :]
    mean_other[rows, lab] = np.inf
    mean_other[:, counts == 0] = np.inf
    b = mean_other.min(axis=1)
    denom = np.maximum(a, b)
    s = np.where(alone | (denom <= 0), 0.0, (b - a) / np.where(denom > 0, denom, 1.0))
    return float(s.mean())


def words_of(text: str) -> list[str]:
    """Lowercase letter-only tokens of at least 3 characters, English stop words removed."""
    return [w for w in _WORD.findall(text.lower()) if len(w) >= MIN_WORD and w not in STOP_WORDS]


def distinctive_words(texts_per_cluster: Sequence[Iterable[str]], top: int = 3) -> list[list[str]]:
    """The `top` words of each cluster by c-TF-IDF, best first (ties: alphabetical).

    score(w, c) = tf(w, c) / words(c) x log(1 + A / f(w)), where tf(w, c) counts w in cluster c,
    words(c) all of c's words, A the mean words per cluster and f(w) the count of w over all
    clusters. A cluster with no usable words gets [].
    """
    counts = [Counter(w for text in texts for w in words_of(text)) for texts in texts_per_cluster]
    totals = Counter[str]()
    for c in counts:
        totals.update(c)
    sizes = [sum(c.values()) for c in counts]
    mean_words = sum(sizes) / len(sizes) if sizes else 0.0
    out: list[list[str]] = []
    for cluster, size in zip(counts, sizes, strict=True):
        scored = [
            (tf / size * float(np.log1p(mean_words / totals[w])), w) for w, tf in cluster.items()
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        out.append([w for _, w in scored[:top]])
    return out


def _unit_rows(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if data.ndim != 2 or len(data) == 0:
        raise InvalidArgumentError("clustering needs at least one vector (n, d)")
    norms = np.linalg.norm(data, axis=1, keepdims=True)
    return np.ascontiguousarray(data / np.where(norms > 0, norms, 1), dtype=np.float32)


def _sample(n: int, seed: int) -> npt.NDArray[np.int64]:
    if n <= AUTO_SAMPLE:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, AUTO_SAMPLE, replace=False))
