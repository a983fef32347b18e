"""The search index: ``articles_fts`` and its document numbers, kept in step with ``articles``; filters; search.

``articles_fts`` is a contentless FTS5 table of the archive's own token streams (:mod:`.query`), one document per
article, numbered in ``articles_fts_docs`` (dense numbers: FTS5 stores rowid deltas).  The writer brings it in
step in every flush (:func:`sync_search_index`, before the articles are upserted, since a contentless table needs
the old tokens back to delete them) and fills it afresh on demand.  :class:`SearchIndex` answers queries: FTS5
ranks them by bm25, or, when every token of a query is common, the postings do (:mod:`.postings`,
:mod:`.ranking`) — the same scores either way.  The SQL that Datasette runs is here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from . import ranking
from .connection import select_in
from .postings import IndexedArticle, SearchPostings, append_segment
from .query import (
    FTS_COLUMNS,
    contains,
    field_tokens,
    fts_expression,
    index_streams,
    like_pattern,
    needs_phrase,
    parse_query,
    rank_expression,
    snippet,
)

__all__ = [
    "DATASETTE_SEARCH_SQL",
    "DATASETTE_SEARCH_WHERE",
    "SEARCH_INDEX",
    "SEARCH_WEIGHTS",
    "SearchIndex",
    "article_filters",
    "date_bound",
    "fill_search_index",
    "sync_search_index",
]

SEARCH_INDEX = "articles_fts"
"""The FTS5 index over articles' title and body (see :mod:`gdcac_crawler.archive.query` for its token streams)."""

SEARCH_WEIGHTS = (4.0, 1.0, 4.0, 1.0)
"""bm25 weights of ``title_uni, body_uni, title_bi, body_bi``: a match in the title counts four times."""

BM25_WEIGHTS = ", ".join(str(w) for w in SEARCH_WEIGHTS)
""":data:`SEARCH_WEIGHTS` as the arguments of ``bm25()`` after the table (also the index's ``rank`` setting)."""

_BM25 = f"bm25(articles_fts, {BM25_WEIGHTS})"
_SEARCH_INSERT = f"INSERT INTO articles_fts(rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
_SEARCH_DELETE = (
    f"INSERT INTO articles_fts(articles_fts, rowid, {', '.join(FTS_COLUMNS)}) VALUES ('delete', ?, ?, ?, ?, ?)"
)

# SQL that Datasette runs (gdcac_crawler.datasette_plugin registers the functions gdcac_fts and gdcac_snippet;
# archive/metadata.yml holds a copy of DATASETTE_SEARCH_SQL, which a test keeps equal).
DATASETTE_SEARCH_WHERE = (
    "id in (select articles_fts_docs.article_id from articles_fts join articles_fts_docs"
    " on articles_fts_docs.doc = articles_fts.rowid where articles_fts match gdcac_fts(:{param}))"
)
DATASETTE_SEARCH_SQL = f"""with hits as (
  select rowid, {_BM25.lower()} as score from articles_fts
   where articles_fts match gdcac_rank_fts(:q)
     and +rowid in (select rowid from articles_fts where articles_fts match gdcac_fts(:q))
   order by score limit 100
)
select a.title, gdcac_snippet(a.title, a.body_text, :q) as snippet, substr(a.published_at, 1, 10) as published,
       a.column_name, a.source, a.url, a.id
  from hits join articles_fts_docs d on d.doc = hits.rowid join articles a on a.id = d.article_id
 order by hits.score"""

Text = tuple[Any, Any]
"""An article's ``(title, body_text)``."""
Hits = list[tuple[str, float]]
"""``(article id, bm25 rank)`` of matches, best first (bm25 ranks are negative: lower is better)."""


# -- keeping the index in step (the writer's side) ------------------------------------------------------------


def search_docs(db: sqlite_utils.Database, ids: list[str], *, create: bool) -> dict[str, int]:
    """``{article id: articles_fts rowid}`` from ``articles_fts_docs``; with ``create``, numbering the ids that
    have none (in order, so that the index's doclists stay dense: FTS5 stores rowid deltas)."""
    docs: dict[str, int] = dict(
        select_in(db, "SELECT article_id, doc FROM articles_fts_docs WHERE article_id IN ({marks})", ids)
    )
    missing = [aid for aid in dict.fromkeys(ids) if aid not in docs]
    if create and missing:
        db.conn.executemany("INSERT INTO articles_fts_docs (article_id) VALUES (?)", [(aid,) for aid in missing])
        docs.update(search_docs(db, missing, create=False))
    return docs


