"""Postings of the common tokens, for ranking their matches without FTS5: promotion, segments, optimisation.

``search_postings`` holds, for each *promoted* token (one in at least :data:`PROMOTE_DF` articles when the index
was last optimised; listed in ``search_tokens``), the articles containing it and its weighted count in each, and
under the token ``''`` (:data:`LENGTHS`) every article's length in index tokens.  Rows are segments: each flush
that re-indexes articles writes one segment (the same number for every token, :func:`append_segment`), and an
article's live entries are those of the last segment that holds its length -- an article indexed again leaves
stale entries behind in older segments.  :meth:`SearchPostings.optimize` merges each token's segments into one
(and promotes tokens that became common).  ``search_meta`` keeps the promotion threshold, the number of articles
at the last optimisation and a *generation* that changes whenever the set of promoted tokens does.

The numbers are computed by :mod:`gdcac_crawler.archive.ranking` (pure numpy); this module stores and reads them.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from . import ranking

logger = logging.getLogger(__name__)

__all__ = ["LENGTHS", "PROMOTE_DF", "SearchPostings", "append_segment", "search_meta", "set_search_meta"]

PROMOTE_DF = 5_000
"""Tokens in at least this many articles get postings (FTS5 scores fewer matches than this in about 10 ms)."""
#: Articles whose token lists :meth:`SearchPostings.postings_from_texts` holds at once: each article's units
#: and pairs cost about 170 bytes per character of text, so chunks of 5,000 articles took over a gigabyte; on
#: 20,000 articles chunks of 500 peak at 330 MB, of 100 at 150 MB, in the same 20 s
#: (``benchmarks/optimize_memory.py``).
TEXT_CHUNK_ARTICLES = 100
LENGTHS = ""
"""The pseudo-token whose postings are the articles' lengths ``D``."""
MAX_SEGMENTS = 64
"""A token with this many segments makes an optimisation due, however little the archive grew."""

Fields = list[tuple[list[str], int]]
"""An article's weighted token lists (:func:`ranking.weighted_fields`)."""
IndexedArticle = tuple[int, tuple[Any, Any], Fields]
"""``(article number, (title, body), its weighted token lists)``: an article as the postings count it."""
Packed = dict[str, tuple[bytes, bytes]]
"""``{token: (packed article numbers, packed weighted counts)}``: postings rows as stored."""


