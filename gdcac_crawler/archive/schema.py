"""The archive's schema: every migration, the views, the column lists of buffered rows, and the run count keys.

The schema is created and changed through ``sqlite_utils.Migrations`` (set ``gdcac``): a writer applies whatever
is pending when it opens a database (:func:`apply_migrations`), all of it in one transaction that holds the write
lock from its start, so that two processes opening a new or older archive at once never both migrate it.  To
change the schema add a new ``m0NN_...`` function at the end, never edit an applied one.  ``archive/README.md``
documents every table, view and column (a test keeps it in step).
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from gdcac_crawler import default_settings

from .connection import write_transaction
from .search_index import BM25_WEIGHTS, fill_search_index

logger = logging.getLogger(__name__)

__all__ = ["COUNT_KEYS", "apply_migrations", "create_views", "drop_views", "migrations", "pending_migrations"]

migrations = Migrations("gdcac")
"""The migration set of the archive; a writer applies whatever is pending when it opens a database."""


def apply_migrations(db: sqlite_utils.Database, path: Path,
                     timeout: float = default_settings.GDCAC_ARCHIVE_WRITE_TIMEOUT) -> None:
    """Apply the pending migrations to ``db`` (the archive at ``path``), logging which.

    An up-to-date archive is only read.  Otherwise every pending migration runs in one ``BEGIN IMMEDIATE``
    transaction (waiting up to ``timeout`` seconds for the write lock: :func:`write_transaction`), and what is
    pending is read again inside it: a process that waited while another migrated finds nothing left to do."""
    if not pending_migrations(db):
        return
    with write_transaction(db, timeout=timeout, what=f"archive {path}: migrating"):
        pending = pending_migrations(db)
        if pending:
            logger.info("Archive %s: applying migrations %s", path, ", ".join(pending))
            migrations.apply(db)


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """The names of the migrations ``db`` has not had yet, in the order they would be applied."""
    return [m.name for m in migrations.pending(db)]


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """The starting schema: runs, page_bodies, pages, articles, article_versions, listings."""
    db.table("runs").create(
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
    db.table("page_bodies").create(
        {"sha256": str, "size": int, "compression": str, "body": bytes},
        pk="sha256",
        not_null=["size", "compression", "body"],
    )
    db.table("pages").create(
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
    db.table("pages").create_index(["url"])
    db.table("pages").create_index(["run_id"])
    db.table("pages").create_index(["kind"])
    db.table("articles").create(
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
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["published_at"])
    db.table("articles").create_index(["column_name"])
    db.table("articles").create_index(["site"])
    db.table("article_versions").create(
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
    db.table("listings").create(
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
    db.table("listings").create_index(["article_id"])


# --- Chinese full-text search and the readable views (m002) -----------------------------------------------

_CREATE_SEARCH_INDEX = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "title_uni, body_uni, title_bi, body_bi, content='', tokenize='ascii', detail=full)"
)
_CREATE_SEARCH_DOCS = "CREATE TABLE articles_fts_docs (doc INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE)"

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


@migrations()
def m002_search(db: sqlite_utils.Database) -> None:
    """Chinese full-text search (``articles_fts``, filled from the archived articles) and the views
    ``latest_articles`` and ``article_history``."""
    db.execute(_CREATE_SEARCH_INDEX)
    db.execute(_CREATE_SEARCH_DOCS)
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', ?)", [f"bm25({BM25_WEIGHTS})"])
    fill_search_index(db)
    create_views(db)


# --- Incremental runs, removals and run health (m020) ------------------------------------------------------


@migrations()
def m020_incremental_runs(db: sqlite_utils.Database) -> None:
    """Incremental runs: per-run counts of not-modified and removed articles and of fallback/empty fields,
    the run's health verdict and resumes; which run found an article removed; versions by run."""
    runs = db.table("runs")
    for name, kind in (("articles_not_modified", int), ("articles_removed", int), ("fallback_fields", int),
                       ("empty_fields", int), ("healthy", int), ("health", str), ("resumes", int)):
        if name not in runs.columns_dict:
            runs.add_column(name, kind)
    if "removed_run_id" not in db.table("articles").columns_dict:
        db.table("articles").add_column("removed_run_id", str)
    db.table("article_versions").create_index(["run_id"], if_not_exists=True)


