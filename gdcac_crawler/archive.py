"""The SQLite archive: schema, buffered idempotent writes, and the read helpers the CLI uses.

This is the only module of the project that issues SQL.  The schema is created and changed through
``sqlite_utils.Migrations`` (set ``gdcac``); add a new ``m00N_...`` function below to change it, never edit
``m001_initial``.  ``archive/README.md`` documents every table and column (a test keeps it in step).

Writes are buffered in memory and flushed in one transaction when ``batch_size`` items are waiting, and on
:meth:`Archive.flush`, :meth:`Archive.finish_run` and :meth:`Archive.close`.  Every write is an upsert keyed by
primary key, so replaying the same items leaves the same rows.  The database runs in WAL mode so that readers
are never blocked by a crawl that is writing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import sqlite_utils
from sqlite_utils import Migrations

from . import ranking
from .items import ArticleItem, Fetch, ListingItem, PageFailure
from .search import (
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

logger = logging.getLogger(__name__)

__all__ = ["Archive", "article_id", "content_hash", "migrations", "COUNT_KEYS"]

# ---------------------------------------------------------------------------------------------------------
# Identity and content hashing
# ---------------------------------------------------------------------------------------------------------


def _sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def article_id(url: str) -> str:
    """The archive's id for an article: sha256 of its canonical URL (UTF-8), first 16 hex characters."""
    return _sha256(url)[:16]


def page_id(run_id: str | None, url: str) -> str:
    """The id of a ``pages`` row: sha256 of ``run_id + "\\n" + url``, first 16 hex characters."""
    return _sha256(f"{run_id or ''}\n{url}")[:16]


_CONTENT_FIELDS = ("title", "body_text", "published_at", "source", "attachments")
_LINE_BREAK_RE = re.compile(r"\r\n?")


def _normalise(value: Any) -> Any:
    """Strip whitespace at line ends (and leading/trailing blank lines) of every string, recursively."""
    if isinstance(value, str):
        lines = [line.rstrip() for line in _LINE_BREAK_RE.sub("\n", value).split("\n")]
        return "\n".join(lines).strip("\n")
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def content_hash(article: dict[str, Any] | Any) -> str:
    """sha256 (hex) of the article's content as it matters for versioning.

    Covers ``title``, ``body_text``, ``published_at``, ``source`` and ``attachments``, serialised as JSON
    with sorted keys and ``ensure_ascii=False``.  Whitespace at line ends, ``\\r\\n`` versus ``\\n`` and blank
    lines at the start or end of a field do not change the hash; a missing field equals ``None``, and missing
    or ``None`` attachments equal ``[]``.  Accepts a dict, an :class:`ArticleItem` or any item ItemAdapter
    understands.
    """
    data = _as_dict(article)
    content = {name: _normalise(data.get(name)) for name in _CONTENT_FIELDS}
    if content["attachments"] is None:
        content["attachments"] = []
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return _sha256(payload)


# ---------------------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------------------

migrations = Migrations("gdcac")
"""The migration set of the archive; ``Archive`` applies whatever is pending when it opens a database."""


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """The starting schema: runs, page_bodies, pages, articles, article_versions, listings."""
    db["runs"].create(
        {
            "id": str,
            "spider": str,
            "site": str,
            "mode": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "crawler_version": str,
            "settings": str,
            "stats": str,
            "listing_pages": int,
            "articles_new": int,
            "articles_changed": int,
            "articles_unchanged": int,
            "articles_failed": int,
            "items_dropped": int,
            "pages_blocked": int,
            "offsite_links": int,
        },
        pk="id",
    )
    db["page_bodies"].create(
        {"sha256": str, "size": int, "compression": str, "body": bytes},
        pk="sha256",
        not_null=["size", "compression", "body"],
    )
    db["pages"].create(
        {
            "id": str,
            "run_id": str,
            "site": str,
            "url": str,
            "final_url": str,
            "status": int,
            "fetched_at": str,
            "kind": str,
            "content_type": str,
            "declared_encoding": str,
            "encoding": str,
            "etag": str,
            "last_modified": str,
            "sha256": str,
            "size": int,
            "article_id": str,
            "error": str,
        },
        pk="id",
        not_null=["url"],
        foreign_keys=[("run_id", "runs", "id"), ("sha256", "page_bodies", "sha256")],
    )
    db["pages"].create_index(["url"])
    db["pages"].create_index(["run_id"])
    db["pages"].create_index(["kind"])
    db["articles"].create(
        {
            "id": str,
            "site": str,
            "url": str,
            "column_name": str,
            "column_path": str,
            "title": str,
            "published_at": str,
            "published_raw": str,
            "source": str,
            "source_raw": str,
            "author": str,
            "body_text": str,
            "body_html": str,
            "images": str,
            "attachments": str,
            "meta": str,
            "methods": str,
            "listed_title": str,
            "listed_date": str,
            "content_hash": str,
            "version": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "changed_at": str,
            "first_run_id": str,
            "last_run_id": str,
            "fetched_at": str,
            "http_status": int,
            "etag": str,
            "last_modified": str,
            "raw_sha256": str,
            "removed_at": str,
        },
        pk="id",
        not_null=["url", "content_hash", "version"],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["column_name"])
    db["articles"].create_index(["site"])
    db["article_versions"].create(
        {
            "article_id": str,
            "version": int,
            "content_hash": str,
            "run_id": str,
            "captured_at": str,
            "title": str,
            "published_at": str,
            "source": str,
            "body_text": str,
            "body_html": str,
            "images": str,
            "attachments": str,
            "raw_sha256": str,
        },
        pk=("article_id", "version"),
        not_null=["content_hash"],
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["listings"].create(
        {
            "listing_url": str,
            "article_url": str,
            "site": str,
            "column_name": str,
            "page_no": int,
            "position": int,
            "listed_title": str,
            "listed_date": str,
            "offsite": int,
            "article_id": str,
            "first_run_id": str,
            "last_run_id": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk=("listing_url", "article_url"),
    )
    db["listings"].create_index(["article_id"])


# --- Chinese full-text search and the readable views (m002) -----------------------------------------------

SEARCH_INDEX = "articles_fts"
"""The FTS5 index over articles' title and body (see :mod:`gdcac_crawler.search` for its token streams)."""

SEARCH_WEIGHTS = (4.0, 1.0, 4.0, 1.0)
"""bm25 weights of ``title_uni, body_uni, title_bi, body_bi``: a match in the title counts four times."""

_CREATE_SEARCH_INDEX = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title_uni, body_uni, title_bi, body_bi, content='', tokenize='ascii', detail=full)"
)
_CREATE_SEARCH_DOCS = "CREATE TABLE articles_fts_docs (doc INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE)"
_SEARCH_INSERT = "INSERT INTO articles_fts(rowid, title_uni, body_uni, title_bi, body_bi) VALUES (?, ?, ?, ?, ?)"
_BM25 = "bm25(articles_fts, {})".format(", ".join(str(w) for w in SEARCH_WEIGHTS))
_SEARCH_DELETE = (
    "INSERT INTO articles_fts(articles_fts, rowid, title_uni, body_uni, title_bi, body_bi) "
    "VALUES ('delete', ?, ?, ?, ?, ?)"
)