def update_search_index(
    db: sqlite_utils.Database,
    changes: Iterable[tuple[str, Text | None, Text]],
    vocabulary: dict[str, int] | None = None,
) -> int:
    """Apply ``(article id, old (title, body) or None, new (title, body))`` changes to ``articles_fts``: the old
    tokens are deleted (a contentless FTS5 table needs them back exactly), the new inserted.  Every article has
    exactly one document in the index, even an empty one.  With the ``vocabulary`` of promoted tokens (see
    :func:`~gdcac_crawler.archive.postings.append_segment`), their postings follow.  Returns how many documents
    were written."""
    changes = list(changes)
    docs = search_docs(db, [aid for aid, _, _ in changes], create=True)
    deletes, inserts = [], []
    articles: list[IndexedArticle] = []
    for aid, old, new in changes:
        rowid = docs[aid]
        if old is not None:
            (old_tu, old_tb), (old_bu, old_bb) = index_streams(old[0]), index_streams(old[1])
            deletes.append((rowid, old_tu, old_bu, old_tb, old_bb))
        (tu, tp), (bu, bp) = field_tokens(new[0]), field_tokens(new[1])
        inserts.append((rowid, " ".join(tu), " ".join(bu), " ".join(tp), " ".join(bp)))
        if vocabulary:
            articles.append((rowid, new, ranking.weighted_fields((tu, tp), (bu, bp))))
    conn = db.conn
    if deletes:
        conn.executemany(_SEARCH_DELETE, deletes)
    if inserts:
        conn.executemany(_SEARCH_INSERT, inserts)
    if vocabulary:
        append_segment(db, articles, vocabulary)
    return len(inserts)


def fill_search_index(db: sqlite_utils.Database) -> int:
    """Index every article (the index must be empty); how many."""
    n = 0
    cursor = db.execute("SELECT id, title, body_text FROM articles")
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            return n
        n += update_search_index(db, ((aid, None, (title, body)) for aid, title, body in rows))


def clear_search_index(db: sqlite_utils.Database) -> None:
    """Empty ``articles_fts`` and forget the document numbers (before :func:`fill_search_index`)."""
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
    db.execute("DELETE FROM articles_fts_docs")


def sync_search_index(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]], postings: SearchPostings) -> None:
    """Bring ``articles_fts`` (and the postings) in step with ``articles`` rows that are about to be upserted.

    Call it inside the write transaction and *before* the rows are written: it reads the archived title and
    body of those ids, deletes their old tokens and indexes the new text (an unchanged title and body cost
    that one read).  Every write that changes ``articles.title`` or ``articles.body_text`` goes through it.
    """
    rows = list(rows)
    if not rows:
        return
    old = {
        aid: (title, body)
        for aid, title, body in select_in(
            db, "SELECT id, title, body_text FROM articles WHERE id IN ({marks})", [row["id"] for row in rows]
        )
    }
    changes: list[tuple[str, Text | None, Text]] = []
    for row in rows:
        new = (row.get("title"), row.get("body_text"))
        if row["id"] not in old:
            changes.append((row["id"], None, new))
        elif old[row["id"]] != new:
            changes.append((row["id"], old[row["id"]], new))
    if changes:
        update_search_index(db, changes, postings.promoted_tokens())


# -- filters ----------------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_bound(value: Any, name: str, *, end: bool) -> str:
    """The ``published_at`` bound for a date filter: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (or a ``date``) gives
    its first day; with ``end``, the first day after it (so that ``published_at < bound`` includes the whole
    period).  Raises ``ValueError`` naming the filter for anything else."""
    text = value.isoformat()[:10] if isinstance(value, date) else str(value).strip()
    match = _DATE_RE.fullmatch(text)
    try:
        if not match:
            raise ValueError(text)
        year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
        first = date(year, month, day)
    except ValueError:
        raise ValueError(f"bad {name} date {str(value)!r}: expected YYYY-MM-DD, YYYY-MM or YYYY") from None
    if end:
        if match[3]:
            first += timedelta(days=1)
        elif match[2]:
            first = date(year + (month == 12), month % 12 + 1, 1)
        else:
            first = date(year + 1, 1, 1)
    return first.isoformat()


