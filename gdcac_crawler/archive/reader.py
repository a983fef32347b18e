"""The query side of the archive: :class:`ArchiveReader`, everything the CLI, ``gdcac history``, the spider's
start-up snapshot, the attachments pipeline and the end of a run read.

A reader opens the file read-only (``mode=ro``): it cannot write, and a crawl may write the archive meanwhile
(WAL mode).  :class:`~gdcac_crawler.archive.writer.ArchiveWriter` extends it, so a writer reads the same way —
and flushes its buffer before each read, so that it always reads its own writes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from gdcac_crawler.items import PageKind

from .connection import IN_CHUNK, decode_columns, open_database
from .identity import article_key
from .postings import SearchPostings
from .query import parse_query
from .schema import ARTICLE_JSON_COLUMNS, KNOWN_COLUMNS, VERSION_JSON_COLUMNS, pending_migrations
from .search_index import SearchIndex, article_filters, articles_by_id

__all__ = ["SAMPLE_QUERY", "ArchiveReader"]

SAMPLE_QUERY = (
    "SELECT published_at, title FROM articles WHERE column_name = '政策解读' ORDER BY published_at DESC LIMIT 3"
)
"""A query an analyst can paste into ``sqlite3``: what ``gdcac demo`` and ``gdcac summary`` show, with its rows
(:meth:`ArchiveReader.sample_rows`)."""

_RUN_JSON_COLUMNS = ("settings", "stats")
_STORED_FILE_COLUMNS = ("sha256", "path", "size", "content_type", "sniffed_type", "etag", "last_modified")
_TABLES_COUNTED = ("articles", "article_versions", "pages", "page_bodies", "listings", "runs")


class ArchiveReader:
    """A crawl archive in one SQLite file, opened read-only.

    Not thread-safe: use one instance from one thread at a time (the connection may be handed to a worker
    thread, never to two at once).
    """

    readonly: bool = True
    """Whether writes are refused (always, for a reader)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open the archive at ``path`` read-only (it must exist; no migration is applied)."""
        path = Path(path)
        self._attach(path, open_database(path, readonly=True))

    def _attach(self, path: Path, db: sqlite_utils.Database) -> None:
        """Take ``db`` (the archive at ``path``) as this instance's connection, with its search index."""
        self.path = path
        self.db = db
        """The underlying :class:`sqlite_utils.Database` (for tests and read-only inspection)."""
        self.postings = SearchPostings(db, path)
        """The postings of the common search tokens (:mod:`gdcac_crawler.archive.postings`)."""
        self.search_index = SearchIndex(db, self.postings, path)
        """The search index (:mod:`gdcac_crawler.archive.search_index`)."""
        self._closed = False

    def flush(self) -> None:
        """Nothing to write: a reader holds no buffer (a writer's :meth:`flush` writes its own)."""

    def close(self) -> None:
        """Flush and close the connection (a second call does nothing)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- what the file is ------------------------------------------------------------------------------------

    def is_archive(self) -> bool:
        """Whether the file holds an archive (an ``articles`` table); raises ``sqlite3.DatabaseError`` for a file
        that is not SQLite at all."""
        return bool(self.db.table("articles").exists())

    def pending_migrations(self) -> list[str]:
        """The migrations this archive has not had yet (a writer applies them when it opens it)."""
        return pending_migrations(self.db)

    def article_columns(self) -> list[tuple[str, str]]:
        """``(name, declared type)`` of every column of ``articles``, in order (what :meth:`export_rows` yields)."""
        return [(row[1], (row[2] or "").upper()) for row in self.db.execute('PRAGMA table_info("articles")')]

    # -- articles --------------------------------------------------------------------------------------------

    def article_count(self) -> int:
        """Number of archived articles."""
        self.flush()
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get_article(self, id_or_url: str) -> dict[str, Any] | None:
        """One article by id or URL, JSON columns decoded; ``None`` when the archive does not hold it."""
        self.flush()
        row = next(self.db.query("SELECT * FROM articles WHERE id = ?", [article_key(id_or_url)]), None)
        return None if row is None else decode_columns(row, ARTICLE_JSON_COLUMNS)

    def article_versions(self, id_or_url: str) -> list[dict[str, Any]]:
        """All versions of an article, oldest first, JSON columns decoded."""
        self.flush()
        sql = "SELECT * FROM article_versions WHERE article_id = ? ORDER BY version"
        return [decode_columns(row, VERSION_JSON_COLUMNS) for row in self.db.query(sql, [article_key(id_or_url)])]

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

    def attachment_files(self, id_or_url: str) -> list[dict[str, Any]]:
        """The ``attachment_files`` rows of an article (by id or URL), in URL order."""
        self.flush()
        sql = "SELECT * FROM attachment_files WHERE article_id = ? ORDER BY url"
        return list(self.db.query(sql, [article_key(id_or_url)]))

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
        return {url: dict(zip(_STORED_FILE_COLUMNS, rest, strict=True)) for url, *rest in rows}

    def known_articles(self, site: str, since: str | None = None) -> list[dict[str, Any]]:
        """Every archived article of ``site`` (removed ones too), as dicts of
        :data:`~gdcac_crawler.archive.schema.KNOWN_COLUMNS`; with ``since`` (UTC, ``Z``), only those first seen at
        or after it.  What an incremental crawl reads at its start to decide what is new, what to revisit and what
        this run already did (one query)."""
        self.flush()
        present = set(self.db.table("articles").columns_dict)
        columns = ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in KNOWN_COLUMNS)
        sql = f"SELECT {columns} FROM articles WHERE site = ?"
        args: list[Any] = [site]
        if since is not None:
            sql += " AND first_seen_at >= ?"
            args.append(since)
        return [dict(zip(KNOWN_COLUMNS, row, strict=True)) for row in self.db.execute(sql, args)]

    def unlisted_articles(self, site: str, run_id: str, columns: Iterable[str] | None = None) -> dict[str, Any]:
        """What a complete walk in ``run_id`` did not find: ``{"urls": [...], "considered": n}`` — the URLs of
        the not-removed articles of ``site`` in ``columns`` (default: the columns whose listings the run saw)
        that no listing showed in the run, and how many not-removed articles those columns hold."""
        self.flush()
        if columns is None:
            columns = [r[0] for r in self.db.execute(
                "SELECT DISTINCT column_name FROM listings WHERE last_run_id = ? AND site = ? "
                "AND column_name IS NOT NULL", [run_id, site])]
        names = sorted(set(columns))
        if not names:
            return {"urls": [], "considered": 0}
        marks = ", ".join("?" for _ in names)
        where = f"site = ? AND removed_at IS NULL AND column_name IN ({marks})"
        considered = self.db.execute(f"SELECT count(*) FROM articles WHERE {where}", [site, *names]).fetchone()[0]
        rows = self.db.execute(
            f"SELECT url FROM articles WHERE {where} "
            "AND url NOT IN (SELECT article_url FROM listings WHERE last_run_id = ?) ORDER BY url",
            [site, *names, run_id])
        return {"urls": [r[0] for r in rows], "considered": int(considered)}

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

    def sample_rows(self) -> list[tuple[Any, ...]]:
        """The rows of :data:`SAMPLE_QUERY`: ``(published_at, title)`` of the three latest 政策解读 articles."""
        self.flush()
        return [tuple(row) for row in self.db.execute(SAMPLE_QUERY)]

    def export_rows(
        self, query: str | None = None, *, decode_json: bool = False, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """Every column of the articles (filters as :meth:`search`), oldest first; with ``query``, only the
        matches, best first, each with its ``rank`` and ``score`` first.  Rows are read as they are yielded."""
        self.flush()
        json_columns = ARTICLE_JSON_COLUMNS if decode_json else ()
        if query is None:
            clauses, params = article_filters(**filters)
            sql = "SELECT a.* FROM articles a"
            if clauses:
                sql += " WHERE " + " AND ".join(clauses)
            for article in self.db.query(sql + " ORDER BY a.published_at, a.id", params):
                yield decode_columns(article, json_columns)
            return
        terms = parse_query(query)
        hits, _ = self.search_index.hits(terms, filters)
        for i in range(0, len(hits), IN_CHUNK):
            part = hits[i : i + IN_CHUNK]
            rows = articles_by_id(self.db, [aid for aid, _ in part])
            for position, (aid, rank) in enumerate(part, start=i + 1):
                row = rows.get(aid)
                if row is None:
                    continue
                yield {"rank": position, "score": round(-rank, 6), **decode_columns(row, json_columns)}

    # -- runs ----------------------------------------------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        """All runs, oldest first, ``settings`` and ``stats`` decoded."""
        self.flush()
        rows = self.db.query("SELECT * FROM runs ORDER BY started_at, id")
        return [decode_columns(row, _RUN_JSON_COLUMNS) for row in rows]

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """One run's row (``settings`` and ``stats`` decoded), or ``None``."""
        self.flush()
        row = next(self.db.query("SELECT * FROM runs WHERE id = ?", [run_id]), None)
        return None if row is None else decode_columns(row, _RUN_JSON_COLUMNS)

    def run_counts(self, run_id: str) -> dict[str, int]:
        """The counts of a run as the archive holds them (exact across a killed and resumed run, since every
        write is keyed): ``listing_pages``, ``new``, ``changed``, ``unchanged``, ``not_modified``, ``removed``,
        ``failed``, ``dropped``, ``blocked`` (keys of :data:`~gdcac_crawler.archive.schema.COUNT_KEYS`)."""
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
        fetched = pages.get(f"{PageKind.ARTICLE}:2xx", 0)
        return {
            "listing_pages": by_kind.get(PageKind.LISTING, 0),
            "new": new,
            "changed": changed,
            "unchanged": max(0, fetched - new - changed),
            "not_modified": pages.get(f"{PageKind.ARTICLE}:304", 0),
            "removed": one("SELECT count(*) FROM articles WHERE removed_run_id = ?"),
            "failed": by_kind.get(PageKind.ERROR, 0),
            "dropped": by_kind.get(PageKind.REJECTED, 0),
            "blocked": by_kind.get(PageKind.BLOCKED, 0),
        }

    def stats(self) -> dict[str, Any]:
        """What the archive holds: ``counts`` per table, ``by_column_month`` (column, month, articles),
        ``runs`` (oldest first), ``last_run`` with ``last_run_pages`` (its pages per kind, with HTTP errors and
        failures), and ``search_index`` (documents against articles, and the state of the postings of common
        tokens: ``tokens``, ``promote_df``, ``optimized_docs``, ``segments``)."""
        self.flush()
        counts = {
            table: self.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in _TABLES_COUNTED
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
        return {
            "counts": counts,
            "by_column_month": by_column_month,
            "runs": runs,
            "last_run": last,
            "last_run_pages": last_pages,
            "search_index": self.search_index.state(counts["articles"]),
        }

    # -- search (the work is the search index's; see gdcac_crawler.archive.search_index) ----------------------

    def has_search_index(self) -> bool:
        """Whether the archive has its search index (migration ``m002_search`` applied)."""
        return self.search_index.exists()

    def search(self, query: str | list[str], **options: Any) -> dict[str, Any]:
        """Full-text search of titles and bodies: :meth:`SearchIndex.search
        <gdcac_crawler.archive.search_index.SearchIndex.search>` (filters ``since``, ``until``, ``column``,
        ``source``, ``site``; ``limit``, ``offset``, ``snippet_width``, ``mark``, ``count``)."""
        self.flush()
        return self.search_index.search(query, **options)

    def search_ids(self, query: str | list[str], **filters: Any) -> list[str]:
        """Ids of every article matching ``query`` (filters as :meth:`search`), best first."""
        self.flush()
        return self.search_index.search_ids(query, **filters)

    def like_search_ids(self, query: str | list[str], **filters: Any) -> set[str]:
        """The reference: ids of the articles a ``LIKE '%term%'`` scan of title and body finds for every term
        (``%``, ``_`` and ``\\`` literal).  A full scan, for tests and the benchmark."""
        self.flush()
        return self.search_index.like_search_ids(query, **filters)

    def search_storage(self) -> dict[str, int]:
        """Bytes the search index and its postings take against the text they index
        (:meth:`SearchIndex.storage <gdcac_crawler.archive.search_index.SearchIndex.storage>`)."""
        self.flush()
        return self.search_index.storage()

