"""The one portal spider: section → columns → every listing page → every same-site article.

It only walks and extracts; it never writes to the archive.  Everything particular to a portal comes from
its profile.  Spider arguments (``-a name=value``):

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
import re
import uuid
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.listing import extract_columns, extract_listing
from gdcac_crawler.items import ArticleItem, Fetch, ListingItem, PageFailure
from gdcac_crawler.profiles import Profile, get_profile

logger = logging.getLogger(__name__)

_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def utc_now() -> str:
    """Now, UTC, ISO 8601 with ``Z`` (millisecond precision)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """A run id that sorts by start time and is unique across machines: ``20261129T084500Z-1a2b3c4d``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def fetch_record(response: Response, run_id: str, kind: str, *, error: str | None = None) -> Fetch:
    """The provenance of a response: URL, status, headers, the body's sha256, the encoding used."""
    headers = response.headers
    content_type = headers.get("Content-Type", b"").decode("latin-1") or None
    declared = None
    if content_type and (m := _CHARSET_RE.search(content_type)):
        declared = m.group(1).lower()
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
                 profile: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = profile or self.profile_name
        if not name:
            raise ValueError("the portal spider needs a profile: -a profile=NAME")
        self.profile: Profile = get_profile(name)
        self.fetch_base = base_url.rstrip("/") if base_url else None
        if self.fetch_base and urlsplit(self.fetch_base).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.run_id = run_id or new_run_id()
        fetch_host = urlsplit(self.fetch_base).hostname if self.fetch_base else None
        self.allowed_domains = [fetch_host] if fetch_host else list(self.profile.hosts)

    # --- helpers ----------------------------------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"gdcac/{key}", n)

    def _request(self, url: str, callback, *, kind: str, **kwargs: Any) -> scrapy.Request:
        meta = kwargs.pop("meta", {})
        meta["gdcac_kind"] = kind
        return scrapy.Request(self.profile.to_fetch_url(url, self.fetch_base), callback=callback,
                              errback=self.on_error, meta=meta, **kwargs)

    # --- the walk ---------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info("run %s: crawling %s (%s) from %s", self.run_id, self.profile.name,
                    self.profile.section_name, self.fetch_base or self.profile.base_url)
        yield self._request(self.profile.section_url, self.parse_section, kind="section")

    def parse_section(self, response: Response) -> Iterator[Any]:
        """The section page: discover its columns and walk each from its first listing page."""
        columns = extract_columns(response, self.profile)
        self._count("section/columns", len(columns))
        if not columns:
            logger.error("no columns found on the section page %s: the template may have changed", response.url)
            self._count("section/no_columns")
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
        self._count("listing/pages")
        if not entries:
            logger.warning("listing page %s shows no entries", response.url)
            self._count("listing/empty")
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=column,
                          column_url=column_url, page_no=page_no, entries=entries,
                          fetch=fetch_record(response, self.run_id, "listing"))
        for entry in entries:
            if entry.offsite:
                self._count("listing/offsite")
                continue
            if not self.profile.is_article_url(entry.url):
                self._count("listing/not_article")
                continue
            yield self._request(entry.url, self.parse_article, kind="article",
                                cb_kwargs={"column": column, "listed_title": entry.title,
                                           "listed_date": entry.listed_date})
        yield from self._next_page(response, column, column_url, page_no, len(entries),
                                   first_page_size or len(entries), pager)

    def _next_page(self, response: Response, column: str, column_url: str, page_no: int, n_entries: int,
                   page_size: int, pager) -> Iterator[scrapy.Request]:
        """Page ``page_no + 1`` when the column has one.

        The script's uncapped ``Math.ceil(TOTAL/PER)`` decides when the page gives it.  Otherwise the pager's
        largest page is only a lower bound (the platform caps it), so a full last page is followed by one
        probe for the next page; a 404 there ends the column.
        """
        if not n_entries:
            return
        kwargs = {"column": column, "column_url": column_url, "page_no": page_no + 1,
                  "first_page_size": page_size}
        url = self.profile.listing_page_url(column_url, page_no + 1)
        if page_no < pager.total_pages:
            yield self._request(url, self.parse_listing, kind="listing", cb_kwargs=kwargs)
        elif pager.total_items is None and n_entries >= page_size:
            self._count("listing/end_probe")
            yield self._request(url, self.parse_listing, kind="listing", cb_kwargs=kwargs,
                                meta={"gdcac_probe": True, "handle_httpstatus_list": [404]})

    def parse_article(self, response: Response, column: str | None, listed_title: str | None,
                      listed_date: str | None) -> Iterator[ArticleItem]:
        """An article page: its fields as extracted, with provenance; cleaning is the pipelines' work."""
        if not isinstance(response, TextResponse):
            yield PageFailure(site=self.profile.name, fetch=fetch_record(
                response, self.run_id, "error", error=f"not a text page: {response.headers.get('Content-Type')!r}"))
            return
        canonical = self.profile.canonical(response.url)
        fields = extract_article(response, self.profile, url=canonical)
        self._count("article/parsed")
        yield ArticleItem(**fields, fetch=fetch_record(response, self.run_id, "article"),
                          listed_title=listed_title, listed_date=listed_date, column=column)

    def on_error(self, failure: Failure) -> Iterator[PageFailure]:
        """A request that failed for good (after retries): one ``pages`` row with the reason."""
        request = failure.request
        kind = request.meta.get("gdcac_kind", "page")
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