def article_filters(
    since: Any = None, until: Any = None, column: str | None = None, source: str | None = None,
    site: str | None = None,
) -> tuple[list[str], list[Any]]:  # fmt: skip
    """SQL conditions on ``articles a``: published on or after ``since`` and on or before ``until`` (dates
    ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, in the site's own time), ``column`` (exact name), ``source``
    (a part of it), ``site`` (profile name)."""
    clauses: list[str] = []
    params: list[Any] = []
    if since:
        clauses.append("a.published_at >= ?")
        params.append(date_bound(since, "since", end=False))
    if until:
        clauses.append("a.published_at < ?")
        params.append(date_bound(until, "until", end=True))
    if column:
        clauses.append("a.column_name = ?")
        params.append(column)
    if source:
        clauses.append("instr(a.source, ?) > 0")
        params.append(source)
    if site:
        clauses.append("a.site = ?")
        params.append(site)
    return clauses, params


def articles_by_id(db: sqlite_utils.Database, ids: list[str], columns: str = "a.*") -> dict[str, dict[str, Any]]:
    """``{id: row}`` of the articles ``ids`` (``columns`` of ``articles a``; they must include ``a.id``)."""
    sql = f"SELECT {columns} FROM articles a WHERE a.id IN ({{marks}})"
    return {row["id"]: row for row in select_in(db, sql, ids, dicts=True)}


def query_terms(query: str | list[str]) -> list[str]:
    """The terms of a query string (:func:`~gdcac_crawler.archive.query.parse_query`), or of a list as it is."""
    return parse_query(query) if isinstance(query, str) else list(query)


# -- searching ----------------------------------------------------------------------------------------------------


