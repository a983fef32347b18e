"""Ranking of search results: bm25 over the query's index tokens, and its exact top k from token postings.

Pure functions (no SQL; :mod:`gdcac_crawler.archive.postings` stores and reads what they compute).

**The score.**  A query's *rank tokens* are the distinct index tokens of its terms (:func:`rank_tokens`): the
unit token of a one-character term, the pair tokens of a longer one (see :mod:`gdcac_crawler.archive.query`).  An
article's score is FTS5's bm25 summed over those tokens — ``idf(t) · f·(k1 + 1) / (f + k1·(1 − b + b·D/avgD))``
with ``f`` the token's occurrences weighted by field (title 4, body 1), ``D`` the article's length in index
tokens, ``idf(t) = ln((N − n + ½) / (n + ½))`` (at least 10⁻⁶) for ``n`` of the ``N`` articles containing the
token — which is exactly what FTS5's ``bm25()`` computes for a ``MATCH`` of those tokens.  This is bm25 as
search engines apply it to Chinese bigrams (Lucene's CJK bigram analysis scores a query the same way); the
query's phrases decide *which* articles match, not their score.

**The two ways to compute it.**  When some rank token is rare, FTS5 scores the few articles containing it.
When every rank token is common (tens of thousands of articles each), FTS5 would score every match, about a
microsecond and a half each, so the archive keeps *postings* for the common tokens — for each, the articles
containing it and the weighted count ``f`` (:func:`batch_postings`), plus every article's length ``D``
(:func:`doc_length`) — and :func:`top_k` computes the same scores for all candidates at once with numpy,
then confirms the query's phrases in score order on the articles' text until it holds the best ``k``.  The
scores are the same numbers either way (a test compares the two on every kind of query).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .query import field_tokens, rank_tokens

__all__ = [
    "K1",
    "TITLE_WEIGHT",
    "B",
    "Postings",
    "article_fields",
    "batch_postings",
    "bm25",
    "doc_length",
    "idf",
    "pack",
    "rank_tokens",
    "top_k",
    "unpack",
    "weighted_fields",
]

K1 = 1.2
"""bm25's term-frequency saturation (FTS5's value)."""
B = 0.75
"""bm25's length normalisation (FTS5's value)."""
TITLE_WEIGHT = 4
"""How many body occurrences one title occurrence counts as (the index's bm25 column weights: 4, 1, 4, 1)."""


def doc_length(title: str | None, body: str | None) -> int:
    """An article's length ``D`` in index tokens: its units and pairs in title and body (what FTS5 counts)."""
    n_title, n_body = len(title or ""), len(body or "")
    return n_title + max(0, n_title - 1) + n_body + max(0, n_body - 1)


def weighted_fields(
    title: tuple[list[str], list[str]], body: tuple[list[str], list[str]]
) -> list[tuple[list[str], int]]:
    """The token lists of an article's title and body (:func:`~gdcac_crawler.archive.query.field_tokens` of
    each) with their weights: title ones count :data:`TITLE_WEIGHT` times — what :func:`batch_postings` counts."""
    return [(title[0], TITLE_WEIGHT), (title[1], TITLE_WEIGHT), (body[0], 1), (body[1], 1)]


def article_fields(title: str | None, body: str | None) -> list[tuple[list[str], int]]:
    """:func:`weighted_fields` of an article's title and body text."""
    return weighted_fields(field_tokens(title), field_tokens(body))


def batch_postings(
    articles: Iterable[tuple[int, list[tuple[list[str], int]]]], vocabulary: dict[str, int]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{token: (article numbers, weighted counts)}`` for the tokens of ``vocabulary`` (token → its number)
    that occur in ``articles`` (``(number, article_fields(...))``; a number given twice counts once, its last
    fields), article numbers ascending.  Counting is done with numpy over the whole batch."""
    latest: dict[int, list[tuple[list[str], int]]] = {}
    for doc, fields in articles:
        latest[doc] = fields
    ids_parts, doc_parts, weight_parts = [], [], []
    get = vocabulary.get
    for doc, fields in latest.items():
        for tokens, weight in fields:
            if not tokens:
                continue
            ids = np.fromiter(map(get, tokens, itertools.repeat(-1)), dtype=np.int64, count=len(tokens))
            ids = ids[ids >= 0]
            ids_parts.append(ids)
            doc_parts.append(np.full(len(ids), doc, dtype=np.int64))
            weight_parts.append(np.full(len(ids), weight, dtype=np.int64))
    if not ids_parts:
        return {}
    ids, docs, weights = np.concatenate(ids_parts), np.concatenate(doc_parts), np.concatenate(weight_parts)
    if not len(ids):
        return {}
    span = int(docs.max()) + 1
    key = ids * span + docs
    order = np.argsort(key, kind="stable")
    key, weights = key[order], weights[order]
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    key, counts = key[first], np.add.reduceat(weights, first)
    token_ids, docs = key // span, key % span
    starts = np.flatnonzero(np.concatenate(([True], token_ids[1:] != token_ids[:-1])))
    ends = np.append(starts[1:], len(token_ids))
    names = {number: token for token, number in vocabulary.items()} if len(starts) else {}
    return {
        names[int(token_ids[a])]: (docs[a:b], counts[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    }


def pack(values: np.ndarray | Sequence[int], *, delta: bool = False) -> bytes:
    """``values`` (non-negative integers; ascending with ``delta``, which stores the differences) as one byte
    giving the width, 1, 2 or 4, then each value in that many bytes, little-endian: the narrowest width that
    holds them all.  How postings are stored."""
    v = np.asarray(values, dtype=np.int64)
    if delta and len(v):
        v = np.diff(v, prepend=0)
    top = int(v.max()) if len(v) else 0
    if top < 0 or top >= 2**32:
        raise ValueError(f"cannot pack {top}: postings hold integers from 0 to 2**32 - 1")
    width = 1 if top < 2**8 else 2 if top < 2**16 else 4
    return bytes([width]) + v.astype(f"<u{width}").tobytes()


def unpack(blob: bytes | None, *, delta: bool = False) -> np.ndarray:
    """The integers that :func:`pack` stored (``int64``, ready for arithmetic)."""
    if not blob:
        return np.zeros(0, dtype=np.int64)
    values = np.frombuffer(blob, dtype=f"<u{blob[0]}", offset=1).astype(np.int64)
    return np.cumsum(values) if delta else values


def idf(n: int, total: int) -> float:
    """FTS5's inverse document frequency of a token in ``n`` of ``total`` articles (never below 10⁻⁶)."""
    value = math.log((total - n + 0.5) / (n + 0.5))
    return value if value > 0.0 else 1e-6


def bm25(f: np.ndarray, length: np.ndarray, token_idf: float, avgdl: float) -> np.ndarray:
    """One token's bm25 contribution for weighted counts ``f`` in articles of lengths ``length``."""
    f = f.astype(np.float64)
    return token_idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * length / avgdl)))


