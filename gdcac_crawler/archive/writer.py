"""The write side of the archive: :class:`ArchiveWriter` (runs, pages, listings, articles and their versions,
attachment files, removals; buffered, flushed in transactions) and :class:`Archive`, the name older code uses.

Writes are buffered in memory and flushed in one transaction when ``batch_size`` items are waiting or the
waiting rows hold ``batch_bytes`` (compressed bodies and article text: a few huge pages flush alone), and on
:meth:`ArchiveWriter.flush`, :meth:`~ArchiveWriter.finish_run` and :meth:`~ArchiveReader.close`.  Every
transaction takes the write lock up front (:func:`~gdcac_crawler.archive.connection.write_transaction`); a
batch whose flush still finds the archive locked after ``write_timeout`` stays buffered and is tried again one
batch later (:attr:`ArchiveWriter.failed_flushes` counts such failures).  Every write is
an upsert keyed by primary key, so replaying the same items leaves the same rows.  The search index is brought
in step in the same transaction (:func:`~gdcac_crawler.archive.search_index.sync_search_index`).
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gdcac_crawler import default_settings
from gdcac_crawler.clock import utc_now
from gdcac_crawler.default_settings import GDCAC_ARCHIVE_BATCH_BYTES
from gdcac_crawler.items import ArchiveOutcome, ArticleItem, Fetch, ListingItem, PageFailure, PageKind

from .connection import ArchiveBusyError, open_database, to_json, write_transaction
from .identity import article_id, as_dict, content_hash, fetch_dict, page_id, sha256
from .reader import ArchiveReader
from .schema import ARTICLE_COLUMNS, ATTACHMENT_FILE_COLUMNS, COUNT_KEYS, LISTING_FIRST_COLUMNS, apply_migrations
from .search_index import clear_search_index, fill_search_index, sync_search_index

logger = logging.getLogger(__name__)

__all__ = ["Archive", "ArchiveWriter"]

Row = dict[str, Any]


@dataclass
class WriteBuffer:
    """The rows waiting for the next flush, each keyed by its primary key (a later write of a key replaces the
    earlier), and how many items (``add_*`` calls) they came from."""

    bodies: dict[str, Row] = field(default_factory=dict)
    pages: dict[str, Row] = field(default_factory=dict)
    articles: dict[str, Row] = field(default_factory=dict)
    versions: dict[tuple[str, int], Row] = field(default_factory=dict)
    listings: dict[tuple[str, str], Row] = field(default_factory=dict)
    attachment_files: dict[tuple[str, str], Row] = field(default_factory=dict)
    items: int = 0
    bytes: int = 0
    """About how much memory the rows hold: the compressed bodies' bytes and the articles' characters of text."""

    def empty(self) -> bool:
        """Whether no row waits."""
        return not (self.bodies or self.pages or self.articles or self.versions or self.listings
                    or self.attachment_files)  # fmt: skip

    def run_ids(self) -> list[str]:
        """The runs the waiting rows name (each needs its ``runs`` row: ``pages.run_id`` references it)."""
        ids = {r["run_id"] for r in self.pages.values()}
        ids |= {r["last_run_id"] for r in self.articles.values()}
        ids |= {r["last_run_id"] for r in self.listings.values()}
        ids.discard(None)
        return sorted(ids)


# -- building rows --------------------------------------------------------------------------------------------


def page_row(fetch: Row, *, site: str | None, article_id: str | None, sha: str | None, size: int | None) -> Row:
    """The ``pages`` row of one fetch (its body's ``sha`` and ``size`` as archived)."""
    run_id = fetch.get("run_id")
    url = fetch.get("url") or ""
    return {
        "id": page_id(run_id, url),
        "run_id": run_id,
        "site": site,
        "url": url,
        "final_url": fetch.get("final_url"),
        "status": fetch.get("status"),
        "fetched_at": fetch.get("fetched_at"),
        "kind": fetch.get("kind"),
        "content_type": fetch.get("content_type"),
        "declared_encoding": fetch.get("declared_encoding"),
        "encoding": fetch.get("encoding"),
        "etag": fetch.get("etag"),
        "last_modified": fetch.get("last_modified"),
        "sha256": sha,
        "size": size,
        "article_id": article_id,
        "error": fetch.get("error"),
    }


def article_content(data: Row) -> Row:
    """The content columns of an article's row (JSON columns encoded; ``content_hash`` included)."""
    return {
        "site": data.get("site"),
        "url": data["url"],
        "column_name": data.get("column"),
        "column_path": to_json(list(data.get("column_path") or [])),
        "title": data.get("title"),
        "published_at": data.get("published_at"),
        "published_raw": data.get("published_raw"),
        "source": data.get("source"),
        "source_raw": data.get("source_raw"),
        "author": data.get("author"),
        "body_text": data.get("body_text"),
        "body_html": data.get("body_html"),
        "images": to_json(list(data.get("images") or [])),
        "attachments": to_json(list(data.get("attachments") or [])),
        "meta": to_json(dict(data.get("meta") or {})),
        "methods": to_json(dict(data.get("methods") or {})),
        "listed_title": data.get("listed_title"),
        "listed_date": data.get("listed_date"),
        "content_hash": content_hash(data),
        "editor": data.get("editor"),
        "doc_number": data.get("doc_number"),
        "index_number": data.get("index_number"),
        "related": to_json(list(data.get("related") or [])),
    }


def fetch_provenance(fetch: Row, raw_sha: str | None) -> Row:
    """The provenance columns of an article's row: what its latest fetch answered."""
    return {
        "fetched_at": fetch.get("fetched_at"),
        "http_status": fetch.get("status"),
        "etag": fetch.get("etag"),
        "last_modified": fetch.get("last_modified"),
        "raw_sha256": raw_sha,
    }


def version_row(aid: str, version: int, content: Row, *, run_id: str | None, seen_at: str, raw_sha: str | None) -> Row:
    """The ``article_versions`` row of an article's new content."""
    return {
        "article_id": aid,
        "version": version,
        "content_hash": content["content_hash"],
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


@dataclass
class VersionDecision:
    """What archiving an article's content does: its outcome, the ``articles`` row to buffer (``None``: nothing
    moves) and the number of the version to record (``None``: no new version)."""

    outcome: ArchiveOutcome
    row: Row | None = None
    version: int | None = None


def decide_version(
    aid: str, current: Row | None, content: Row, provenance: Row, *, fetched_at: str | None, seen_at: str,
    run_id: str | None, hash_was_archived: Callable[[], bool],
) -> VersionDecision:  # fmt: skip
    """Whether ``content`` is a new article ``aid``, a new version of ``current`` (its archived row) or unchanged.

    Unchanged content moves only ``last_seen_at``, ``last_run_id`` and the provenance.  A fetch no later than
    the archived ``last_seen_at`` (a replay) whose content the archive already holds — the current content, or
    an older version's (``hash_was_archived`` tells; asked only then) — moves nothing.
    """
    chash = content["content_hash"]
    if current is None:
        row = {"id": aid, **content, **provenance}
        row.update(version=1, first_seen_at=seen_at, last_seen_at=seen_at, changed_at=seen_at, first_run_id=run_id,
                   last_run_id=run_id)  # fmt: skip
        return VersionDecision(ArchiveOutcome.NEW, {c: row.get(c) for c in ARTICLE_COLUMNS}, 1)
    url, last_seen = content["url"], current.get("last_seen_at")
    is_replay = bool(fetched_at and last_seen and fetched_at <= last_seen)
    if is_replay and (current["content_hash"] == chash or hash_was_archived()):
        logger.debug("Article %s: fetch at %s is not newer than %s; nothing moves", url, seen_at, last_seen)
        return VersionDecision(ArchiveOutcome.UNCHANGED)
    row = dict(current)
    if current["content_hash"] == chash:
        row.update(provenance, last_seen_at=seen_at, last_run_id=run_id)
        return VersionDecision(ArchiveOutcome.UNCHANGED, row)
    if is_replay:
        logger.warning(
            "Article %s: content fetched at %s is older than the archived %s and new to the archive; "
            "recording it as a new version", url, seen_at, last_seen,
        )  # fmt: skip
    version = int(current["version"] or 0) + 1
    row.update(content)
    row.update(provenance, version=version, last_seen_at=seen_at, changed_at=seen_at, last_run_id=run_id)
    return VersionDecision(ArchiveOutcome.CHANGED, {c: row.get(c) for c in ARTICLE_COLUMNS}, version)


# -- the writer -------------------------------------------------------------------------------------------------


class ArchiveWriter(ArchiveReader):
    """A crawl archive in one SQLite file, opened for writing (created and migrated as needed); it reads as an
    :class:`ArchiveReader` does, after flushing its buffer.

    Not thread-safe: use one instance from one thread at a time (the connection is opened with
    ``check_same_thread=False`` so that a caller may hand it to a worker thread, never to two at once).
    """

    readonly = False

    def __init__(self, path: str | os.PathLike[str], *, batch_size: int = 200,
                 batch_bytes: int = GDCAC_ARCHIVE_BATCH_BYTES,
                 write_timeout: float = default_settings.GDCAC_ARCHIVE_WRITE_TIMEOUT) -> None:
        """Open (and create and migrate) the archive at ``path``; flush every ``batch_size`` items, or as soon
        as the buffer holds ``batch_bytes``; wait up to ``write_timeout`` seconds for the write lock of each
        transaction (:class:`ArchiveBusyError` after)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.write_timeout = float(write_timeout)
        db = open_database(path, readonly=False, timeout=self.write_timeout)
        try:
            apply_migrations(db, path, timeout=self.write_timeout)
        except BaseException:
            db.close()
            raise
        self._attach(path, db)
        self._start_buffer(batch_size, batch_bytes)

    def _start_buffer(self, batch_size: int, batch_bytes: int = GDCAC_ARCHIVE_BATCH_BYTES) -> None:
        self.batch_size = max(1, int(batch_size))
        self.batch_bytes = max(1, int(batch_bytes))
        self._buffer = WriteBuffer()
        self._flush_at = self.batch_size
        self._flush_bytes_at = self.batch_bytes
        self.failed_flushes = 0
        """How many automatic flushes found the archive locked for good (their items stayed buffered)."""
        self.write_error: str | None = None
        """The last write that failed for good, and why (``None``: none did)."""

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Any]:
        """A write transaction holding the write lock from its start (``BEGIN IMMEDIATE``, with retries)."""
        try:
            with write_transaction(self.db, timeout=self.write_timeout, what=f"archive {self.path}: {what}"):
                yield self.db
        except ArchiveBusyError as exc:
            self.write_error = str(exc)
            raise

    def _check_writable(self) -> None:
        if self._closed:
            raise RuntimeError(f"Archive {self.path} is closed")
        if self.readonly:
            raise RuntimeError(f"Archive {self.path} was opened read-only")

    def _item_added(self) -> None:
        self._buffer.items += 1
        if self._buffer.items < self._flush_at and self._buffer.bytes < self._flush_bytes_at:
            return
        try:
            self.flush()
        except ArchiveBusyError:
            # the item is buffered; the batch is tried again with the next one instead of at every item
            self.failed_flushes += 1
            self._flush_at = self._buffer.items + self.batch_size
            self._flush_bytes_at = self._buffer.bytes + self.batch_bytes

    def discard_buffer(self) -> int:
        """Drop everything buffered (after a flush that failed for good, so that nothing unwritten is written
        later under a verdict that called it lost); how many items were dropped."""
        dropped = self._buffer.items
        self._buffer = WriteBuffer()
        self._flush_at = self.batch_size
        self._flush_bytes_at = self.batch_bytes
        return dropped

    @property
    def pending(self) -> int:
        """How many items (add_* calls) wait in the buffer."""
        return self._buffer.items

    # -- runs --------------------------------------------------------------------------------------------

    def start_run(
        self, run_id: str, *, spider: str, site: str, mode: str, started_at: str, settings: dict[str, Any],
        crawler_version: str,
    ) -> None:  # fmt: skip
        """Record the start of a crawl run (written at once; calling it again for the same id is harmless)."""
        self._check_writable()
        self.flush()
        row = {"id": run_id, "spider": spider, "site": site, "mode": mode, "started_at": started_at,
               "settings": to_json(settings or {}), "crawler_version": crawler_version}  # fmt: skip
        with self._transaction(f"starting run {run_id}"):
            self.db.table("runs").upsert(row, pk="id")
        logger.info("Run %s started (%s, %s, %s)", run_id, spider, site, mode)

    def finish_run(
        self, run_id: str, *, finished_at: str, finish_reason: str, counts: dict[str, int], stats: dict[str, Any]
    ) -> None:
        """Flush, then record the end of a run with its counts and stats.

        ``counts`` keys are those of :data:`~gdcac_crawler.archive.schema.COUNT_KEYS` (or the column names
        themselves); a count that is not given is stored as 0, and unknown keys are kept only in the ``stats``
        JSON.
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
        row["stats"] = to_json(merged)
        with self._transaction(f"finishing run {run_id}"):
            self.db.table("runs").upsert(row, pk="id")
        logger.info("Run %s finished (%s): %s", run_id, finish_reason, counts)

    def set_run_health(self, run_id: str, *, healthy: bool | None, reason: str | None) -> None:
        """Record a run's health verdict: ``healthy`` 1/0 (``None``: not assessed) and the one-line reason."""
        self._check_writable()
        self.flush()
        with self._transaction(f"recording the health of run {run_id}"):
            self.db.execute("UPDATE runs SET healthy = ?, health = ? WHERE id = ?",
                            [None if healthy is None else int(healthy), reason, run_id])  # fmt: skip

    # -- pages -------------------------------------------------------------------------------------------

    def _buffer_page(self, fetch: Fetch | Row, *, site: str | None, article_id: str | None = None) -> Row:
        """Buffer the ``pages`` row of a fetch, and its body (compressed, once per sha256); return the row."""
        f = fetch_dict(fetch) or {}
        body = f.get("body")
        sha = f.get("sha256")
        size = f.get("size")
        if body is not None:
            if isinstance(body, str):
                body = body.encode(f.get("encoding") or "utf-8", "replace")
            actual = sha256(body)
            if sha and sha != actual:
                logger.warning(
                    "Fetch of %s: sha256 %s does not match its body (%s); using the body's", f.get("url"), sha, actual
                )
            sha = actual
            size = len(body)
            if sha not in self._buffer.bodies:
                compressed = zlib.compress(body, 6)
                self._buffer.bodies[sha] = {"sha256": sha, "size": size, "compression": "zlib",
                                            "body": compressed}  # fmt: skip
                self._buffer.bytes += len(compressed)
        elif sha and not self._body_known(sha):
            # A fetch that reports a sha256 but carries no bytes: keep the pages row valid (the foreign key
            # needs the body) and its size; the hash is lost.
            logger.debug("Fetch of %s has no body and sha256 %s is not archived; storing NULL", f.get("url"), sha)
            sha = None
        row = page_row(f, site=site, article_id=article_id, sha=sha, size=size)
        self._buffer.pages[row["id"]] = row
        return row

    def _body_known(self, sha: str) -> bool:
        if sha in self._buffer.bodies:
            return True
        row = self.db.execute("SELECT 1 FROM page_bodies WHERE sha256 = ?", [sha]).fetchone()
        return row is not None

    def add_page(self, fetch: Fetch, *, site: str, article_id: str | None = None) -> str:
        """Buffer a ``pages`` row (and its body in ``page_bodies``) for one fetch; return the page id."""
        self._check_writable()
        pid = str(self._buffer_page(fetch, site=site, article_id=article_id)["id"])
        self._item_added()
        return pid

    def add_failure(self, item: PageFailure | Row) -> None:
        """Buffer the ``pages`` row of a page that failed or was refused (kind ``error``/``rejected``)."""
        self._check_writable()
        data = as_dict(item)
        fetch = dict(fetch_dict(data.get("fetch")) or {})
        if not fetch.get("kind"):
            fetch["kind"] = PageKind.ERROR
        self._buffer_page(fetch, site=data.get("site"))
        self._item_added()

    # -- listings ----------------------------------------------------------------------------------------

    def add_listing(self, item: ListingItem | Row) -> None:
        """Buffer the listing page's ``pages`` row and one ``listings`` row per entry."""
        self._check_writable()
        data = as_dict(item)
        fetch = fetch_dict(data.get("fetch")) or {}
        site = data.get("site")
        if fetch:
            self._buffer_page(fetch, site=site)
        run_id = fetch.get("run_id")
        seen_at = fetch.get("fetched_at") or utc_now("seconds")
        listing_url = data["url"]
        for entry in data.get("entries") or ():
            e = as_dict(entry)
            offsite = bool(e.get("offsite"))
            key = (listing_url, e["url"])
            previous = self._buffer.listings.get(key)
            self._buffer.listings[key] = {
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

    def _current_article(self, aid: str) -> Row | None:
        """The article's latest state: the buffered row, else the stored one (one primary-key SELECT)."""
        pending = self._buffer.articles.get(aid)
        if pending is not None:
            return pending
        cursor = self.db.execute(
            "SELECT {} FROM articles WHERE id = ?".format(", ".join(f'"{c}"' for c in ARTICLE_COLUMNS)), [aid]
        )
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip(ARTICLE_COLUMNS, row, strict=True))

    def _hash_was_archived(self, aid: str, chash: str) -> bool:
        if any(k[0] == aid and v["content_hash"] == chash for k, v in self._buffer.versions.items()):
            return True
        row = self.db.execute(
            "SELECT 1 FROM article_versions WHERE article_id = ? AND content_hash = ? LIMIT 1", [aid, chash]
        ).fetchone()
        return row is not None

    def add_article(self, item: ArticleItem | Row) -> ArchiveOutcome:
        """Buffer an article (its page, its ``articles`` row, and a version row when its content is new).

        Returns ``NEW`` (never archived), ``CHANGED`` (its content hash differs from the archived one: a new
        version) or ``UNCHANGED`` (same content: only last_seen_at, last_run_id and the fetch provenance move).
        A fetch no later than the archived last_seen_at whose content the archive already holds (a replay) is
        ``UNCHANGED`` and moves nothing, so replaying items never rewinds or duplicates anything
        (:func:`decide_version`).
        """
        self._check_writable()
        data = as_dict(item)
        url = data["url"]
        aid = article_id(url)
        fetch = fetch_dict(data.get("fetch"))
        raw_sha = None
        if fetch:
            raw_sha = self._buffer_page(fetch, site=data.get("site"), article_id=aid)["sha256"]
        else:
            logger.warning("Article %s has no fetch provenance; archiving it without a pages row", url)
            fetch = {}
        run_id = fetch.get("run_id")
        self._buffer_attachment_files(aid, data.get("attachment_files"), run_id)
        seen_at = fetch.get("fetched_at") or utc_now("seconds")
        content = article_content(data)
        self._buffer.bytes += sum(len(value) for value in content.values() if isinstance(value, str))
        decision = decide_version(
            aid, self._current_article(aid), content, fetch_provenance(fetch, raw_sha),
            fetched_at=fetch.get("fetched_at"), seen_at=seen_at, run_id=run_id,
            hash_was_archived=lambda: self._hash_was_archived(aid, content["content_hash"]),
        )  # fmt: skip
        if decision.row is not None:
            self._buffer.articles[aid] = decision.row
        if decision.version is not None:
            self._buffer.versions[(aid, decision.version)] = version_row(
                aid, decision.version, content, run_id=run_id, seen_at=seen_at, raw_sha=raw_sha
            )
            logger.debug("Article %s: %s (version %d)", url, decision.outcome, decision.version)
        self._item_added()
        return decision.outcome

    # -- incremental runs: revisits and removals (m020) ----------------------------------------------------

    def mark_not_modified(self, url: str, fetch: Fetch | Row, *, site: str | None) -> str:
        """A revisit answered 304: buffer its ``pages`` row and move only the article's ``last_seen_at`` and
        ``last_run_id`` (no version, no content or provenance change).  Returns ``"not_modified"``, or
        ``"unknown"`` when the archive does not hold the article (only the page is recorded)."""
        self._check_writable()
        aid = article_id(url)
        f = fetch_dict(fetch) or {}
        self._buffer_page(f, site=site, article_id=aid)
        current = self._current_article(aid)
        if current is None:
            logger.warning("Article %s answered 304 but is not in the archive", url)
            self._item_added()
            return "unknown"
        seen_at = f.get("fetched_at") or utc_now("seconds")
        row = dict(current)
        if not row.get("last_seen_at") or seen_at > row["last_seen_at"]:
            row.update(last_seen_at=seen_at, last_run_id=f.get("run_id"))
        self._buffer.articles[aid] = row
        self._item_added()
        return ArchiveOutcome.NOT_MODIFIED

    def mark_removed(self, url: str, fetch: Fetch | Row | None, *, site: str | None,
                     removed_at: str | None = None) -> str:  # fmt: skip
        """An archived article is gone from the portal (404/410 on revisit): record the fetch and set its
        ``removed_at`` and ``removed_run_id`` (the row and its versions stay).  Written at once (removals are
        rare).  Returns ``"removed"``, ``"already_removed"`` or ``"unknown"``."""
        self._check_writable()
        aid = article_id(url)
        f = fetch_dict(fetch) or {}
        if f:
            self._buffer_page(f, site=site, article_id=aid)
        self.flush()
        when = removed_at or f.get("fetched_at") or utc_now("seconds")
        with self._transaction(f"marking {url} removed"):
            cursor = self.db.execute(
                "UPDATE articles SET removed_at = ?, removed_run_id = ? WHERE id = ? AND removed_at IS NULL",
                [when, f.get("run_id"), aid])  # fmt: skip
        if cursor.rowcount:
            logger.info("Article %s removed from the portal (found %s)", url, when)
            return ArchiveOutcome.REMOVED
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
        with self._transaction(f"restoring {url}"):
            self.db.execute("UPDATE articles SET removed_at = NULL, removed_run_id = NULL WHERE id = ?", [aid])
        logger.info("Article %s is back on the portal (was removed %s)", url, row[0])
        return True

    def mark_unlisted_removed(self, urls: Iterable[str], *, run_id: str, removed_at: str) -> int:
        """Mark ``urls`` (from :meth:`unlisted_articles`) removed by ``run_id`` in one transaction; how many."""
        self._check_writable()
        self.flush()
        n = 0
        with self._transaction(f"marking unlisted articles removed (run {run_id})"):
            for url in urls:
                cursor = self.db.execute(
                    "UPDATE articles SET removed_at = ?, removed_run_id = ? WHERE id = ? AND removed_at IS NULL",
                    [removed_at, run_id, article_id(url)])  # fmt: skip
                n += cursor.rowcount
        return n

    # -- attachment files ----------------------------------------------------------------------------------

    def _buffer_attachment_files(self, aid: str, files: Iterable[Row] | None, run_id: str | None) -> None:
        for record in files or ():
            rec = as_dict(record)
            if not rec.get("url"):
                continue
            row = {name: rec.get(name) for name in ATTACHMENT_FILE_COLUMNS}
            row.update(article_id=aid, run_id=rec.get("run_id") or run_id)
            self._buffer.attachment_files[(aid, rec["url"])] = row

    def add_attachment_files(self, article_url: str, files: Iterable[Row], *, run_id: str | None = None) -> None:
        """Buffer the ``attachment_files`` rows of an article's downloaded (or failed) attachments, keyed by
        (article, attachment URL): a later download replaces the earlier row.  :meth:`add_article` calls it
        with the item's ``attachment_files``."""
        self._check_writable()
        self._buffer_attachment_files(article_id(article_url), files, run_id)
        self._item_added()

    # -- flushing ----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything buffered in one transaction (nothing is written if it fails; the buffer is kept)."""
        if self._closed or self.readonly:
            return
        buffer = self._buffer
        if buffer.empty():
            buffer.items = 0
            return
        run_ids = buffer.run_ids()
        try:
            with self._transaction(f"flushing {buffer.items} items"):
                if run_ids:
                    # pages.run_id references runs.id: a run nobody started gets a bare row
                    self.db.table("runs").insert_all(({"id": r} for r in run_ids), pk="id", ignore=True)
                self.upsert_rows("page_bodies", buffer.bodies.values(), "sha256")
                # before the upsert: it reads the old text
                sync_search_index(self.db, buffer.articles.values(), self.postings)
                self.upsert_rows("articles", buffer.articles.values(), "id")
                self.upsert_rows("article_versions", buffer.versions.values(), ("article_id", "version"))
                self.upsert_rows("pages", buffer.pages.values(), "id")
                self.upsert_rows("attachment_files", buffer.attachment_files.values(), ("article_id", "url"))
                self._write_listings(list(buffer.listings.values()))
        except ArchiveBusyError as exc:
            logger.error("%s; the %d items stay buffered", exc, buffer.items)
            raise
        except Exception:
            logger.exception("Archive %s: flush of %d items failed; they stay buffered", self.path, buffer.items)
            raise
        logger.debug(
            "Archive %s: flushed %d items (%d pages, %d bodies, %d articles, %d versions, %d listings)",
            self.path, buffer.items, len(buffer.pages), len(buffer.bodies), len(buffer.articles),
            len(buffer.versions), len(buffer.listings),
        )  # fmt: skip
        self._buffer = WriteBuffer()
        self._flush_at = self.batch_size
        self._flush_bytes_at = self.batch_bytes

    def upsert_rows(self, table: str, rows: Iterable[Row], pk: str | tuple[str, ...]) -> None:
        """Upsert ``rows`` into ``table`` by ``pk`` (nothing for no rows): how :meth:`flush` writes each buffered
        table, inside its transaction, in the order ``page_bodies``, ``articles``, ``article_versions``,
        ``pages``, ``attachment_files``."""
        rows = list(rows)
        if rows:
            self.db.table(table).upsert_all(rows, pk=pk)

    def _write_listings(self, rows: list[Row]) -> None:
        """Insert new ``listings`` rows and move the rest, keeping their first run and first sight."""
        if not rows:
            return
        listings = self.db.table("listings")
        pk = ("listing_url", "article_url")
        listings.insert_all(rows, pk=pk, ignore=True)
        listings.upsert_all(({k: v for k, v in r.items() if k not in LISTING_FIRST_COLUMNS} for r in rows), pk=pk)

    # -- the search index --------------------------------------------------------------------------------

    def rebuild_search_index(self) -> int:
        """Index every article afresh (after text was changed by hand in SQL); how many articles."""
        self._check_writable()
        self.flush()
        with self._transaction("rebuilding the search index"):
            clear_search_index(self.db)
            promoted = bool(self.postings.promoted_tokens())
            self.postings.clear()
            count = fill_search_index(self.db)
        if promoted:
            self.optimize_search()
        return count

    def optimize_search(self, min_df: int | None = None) -> dict[str, Any]:
        """Promote the common tokens to postings and merge the postings' segments:
        :meth:`SearchPostings.optimize <gdcac_crawler.archive.postings.SearchPostings.optimize>` (``skipped`` in
        the result when another connection wrote meanwhile).  The crawl calls it at the end of a run when the
        archive has grown by a tenth (:meth:`maybe_optimize_search`); ``gdcac migrate --optimize`` calls it by
        hand."""
        self._check_writable()
        self.flush()
        return self.postings.optimize(min_df)

    def maybe_optimize_search(self) -> dict[str, Any] | None:
        """:meth:`optimize_search` when it is due: the archive holds at least ``promote_df`` articles and has
        grown by a tenth since the last optimisation, or some token has 64 segments.  ``None`` when not due."""
        if self.readonly or not self.has_search_index():
            return None
        self.flush()
        if not self.postings.optimization_due():
            return None
        return self.optimize_search()


class Archive(ArchiveWriter):
    """The archive under the name the pipelines and older code use: ``Archive(path, batch_size=…)`` is an
    :class:`ArchiveWriter`; ``Archive(path, readonly=True)`` opens the file read-only, reads as an
    :class:`ArchiveReader` does, and refuses every write with ``RuntimeError``.  New code that only reads
    should take an :class:`ArchiveReader`."""

    def __init__(self, path: str | os.PathLike[str], *, batch_size: int = 200,
                 batch_bytes: int = GDCAC_ARCHIVE_BATCH_BYTES, readonly: bool = False,
                 write_timeout: float = default_settings.GDCAC_ARCHIVE_WRITE_TIMEOUT) -> None:
        """Open (and, unless ``readonly``, create and migrate) the archive at ``path``."""
        if not readonly:
            super().__init__(path, batch_size=batch_size, batch_bytes=batch_bytes, write_timeout=write_timeout)
            return
        ArchiveReader.__init__(self, path)
        self.readonly = True
        self._start_buffer(batch_size, batch_bytes)