class SearchIndex:
    """Queries of one archive connection's search index: the matches of a query, ranked by bm25 (by FTS5, or from
    the :class:`~gdcac_crawler.archive.postings.SearchPostings` when every token is common), with snippets."""

    def __init__(self, db: sqlite_utils.Database, postings: SearchPostings, path: Path) -> None:
        self.db = db
        self.postings = postings
        self.path = path

    def exists(self) -> bool:
        """Whether the archive has its search index (migration ``m002_search`` applied)."""
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone()
        return row is not None

    def require(self) -> None:
        """Raise ``RuntimeError`` (saying how to add it) unless the archive has its search index."""
        if not self.exists():
            raise RuntimeError(
                f"archive {self.path} has no search index (it predates migration m002_search): "
                f"open it once for writing, e.g. `gdcac migrate --db {self.path}`"
            )

    def hits(
        self, terms: list[str], filters: dict[str, Any], *, limit: int | None = None, offset: int = 0,
        use_postings: bool = True,
    ) -> tuple[Hits, int | None]:  # fmt: skip
        """``(article id, bm25 rank)`` of the matches, best first (bm25 ranks are negative: lower is better), and
        the number of matches when it came for free (else ``None``).

        The score is bm25 over the query's index tokens (:mod:`gdcac_crawler.archive.ranking`).  When every token
        has postings (and ``use_postings``), they rank the matches; otherwise FTS5 does.
        """
        self.require()
        clauses, params = article_filters(**filters)
        if limit is not None and use_postings:
            found = self._hits_from_postings(terms, limit + offset, clauses, params)
            if found is not None:
                hits, total = found
                return hits[offset:], total
        # bm25() in ORDER BY lets SQLite keep only the best LIMIT rows (FTS5's own ORDER BY rank sorts them all)
        page = " LIMIT ? OFFSET ?" if limit is not None else ""
        match = "articles_fts MATCH ?"
        args: list[Any] = [rank_expression(terms)]
        if needs_phrase(terms):
            # ranked by the tokens, matched by the phrases (`+` keeps SQLite from handing the IN to FTS5)
            match += " AND +articles_fts.rowid IN (SELECT p.rowid FROM articles_fts p WHERE p.articles_fts MATCH ?)"
            args.append(fts_expression(terms))
        if clauses:
            sql = (
                f"SELECT d.article_id, {_BM25} AS score FROM articles_fts "
                "CROSS JOIN articles_fts_docs d ON d.doc = articles_fts.rowid "
                "CROSS JOIN articles a ON a.id = d.article_id "
                f"WHERE {match} AND " + " AND ".join(clauses) + " ORDER BY score" + page
            )
        else:
            sql = (
                f"SELECT d.article_id, hits.score FROM (SELECT rowid, {_BM25} AS score FROM articles_fts "
                f"WHERE {match} ORDER BY score{page}) hits "
                "JOIN articles_fts_docs d ON d.doc = hits.rowid ORDER BY hits.score"
            )
        args += params
        if limit is not None:
            args += [int(limit), int(offset)]
        return [(aid, rank) for aid, rank in self.db.execute(sql, args)], None

    def _hits_from_postings(
        self, terms: list[str], k: int, clauses: Sequence[str] = (), params: Sequence[Any] = ()
    ) -> tuple[Hits, int | None] | None:
        """The best ``k`` matches (those passing the filter ``clauses`` on ``articles a``) ranked from the
        postings, or ``None`` when some rank token has none (it is then rare enough for FTS5) or the query's
        phrases or filters are rare among their tokens' articles (FTS5 then finds the matches)."""
        promoted = self.postings.promoted_tokens()
        tokens = [token for token, _ in ranking.rank_tokens(terms)]
        if not promoted or not all(token in promoted for token in tokens):
            return None
        conn = self.db.conn
        snapshot = not conn.in_transaction  # every read below from one snapshot, even while a crawl writes
        if snapshot:
            conn.execute("BEGIN")
        try:
            lengths, segment = self.postings.doc_segments()
            postings = ranking.Postings(
                lengths, {token: self.postings.token_postings(token, segment) for token in tokens}
            )
            phrases = needs_phrase(terms)
            confirm = self.confirmer(terms, clauses, params) if phrases or clauses else None
            # filters are checked on the candidates' rows (a few µs each; the text only of those that pass),
            # phrases alone on every candidate's text: FTS5 is faster once that would take more than a thousand
            found = ranking.top_k(postings, tokens, k, confirm, max_confirm=20_000 if clauses else 1_000)
            if found is None:
                return None
            best, candidates = found
            ids = dict(self.doc_ids([doc for doc, _ in best]))
        finally:
            if snapshot:
                conn.execute("COMMIT")
        exact = not phrases and not clauses  # else the candidates are more than the matches
        return [(ids[doc], -score) for doc, score in best if doc in ids], candidates if exact else None

    def doc_ids(self, docs: list[int]) -> Iterator[tuple[int, str]]:
        """``(document number, article id)`` of the index documents ``docs``."""
        return select_in(self.db, "SELECT doc, article_id FROM articles_fts_docs WHERE doc IN ({marks})", docs)

    def confirmer(
        self, terms: list[str], clauses: Sequence[str] = (), params: Sequence[Any] = ()
    ) -> Callable[[list[int]], set[int]]:
        """A function telling which of some article numbers pass the filter ``clauses`` and contain every term in
        their title or body."""
        where = "".join(" AND " + c for c in clauses)
        phrases = needs_phrase(terms)
        # CROSS JOIN: from the few documents to their articles, never from a filter's index to them all
        text = ", a.title, a.body_text" if phrases else ""
        sql = (f"SELECT d.doc{text} FROM articles_fts_docs d CROSS JOIN articles a ON a.id = d.article_id "
               "WHERE d.doc IN ({marks})" + where)  # fmt: skip

        def confirm(docs: list[int]) -> set[int]:
            rows = select_in(self.db, sql, docs, params)
            if not phrases:  # the tokens are the terms: only the filters to check
                return {doc for (doc,) in rows}
            return {
                doc for doc, title, body in rows
                if all(contains(title, term) or contains(body, term) for term in terms)
            }  # fmt: skip

        return confirm

    def count(self, terms: list[str], filters: dict[str, Any]) -> int:
        """How many articles match ``terms`` and pass ``filters``."""
        clauses, params = article_filters(**filters)
        sql = "SELECT count(*) FROM articles_fts"
        if clauses:
            sql += (
                " CROSS JOIN articles_fts_docs d ON d.doc = articles_fts.rowid"
                " CROSS JOIN articles a ON a.id = d.article_id"
            )
        sql += " WHERE articles_fts MATCH ?" + "".join(" AND " + c for c in clauses)
        return int(self.db.execute(sql, [fts_expression(terms), *params]).fetchone()[0])

    def search(
        self,
        query: str | list[str],
        *,
        since: Any = None,
        until: Any = None,
        column: str | None = None,
        source: str | None = None,
        site: str | None = None,
        limit: int | None = 20,
        offset: int = 0,
        snippet_width: int = 80,
        mark: tuple[str, str] = ("[", "]"),
        count: bool = True,
    ) -> dict[str, Any]:
        """Full-text search of titles and bodies (see :mod:`gdcac_crawler.archive.query` for the query language).

        The matches are exactly the articles whose title or body contains every term (ASCII case-insensitive,
        as ``LIKE``), ranked by bm25 of the query's index tokens (title matches weigh more; see
        :mod:`gdcac_crawler.archive.ranking`).  Returns ``{"query", "terms", "total",
        "results"}``; each result has ``rank`` (1-based), ``score`` (higher is better), ``id``, ``url``,
        ``title``, ``published_at``, ``column``, ``source``, ``site`` and ``snippet`` (``mark`` around matches).
        ``total`` is the number of matches (``None`` with ``count=False``, which saves a second pass over the
        matches).  Raises :class:`~gdcac_crawler.archive.query.QueryError` for a malformed query and
        ``ValueError`` for a bad date.
        """
        terms = query_terms(query)
        filters = {"since": since, "until": until, "column": column, "source": source, "site": site}
        hits, total = self.hits(terms, filters, limit=limit, offset=offset)
        if limit is None or (offset == 0 and len(hits) < limit):
            total = len(hits)  # all the matches are here
        elif total is None and count:
            total = self.count(terms, filters)
        rows = articles_by_id(
            self.db, [aid for aid, _ in hits],
            "a.id, a.url, a.title, a.published_at, a.column_name, a.source, a.site, a.body_text",
        )  # fmt: skip
        results = []
        for position, (aid, rank) in enumerate(hits, start=offset + 1):
            row = rows.get(aid)
            if row is None:  # an index entry whose article was deleted by hand (gdcac migrate --reindex)
                continue
            results.append({
                "rank": position,
                "score": round(-rank, 6),
                "id": aid,
                "url": row["url"],
                "title": row["title"],
                "published_at": row["published_at"],
                "column": row["column_name"],
                "source": row["source"],
                "site": row["site"],
                "snippet": snippet(row["title"], row["body_text"], terms, width=snippet_width, mark=mark),
            })  # fmt: skip
        return {"query": query, "terms": terms, "total": total, "results": results}

    def search_ids(self, query: str | list[str], **filters: Any) -> list[str]:
        """Ids of every article matching ``query`` (filters as :meth:`search`), best first."""
        return [aid for aid, _ in self.hits(query_terms(query), filters)[0]]

    def like_search_ids(self, query: str | list[str], **filters: Any) -> set[str]:
        """The reference: ids of the articles a ``LIKE '%term%'`` scan of title and body finds for every term
        (``%``, ``_`` and ``\\`` literal).  A full scan, for tests and the benchmark."""
        terms = query_terms(query)
        clauses, params = article_filters(**filters)
        for term in terms:
            clauses.append("(a.title LIKE ? ESCAPE '\\' OR a.body_text LIKE ? ESCAPE '\\')")
            params += [like_pattern(term)] * 2
        sql = "SELECT a.id FROM articles a WHERE " + " AND ".join(clauses)
        return {row[0] for row in self.db.execute(sql, params)}

    def state(self, articles: int) -> dict[str, Any] | None:
        """The index's ``documents`` against the archive's ``articles``, whether they are ``in_step``, and the
        ``postings``' state; ``None`` without an index."""
        if not self.exists():
            return None
        docs = self.db.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
        return {"documents": docs, "articles": articles, "in_step": docs == articles, "postings": self.postings.state()}

    def storage(self) -> dict[str, int]:
        """Bytes the search index takes (``index_bytes``: pages of ``articles_fts`` and its shadow tables;
        ``postings_bytes``: ``search_postings``, of ``postings_tokens`` tokens) against
        the UTF-8 bytes of the titles and bodies it indexes (``text_bytes``), and the ``articles`` table's pages
        (``articles_bytes``).  Reads every page (``dbstat``): for the benchmark, not for a busy archive."""
        db = self.db
        index = db.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'articles_fts%'").fetchone()[0]
        articles = db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
            "WHERE name = 'articles' OR name LIKE 'sqlite_autoindex_articles%'"
        ).fetchone()[0]
        text = db.execute(
            "SELECT coalesce(sum(length(CAST(title AS BLOB))), 0) + coalesce(sum(length(CAST(body_text AS BLOB))), 0) "
            "FROM articles"
        ).fetchone()[0]
        postings = db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'search_postings'"
        ).fetchone()[0]
        tokens = db.execute("SELECT count(*) FROM search_tokens").fetchone()[0]
        return {"index_bytes": index, "postings_bytes": postings, "postings_tokens": tokens, "text_bytes": text,
                "articles_bytes": articles}  # fmt: skip