# --- Extraction fields and attachment files (m030, m031) --------------------------------------------------


@migrations()
def m030_article_fields(db: sqlite_utils.Database) -> None:
    """Article metadata that extraction finds: ``editor`` (责任编辑), ``doc_number`` (文号), ``index_number``
    (索引号), and ``related`` (JSON: the related-link blocks moved out of the body)."""
    articles = db.table("articles")
    for name in ("editor", "doc_number", "index_number", "related"):
        if name not in articles.columns_dict:
            articles.add_column(name, str)


@migrations()
def m031_attachment_files(db: sqlite_utils.Database) -> None:
    """``attachment_files``: what downloading each attachment of an article gave (the attachments pipeline)."""
    db.table("attachment_files").create(
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
    db.table("attachment_files").create_index(["sha256"], if_not_exists=True)


@migrations()
def m040_search_postings(db: sqlite_utils.Database) -> None:
    """Postings of the common tokens (``search_postings``, ``search_tokens``, ``search_meta``): how the search
    ranks queries that match tens of thousands of articles (:mod:`gdcac_crawler.archive.ranking`).  Empty until the
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
    table = db.table("attachment_files")
    for name in ("etag", "last_modified"):
        if name not in table.columns_dict:
            table.add_column(name, str)


# --- Columns of the rows the writer buffers (fixed, so that batched upserts never mix key sets) -----------
PAGE_COLUMNS = (
    "id", "run_id", "site", "url", "final_url", "status", "fetched_at", "kind", "content_type",
    "declared_encoding", "encoding", "etag", "last_modified", "sha256", "size", "article_id", "error",
)  # fmt: skip
ARTICLE_CONTENT_COLUMNS = (
    "site", "url", "column_name", "column_path", "title", "published_at", "published_raw", "source", "source_raw",
    "author", "body_text", "body_html", "images", "attachments", "meta", "methods", "listed_title",
    "listed_date", "content_hash", "editor", "doc_number", "index_number", "related",
)  # fmt: skip
ARTICLE_PROVENANCE_COLUMNS = ("fetched_at", "http_status", "etag", "last_modified", "raw_sha256")
ARTICLE_COLUMNS = (
    "id",
    *ARTICLE_CONTENT_COLUMNS,
    *("version", "first_seen_at", "last_seen_at", "changed_at", "first_run_id", "last_run_id"),
    *ARTICLE_PROVENANCE_COLUMNS,
)
ARTICLE_JSON_COLUMNS = ("column_path", "images", "attachments", "meta", "methods", "related")
VERSION_JSON_COLUMNS = ("images", "attachments")
LISTING_FIRST_COLUMNS = ("first_run_id", "first_seen_at")

ATTACHMENT_FILE_COLUMNS = (
    "article_id", "url", "name", "type", "status", "error", "sha256", "size", "path", "content_type",
    "sniffed_type", "run_id", "fetched_at", "etag", "last_modified",
)  # fmt: skip

#: Columns :meth:`ArchiveReader.known_articles` returns (all from ``m001_initial`` but ``removed_run_id``).
KNOWN_COLUMNS = (
    "id", "url", "column_name", "published_at", "first_seen_at", "last_seen_at", "first_run_id", "last_run_id",
    "etag", "last_modified", "listed_title", "listed_date", "removed_at", "removed_run_id",
)  # fmt: skip


COUNT_KEYS: dict[str, str] = {
    "listing_pages": "listing_pages",
    "new": "articles_new",
    "changed": "articles_changed",
    "unchanged": "articles_unchanged",
    "failed": "articles_failed",
    "dropped": "items_dropped",
    "blocked": "pages_blocked",
    "offsite": "offsite_links",
    # m020_incremental_runs
    "not_modified": "articles_not_modified",
    "removed": "articles_removed",
    "fallback_fields": "fallback_fields",
    "empty_fields": "empty_fields",
    "resumes": "resumes",
}
"""``finish_run(counts=...)`` keys and the ``runs`` columns they fill (the column names work as keys too)."""