# One readable row per article (the current version; the articles table always holds it) and one per version.
_VIEWS = {
    "latest_articles": """CREATE VIEW latest_articles AS
SELECT a.id, a.published_at, substr(a.published_at, 1, 7) AS published_month, a.column_name, a.title,
       a.source, a.author, a.url, a.site, a.version, a.first_seen_at, a.last_seen_at, a.changed_at,
       a.removed_at, length(a.body_text) AS body_chars, json_array_length(a.attachments) AS attachment_count,
       a.body_text
  FROM articles a""",
    "article_history": """CREATE VIEW article_history AS
SELECT v.article_id, a.url, a.column_name, v.version, v.version = a.version AS is_current, v.captured_at,
       v.run_id, v.content_hash, p.content_hash AS previous_hash, v.title,
       p.title IS NOT NULL AND p.title IS NOT v.title AS title_changed, v.published_at, v.source,
       length(v.body_text) AS body_chars, length(v.body_text) - length(p.body_text) AS body_chars_change,
       v.body_text, v.raw_sha256
  FROM article_versions v
  JOIN articles a ON a.id = v.article_id
  LEFT JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1""",
}


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views ``latest_articles`` and ``article_history``.  A later migration that rebuilds
    ``articles`` or ``article_versions`` (sqlite-utils ``transform``) calls :func:`drop_views` first and this
    after."""
    drop_views(db)
    for sql in _VIEWS.values():
        db.execute(sql)


def drop_views(db: sqlite_utils.Database) -> None:
    """Drop the views of :data:`_VIEWS` where they exist."""
    for name in _VIEWS:
        db.execute(f'DROP VIEW IF EXISTS "{name}"')


def _select_in(
    db: sqlite_utils.Database, sql: str, values: list[Any], params: Iterable[Any] = (), *, dicts: bool = False
) -> Iterator[Any]:
    """Rows of ``sql``, whose ``{marks}`` stands for the placeholders of an ``IN (...)`` list, for every value in
    ``values`` (500 at a time, within SQLite's limit on parameters); ``params`` follow each list.  Tuples, or
    dicts with ``dicts``."""
    params = list(params)
    run = db.query if dicts else db.execute
    for i in range(0, len(values), 500):
        part = values[i : i + 500]
        yield from run(sql.format(marks=", ".join("?" for _ in part)), [*part, *params])


def _search_docs(db: sqlite_utils.Database, ids: list[str], *, create: bool) -> dict[str, int]:
    """``{article id: articles_fts rowid}`` from ``articles_fts_docs``; with ``create``, numbering the ids that
    have none (in order, so that the index's doclists stay dense: FTS5 stores rowid deltas)."""
    docs: dict[str, int] = dict(
        _select_in(db, "SELECT article_id, doc FROM articles_fts_docs WHERE article_id IN ({marks})", ids)
    )
    missing = [aid for aid in dict.fromkeys(ids) if aid not in docs]
    if create and missing:
        db.conn.executemany("INSERT INTO articles_fts_docs (article_id) VALUES (?)", [(aid,) for aid in missing])
        docs.update(_search_docs(db, missing, create=False))
    return docs


def _search_update(
    db: sqlite_utils.Database, changes: Iterable[tuple[str, Any, Any]], vocabulary: dict[str, int] | None = None
) -> int:
    """Apply ``(article id, old (title, body) or None, new (title, body))`` changes to ``articles_fts``: the old
    tokens are deleted (a contentless FTS5 table needs them back exactly), the new inserted.  Every article has
    exactly one document in the index, even an empty one.  With the ``vocabulary`` of promoted tokens (see
    :func:`_postings_append`), their postings follow.  Returns how many documents were written."""
    changes = list(changes)
    docs = _search_docs(db, [aid for aid, _, _ in changes], create=True)
    deletes, inserts, fields = [], [], []
    for aid, old, new in changes:
        rowid = docs[aid]
        if old is not None:
            (tu, tb), (bu, bb) = index_streams(old[0]), index_streams(old[1])
            deletes.append((rowid, tu, bu, tb, bb))
        (tu, tp), (bu, bp) = field_tokens(new[0]), field_tokens(new[1])
        inserts.append((rowid, " ".join(tu), " ".join(bu), " ".join(tp), " ".join(bp)))
        if vocabulary:
            fields.append((rowid, new, ranking.weighted_fields((tu, tp), (bu, bp))))
    conn = db.conn
    if deletes:
        conn.executemany(_SEARCH_DELETE, deletes)
    if inserts:
        conn.executemany(_SEARCH_INSERT, inserts)
    if vocabulary:
        _postings_append(db, fields, vocabulary)
    return len(inserts)


# --- Postings of the common tokens, for ranking their matches without FTS5 (m040) --------------------------
#
# search_postings holds, for each *promoted* token (one in at least PROMOTE_DF articles when the index was last
# optimised; listed in search_tokens), the articles containing it and its weighted count in each, and under
# the token '' every article's length in index tokens.  Rows are segments: each flush that re-indexes articles
# writes one segment (the same number for every token), and an article's live entries are those of the last
# segment that holds its length -- an article indexed again leaves stale entries behind in older segments.
# Archive.optimize_search merges each token's segments into one (and promotes tokens that became common).

PROMOTE_DF = 5_000
"""Tokens in at least this many articles get postings (FTS5 scores fewer matches than this in about 10 ms)."""
_LENGTHS = ""
"""The pseudo-token whose postings are the articles' lengths ``D``."""


def _search_meta(db: sqlite_utils.Database, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM search_meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def _set_search_meta(db: sqlite_utils.Database, **values: Any) -> None:
    db.conn.executemany(
        "INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def _postings_write(db: sqlite_utils.Database, segment: int, postings: dict[str, tuple[list[int], list[int]]]) -> None:
    db.conn.executemany(
        "INSERT OR REPLACE INTO search_postings (token, segment, docs, counts) VALUES (?, ?, ?, ?)",
        [(token, segment, ranking.pack(d, delta=True), ranking.pack(c)) for token, (d, c) in postings.items() if len(d)],
    )


def _postings_collect(
    articles: list[tuple[int, tuple[Any, Any], list[tuple[list[str], int]]]], vocabulary: dict[str, int],
    with_lengths: bool = True,
) -> dict[str, tuple[Any, Any]]:
    """``{token: (article numbers, weighted counts)}`` of ``(doc, (title, body), article_fields)``, with the
    lengths under :data:`_LENGTHS` when ``with_lengths``."""
    out: dict[str, tuple[Any, Any]] = ranking.batch_postings(((doc, f) for doc, _, f in articles), vocabulary)
    if with_lengths:
        latest = {doc: text for doc, text, _ in articles}
        docs = sorted(latest)
        out[_LENGTHS] = (docs, [ranking.doc_length(*latest[doc]) for doc in docs])
    return out


def _postings_append(
    db: sqlite_utils.Database, articles: list[tuple[int, tuple[Any, Any], list[tuple[list[str], int]]]],
    vocabulary: dict[str, int],
) -> None:
    """Write one new segment with the lengths and promoted tokens' counts of the (re)indexed ``articles``."""
    row = db.execute("SELECT coalesce(max(segment), 0) + 1 FROM search_postings WHERE token = ?", [_LENGTHS])
    _postings_write(db, row.fetchone()[0], _postings_collect(articles, vocabulary))


def _search_fill(db: sqlite_utils.Database) -> int:
    """Index every article (the index must be empty); how many."""
    n = 0
    cursor = db.execute("SELECT id, title, body_text FROM articles")
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            return n
        n += _search_update(db, ((aid, None, (title, body)) for aid, title, body in rows))


@migrations()
def m002_search(db: sqlite_utils.Database) -> None:
    """Chinese full-text search (``articles_fts``, filled from the archived articles) and the views
    ``latest_articles`` and ``article_history``."""
    db.execute(_CREATE_SEARCH_INDEX)
    db.execute(_CREATE_SEARCH_DOCS)
    db.execute(
        "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', ?)",
        ["bm25({})".format(", ".join(str(w) for w in SEARCH_WEIGHTS))],
    )
    _search_fill(db)
    create_views(db)


_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def _date_bound(value: Any, name: str, *, end: bool) -> str:
    """The ``published_at`` bound for a date filter: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (or a ``date``) gives
    its first day; with ``end``, the first day after it (so that ``published_at < bound`` includes the whole
    period).  Raises ``ValueError`` naming the filter for anything else."""
    from datetime import date, timedelta

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


# SQL that Datasette runs (gdcac_crawler.datasette_plugin registers the functions gdcac_fts and gdcac_snippet;
# archive/metadata.yml holds a copy of DATASETTE_SEARCH_SQL, which a test keeps equal).
DATASETTE_SEARCH_WHERE = (
    "id in (select articles_fts_docs.article_id from articles_fts join articles_fts_docs"
    " on articles_fts_docs.doc = articles_fts.rowid where articles_fts match gdcac_fts(:{param}))"
)
DATASETTE_SEARCH_SQL = """with hits as (
  select rowid, %s as score from articles_fts
   where articles_fts match gdcac_rank_fts(:q)
     and +rowid in (select rowid from articles_fts where articles_fts match gdcac_fts(:q))
   order by score limit 100
)
select a.title, gdcac_snippet(a.title, a.body_text, :q) as snippet, substr(a.published_at, 1, 10) as published,
       a.column_name, a.source, a.url, a.id
  from hits join articles_fts_docs d on d.doc = hits.rowid join articles a on a.id = d.article_id
 order by hits.score""" % _BM25.lower()


# Columns each buffered row carries (fixed, so that batched upserts never mix key sets).
_PAGE_COLUMNS = (
    "id", "run_id", "site", "url", "final_url", "status", "fetched_at", "kind", "content_type",
    "declared_encoding", "encoding", "etag", "last_modified", "sha256", "size", "article_id", "error",
)  # fmt: skip
_ARTICLE_CONTENT_COLUMNS = (
    "site", "url", "column_name", "column_path", "title", "published_at", "published_raw", "source", "source_raw",
    "author", "body_text", "body_html", "images", "attachments", "meta", "methods", "listed_title",
    "listed_date", "content_hash", "editor", "doc_number", "index_number", "related",
)  # fmt: skip
_ARTICLE_PROVENANCE_COLUMNS = ("fetched_at", "http_status", "etag", "last_modified", "raw_sha256")
_ARTICLE_COLUMNS = (
    ("id",)
    + _ARTICLE_CONTENT_COLUMNS
    + ("version", "first_seen_at", "last_seen_at", "changed_at", "first_run_id", "last_run_id")
    + _ARTICLE_PROVENANCE_COLUMNS
)
_ARTICLE_JSON_COLUMNS = ("column_path", "images", "attachments", "meta", "methods", "related")
_VERSION_JSON_COLUMNS = ("images", "attachments")
_LISTING_FIRST_COLUMNS = ("first_run_id", "first_seen_at")

COUNT_KEYS: dict[str, str] = {
    "listing_pages": "listing_pages",
    "new": "articles_new",
    "changed": "articles_changed",
    "unchanged": "articles_unchanged",
    "failed": "articles_failed",
    "dropped": "items_dropped",
    "blocked": "pages_blocked",
    "offsite": "offsite_links",
}
"""``finish_run(counts=...)`` keys and the ``runs`` columns they fill (the column names work as keys too)."""


# --- Incremental runs, removals and run health (m020) ------------------------------------------------------


@migrations()
def m020_incremental_runs(db: sqlite_utils.Database) -> None:
    """Incremental runs: per-run counts of not-modified and removed articles and of fallback/empty fields,
    the run's health verdict and resumes; which run found an article removed; versions by run."""
    runs = db["runs"]
    for name, kind in (("articles_not_modified", int), ("articles_removed", int), ("fallback_fields", int),
                       ("empty_fields", int), ("healthy", int), ("health", str), ("resumes", int)):
        if name not in runs.columns_dict:
            runs.add_column(name, kind)
    if "removed_run_id" not in db["articles"].columns_dict:
        db["articles"].add_column("removed_run_id", str)
    db["article_versions"].create_index(["run_id"], if_not_exists=True)


COUNT_KEYS.update({
    "not_modified": "articles_not_modified",
    "removed": "articles_removed",
    "fallback_fields": "fallback_fields",
    "empty_fields": "empty_fields",
    "resumes": "resumes",
})

# --- Extraction fields and attachment files (m030, m031) --------------------------------------------------


@migrations()
def m030_article_fields(db: sqlite_utils.Database) -> None:
    """Article metadata that extraction finds: ``editor`` (责任编辑), ``doc_number`` (文号), ``index_number``
    (索引号), and ``related`` (JSON: the related-link blocks moved out of the body)."""
    articles = db["articles"]
    for name in ("editor", "doc_number", "index_number", "related"):
        if name not in articles.columns_dict:
            articles.add_column(name, str)


@migrations()
def m031_attachment_files(db: sqlite_utils.Database) -> None:
    """``attachment_files``: what downloading each attachment of an article gave (the attachments pipeline)."""
    db["attachment_files"].create(
        {
            "article_id": str,
            "url": str,
            "name": str,
            "type": str,
            "status": str,
            "error": str,
            "sha256": str,
            "size": int,
            "path": str,
            "content_type": str,
            "sniffed_type": str,
            "run_id": str,
            "fetched_at": str,
        },
        pk=("article_id", "url"),
        if_not_exists=True,
    )
    db["attachment_files"].create_index(["sha256"], if_not_exists=True)


@migrations()
def m040_search_postings(db: sqlite_utils.Database) -> None:
    """Postings of the common tokens (``search_postings``, ``search_tokens``, ``search_meta``): how the search
    ranks queries that match tens of thousands of articles (:mod:`gdcac_crawler.ranking`).  Empty until the
    archive holds enough articles for a token to reach ``PROMOTE_DF``."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS search_postings (token TEXT NOT NULL, segment INTEGER NOT NULL, "
        "docs BLOB NOT NULL, counts BLOB NOT NULL, PRIMARY KEY (token, segment)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE IF NOT EXISTS search_tokens (token TEXT PRIMARY KEY, df INTEGER NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value)")


@migrations()
def m041_attachment_validators(db: sqlite_utils.Database) -> None:
    """``attachment_files.etag`` and ``last_modified``: the validators a stored file came with, so that the next
    run asks for it conditionally (a 304 keeps the stored file, status ``not_modified``)."""
    table = db["attachment_files"]
    for name in ("etag", "last_modified"):
        if name not in table.columns_dict:
            table.add_column(name, str)


_ATTACHMENT_FILE_COLUMNS = (
    "article_id", "url", "name", "type", "status", "error", "sha256", "size", "path", "content_type",
    "sniffed_type", "run_id", "fetched_at", "etag", "last_modified",
)  # fmt: skip

#: Columns :meth:`Archive.known_articles` returns (all from ``m001_initial`` but ``removed_run_id``).
_KNOWN_COLUMNS = (
    "id", "url", "column_name", "published_at", "first_seen_at", "last_seen_at", "first_run_id", "last_run_id",
    "etag", "last_modified", "listed_title", "listed_date", "removed_at", "removed_run_id",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


def _utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _from_json(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_dict(item: Any) -> dict[str, Any]:
    """A plain dict of an item (dataclass, dict or anything ItemAdapter understands); nested items too."""
    if isinstance(item, dict):
        return item
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    from itemadapter import ItemAdapter  # local: only needed for exotic item types

    return ItemAdapter(item).asdict()


def _fetch_dict(fetch: Fetch | dict[str, Any] | None) -> dict[str, Any] | None:
    if fetch is None:
        return None
    if isinstance(fetch, dict):
        return fetch
    return _as_dict(fetch)


# ---------------------------------------------------------------------------------------------------------
# The archive
# ---------------------------------------------------------------------------------------------------------


class Archive:
    """A crawl archive in one SQLite file.

    Not thread-safe: use one instance from one thread at a time (the connection is opened with
    ``check_same_thread=False`` so that a caller may hand it to a worker thread, never to two at once).
    """

    def __init__(self, path: str | os.PathLike[str], *, batch_size: int = 200, readonly: bool = False):
        """Open (and, unless ``readonly``, create and migrate) the archive at ``path``."""
        self.path = Path(path)
        self.batch_size = max(1, int(batch_size))
        self.readonly = readonly
        if readonly:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=10, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=10, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        """The underlying :class:`sqlite_utils.Database` (for tests and read-only inspection)."""
        if not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("PRAGMA foreign_keys=ON")
        if not readonly:
            pending = [m.name for m in migrations.pending(self.db)]
            if pending:
                logger.info("Archive %s: applying migrations %s", self.path, ", ".join(pending))
            migrations.apply(self.db)
        self._closed = False
        self._postings_tables = False
        self._promoted: tuple[Any, dict[str, int]] | None = None  # (search_meta generation, promoted tokens)
        self._reset_buffers()

    # -- buffers -----------------------------------------------------------------------------------------

    def _reset_buffers(self) -> None:
        self._bodies: dict[str, dict[str, Any]] = {}
        self._pages: dict[str, dict[str, Any]] = {}
        self._articles: dict[str, dict[str, Any]] = {}
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}
        self._listings: dict[tuple[str, str], dict[str, Any]] = {}
        self._attachment_files: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending_items = 0

    def _check_writable(self) -> None:
        if self._closed:
            raise RuntimeError(f"Archive {self.path} is closed")
        if self.readonly:
            raise RuntimeError(f"Archive {self.path} was opened read-only")

    def _item_added(self) -> None:
        self._pending_items += 1
        if self._pending_items >= self.batch_size:
            self.flush()

    @property
    def pending(self) -> int:
        """How many items (add_* calls) wait in the buffer."""
        return self._pending_items

    # -- runs --------------------------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str,
        *,
        spider: str,
        site: str,
        mode: str,
        started_at: str,
        settings: dict[str, Any],
        crawler_version: str,
    ) -> None:
        """Record the start of a crawl run (written at once; calling it again for the same id is harmless)."""
        self._check_writable()
        self.flush()
        with self.db.atomic():
            self.db["runs"].upsert(
                {
                    "id": run_id,
                    "spider": spider,
                    "site": site,
                    "mode": mode,
                    "started_at": started_at,
                    "settings": _to_json(settings or {}),
                    "crawler_version": crawler_version,
                },
                pk="id",
            )
        logger.info("Run %s started (%s, %s, %s)", run_id, spider, site, mode)

    def finish_run(
        self,
        run_id: str,
        *,
        finished_at: str,
        finish_reason: str,
        counts: dict[str, int],
        stats: dict[str, Any],
    ) -> None:
        """Flush, then record the end of a run with its counts and stats.

        ``counts`` keys are those of :data:`COUNT_KEYS` (or the column names themselves); a count that is not
        given is stored as 0, and unknown keys are kept only in the ``stats`` JSON.
        """
        self._check_writable()
        self.flush()
        row: dict[str, Any] = {"id": run_id, "finished_at": finished_at, "finish_reason": finish_reason}
        row.update({column: 0 for column in COUNT_KEYS.values()})
        columns = set(COUNT_KEYS.values())
        extra: dict[str, Any] = {}
        for key, value in (counts or {}).items():
            column = COUNT_KEYS.get(key, key if key in columns else None)
            if column is None:
                extra[key] = value
            else:
                row[column] = int(value or 0)
        merged = dict(stats or {})
        for key, value in extra.items():
            merged.setdefault(key, value)
        row["stats"] = _to_json(merged)
        with self.db.atomic():
            self.db["runs"].upsert(row, pk="id")
        logger.info("Run %s finished (%s): %s", run_id, finish_reason, counts)

    # -- pages -------------------------------------------------------------------------------------------

    def _buffer_page(
        self, fetch: Fetch | dict[str, Any], *, site: str | None, article_id: str | None = None
    ) -> str:
        f = _fetch_dict(fetch) or {}
        body = f.get("body")
        sha = f.get("sha256")
        size = f.get("size")
        if body is not None:
            if isinstance(body, str):
                body = body.encode(f.get("encoding") or "utf-8", "replace")
            actual = _sha256(body)
            if sha and sha != actual:
                logger.warning(
                    "Fetch of %s: sha256 %s does not match its body (%s); using the body's", f.get("url"), sha, actual
                )
            sha = actual
            size = len(body)
            if sha not in self._bodies:
                self._bodies[sha] = {
                    "sha256": sha,
                    "size": size,
                    "compression": "zlib",
                    "body": zlib.compress(body, 6),
                }
        elif sha and not self._body_known(sha):
            # A fetch that reports a sha256 but carries no bytes: keep the pages row valid (the foreign key
            # needs the body) and its size; the hash is lost.
            logger.debug("Fetch of %s has no body and sha256 %s is not archived; storing NULL", f.get("url"), sha)
            sha = None
        run_id = f.get("run_id")
        url = f.get("url") or ""
        pid = page_id(run_id, url)
        self._pages[pid] = {
            "id": pid,
            "run_id": run_id,
            "site": site,
            "url": url,
            "final_url": f.get("final_url"),
            "status": f.get("status"),
            "fetched_at": f.get("fetched_at"),
            "kind": f.get("kind"),
            "content_type": f.get("content_type"),
            "declared_encoding": f.get("declared_encoding"),
            "encoding": f.get("encoding"),
            "etag": f.get("etag"),
            "last_modified": f.get("last_modified"),
            "sha256": sha,
            "size": size,
            "article_id": article_id,
            "error": f.get("error"),
        }
        return pid

    def _body_known(self, sha: str) -> bool:
        if sha in self._bodies:
            return True
        row = self.db.execute("SELECT 1 FROM page_bodies WHERE sha256 = ?", [sha]).fetchone()
        return row is not None

    def add_page(self, fetch: Fetch, *, site: str, article_id: str | None = None) -> str:
        """Buffer a ``pages`` row (and its body in ``page_bodies``) for one fetch; return the page id."""
        self._check_writable()
        pid = self._buffer_page(fetch, site=site, article_id=article_id)
        self._item_added()
        return pid

    def add_failure(self, item: PageFailure | dict[str, Any]) -> None:
        """Buffer the ``pages`` row of a page that failed or was refused (kind ``error``/``rejected``)."""
        self._check_writable()
        data = _as_dict(item)
        fetch = dict(_fetch_dict(data.get("fetch")) or {})
        if not fetch.get("kind"):
            fetch["kind"] = "error"
        self._buffer_page(fetch, site=data.get("site"))
        self._item_added()

    # -- listings ----------------------------------------------------------------------------------------

    def add_listing(self, item: ListingItem | dict[str, Any]) -> None:
        """Buffer the listing page's ``pages`` row and one ``listings`` row per entry."""
        self._check_writable()
        data = _as_dict(item)
        fetch = _fetch_dict(data.get("fetch")) or {}
        site = data.get("site")
        if fetch:
            self._buffer_page(fetch, site=site)
        run_id = fetch.get("run_id")
        seen_at = fetch.get("fetched_at") or _utcnow()
        listing_url = data["url"]
        for entry in data.get("entries") or ():
            e = _as_dict(entry)
            offsite = bool(e.get("offsite"))
            key = (listing_url, e["url"])
            previous = self._listings.get(key)
            self._listings[key] = {
                "listing_url": listing_url,
                "article_url": e["url"],
                "site": site,
                "column_name": data.get("column"),
                "page_no": data.get("page_no"),
                "position": e.get("position"),
                "listed_title": e.get("title"),
                "listed_date": e.get("listed_date"),
                "offsite": int(offsite),
                "article_id": None if offsite else article_id(e["url"]),
                "first_run_id": previous["first_run_id"] if previous else run_id,
                "last_run_id": run_id,
                "first_seen_at": previous["first_seen_at"] if previous else seen_at,
                "last_seen_at": seen_at,
            }
        self._item_added()

    # -- articles ----------------------------------------------------------------------------------------

    def _current_article(self, aid: str) -> dict[str, Any] | None:
        """The article's latest state: the buffered row, else the stored one (one primary-key SELECT)."""
        pending = self._articles.get(aid)
        if pending is not None:
            return pending
        cursor = self.db.execute(
            "SELECT {} FROM articles WHERE id = ?".format(", ".join(f'"{c}"' for c in _ARTICLE_COLUMNS)), [aid]
        )
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip(_ARTICLE_COLUMNS, row))

    def _hash_was_archived(self, aid: str, chash: str) -> bool:
        if any(k[0] == aid and v["content_hash"] == chash for k, v in self._versions.items()):
            return True
        row = self.db.execute(
            "SELECT 1 FROM article_versions WHERE article_id = ? AND content_hash = ? LIMIT 1", [aid, chash]
        ).fetchone()
        return row is not None

    def add_article(self, item: ArticleItem | dict[str, Any]) -> str:
        """Buffer an article (its page, its ``articles`` row, and a version row when its content is new).

        Returns ``"new"`` (never archived), ``"changed"`` (its content hash differs from the archived one: a new
        version) or ``"unchanged"`` (same content: only last_seen_at, last_run_id and the fetch provenance move).
        A fetch no later than the archived last_seen_at whose content the archive already holds (a replay) is
        ``"unchanged"`` and moves nothing, so replaying items never rewinds or duplicates anything.
        """
        self._check_writable()
        data = _as_dict(item)
        url = data["url"]
        aid = article_id(url)
        fetch = _fetch_dict(data.get("fetch"))
        raw_sha = None
        if fetch:
            self._buffer_page(fetch, site=data.get("site"), article_id=aid)
            raw_sha = self._pages[page_id(fetch.get("run_id"), fetch.get("url") or "")]["sha256"]
        else:
            logger.warning("Article %s has no fetch provenance; archiving it without a pages row", url)
            fetch = {}
        self._buffer_attachment_files(aid, data.get("attachment_files"), fetch.get("run_id"))
        run_id = fetch.get("run_id")
        seen_at = fetch.get("fetched_at") or _utcnow()
        chash = content_hash(data)
        provenance = {
            "fetched_at": fetch.get("fetched_at"),
            "http_status": fetch.get("status"),
            "etag": fetch.get("etag"),
            "last_modified": fetch.get("last_modified"),
            "raw_sha256": raw_sha,
        }
        content = {
            "site": data.get("site"),
            "url": url,
            "column_name": data.get("column"),
            "column_path": _to_json(list(data.get("column_path") or [])),
            "title": data.get("title"),
            "published_at": data.get("published_at"),
            "published_raw": data.get("published_raw"),
            "source": data.get("source"),
            "source_raw": data.get("source_raw"),
            "author": data.get("author"),
            "body_text": data.get("body_text"),
            "body_html": data.get("body_html"),
            "images": _to_json(list(data.get("images") or [])),
            "attachments": _to_json(list(data.get("attachments") or [])),
            "meta": _to_json(dict(data.get("meta") or {})),
            "methods": _to_json(dict(data.get("methods") or {})),
            "listed_title": data.get("listed_title"),
            "listed_date": data.get("listed_date"),
            "content_hash": chash,
            "editor": data.get("editor"),
            "doc_number": data.get("doc_number"),
            "index_number": data.get("index_number"),
            "related": _to_json(list(data.get("related") or [])),
        }
        current = self._current_article(aid)

        if current is not None:
            last_seen = current.get("last_seen_at")
            is_replay = bool(fetch.get("fetched_at") and last_seen and fetch["fetched_at"] <= last_seen)
            if is_replay and (current["content_hash"] == chash or self._hash_was_archived(aid, chash)):
                logger.debug("Article %s: fetch at %s is not newer than %s; nothing moves", url, seen_at, last_seen)
                self._item_added()
                return "unchanged"
            if current["content_hash"] == chash:
                row = dict(current)
                row.update(provenance, last_seen_at=seen_at, last_run_id=run_id)
                self._articles[aid] = row
                self._item_added()
                return "unchanged"
            if is_replay:
                logger.warning(
                    "Article %s: content fetched at %s is older than the archived %s and new to the archive; "
                    "recording it as a new version",
                    url,
                    seen_at,
                    last_seen,
                )
            version = int(current["version"] or 0) + 1
            row = dict(current)
            row.update(content)
            row.update(provenance, version=version, last_seen_at=seen_at, changed_at=seen_at, last_run_id=run_id)
            status = "changed"
        else:
            version = 1
            row = {"id": aid, **content, **provenance}
            row.update(
                version=1,
                first_seen_at=seen_at,
                last_seen_at=seen_at,
                changed_at=seen_at,
                first_run_id=run_id,
                last_run_id=run_id,
            )
            status = "new"
        self._articles[aid] = {c: row.get(c) for c in _ARTICLE_COLUMNS}
        self._versions[(aid, version)] = {
            "article_id": aid,
            "version": version,
            "content_hash": chash,
            "run_id": run_id,
            "captured_at": seen_at,
            "title": content["title"],
            "published_at": content["published_at"],
            "source": content["source"],
            "body_text": content["body_text"],
            "body_html": content["body_html"],
            "images": content["images"],
            "attachments": content["attachments"],
            "raw_sha256": raw_sha,
        }
        logger.debug("Article %s: %s (version %d)", url, status, version)
        self._item_added()
        return status

    # -- incremental runs: revisits, removals, run counts and health (m020) --------------------------------

    def known_articles(self, site: str, since: str | None = None) -> list[dict[str, Any]]:
        """Every archived article of ``site`` (removed ones too), as dicts of :data:`_KNOWN_COLUMNS`; with
        ``since`` (UTC, ``Z``), only those first seen at or after it.  What an incremental crawl reads at its
        start to decide what is new, what to revisit and what this run already did (one query)."""
        self.flush()
        present = set(self.db["articles"].columns_dict)
        columns = ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in _KNOWN_COLUMNS)
        sql = f"SELECT {columns} FROM articles WHERE site = ?"
        args: list[Any] = [site]
        if since is not None:
            sql += " AND first_seen_at >= ?"
            args.append(since)
        return [dict(zip(_KNOWN_COLUMNS, row)) for row in self.db.execute(sql, args)]

    def mark_not_modified(self, url: str, fetch: Fetch | dict[str, Any], *, site: str | None) -> str:
        """A revisit answered 304: buffer its ``pages`` row and move only the article's ``last_seen_at`` and
        ``last_run_id`` (no version, no content or provenance change).  Returns ``"not_modified"``, or
        ``"unknown"`` when the archive does not hold the article (only the page is recorded)."""
        self._check_writable()
        aid = article_id(url)
        f = _fetch_dict(fetch) or {}
        self._buffer_page(f, site=site, article_id=aid)
        current = self._current_article(aid)
        if current is None:
            logger.warning("Article %s answered 304 but is not in the archive", url)
            self._item_added()
            return "unknown"
        seen_at = f.get("fetched_at") or _utcnow()
        row = dict(current)
        if not row.get("last_seen_at") or seen_at > row["last_seen_at"]:
            row.update(last_seen_at=seen_at, last_run_id=f.get("run_id"))
        self._articles[aid] = row
        self._item_added()
        return "not_modified"

    def mark_removed(self, url: str, fetch: Fetch | dict[str, Any] | None, *, site: str | None,
                     removed_at: str | None = None) -> str:
        """An archived article is gone from the portal (404/410 on revisit): record the fetch and set its
        ``removed_at`` and ``removed_run_id`` (the row and its versions stay).  Written at once (removals are
        rare).  Returns ``"removed"``, ``"already_removed"`` or ``"unknown"``."""
        self._check_writable()
        aid = article_id(url)
        f = _fetch_dict(fetch) or {}
        if f:
            self._buffer_page(f, site=site, article_id=aid)
        self.flush()
        when = removed_at or f.get("fetched_at") or _utcnow()
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE articles SET removed_at = ?, removed_run_id = ? WHERE id = ? AND removed_at IS NULL",
                [when, f.get("run_id"), aid])
        if cursor.rowcount:
            logger.info("Article %s removed from the portal (found %s)", url, when)
            return "removed"
        known = self.db.execute("SELECT 1 FROM articles WHERE id = ?", [aid]).fetchone()
        return "already_removed" if known else "unknown"

    def restore_article(self, url: str) -> bool:
        """Clear ``removed_at`` of an article that answers again (it is back on the portal); ``True`` if it
        was marked removed."""
        self._check_writable()
        aid = article_id(url)
        row = self.db.execute("SELECT removed_at FROM articles WHERE id = ?", [aid]).fetchone()
        if row is None or row[0] is None:
            return False
        with self.db.atomic():
            self.db.execute("UPDATE articles SET removed_at = NULL, removed_run_id = NULL WHERE id = ?", [aid])
        logger.info("Article %s is back on the portal (was removed %s)", url, row[0])
        return True

    def unlisted_articles(self, site: str, run_id: str, columns: Iterable[str] | None = None) -> dict[str, Any]:
        """What a complete walk in ``run_id`` did not find: ``{"urls": [...], "considered": n}`` — the URLs of
        the not-removed articles of ``site`` in ``columns`` (default: the columns whose listings the run saw)
        that no listing showed in the run, and how many not-removed articles those columns hold."""
        self.flush()
        if columns is None:
            columns = [r[0] for r in self.db.execute(
                "SELECT DISTINCT column_name FROM listings WHERE last_run_id = ? AND site = ? "
                "AND column_name IS NOT NULL", [run_id, site])]
        columns = sorted(set(columns))
        if not columns:
            return {"urls": [], "considered": 0}
        marks = ", ".join("?" for _ in columns)
        where = f"site = ? AND removed_at IS NULL AND column_name IN ({marks})"
        considered = self.db.execute(f"SELECT count(*) FROM articles WHERE {where}", [site, *columns]).fetchone()[0]
        rows = self.db.execute(
            f"SELECT url FROM articles WHERE {where} "
            "AND url NOT IN (SELECT article_url FROM listings WHERE last_run_id = ?) ORDER BY url",
            [site, *columns, run_id])
        return {"urls": [r[0] for r in rows], "considered": int(considered)}

    def mark_unlisted_removed(self, urls: Iterable[str], *, run_id: str, removed_at: str) -> int:
        """Mark ``urls`` (from :meth:`unlisted_articles`) removed by ``run_id`` in one transaction; how many."""
        self._check_writable()
        self.flush()
        n = 0
        with self.db.atomic():
            for url in urls:
                cursor = self.db.execute(
                    "UPDATE articles SET removed_at = ?, removed_run_id = ? WHERE id = ? AND removed_at IS NULL",
                    [removed_at, run_id, article_id(url)])
                n += cursor.rowcount
        return n

    def run_counts(self, run_id: str) -> dict[str, int]:
        """The counts of a run as the archive holds them (exact across a killed and resumed run, since every
        write is keyed): ``listing_pages``, ``new``, ``changed``, ``unchanged``, ``not_modified``, ``removed``,
        ``failed``, ``dropped``, ``blocked`` (keys of :data:`COUNT_KEYS`)."""
        self.flush()

        def one(sql: str) -> int:
            return int(self.db.execute(sql, [run_id]).fetchone()[0] or 0)

        pages = dict(self.db.execute(
            "SELECT kind || ':' || CASE WHEN status BETWEEN 200 AND 299 THEN '2xx' ELSE coalesce(status, 0) END, "
            "count(*) FROM pages WHERE run_id = ? GROUP BY 1", [run_id]).fetchall())
        by_kind: dict[str, int] = {}
        for key, n in pages.items():
            by_kind[key.split(":")[0]] = by_kind.get(key.split(":")[0], 0) + n
        new = one("SELECT count(*) FROM article_versions WHERE run_id = ? AND version = 1")
        changed = one("SELECT count(*) FROM article_versions WHERE run_id = ? AND version > 1")
        fetched = pages.get("article:2xx", 0)
        return {
            "listing_pages": by_kind.get("listing", 0),
            "new": new,
            "changed": changed,
            "unchanged": max(0, fetched - new - changed),
            "not_modified": pages.get("article:304", 0),
            "removed": one("SELECT count(*) FROM articles WHERE removed_run_id = ?"),
            "failed": by_kind.get("error", 0),
            "dropped": by_kind.get("rejected", 0),
            "blocked": by_kind.get("blocked", 0),
        }

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """One run's row (``settings`` and ``stats`` decoded), or ``None``."""
        self.flush()
        row = next(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
        if row is not None:
            row["settings"] = _from_json(row.get("settings"))
            row["stats"] = _from_json(row.get("stats"))
        return row

    def set_run_health(self, run_id: str, *, healthy: bool | None, reason: str | None) -> None:
        """Record a run's health verdict: ``healthy`` 1/0 (``None``: not assessed) and the one-line reason."""
        self._check_writable()
        self.flush()
        with self.db.atomic():
            self.db.execute("UPDATE runs SET healthy = ?, health = ? WHERE id = ?",
                            [None if healthy is None else int(healthy), reason, run_id])

    # -- attachment files ----------------------------------------------------------------------------------

    def _buffer_attachment_files(self, aid: str, files: Iterable[dict[str, Any]] | None, run_id: str | None) -> None:
        for record in files or ():
            rec = _as_dict(record)
            if not rec.get("url"):
                continue
            row = {name: rec.get(name) for name in _ATTACHMENT_FILE_COLUMNS}
            row.update(article_id=aid, run_id=rec.get("run_id") or run_id)
            self._attachment_files[(aid, rec["url"])] = row

    def add_attachment_files(self, article_url: str, files: Iterable[dict[str, Any]], *,
                             run_id: str | None = None) -> None:
        """Buffer the ``attachment_files`` rows of an article's downloaded (or failed) attachments, keyed by
        (article, attachment URL): a later download replaces the earlier row.  :meth:`add_article` calls it
        with the item's ``attachment_files``."""
        self._check_writable()
        self._buffer_attachment_files(article_id(article_url), files, run_id)
        self._item_added()

    def stored_attachments(self) -> dict[str, dict[str, Any]]:
        """``{attachment URL: its file}`` for every attachment whose file the store holds (the newest record
        of each URL that was stored or found not modified): ``sha256``, ``path``, ``size``, ``content_type``,
        ``sniffed_type``, ``etag``, ``last_modified`` — what a run needs to ask for it conditionally."""
        self.flush()
        rows = self.db.execute(
            "SELECT url, sha256, path, size, content_type, sniffed_type, etag, last_modified FROM attachment_files "
            "WHERE status IN ('stored', 'not_modified') AND path IS NOT NULL AND sha256 IS NOT NULL "
            "ORDER BY fetched_at"
        )
        names = ("sha256", "path", "size", "content_type", "sniffed_type", "etag", "last_modified")
        return {url: dict(zip(names, rest)) for url, *rest in rows}

    def attachment_files(self, id_or_url: str) -> list[dict[str, Any]]:
        """The ``attachment_files`` rows of an article (by id or URL), in URL order."""
        self.flush()
        aid = id_or_url if re.fullmatch(r"[0-9a-f]{16}", id_or_url) else article_id(id_or_url)
        return list(self.db.query("SELECT * FROM attachment_files WHERE article_id = ? ORDER BY url", [aid]))

    # -- flushing ----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything buffered in one transaction (nothing is written if it fails; the buffer is kept)."""
        if self._closed or self.readonly:
            return
        if not (self._bodies or self._pages or self._articles or self._versions or self._listings
                or self._attachment_files):
            self._pending_items = 0
            return
        run_ids = {r["run_id"] for r in self._pages.values()}
        run_ids |= {r["last_run_id"] for r in self._articles.values()}
        run_ids |= {r["last_run_id"] for r in self._listings.values()}
        run_ids.discard(None)
        try:
            with self.db.atomic():
                if run_ids:
                    # pages.run_id references runs.id: a run nobody started gets a bare row
                    self.db["runs"].insert_all(({"id": r} for r in sorted(run_ids)), pk="id", ignore=True)
                self._upsert("page_bodies", self._bodies.values(), "sha256")
                self._sync_search_index(self._articles.values())  # before the upsert: it reads the old text
                self._upsert("articles", self._articles.values(), "id")
                self._upsert("article_versions", self._versions.values(), ("article_id", "version"))
                self._upsert("pages", self._pages.values(), "id")
                self._upsert("attachment_files", self._attachment_files.values(), ("article_id", "url"))
                if self._listings:
                    listings = self.db["listings"]
                    pk = ("listing_url", "article_url")
                    listings.insert_all(self._listings.values(), pk=pk, ignore=True)
                    listings.upsert_all(
                        (
                            {k: v for k, v in r.items() if k not in _LISTING_FIRST_COLUMNS}
                            for r in self._listings.values()
                        ),
                        pk=pk,
                    )
        except Exception:
            logger.exception("Archive %s: flush of %d items failed; they stay buffered", self.path, self._pending_items)
            raise
        logger.debug(
            "Archive %s: flushed %d items (%d pages, %d bodies, %d articles, %d versions, %d listings)",
            self.path,
            self._pending_items,
            len(self._pages),
            len(self._bodies),
            len(self._articles),
            len(self._versions),
            len(self._listings),
        )
        self._reset_buffers()

    def _upsert(self, table: str, rows: Iterable[dict[str, Any]], pk: str | tuple[str, ...]) -> None:
        rows = list(rows)
        if rows:
            self.db[table].upsert_all(rows, pk=pk)

    def close(self) -> None:
        """Flush and close the connection (a second call does nothing)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- reads (each flushes the buffer first, so an instance always reads its own writes) ----------------

    def article_count(self) -> int:
        """Number of archived articles."""
        self.flush()
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def get_article(self, id_or_url: str) -> dict[str, Any] | None:
        """One article by id or URL, JSON columns decoded; ``None`` when the archive does not hold it."""
        self.flush()
        row = None
        if re.fullmatch(r"[0-9a-f]{16}", id_or_url):
            row = next(self.db.query("SELECT * FROM articles WHERE id = ?", [id_or_url]), None)
        if row is None:
            row = next(self.db.query("SELECT * FROM articles WHERE url = ?", [id_or_url]), None)
        if row is None:
            return None
        for column in _ARTICLE_JSON_COLUMNS:
            row[column] = _from_json(row.get(column))
        return row

    def article_versions(self, id_or_url: str) -> list[dict[str, Any]]:
        """All versions of an article, oldest first, JSON columns decoded."""
        self.flush()
        aid = id_or_url if re.fullmatch(r"[0-9a-f]{16}", id_or_url) else article_id(id_or_url)
        rows = list(self.db.query("SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [aid]))
        for row in rows:
            for column in _VERSION_JSON_COLUMNS:
                row[column] = _from_json(row.get(column))
        return rows

    def column_summary(self) -> list[dict[str, Any]]:
        """Per column: ``column_name``, ``articles``, ``first_published``, ``last_published``; biggest first."""
        self.flush()
        return list(
            self.db.query(
                "SELECT column_name, count(*) AS articles, "
                "min(published_at) AS first_published, max(published_at) AS last_published "
                "FROM articles GROUP BY column_name ORDER BY articles DESC, column_name"
            )
        )

    def runs(self) -> list[dict[str, Any]]:
        """All runs, oldest first, ``settings`` and ``stats`` decoded."""
        self.flush()
        rows = list(self.db.query("SELECT * FROM runs ORDER BY started_at, id"))
        for row in rows:
            row["settings"] = _from_json(row.get("settings"))
            row["stats"] = _from_json(row.get("stats"))
        return rows

    # -- search, exports, statistics and provenance (m002) ------------------------------------------------

    def _sync_search_index(self, rows: Iterable[dict[str, Any]]) -> None:
        """Bring ``articles_fts`` in step with ``articles`` rows that are about to be upserted.

        Call it inside the write transaction and *before* the rows are written: it reads the archived title and
        body of those ids, deletes their old tokens and indexes the new text (an unchanged title and body cost
        that one read).  Every write that changes ``articles.title`` or ``articles.body_text`` goes through it.
        """
        rows = list(rows)
        if not rows:
            return
        old = {
            aid: (title, body)
            for aid, title, body in _select_in(
                self.db, "SELECT id, title, body_text FROM articles WHERE id IN ({marks})", [row["id"] for row in rows]
            )
        }
        changes = []
        for row in rows:
            new = (row.get("title"), row.get("body_text"))
            if row["id"] not in old:
                changes.append((row["id"], None, new))
            elif old[row["id"]] != new:
                changes.append((row["id"], old[row["id"]], new))
        if changes:
            _search_update(self.db, changes, self._promoted_tokens())

    def _has_postings_tables(self) -> bool:
        """Whether ``m040_search_postings`` made its tables: an archive from before it, opened read-only, has
        none, and FTS5 ranks everything."""
        if not self._postings_tables:
            row = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_meta'").fetchone()
            self._postings_tables = row is not None
        return self._postings_tables

    def _promoted_tokens(self) -> dict[str, int]:
        """The tokens that have postings, each with a number (read again whenever another connection has
        optimised the index)."""
        if not self._has_postings_tables():
            return {}
        generation = _search_meta(self.db, "generation", 0)
        if self._promoted is None or self._promoted[0] != generation:
            tokens = sorted(t for (t,) in self.db.execute("SELECT token FROM search_tokens"))
            self._promoted = (generation, {t: i for i, t in enumerate(tokens)})
        return self._promoted[1]

    def optimize_search(self, min_df: int | None = None) -> dict[str, Any]:
        """Promote the tokens now in at least ``min_df`` articles (default: the archive's last value, else
        :data:`PROMOTE_DF`) to postings, and merge every token's postings into one segment.

        Everything is read and computed under one read snapshot — promoting reads every article once (about a
        minute per 100,000), merging reads the postings — and written at the end in one short write
        transaction.  If another connection wrote to the archive meanwhile, nothing is written and the result
        says ``skipped`` (the postings stay complete and in step; the next call tries again).  The crawl calls it
        at the end of a run when the archive has grown by a tenth (:meth:`maybe_optimize_search`); ``gdcac
        migrate --optimize`` calls it by hand.  Returns what it did.
        """
        self._check_writable()
        self.flush()
        started = time.perf_counter()
        db, conn = self.db, self.db.conn
        conn.execute("BEGIN")  # deferred: a read snapshot until the first write below
        try:
            min_df = int(min_df or _search_meta(db, "promote_df", PROMOTE_DF))
            docs_total = db.execute("SELECT count(*) FROM articles_fts_docs").fetchone()[0]
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.gdcac_fts_vocab USING fts5vocab(main, articles_fts, row)")
            common = dict(db.execute("SELECT term, doc FROM temp.gdcac_fts_vocab WHERE doc >= ?", [min_df]))
            old = {t for (t,) in db.execute("SELECT token FROM search_tokens")}
            added = sorted(set(common) - old)
            lengths, segment = self._doc_segments()
            top = int(segment.max()) + 1 if len(segment) else 1
            merged = 0
            if not len(lengths):  # no postings yet: every promoted token and the lengths, from the texts
                rows = self._postings_from_texts(old | set(added), with_lengths=True) if old or added else {}
            else:
                rows, merged = self._merged_postings(lengths, segment)
                if added:
                    rows.update(self._postings_from_texts(set(added), with_lengths=False))
            read = time.perf_counter() - started
            # the first write takes the write lock; it fails at once if another connection wrote since BEGIN
            db.execute("DELETE FROM search_postings")
            conn.executemany(
                "INSERT INTO search_postings (token, segment, docs, counts) VALUES (?, ?, ?, ?)",
                [(token, top, d, c) for token, (d, c) in rows.items()],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO search_tokens (token, df) VALUES (?, ?)", [(t, common[t]) for t in added]
            )
            generation = int(_search_meta(db, "generation", 0)) + (1 if added else 0)
            _set_search_meta(db, generation=generation, promote_df=min_df, optimized_docs=docs_total)
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
            db.execute("DROP TABLE IF EXISTS temp.gdcac_fts_vocab")
        return {
            "articles": docs_total,
            "promote_df": min_df,
            "promoted": len(old) + len(added),
            "newly_promoted": len(added),
            "merged_tokens": merged,
            "seconds": round(time.perf_counter() - started, 3),
            "write_seconds": round(time.perf_counter() - started - read, 3),
        }

    def maybe_optimize_search(self) -> dict[str, Any] | None:
        """:meth:`optimize_search` when it is due: the archive holds at least ``promote_df`` articles and has
        grown by a tenth since the last optimisation, or some token has 64 segments.  ``None`` when not due."""
        if self.readonly or not self.has_search_index():
            return None
        self.flush()
        db = self.db
        min_df = int(_search_meta(db, "promote_df", PROMOTE_DF))
        docs_total = db.execute("SELECT count(*) FROM articles_fts_docs").fetchone()[0]
        if docs_total < min_df:
            return None
        last = _search_meta(db, "optimized_docs")
        segments = db.execute("SELECT count(*) FROM search_postings WHERE token = ?", [_LENGTHS]).fetchone()[0]
        if last is not None and docs_total < 1.1 * int(last) and segments < 64:
            return None
        return self.optimize_search()

    def _doc_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lengths, segment)`` indexed by article number: each article's length ``D`` and the segment that
        holds its live entries (``-1`` for numbers with no article)."""
        rows = self.db.execute(
            "SELECT segment, docs, counts FROM search_postings WHERE token = ? ORDER BY segment", [_LENGTHS]
        ).fetchall()
        parts = [(seg, ranking.unpack(d, delta=True), ranking.unpack(c)) for seg, d, c in rows]
        size = 1 + max((int(d.max()) for _, d, _ in parts if len(d)), default=-1)
        lengths = np.full(size, -1, dtype=np.int64)
        segment = np.full(size, -1, dtype=np.int64)
        for seg, d, c in parts:
            lengths[d] = c
            segment[d] = seg
        return lengths, segment

    def _token_postings(self, token: str, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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

    def _merged_postings(self, lengths: np.ndarray, segment: np.ndarray) -> tuple[dict[str, tuple[bytes, bytes]], int]:
        """Every token's live postings (and the lengths) as one packed row each; and how many tokens had
        more than one segment."""
        rows: dict[str, tuple[bytes, bytes]] = {}
        live = np.flatnonzero(lengths >= 0)
        rows[_LENGTHS] = (ranking.pack(live, delta=True), ranking.pack(lengths[live]))
        merged = 0
        tokens = self.db.execute(
            "SELECT token, count(*) FROM search_postings WHERE token != ? GROUP BY token", [_LENGTHS]
        ).fetchall()
        for token, segments in tokens:
            merged += segments > 1
            d, c = self._token_postings(token, segment)
            if len(d):
                rows[token] = (ranking.pack(d, delta=True), ranking.pack(c))
        return rows, merged

    def _postings_from_texts(self, tokens: set[str], *, with_lengths: bool) -> dict[str, tuple[bytes, bytes]]:
        """The postings of ``tokens`` (and the lengths) over every article, reading each once, as one packed
        row each (kept packed per chunk of articles while reading, to bound the memory)."""
        vocabulary = {t: i for i, t in enumerate(sorted(tokens))}
        chunks: dict[str, list[tuple[bytes, bytes]]] = {}
        cursor = self.db.execute(
            "SELECT d.doc, a.title, a.body_text FROM articles_fts_docs d JOIN articles a ON a.id = d.article_id "
            "ORDER BY d.doc"
        )
        while True:
            batch = cursor.fetchmany(5000)
            if not batch:
                break
            found = _postings_collect(
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

    def _postings_state(self) -> dict[str, Any] | None:
        if not self._has_postings_tables():
            return None
        db = self.db
        return {
            "tokens": db.execute("SELECT count(*) FROM search_tokens").fetchone()[0],
            "promote_df": int(_search_meta(db, "promote_df", PROMOTE_DF)),
            "optimized_docs": _search_meta(db, "optimized_docs"),
            "segments": db.execute("SELECT count(*) FROM search_postings WHERE token = ?", [_LENGTHS]).fetchone()[0],
        }

    def has_search_index(self) -> bool:
        """Whether the archive has its search index (migration ``m002_search`` applied)."""
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone()
        return row is not None

    def _require_search_index(self) -> None:
        if not self.has_search_index():
            raise RuntimeError(
                f"archive {self.path} has no search index (it predates migration m002_search): "
                f"open it once for writing, e.g. `gdcac migrate --db {self.path}`"
            )

    def rebuild_search_index(self) -> int:
        """Index every article afresh (after text was changed by hand in SQL); how many articles."""
        self._check_writable()
        self.flush()
        with self.db.atomic():
            self.db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
            self.db.execute("DELETE FROM articles_fts_docs")
            promoted = bool(self._promoted_tokens())
            self.db.execute("DELETE FROM search_postings")
            self.db.execute("DELETE FROM search_tokens")
            _set_search_meta(self.db, generation=int(_search_meta(self.db, "generation", 0)) + 1)
            count = _search_fill(self.db)
        if promoted:
            self.optimize_search()
        return count

    @staticmethod
    def _article_filters(
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
            params.append(_date_bound(since, "since", end=False))
        if until:
            clauses.append("a.published_at < ?")
            params.append(_date_bound(until, "until", end=True))
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

    def _search_hits(
        self, terms: list[str], filters: dict[str, Any], *, limit: int | None = None, offset: int = 0,
        use_postings: bool = True,
    ) -> tuple[list[tuple[str, float]], int | None]:  # fmt: skip
        """``(article id, bm25 rank)`` of the matches, best first (bm25 ranks are negative: lower is better), and
        the number of matches when it came for free (else ``None``).

        The score is bm25 over the query's index tokens (:mod:`gdcac_crawler.ranking`).  When every token has
        postings, they rank the matches (:meth:`_search_hits_postings`); otherwise FTS5 does.
        """
        self._require_search_index()
        clauses, params = self._article_filters(**filters)
        if limit is not None and use_postings:
            found = self._search_hits_postings(terms, limit + offset, clauses, params)
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
                "CROSS JOIN articles_fts_docs d ON d.doc = articles_fts.rowid CROSS JOIN articles a ON a.id = d.article_id "
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

    def _search_hits_postings(
        self, terms: list[str], k: int, clauses: list[str] = (), params: list[Any] = ()
    ) -> tuple[list[tuple[str, float]], int | None] | None:
        """The best ``k`` matches (those passing the filter ``clauses`` on ``articles a``) ranked from the
        postings, or ``None`` when some rank token has none (it is then rare enough for FTS5) or the query's
        phrases or filters are rare among their tokens' articles (FTS5 then finds the matches)."""
        promoted = self._promoted_tokens()
        tokens = [token for token, _ in ranking.rank_tokens(terms)]
        if not promoted or not all(token in promoted for token in tokens):
            return None
        conn = self.db.conn
        snapshot = not conn.in_transaction  # every read below from one snapshot, even while a crawl writes
        if snapshot:
            conn.execute("BEGIN")
        try:
            lengths, segment = self._doc_segments()
            postings = ranking.Postings(lengths, {token: self._token_postings(token, segment) for token in tokens})
            phrases = needs_phrase(terms)
            confirm = self._confirmer(terms, clauses, params) if phrases or clauses else None
            # filters are checked on the candidates' rows (a few µs each; the text only of those that pass),
            # phrases alone on every candidate's text: FTS5 is faster once that would take more than a thousand
            found = ranking.top_k(postings, tokens, k, confirm, max_confirm=20_000 if clauses else 1_000)
            if found is None:
                return None
            best, candidates = found
            ids = dict(self._search_doc_ids([doc for doc, _ in best]))
        finally:
            if snapshot:
                conn.execute("COMMIT")
        exact = not phrases and not clauses  # else the candidates are more than the matches
        return [(ids[doc], -score) for doc, score in best if doc in ids], candidates if exact else None

    def _search_doc_ids(self, docs: list[int]) -> Iterator[tuple[int, str]]:
        return _select_in(self.db, "SELECT doc, article_id FROM articles_fts_docs WHERE doc IN ({marks})", docs)

    def _confirmer(
        self, terms: list[str], clauses: list[str] = (), params: list[Any] = ()
    ) -> Callable[[list[int]], set[int]]:
        """A function telling which of some article numbers pass the filter ``clauses`` and contain every term in
        their title or body."""
        where = "".join(" AND " + c for c in clauses)
        phrases = needs_phrase(terms)
        # CROSS JOIN: from the few documents to their articles, never from a filter's index to them all
        sql = ("SELECT d.doc{text} FROM articles_fts_docs d CROSS JOIN articles a ON a.id = d.article_id "
               "WHERE d.doc IN ({{marks}})" + where).format(text=", a.title, a.body_text" if phrases else "")  # fmt: skip

        def confirm(docs: list[int]) -> set[int]:
            rows = _select_in(self.db, sql, docs, params)
            if not phrases:  # the tokens are the terms: only the filters to check
                return {doc for (doc,) in rows}
            return {
                doc for doc, title, body in rows
                if all(contains(title, term) or contains(body, term) for term in terms)
            }  # fmt: skip

        return confirm

    def _search_count(self, terms: list[str], filters: dict[str, Any]) -> int:
        clauses, params = self._article_filters(**filters)
        sql = "SELECT count(*) FROM articles_fts"
        if clauses:
            sql += (
                " CROSS JOIN articles_fts_docs d ON d.doc = articles_fts.rowid"
                " CROSS JOIN articles a ON a.id = d.article_id"
            )
        sql += " WHERE articles_fts MATCH ?" + "".join(" AND " + c for c in clauses)
        return self.db.execute(sql, [fts_expression(terms), *params]).fetchone()[0]

    def _articles_by_id(self, ids: list[str], columns: str = "a.*") -> dict[str, dict[str, Any]]:
        sql = f"SELECT {columns} FROM articles a WHERE a.id IN ({{marks}})"
        return {row["id"]: row for row in _select_in(self.db, sql, ids, dicts=True)}

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
        """Full-text search of titles and bodies (see :mod:`gdcac_crawler.search` for the query language).

        The matches are exactly the articles whose title or body contains every term (ASCII case-insensitive,
        as ``LIKE``), ranked by bm25 of the query's index tokens (title matches weigh more; see
        :mod:`gdcac_crawler.ranking`).  Returns ``{"query", "terms", "total",
        "results"}``; each result has ``rank`` (1-based), ``score`` (higher is better), ``id``, ``url``,
        ``title``, ``published_at``, ``column``, ``source``, ``site`` and ``snippet`` (``mark`` around matches).
        ``total`` is the number of matches (``None`` with ``count=False``, which saves a second pass over the
        matches).  Raises :class:`~gdcac_crawler.search.QueryError` for a malformed query and ``ValueError`` for a
        bad date.
        """
        self.flush()
        terms = parse_query(query) if isinstance(query, str) else list(query)
        filters = {"since": since, "until": until, "column": column, "source": source, "site": site}
        hits, total = self._search_hits(terms, filters, limit=limit, offset=offset)
        if limit is None or (offset == 0 and len(hits) < limit):
            total = len(hits)  # all the matches are here
        elif total is None and count:
            total = self._search_count(terms, filters)
        rows = self._articles_by_id(
            [aid for aid, _ in hits], "a.id, a.url, a.title, a.published_at, a.column_name, a.source, a.site, a.body_text"
        )
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
        self.flush()
        terms = parse_query(query) if isinstance(query, str) else list(query)
        return [aid for aid, _ in self._search_hits(terms, filters)[0]]

    def like_search_ids(self, query: str | list[str], **filters: Any) -> set[str]:
        """The reference: ids of the articles a ``LIKE '%term%'`` scan of title and body finds for every term
        (``%``, ``_`` and ``\\`` literal).  A full scan, for tests and the benchmark."""
        self.flush()
        terms = parse_query(query) if isinstance(query, str) else list(query)
        clauses, params = self._article_filters(**filters)
        for term in terms:
            clauses.append("(a.title LIKE ? ESCAPE '\\' OR a.body_text LIKE ? ESCAPE '\\')")
            params += [like_pattern(term)] * 2
        sql = "SELECT a.id FROM articles a WHERE " + " AND ".join(clauses)
        return {row[0] for row in self.db.execute(sql, params)}

    def export_rows(self, query: str | None = None, *, decode_json: bool = False, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every column of the articles (filters as :meth:`search`), oldest first; with ``query``, only the
        matches, best first, each with its ``rank`` and ``score`` first.  Rows are read as they are yielded."""
        self.flush()
        json_columns = _ARTICLE_JSON_COLUMNS if decode_json else ()
        if query is None:
            clauses, params = self._article_filters(**filters)
            sql = "SELECT a.* FROM articles a"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            for row in self.db.query(sql + " ORDER BY a.published_at, a.id", params):
                for c in json_columns:
                    row[c] = _from_json(row.get(c))
                yield row
            return
        terms = parse_query(query)
        hits, _ = self._search_hits(terms, filters)
        for i in range(0, len(hits), 500):
            part = hits[i : i + 500]
            rows = self._articles_by_id([aid for aid, _ in part])
            for position, (aid, rank) in enumerate(part, start=i + 1):
                row = rows.get(aid)
                if row is None:
                    continue
                for c in json_columns:
                    row[c] = _from_json(row.get(c))
                yield {"rank": position, "score": round(-rank, 6), **row}

    def stats(self) -> dict[str, Any]:
        """What the archive holds: ``counts`` per table, ``by_column_month`` (column, month, articles),
        ``runs`` (oldest first), ``last_run`` with ``last_run_pages`` (its pages per kind, with HTTP errors and
        failures), and ``search_index`` (documents against articles, and the state of the postings of common
        tokens: ``tokens``, ``promote_df``, ``optimized_docs``, ``segments``)."""
        self.flush()
        counts = {
            table: self.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in ("articles", "article_versions", "pages", "page_bodies", "listings", "runs")
        }
        counts["articles_removed"] = self.db.execute(
            "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL"
        ).fetchone()[0]
        by_column_month = list(
            self.db.query(
                "SELECT column_name, substr(published_at, 1, 7) AS month, count(*) AS articles FROM articles "
                "GROUP BY column_name, month ORDER BY column_name, month"
            )
        )
        runs = self.runs()
        last = runs[-1] if runs else None
        last_pages = []
        if last is not None:
            last_pages = list(
                self.db.query(
                    "SELECT kind, count(*) AS pages, sum(status >= 400) AS http_errors, "
                    "sum(error IS NOT NULL) AS failures FROM pages WHERE run_id = ? GROUP BY kind ORDER BY kind",
                    [last["id"]],
                )
            )
        index = None
        if self.has_search_index():
            docs = self.db.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
            index = {"documents": docs, "articles": counts["articles"], "in_step": docs == counts["articles"],
                     "postings": self._postings_state()}  # fmt: skip
        return {
            "counts": counts,
            "by_column_month": by_column_month,
            "runs": runs,
            "last_run": last,
            "last_run_pages": last_pages,
            "search_index": index,
        }

    def article_provenance(self, id_or_url: str) -> dict[str, list[dict[str, Any]]] | None:
        """Where an article came from: its ``pages`` rows (every fetch of it, oldest first) and the ``listings``
        rows that linked to it; ``None`` when the archive does not hold it."""
        article = self.get_article(id_or_url)
        if article is None:
            return None
        pages = list(
            self.db.query(
                "SELECT * FROM pages WHERE article_id = ? OR url = ? ORDER BY fetched_at, id",
                [article["id"], article["url"]],
            )
        )
        listings = list(
            self.db.query(
                "SELECT * FROM listings WHERE article_id = ? OR article_url = ? ORDER BY first_seen_at, listing_url",
                [article["id"], article["url"]],
            )
        )
        return {"pages": pages, "listings": listings}

    def search_storage(self) -> dict[str, int]:
        """Bytes the search index takes (``index_bytes``: pages of ``articles_fts`` and its shadow tables;
        ``postings_bytes``: ``search_postings``, of ``postings_tokens`` tokens) against
        the UTF-8 bytes of the titles and bodies it indexes (``text_bytes``), and the ``articles`` table's pages
        (``articles_bytes``).  Reads every page (``dbstat``): for the benchmark, not for a busy archive."""
        self.flush()
        index = self.db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'articles_fts%'"
        ).fetchone()[0]
        articles = self.db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'articles' OR name LIKE 'sqlite_autoindex_articles%'"
        ).fetchone()[0]
        text = self.db.execute(
            "SELECT coalesce(sum(length(CAST(title AS BLOB))), 0) + coalesce(sum(length(CAST(body_text AS BLOB))), 0) "
            "FROM articles"
        ).fetchone()[0]
        postings = self.db.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'search_postings'"
        ).fetchone()[0]
        tokens = self.db.execute("SELECT count(*) FROM search_tokens").fetchone()[0]
        return {"index_bytes": index, "postings_bytes": postings, "postings_tokens": tokens, "text_bytes": text,
                "articles_bytes": articles}  # fmt: skip

    def article_columns(self) -> list[tuple[str, str]]:
        """``(name, declared type)`` of every column of ``articles``, in order (what :meth:`export_rows` yields)."""
        return [(row[1], (row[2] or "").upper()) for row in self.db.execute('PRAGMA table_info("articles")')]
