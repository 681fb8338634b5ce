"""`LexicalIndex`: BM25 over a collection's texts, with bm25s (tokeniser and sparse scores).

Every collection keeps one, beside its vector index. What is kept up to date is cheap: the token
ids of each record (by the store's int64 id), tokenised once with `bm25s.tokenize`. The BM25
matrix itself (bm25s, method "lucene", k1 1.5, b 0.75) depends on every document through idf and
the average length, so any add or delete marks it stale and the next lexical query rebuilds it
from the kept tokens (tokenising only records it has not seen). Scores are bm25s's; the order is
the store's: score descending, then id ascending; records scoring 0 (no query word) are left out.

Saved as `lexical.npz` (plain integer and byte arrays, read with allow_pickle=False): the ids,
their token ids (flat, with offsets) and the vocabulary as UTF-8 bytes with offsets.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from embmagic.errors import StoreFormatError
from embmagic.store.topk import IdArray, Scores, sort_hits

K1 = 1.5
B = 0.75
METHOD = "lucene"
STOPWORDS = "english"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
"""bm25s's defaults (scikit-learn's word pattern: words of two or more characters)."""
FORMAT = "embmagic.lexical"
VERSION = 1

TokenIds = npt.NDArray[np.int32]


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """bm25s's tokeniser as the index uses it: lower case, English stop words removed."""
    import bm25s

    if not texts:
        return []
    out = bm25s.tokenize(list(texts), lower=True, token_pattern=TOKEN_PATTERN,
                         stopwords=STOPWORDS, return_ids=False, show_progress=False)
    return [list(doc) for doc in out]


def bm25_index(tokens: TokenIds, lengths: npt.NDArray[np.int64], n_vocab: int) -> Any:
    """A bm25s `BM25` (lucene, k1, b) over documents given as their token ids one after the
    other (`lengths` per document), with the same score matrix `BM25.index` would build. bm25s
    builds it with a Python loop per document (6.9 s for 100k short texts here); NumPy builds
    it in a few tenths of a second. test_lexical.py checks the two matrices are equal."""
    import bm25s

    n = len(lengths)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, tf = np.unique(tokens.astype(np.int64) * n + rows, return_counts=True)
    token, row = np.divmod(keys, n)  # sorted by token, then document: CSC order
    df = np.bincount(token, minlength=n_vocab)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    norm = K1 * (1.0 - B + B * lengths[row] / lengths.mean())
    bm25 = bm25s.BM25(k1=K1, b=B, method=METHOD)
    bm25.scores = {"data": (idf[token] * tf / (tf + norm)).astype(np.float32),
                   "indices": row.astype(np.int32),
                   "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
                   "num_docs": n}
    bm25.nonoccurrence_array = None  # lucene has none (only bm25l and bm25+ do)
    return bm25


