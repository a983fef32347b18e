"""The one portal spider: section → columns → listing pages → same-site articles.

It only walks and extracts; it never writes to the archive (it reads it once, read-only, when it starts).
Everything particular to a portal comes from its profile.  Spider arguments (``-a name=value``):

``mode``
    ``incremental`` (the default): per column, listing pages are walked until ``GDCAC_INCREMENTAL_STOP_PAGES``
    consecutive pages show only articles archived before this run; new articles are fetched; recent articles
    (``GDCAC_REVISIT_DAYS``) are revisited with a conditional GET (304: not modified; 404/410: removed).
    ``full``: every listing page and every article is fetched again; after a complete walk, archived articles
    that no listing showed are marked removed (by the archive pipeline).

``base_url``
    Fetch from this origin instead of the live portal, e.g. the offline mirror ``http://127.0.0.1:8000``.
    Article identities stay the live portal's URLs, so crawls of the mirror on any port agree.
``run_id``
    Id of this run in the archive (default: UTC time plus a random suffix).
``profile``
    The portal profile (only for the generic ``portal`` spider; ``gdcac`` fixes it).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.job import job_dir
from twisted.python.failure import Failure

from gdcac_crawler.archive import Archive
from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.encoding import declared_encoding
from gdcac_crawler.extract.fallback import is_fallback
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.guard import BlockedResponse, RefusedResponse
from gdcac_crawler.items import ArticleCheck, ArticleItem, Fetch, ListingItem, PageFailure
from gdcac_crawler.profiles import Profile, get_profile
from gdcac_crawler.resume import RunJob, close_job, open_job

logger = logging.getLogger(__name__)


MODES = ("incremental", "full")
"""The crawl modes (``-a mode=...``); the first is the default."""
#: Statuses an article revisit handles itself: not modified, and gone.
REVISIT_STATUSES = [304, 404, 410]


def _parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset) as an aware datetime; ``None`` if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def utc_now() -> str:
    """Now, UTC, ISO 8601 with ``Z`` (millisecond precision)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def conditional_headers(validators: dict[str, Any]) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from the ``etag`` / ``last_modified`` an earlier answer gave."""
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def new_run_id() -> str:
    """A run id that sorts by start time and is unique across machines: ``20261129T084500Z-1a2b3c4d``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def fetch_record(response: Response, run_id: str, kind: str, *, error: str | None = None) -> Fetch:
    """The provenance of a response: URL, status, headers, the body's sha256, the encoding used."""
    headers = response.headers
    content_type = headers.get("Content-Type", b"").decode("latin-1") or None
    declared = declared_encoding(response)  # the header's charset, else the page's meta tag
    body = response.body
    requested = response.request.meta.get("redirect_urls", [response.url])[0] if response.request else response.url
    return Fetch(
        run_id=run_id,
        url=requested,
        final_url=response.url,
        status=response.status,
        fetched_at=utc_now(),
        kind=kind,
        content_type=content_type,
        declared_encoding=declared,
        encoding=response.encoding if isinstance(response, TextResponse) else None,
        etag=(headers.get("ETag") or b"").decode("latin-1") or None,
        last_modified=(headers.get("Last-Modified") or b"").decode("latin-1") or None,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        body=body,
        error=error,
    )


