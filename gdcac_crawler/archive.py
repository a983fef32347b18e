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
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils
from sqlite_utils import Migrations

from .items import ArticleItem, Fetch, ListingItem, PageFailure

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


# Columns each buffered row carries (fixed, so that batched upserts never mix key sets).
_PAGE_COLUMNS = (
    "id", "run_id", "site", "url", "final_url", "status", "fetched_at", "kind", "content_type",
    "declared_encoding", "encoding", "etag", "last_modified", "sha256", "size", "article_id", "error",
)  # fmt: skip
_ARTICLE_CONTENT_COLUMNS = (
    "site", "url", "column_name", "column_path", "title", "published_at", "published_raw", "source", "source_raw",
    "author", "body_text", "body_html", "images", "attachments", "meta", "methods", "listed_title",
    "listed_date", "content_hash",
)  # fmt: skip
_ARTICLE_PROVENANCE_COLUMNS = ("fetched_at", "http_status", "etag", "last_modified", "raw_sha256")
_ARTICLE_COLUMNS = (
    ("id",)
    + _ARTICLE_CONTENT_COLUMNS
    + ("version", "first_seen_at", "last_seen_at", "changed_at", "first_run_id", "last_run_id")
    + _ARTICLE_PROVENANCE_COLUMNS
)
_ARTICLE_JSON_COLUMNS = ("column_path", "images", "attachments", "meta", "methods")
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
        self._reset_buffers()

    # -- buffers -----------------------------------------------------------------------------------------

    def _reset_buffers(self) -> None:
        self._bodies: dict[str, dict[str, Any]] = {}
        self._pages: dict[str, dict[str, Any]] = {}
        self._articles: dict[str, dict[str, Any]] = {}
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}
        self._listings: dict[tuple[str, str], dict[str, Any]] = {}
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

    # -- flushing ----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything buffered in one transaction (nothing is written if it fails; the buffer is kept)."""
        if self._closed or self.readonly:
            return
        if not (self._bodies or self._pages or self._articles or self._versions or self._listings):
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
                self._upsert("articles", self._articles.values(), "id")
                self._upsert("article_versions", self._versions.values(), ("article_id", "version"))
                self._upsert("pages", self._pages.values(), "id")
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