class LexicalIndex:
    """BM25 over records by id: tokens kept per record, the bm25s matrix rebuilt when stale."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.tokens: dict[int, TokenIds] = {}
        self.stale = True
        self._row_ids: IdArray = np.empty(0, np.int64)
        self._bm25: Any = None

    # -- keeping up with the collection ------------------------------------------------------

    def forget(self, ids: Iterable[int]) -> None:
        """Records about to change or go: drop their tokens, rebuild before the next query."""
        self.stale = True
        for i in ids:
            self.tokens.pop(int(i), None)

    def sync(self, ids: IdArray, texts_for: Callable[[list[int]], list[str]]) -> None:
        """Make the index cover exactly `ids` (the collection's, in its order): tokenise the
        records not yet seen (`texts_for(ids)` gives their texts), drop the others, rebuild."""
        if not self.stale and np.array_equal(ids, self._row_ids):
            return
        self.tokenize_missing(ids, texts_for)
        self._build(ids)

    def tokenize_missing(self, ids: IdArray, texts_for: Callable[[list[int]], list[str]]
                         ) -> None:
        """Keep tokens for exactly `ids`: tokenise the records not seen yet, drop the others."""
        wanted = {int(i) for i in ids}
        for gone in [i for i in self.tokens if i not in wanted]:
            del self.tokens[gone]
            self.stale = True
        missing = [int(i) for i in ids if int(i) not in self.tokens]
        if missing:
            self.stale = True
            self._add_tokens(missing, texts_for(missing))

    def _add_tokens(self, ids: list[int], texts: list[str]) -> None:
        """Tokenise with bm25s (its ids are local to the call) and map into our vocabulary."""
        import bm25s

        local = bm25s.tokenize(texts, lower=True, token_pattern=TOKEN_PATTERN,
                               stopwords=STOPWORDS, return_ids=True, show_progress=False)
        to_ours = np.empty(len(local.vocab), np.int32)
        for word, j in local.vocab.items():
            to_ours[j] = self.vocab.setdefault(word, len(self.vocab))
        for i, doc in zip(ids, local.ids, strict=True):
            self.tokens[i] = to_ours[np.asarray(doc, dtype=np.int64)]


    def _build(self, ids: IdArray) -> None:
        self._row_ids = np.array(ids, dtype=np.int64)
        docs = [self.tokens[int(i)] for i in ids]
        lengths = np.fromiter((len(d) for d in docs), np.int64, count=len(docs))
        self._bm25 = None
        if lengths.sum():
            self._bm25 = bm25_index(np.concatenate(docs), lengths, len(self.vocab))
        self.stale = False

    # -- searching ---------------------------------------------------------------------------

    def scores(self, query: str) -> tuple[IdArray, Scores]:
        """The BM25 score of every indexed record for `query` (rows in `sync`'s id order)."""
        words = [self.vocab[t] for t in tokenize([query])[0] if t in self.vocab]
        if self._bm25 is None or not words:
            return self._row_ids, np.zeros(len(self._row_ids), np.float32)
        found = self._bm25.get_scores_from_ids(words)
        return self._row_ids, np.asarray(found, dtype=np.float32)

    def search(self, query: str, k: int, allowed: IdArray | None = None
               ) -> tuple[IdArray, Scores]:
        """The k best (ids, scores), score desc then id asc, only scores > 0, `allowed` only."""
        ids, scores = self.scores(query)
        keep = scores > 0
        if allowed is not None:
            keep &= np.isin(ids, allowed)
        return sort_hits(ids[keep], scores[keep], k)

    # -- persistence -------------------------------------------------------------------------

    def to_bytes(self, ids: IdArray) -> bytes:
        """`lexical.npz` for the records `ids` (all of them must be tokenised: `sync` first)."""
        docs = [self.tokens[int(i)] for i in ids]
        offsets = np.zeros(len(docs) + 1, np.int64)
        np.cumsum([len(d) for d in docs], out=offsets[1:])
        words = [w.encode("utf-8") for w in self.vocab]
        word_offsets = np.zeros(len(words) + 1, np.int64)
        np.cumsum([len(w) for w in words], out=word_offsets[1:])
        buf = io.BytesIO()
        np.savez(buf, format=np.array([FORMAT]), version=np.array([VERSION], np.int64),
                 ids=np.asarray(ids, np.int64), offsets=offsets,
                 tokens=np.concatenate(docs) if docs else np.empty(0, np.int32),
                 vocab=np.frombuffer(b"".join(words), np.uint8), vocab_offsets=word_offsets)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, ids: IdArray, where: str) -> LexicalIndex:
        """Read `lexical.npz` (no pickle); StoreFormatError naming `where` unless it is ours
        and covers exactly `ids`, the records of the save."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            return cls._from_arrays(arrays, ids)
        except (OSError, ValueError, KeyError, IndexError, UnicodeDecodeError) as exc:
            msg = f"{where}: lexical.npz is not a readable lexical index ({exc})"
            raise StoreFormatError(msg) from exc

    @classmethod
    def _from_arrays(cls, arrays: dict[str, Any], ids: IdArray) -> LexicalIndex:
        if str(arrays["format"][0]) != FORMAT or int(arrays["version"][0]) > VERSION:
            raise ValueError("foreign or newer lexical index")
        saved_ids, offsets = arrays["ids"].astype(np.int64), arrays["offsets"].astype(np.int64)
        tokens, raw = arrays["tokens"].astype(np.int32), arrays["vocab"].tobytes()
        bounds = arrays["vocab_offsets"].astype(np.int64)
        if not np.array_equal(np.sort(saved_ids), np.sort(np.asarray(ids, np.int64))):
            raise ValueError("ids differ from the records")
        if len(offsets) != len(saved_ids) + 1 or offsets[-1] != len(tokens):
            raise ValueError("token offsets do not match")
        out = cls()
        words = [raw[bounds[i]:bounds[i + 1]].decode("utf-8") for i in range(len(bounds) - 1)]
        out.vocab = {w: n for n, w in enumerate(words)}
        if len(out.vocab) != len(words) or (len(tokens) and (
                tokens.min() < 0 or tokens.max() >= len(words))):
            raise ValueError("token ids outside the vocabulary")
        out.tokens = {int(i): tokens[offsets[r]:offsets[r + 1]].copy()
                      for r, i in enumerate(saved_ids)}
        return out


__all__ = ["LexicalIndex", "tokenize"]