class Postings:
    """What :func:`top_k` needs from the archive's postings: every live article's length, and a token's
    articles (sorted) with their weighted counts.

    ``lengths[doc]`` is the article's ``D``, ``-1`` where no article has that number.
    """

    def __init__(self, lengths: np.ndarray, token_postings: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.lengths = lengths
        self.tokens = token_postings
        live = lengths >= 0
        self.total = int(np.count_nonzero(live))
        self.avgdl = float(lengths[live].sum()) / self.total if self.total else 1.0


def top_k(
    postings: Postings,
    tokens: Sequence[str],
    k: int,
    confirm: Callable[[list[int]], set[int]] | None = None,
    *,
    batch: int = 64,
    max_confirm: int = 5000,
) -> tuple[list[tuple[int, float]], int] | None:
    """The best ``k`` articles (``(doc, score)``, best first, ties by article number) among those containing
    every token of ``tokens``, and how many articles contain them all (the number of matches when no
    ``confirm`` is needed).

    With ``confirm``, candidates must also pass it: it is called with article numbers in score order (``batch``
    at a time, growing) and returns those that hold the query's phrases (and pass its filters).  Returns
    ``None`` as soon as the share confirmed so far says that more than ``max_confirm`` candidates would have to
    be confirmed (phrases that their tokens rarely form, narrow filters): the caller should then let FTS5 find
    the matches.
    """
    if not tokens:
        raise ValueError("no rank tokens")
    arrays = sorted((postings.tokens[t] for t in tokens), key=lambda p: len(p[0]))
    docs = arrays[0][0]
    for other, _ in arrays[1:]:
        if not len(docs):
            break
        at = np.searchsorted(other, docs)
        at[at >= len(other)] = 0
        docs = docs[other[at] == docs] if len(other) else docs[:0]
    if not len(docs):
        return [], 0
    length = postings.lengths[docs].astype(np.float64)
    score = np.zeros(len(docs), dtype=np.float64)
    for token in tokens:
        token_docs, counts = postings.tokens[token]
        f = counts[np.searchsorted(token_docs, docs)]
        score += bm25(f, length, idf(len(token_docs), postings.total), postings.avgdl)
    # best first; equal scores by article number (np.lexsort sorts by its last key first)
    if k <= 0:
        return [], len(docs)
    if confirm is None:
        order = next(iter(_best_first(docs, score, k, len(docs))))
        assert order is not None  # the limit is every candidate: the first chunk always comes
        return [(int(docs[i]), float(score[i])) for i in order], len(docs)
    found: list[tuple[int, float]] = []
    checked = 0
    for chunk in _best_first(docs, score, batch, max_confirm):
        if chunk is None:
            return None
        ok = confirm([int(d) for d in docs[chunk]])
        found.extend((int(docs[i]), float(score[i])) for i in chunk if int(docs[i]) in ok)
        if len(found) >= k:
            return found[:k], len(docs)
        checked += len(chunk)
        if checked >= 2 * batch and checked < len(docs) and k * checked / max(len(found), 0.5) > max_confirm:
            return None  # at this rate the best k lie beyond max_confirm candidates
    return found, len(docs)


def _best_first(docs: np.ndarray, score: np.ndarray, batch: int, limit: int) -> Iterable[np.ndarray | None]:
    """Indexes into ``docs`` in score order (best first, ties by article number), in growing chunks; ``None``
    once ``limit`` have been given.  Only the part asked for is sorted (a partition first)."""
    n = len(docs)
    done = 0
    key = np.lexsort((docs, -score)) if n <= 4 * batch else None
    while done < n:
        if done >= limit:
            yield None
            return
        end = min(n, done + batch)
        if key is None:
            # the best `end` by a partition, ties at the boundary included, then sorted
            cut = np.argpartition(-score, end - 1)[:end]
            threshold = score[cut].min()
            head = np.flatnonzero(score >= threshold)
            head = head[np.lexsort((docs[head], -score[head]))]
            if len(head) >= n // 2:
                key = np.lexsort((docs, -score))
            chunk = head[done:end]
        else:
            chunk = key[done:end]
        yield chunk
        done = end
        batch = min(batch * 2, 1024)