def search_meta(db: sqlite_utils.Database, key: str, default: Any = None) -> Any:
    """The value of ``key`` in ``search_meta`` (``default`` when unset)."""
    row = db.execute("SELECT value FROM search_meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_search_meta(db: sqlite_utils.Database, **values: Any) -> None:
    """Set keys of ``search_meta``."""
    db.conn.executemany(
        "INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def _write_segment(db: sqlite_utils.Database, segment: int, postings: dict[str, tuple[Any, Any]]) -> None:
    rows = [(token, segment, ranking.pack(d, delta=True), ranking.pack(c))
            for token, (d, c) in postings.items() if len(d)]  # fmt: skip
    db.conn.executemany(
        "INSERT OR REPLACE INTO search_postings (token, segment, docs, counts) VALUES (?, ?, ?, ?)", rows
    )


def collect_postings(
    articles: list[IndexedArticle], vocabulary: dict[str, int], with_lengths: bool = True
) -> dict[str, tuple[Any, Any]]:
    """``{token: (article numbers, weighted counts)}`` of ``(doc, (title, body), article_fields)``, with the
    lengths under :data:`LENGTHS` when ``with_lengths``."""
    out: dict[str, tuple[Any, Any]] = ranking.batch_postings(((doc, f) for doc, _, f in articles), vocabulary)
    if with_lengths:
        latest = {doc: text for doc, text, _ in articles}
        docs = sorted(latest)
        out[LENGTHS] = (docs, [ranking.doc_length(*latest[doc]) for doc in docs])
    return out


def append_segment(db: sqlite_utils.Database, articles: list[IndexedArticle], vocabulary: dict[str, int]) -> None:
    """Write one new segment with the lengths and promoted tokens' counts of the (re)indexed ``articles``."""
    row = db.execute("SELECT coalesce(max(segment), 0) + 1 FROM search_postings WHERE token = ?", [LENGTHS])
    _write_segment(db, row.fetchone()[0], collect_postings(articles, vocabulary))


@dataclass
class _Plan:
    """What an optimisation read, and will write: the promoted tokens' merged postings and the new ones."""

    min_df: int
    docs_total: int
    common: dict[str, int]
    promoted: set[str]
    added: list[str]
    rows: Packed
    merged: int
    segment: int


class SearchPostings:
    """The postings of one archive connection: the promoted tokens (cached per generation), the articles' lengths
    and live segments, each token's live postings, and their optimisation.  The search ranks from them
    (:class:`~gdcac_crawler.archive.search_index.SearchIndex`); only a writer optimises them."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path
        self._tables = False
        self._promoted: tuple[Any, dict[str, int]] | None = None  # (search_meta generation, promoted tokens)

    def has_tables(self) -> bool:
        """Whether ``m040_search_postings`` made its tables: an archive from before it, opened read-only, has
        none, and FTS5 ranks everything."""
        if not self._tables:
            row = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_meta'").fetchone()
            self._tables = row is not None
        return self._tables

    def promoted_tokens(self) -> dict[str, int]:
        """The tokens that have postings, each with a number (read again whenever another connection has
        optimised the index)."""
        if not self.has_tables():
            return {}
        generation = search_meta(self.db, "generation", 0)
        if self._promoted is None or self._promoted[0] != generation:
            tokens = sorted(t for (t,) in self.db.execute("SELECT token FROM search_tokens"))
            self._promoted = (generation, {t: i for i, t in enumerate(tokens)})
        return self._promoted[1]

    def doc_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lengths, segment)`` indexed by article number: each article's length ``D`` and the segment that
        holds its live entries (``-1`` for numbers with no article)."""
        rows = self.db.execute(
            "SELECT segment, docs, counts FROM search_postings WHERE token = ? ORDER BY segment", [LENGTHS]
        ).fetchall()
        parts = [(seg, ranking.unpack(d, delta=True), ranking.unpack(c)) for seg, d, c in rows]
        size = 1 + max((int(d.max()) for _, d, _ in parts if len(d)), default=-1)
        lengths = np.full(size, -1, dtype=np.int64)
        segment = np.full(size, -1, dtype=np.int64)
        for seg, d, c in parts:
            lengths[d] = c
            segment[d] = seg
        return lengths, segment

    def token_postings(self, token: str, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A token's live ``(articles, weighted counts)``, sorted by article number."""
        docs, counts = [], []
        for seg, d, c in self.db.execute(
            "SELECT segment, docs, counts FROM search_postings WHERE token = ? ORDER BY segment", [token]
        ):
            d, c = ranking.unpack(d, delta=True), ranking.unpack(c)
            live = segment[d] == seg
            docs.append(d[live])
            counts.append(c[live])
        if len(docs) == 1:
            return docs[0], counts[0]
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        d, c = np.concatenate(docs), np.concatenate(counts)
        order = np.argsort(d, kind="stable")
        return d[order], c[order]

    def merged_postings(self, lengths: np.ndarray, segment: np.ndarray) -> tuple[Packed, int]:
        """Every token's live postings (and the lengths) as one packed row each; and how many tokens had
        more than one segment."""
        rows: Packed = {}
        live = np.flatnonzero(lengths >= 0)
        rows[LENGTHS] = (ranking.pack(live, delta=True), ranking.pack(lengths[live]))
        merged = 0
        tokens = self.db.execute(
            "SELECT token, count(*) FROM search_postings WHERE token != ? GROUP BY token", [LENGTHS]
        ).fetchall()
        for token, segments in tokens:
            merged += segments > 1
            d, c = self.token_postings(token, segment)
            if len(d):
                rows[token] = (ranking.pack(d, delta=True), ranking.pack(c))
        return rows, merged

    def postings_from_texts(self, tokens: set[str], *, with_lengths: bool) -> Packed:
        """The postings of ``tokens`` (and the lengths) over every article, reading each once, as one packed
        row each (kept packed per chunk of articles while reading, to bound the memory)."""
        vocabulary = {t: i for i, t in enumerate(sorted(tokens))}
        chunks: dict[str, list[tuple[bytes, bytes]]] = {}
        cursor = self.db.execute(
            "SELECT d.doc, a.title, a.body_text FROM articles_fts_docs d JOIN articles a ON a.id = d.article_id "
            "ORDER BY d.doc"
        )
        while True:
            batch = cursor.fetchmany(TEXT_CHUNK_ARTICLES)
            if not batch:
                break
            found = collect_postings(
                [(doc, (title, body), ranking.article_fields(title, body)) for doc, title, body in batch],
                vocabulary, with_lengths,
            )  # fmt: skip
            for token, (d, c) in found.items():
                chunks.setdefault(token, []).append((ranking.pack(d, delta=True), ranking.pack(c)))
        rows = {}
        for token, parts in chunks.items():
            d = np.concatenate([ranking.unpack(pd, delta=True) for pd, _ in parts])
            c = np.concatenate([ranking.unpack(pc) for _, pc in parts])
            rows[token] = (ranking.pack(d, delta=True), ranking.pack(c))
        return rows

    def state(self) -> dict[str, Any] | None:
        """``tokens`` promoted, ``promote_df``, ``optimized_docs`` and ``segments`` (of the lengths); ``None``
        for an archive without the postings' tables."""
        if not self.has_tables():
            return None
        db = self.db
        return {
            "tokens": db.execute("SELECT count(*) FROM search_tokens").fetchone()[0],
            "promote_df": int(search_meta(db, "promote_df", PROMOTE_DF)),
            "optimized_docs": search_meta(db, "optimized_docs"),
            "segments": db.execute("SELECT count(*) FROM search_postings WHERE token = ?", [LENGTHS]).fetchone()[0],
        }

    def clear(self) -> None:
        """Forget every posting and promoted token (the index is about to be filled afresh)."""
        self.db.execute("DELETE FROM search_postings")
        self.db.execute("DELETE FROM search_tokens")
        set_search_meta(self.db, generation=int(search_meta(self.db, "generation", 0)) + 1)

    def optimize(self, min_df: int | None = None) -> dict[str, Any]:
        """Promote the tokens now in at least ``min_df`` articles (default: the archive's last value, else
        :data:`PROMOTE_DF`) to postings, and merge every token's postings into one segment.

        Everything is read and computed under one read snapshot — promoting reads every article once (about a
        minute per 100,000), merging reads the postings — and written at the end in one short write
        transaction.  If another connection wrote to the archive meanwhile, nothing is written and the result
        says ``skipped`` (the postings stay complete and in step; the next call tries again).  Returns what it
        did.
        """
        started = time.perf_counter()
        conn = self.db.conn
        conn.execute("BEGIN")  # deferred: a read snapshot until the first write below
        try:
            plan = self._plan(min_df)
            read = time.perf_counter() - started
            self._write(plan)  # its first write takes the write lock; it fails at once if another connection wrote
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            conn.execute("ROLLBACK")
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            logger.warning("Archive %s: search postings not optimised: another connection wrote meanwhile (%s)",
                           self.path, exc)  # fmt: skip
            return {"skipped": f"another connection wrote to the archive meanwhile ({exc})",
                    "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self.db.execute("DROP TABLE IF EXISTS temp.gdcac_fts_vocab")
        return {
            "articles": plan.docs_total,
            "promote_df": plan.min_df,
            "promoted": len(plan.promoted) + len(plan.added),
            "newly_promoted": len(plan.added),
            "merged_tokens": plan.merged,
            "seconds": round(time.perf_counter() - started, 3),
            "write_seconds": round(time.perf_counter() - started - read, 3),
        }

    def _plan(self, min_df: int | None) -> _Plan:
        """Read what an optimisation writes: the tokens now common, and every promoted token's postings merged
        (from the postings, or from the texts for tokens that have none yet)."""
        db = self.db
        min_df = int(min_df or search_meta(db, "promote_df", PROMOTE_DF))
        docs_total = db.execute("SELECT count(*) FROM articles_fts_docs").fetchone()[0]
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.gdcac_fts_vocab USING fts5vocab(main, articles_fts, row)")
        common = dict(db.execute("SELECT term, doc FROM temp.gdcac_fts_vocab WHERE doc >= ?", [min_df]))
        old = {t for (t,) in db.execute("SELECT token FROM search_tokens")}
        added = sorted(set(common) - old)
        lengths, segment = self.doc_segments()
        top = int(segment.max()) + 1 if len(segment) else 1
        merged = 0
        if not len(lengths):  # no postings yet: every promoted token and the lengths, from the texts
            rows = self.postings_from_texts(old | set(added), with_lengths=True) if old or added else {}
        else:
            rows, merged = self.merged_postings(lengths, segment)
            if added:
                rows.update(self.postings_from_texts(set(added), with_lengths=False))
        return _Plan(min_df, docs_total, common, old, added, rows, merged, top)

    def _write(self, plan: _Plan) -> None:
        """Replace every posting by the plan's one segment, record the newly promoted tokens and the state."""
        db, conn = self.db, self.db.conn
        db.execute("DELETE FROM search_postings")
        conn.executemany(
            "INSERT INTO search_postings (token, segment, docs, counts) VALUES (?, ?, ?, ?)",
            [(token, plan.segment, d, c) for token, (d, c) in plan.rows.items()],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO search_tokens (token, df) VALUES (?, ?)", [(t, plan.common[t]) for t in plan.added]
        )
        generation = int(search_meta(db, "generation", 0)) + (1 if plan.added else 0)
        set_search_meta(db, generation=generation, promote_df=plan.min_df, optimized_docs=plan.docs_total)

    def optimization_due(self) -> bool:
        """Whether :meth:`optimize` is due: the archive holds at least ``promote_df`` articles and has grown by a
        tenth since the last optimisation, or some token has :data:`MAX_SEGMENTS` segments."""
        db = self.db
        min_df = int(search_meta(db, "promote_df", PROMOTE_DF))
        docs_total = db.execute("SELECT count(*) FROM articles_fts_docs").fetchone()[0]
        if docs_total < min_df:
            return False
        last = search_meta(db, "optimized_docs")
        segments = db.execute("SELECT count(*) FROM search_postings WHERE token = ?", [LENGTHS]).fetchone()[0]
        return not (last is not None and docs_total < 1.1 * int(last) and segments < MAX_SEGMENTS)