class PortalSpider(scrapy.Spider):
    """Crawls one portal's section, driven by the portal's profile."""

    name = "portal"
    profile_name: str | None = None

    def __init__(self, *args: Any, base_url: str | None = None, run_id: str | None = None,
                 profile: str | None = None, mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = profile or self.profile_name
        if not name:
            raise ValueError("the portal spider needs a profile: -a profile=NAME")
        self.profile: Profile = get_profile(name)
        self.fetch_base = base_url.rstrip("/") if base_url else None
        if self.fetch_base and urlsplit(self.fetch_base).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.mode = (mode or MODES[0]).strip().lower()
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.run_id = run_id or new_run_id()
        self.started_at = utc_now()
        fetch_host = urlsplit(self.fetch_base).hostname if self.fetch_base else None
        self.allowed_domains = [fetch_host] if fetch_host else list(self.profile.hosts)
        # Incremental state of this spider instance (never process-global): filled from the archive in start().
        self.stop_pages = 1
        self.revisit_days = 0.0
        self.revisit_backfilled = False
        self.archive_path: str | None = None
        self.archived: dict[str, dict[str, Any]] = {}
        """Every archived article of the site by URL (a snapshot taken when the crawl starts)."""
        self.known: set[str] = set()
        """URLs archived before this run and not removed: what the incremental stop rule calls known."""
        self.done: set[str] = set()
        """URLs this run already fetched or checked (in an earlier segment of a resumed run)."""
        self.incomplete_pages = 0
        """Section or listing pages that failed or showed nothing: a full walk with any is not complete."""
        self.job: RunJob | None = None
        self.job_how = "new"
        self.jobdir: str | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings, requested_run_id=kwargs.get("run_id"))
        return spider

    def _configure(self, settings, *, requested_run_id: str | None) -> None:
        """Read the incremental settings; with a ``JOBDIR``, continue the run it holds
        (see :mod:`gdcac_crawler.resume`)."""
        self.stop_pages = max(1, settings.getint("GDCAC_INCREMENTAL_STOP_PAGES", 1))
        self.revisit_days = max(0.0, settings.getfloat("GDCAC_REVISIT_DAYS", 7))
        self.revisit_backfilled = settings.getbool("GDCAC_REVISIT_BACKFILLED", False)
        self.archive_path = settings.get("GDCAC_ARCHIVE_PATH") or None
        self.jobdir = job_dir(settings)
        if self.jobdir:
            self.job, self.job_how = open_job(self.jobdir, run_id=self.run_id, mode=self.mode,
                                              started_at=self.started_at, requested_run_id=requested_run_id)
            self.run_id, self.mode, self.started_at = self.job.run_id, self.job.mode, self.job.started_at
            self.crawler.signals.connect(self._close_job, signal=signals.spider_closed)

    def _close_job(self, spider: Any = None, reason: str = "finished") -> None:
        if self.job is not None and self.jobdir:
            close_job(self.jobdir, self.job, finished=reason == "finished",
                      incomplete_pages=self.job.incomplete_pages + self.incomplete_pages)

    @property
    def resumed(self) -> bool:
        """Whether this process continues a run that an earlier process started (same ``JOBDIR``)."""
        return self.job_how != "new"

    def walk_complete(self) -> bool:
        """Whether every column was walked to its end with no failed, blocked or empty section or listing page
        (in this process and, for a resumed run, in the earlier ones): only then may a full run mark the
        articles it did not find as removed."""
        earlier = self.job.incomplete_pages if self.job is not None else 0
        return not (self.incomplete_pages or earlier)

    # --- helpers ----------------------------------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"gdcac/{key}", n)

    def _count_fallbacks(self, methods: dict[str, str], url: str) -> None:
        """``gdcac/fallback/<field>`` for every field a fallback (not the profile's rules) produced: a jump in
        these counts is the first sign that the live template changed."""
        fields = [name for name, method in methods.items() if is_fallback(method)]
        for name in fields:
            self._count(f"fallback/{name}")
        if fields and self.profile.name != "generic":
            logger.info("%s: fallbacks for %s", url, ", ".join(f"{n} ({methods[n]})" for n in fields))

    def _request(self, url: str, callback, *, kind: str, **kwargs: Any) -> scrapy.Request:
        meta = kwargs.pop("meta", {})
        meta["gdcac_kind"] = kind
        return scrapy.Request(self.profile.to_fetch_url(url, self.fetch_base), callback=callback,
                              errback=self.on_error, meta=meta, **kwargs)

    # --- the walk ---------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info("run %s (%s%s): crawling %s (%s) from %s", self.run_id, self.mode,
                    f", {self.job_how} from JOBDIR" if self.resumed else "", self.profile.name,
                    self.profile.section_name, self.fetch_base or self.profile.base_url)
        self.crawler.stats.set_value("gdcac/run_id", self.run_id)
        self.crawler.stats.set_value("gdcac/mode", self.mode)
        self.load_archive_state()
        yield self._request(self.profile.section_url, self.parse_section, kind="section")
        for request in self.revisit_requests():
            yield request

    # --- what the archive already holds --------------------------------------------------------------

    def load_archive_state(self, rows: list[dict[str, Any]] | None = None) -> None:
        """Take the snapshot of the archive that incremental decisions read: every archived article of the
        site (one read-only query; ``rows`` gives them directly, for tests).

        Read once into this spider instance rather than looked up per listing page: one indexed scan (tens of
        milliseconds for 10,000 articles) instead of a query on the crawl's thread for every page, no
        connection shared with the archive's writer thread, and nothing process-global — each spider (one per
        worker on a shared frontier) holds its own snapshot.  Articles archived during this run are tracked
        by the walk itself.
        """
        if rows is None:
            rows = []
            if self.archive_path and Path(self.archive_path).is_file():
                with Archive(self.archive_path, readonly=True) as archive:
                    rows = archive.known_articles(self.profile.name)
        self.archived = {r["url"]: r for r in rows}
        self.known = {r["url"] for r in rows if r["first_run_id"] != self.run_id
                      and (r["removed_at"] is None or r.get("removed_run_id") == self.run_id)}
        self.done = {r["url"] for r in rows if r["last_run_id"] == self.run_id
                     or r.get("removed_run_id") == self.run_id}
        self._count("archive/known", len(self.known))
        if self.done:
            self._count("resume/already_done", len(self.done))
            logger.info("run %s: %d articles already done in an earlier segment of this run", self.run_id,
                        len(self.done))

    def is_recent(self, row: dict[str, Any], now: datetime | None = None) -> bool:
        """Whether an archived article is recent enough to revisit: first seen within ``GDCAC_REVISIT_DAYS``
        and, unless ``GDCAC_REVISIT_BACKFILLED``, published no more than that many days before it was first
        seen (an old article archived late, e.g. by the first full run, is not recent)."""
        if self.revisit_days <= 0:
            return False
        window = timedelta(days=self.revisit_days)
        first_seen = _parse_time(row.get("first_seen_at"))
        if first_seen is None or first_seen < (now or datetime.now(timezone.utc)) - window:
            return False
        if self.revisit_backfilled:
            return True
        published = _parse_time(row.get("published_at"))
        return published is None or published >= first_seen - window

    def revisit_requests(self) -> Iterator[scrapy.Request]:
        """Conditional GETs for the recent archived articles (incremental mode only)."""
        if self.mode != "incremental":
            return
        now = datetime.now(timezone.utc)
        for url, row in sorted(self.archived.items()):
            if row["removed_at"] is not None or url in self.done or not self.is_recent(row, now):
                continue
            self._count("incremental/revisits")
            yield self._revisit(url, row)

    def _revisit(self, url: str, row: dict[str, Any]) -> scrapy.Request:
        return self._request(url, self.parse_article, kind="article", headers=conditional_headers(row),
                             meta={"gdcac_revisit": True, "handle_httpstatus_list": REVISIT_STATUSES},
                             cb_kwargs={"column": row.get("column_name"), "listed_title": row.get("listed_title"),
                                        "listed_date": row.get("listed_date")})

    def parse_section(self, response: Response) -> Iterator[Any]:
        """The section page: discover its columns and walk each from its first listing page."""
        section = extract_section(response, self.profile)
        columns = section["columns"]
        self._count_fallbacks(section["methods"], response.url)
        self._count("section/columns", len(columns))
        if not columns:
            logger.error("no columns found on the section page %s: the template may have changed", response.url)
            self._count("section/no_columns")
            self.incomplete_pages += 1
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=None,
                          column_url=None, page_no=1, entries=[],
                          fetch=fetch_record(response, self.run_id, "section"))
        for name, url in columns:
            column_url = self.profile.canonical(url)
            yield self._request(column_url, self.parse_listing, kind="listing",
                                cb_kwargs={"column": name, "column_url": column_url, "page_no": 1,
                                           "first_page_size": None})

    def parse_listing(self, response: Response, column: str, column_url: str, page_no: int,
                      first_page_size: int | None) -> Iterator[Any]:
        """A listing page: record it, follow its same-site articles, and go on to the next page."""
        if response.status == 404 and response.meta.get("gdcac_probe"):
            self._count("listing/end_probe_missing")
            return
        listing = extract_listing(response, self.profile)
        entries, pager = listing["entries"], listing["pager"]
        self._count_fallbacks(listing["methods"], response.url)
        self._count("listing/pages")
        if not entries:
            logger.warning("listing page %s shows no entries", response.url)
            self._count("listing/empty")
            self.incomplete_pages += 1
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=column,
                          column_url=column_url, page_no=page_no, entries=entries,
                          fetch=fetch_record(response, self.run_id, "listing"))
        self._count("listing/entries", len(entries))
        fresh = 0  # same-site articles on this page that were not archived before this run
        for entry in entries:
            if entry.offsite:
                self._count("listing/offsite")
                continue
            if not self.profile.is_article_url(entry.url):
                self._count("listing/not_article")
                continue
            if entry.url not in self.known:
                fresh += 1
            if entry.url in self.done:
                self._count("resume/skipped_articles")
                continue
            if self.mode == "incremental" and entry.url in self.known:
                archived = self.archived.get(entry.url) or {}
                if not (entry.title and archived.get("listed_title") and entry.title != archived["listed_title"]):
                    self._count("incremental/known_entries")
                    continue
                # the listing shows an archived article under another title: look at it again
                self._count("incremental/title_changed")
                self._count("incremental/revisits")
                yield self._revisit(entry.url, {**archived, "column_name": column, "listed_title": entry.title,
                                                "listed_date": entry.listed_date})
                continue
            self._count("article/requested")
            yield self._request(entry.url, self.parse_article, kind="article",
                                cb_kwargs={"column": column, "listed_title": entry.title,
                                           "listed_date": entry.listed_date})
        known_pages = 0
        if self.mode == "incremental" and entries and not fresh:
            known_pages = response.meta.get("gdcac_known_pages", 0) + 1
            if known_pages >= self.stop_pages:
                self._count("incremental/columns_stopped")
                logger.debug("%s: page %d shows only archived articles; column %s stops here", response.url,
                             page_no, column)
                return
        yield from self._next_page(response, column, column_url, page_no, len(entries),
                                   first_page_size or len(entries), pager, known_pages)

    def _next_page(self, response: Response, column: str, column_url: str, page_no: int, n_entries: int,
                   page_size: int, pager, known_pages: int = 0) -> Iterator[scrapy.Request]:
        """Page ``page_no + 1`` when the column has one.

        The script's uncapped ``Math.ceil(TOTAL/PER)`` decides when the page gives it.  Otherwise the pager's
        largest page is only a lower bound (the platform caps it), so a full last page is followed by one
        probe for the next page; a 404 there ends the column.  ``known_pages`` (consecutive pages showing only
        archived articles, for the incremental stop rule) travels in the request's meta.
        """
        if not n_entries:
            return
        kwargs = {"column": column, "column_url": column_url, "page_no": page_no + 1,
                  "first_page_size": page_size}
        url = self.profile.listing_page_url(column_url, page_no + 1)
        if page_no < pager.total_pages:
            yield self._request(url, self.parse_listing, kind="listing", cb_kwargs=kwargs,
                                meta={"gdcac_known_pages": known_pages})
        elif pager.total_items is None and n_entries >= page_size:
            self._count("listing/end_probe")
            yield self._request(url, self.parse_listing, kind="listing", cb_kwargs=kwargs,
                                meta={"gdcac_probe": True, "handle_httpstatus_list": [404],
                                      "gdcac_known_pages": known_pages})

    def parse_article(self, response: Response, column: str | None, listed_title: str | None,
                      listed_date: str | None) -> Iterator[ArticleItem]:
        """An article page: its fields as extracted, with provenance; cleaning is the pipelines' work.

        A revisit (conditional GET) may instead answer 304 (not modified) or 404/410 (gone): an
        :class:`ArticleCheck` says so.
        """
        if response.meta.get("gdcac_revisit") and response.status in REVISIT_STATUSES:
            canonical = self.profile.canonical(response.url)
            fetch = fetch_record(response, self.run_id, "article")
            if response.status == 304:
                self._count("article/not_modified")
                yield ArticleCheck(url=canonical, site=self.profile.name, outcome="not_modified",
                                   fetch=replace(fetch, body=None, sha256=None, size=None))
            else:
                self._count("article/gone")
                yield ArticleCheck(url=canonical, site=self.profile.name, outcome="removed",
                                   fetch=replace(fetch, error=f"HTTP {response.status}: gone from the portal"))
            return
        if not isinstance(response, TextResponse):
            yield PageFailure(site=self.profile.name, fetch=fetch_record(
                response, self.run_id, "error", error=f"not a text page: {response.headers.get('Content-Type')!r}"))
            return
        canonical = self.profile.canonical(response.url)
        fields = extract_article(response, self.profile, url=canonical)
        self._count_fallbacks(fields["methods"], response.url)
        self._count("article/parsed")
        yield ArticleItem(**fields, fetch=fetch_record(response, self.run_id, "article"),
                          listed_title=listed_title, listed_date=listed_date, column=column)

    def on_error(self, failure: Failure) -> Iterator[PageFailure]:
        """A request that failed for good (after retries): one ``pages`` row with the reason."""
        request = failure.request
        kind = request.meta.get("gdcac_kind", "page")
        if kind in ("section", "listing"):
            self.incomplete_pages += 1  # a walk with a failed page is not complete
        if failure.check(BlockedResponse, RefusedResponse):
            response = failure.value.response
            blocked = failure.check(BlockedResponse) is not None
            reason = f"{failure.value.verdict.reason} ({kind} page)"
            self._count(f"error/{'blocked' if blocked else 'refused'}")
            yield PageFailure(site=self.profile.name, fetch=fetch_record(
                response, self.run_id, "blocked" if blocked else "error", error=reason))
            return
        if failure.check(HttpError):
            response = failure.value.response
            reason = f"HTTP {response.status} ({kind} page)"
            self._count(f"error/http_{response.status}")
            logger.warning("%s: %s", response.url, reason)
            yield PageFailure(site=self.profile.name,
                              fetch=fetch_record(response, self.run_id, "error", error=reason))
            return
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()} ({kind} page)"
        self._count(f"error/{failure.type.__name__}")
        logger.warning("%s: %s", request.url, reason)
        yield PageFailure(site=self.profile.name, fetch=Fetch(
            run_id=self.run_id, url=request.url, final_url=request.url, status=0, fetched_at=utc_now(),
            kind="error", error=reason))
