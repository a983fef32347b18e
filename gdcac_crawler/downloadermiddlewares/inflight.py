"""Bytes in flight: a page request waits before it is sent while the pages already fetched are still being
scraped and archived and hold more than Scrapy's ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes.

Scrapy stops *scheduling* requests once its scraper holds that many bytes of responses (a response counts
until every item it gave has passed the pipelines, the archive included), but the requests already handed to
the downloader — up to ``CONCURRENT_REQUESTS`` — are all sent, and a page of several megabytes costs many times
its size while it is parsed, extracted and archived.  :class:`InFlightBytesMiddleware` holds those back too,
before their download starts, so a run of huge pages is taken a few at a time whatever the concurrency;
ordinary pages (tens of kilobytes) never reach the limit and are not slowed.

Only the spider's own page requests wait (:meth:`PageKind.crawled <gdcac_crawler.items.PageKind.crawled>`):
an attachment download that an item in the pipelines waits for must never wait for that item.  Counted as
``gdcac/memory/held_requests``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.http import Request

from gdcac_crawler.items import PageKind

#: How often a held request looks again, in seconds.
POLL_SECONDS = 0.05


class InFlightBytesMiddleware:
    """Holds page requests back while the scraper's responses exceed ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> InFlightBytesMiddleware:
        return cls(crawler)

    def _busy(self) -> bool:
        engine = self.crawler.engine
        slot = getattr(getattr(engine, "scraper", None), "slot", None)
        return slot is not None and bool(slot.needs_backout())

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("gdcac_kind") not in PageKind.crawled() or not self._busy():
            return None
        self.crawler.stats.inc_value("gdcac/memory/held_requests")
        while self._busy():
            await asyncio.sleep(POLL_SECONDS)
        return None
