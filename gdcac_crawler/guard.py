"""Downloader middlewares that keep hostile answers out of the archive and the crawl polite under pressure.

:class:`BackoffRetryMiddleware` replaces Scrapy's RetryMiddleware: the same codes and exceptions are retried,
but each retry waits first — the server's ``Retry-After`` when it sends one, else an exponential backoff —
so a struggling site is not hammered.

:class:`GuardMiddleware` looks at every page answer (not robots.txt, not attachments):

* a block or challenge page (:func:`gdcac_crawler.blocks.detect_block`, by content as well as status) slows
  the site's download slot down, is retried after a pause (``GDCAC_BLOCK_RETRIES`` times), and if it stays
  blocked fails the request with :class:`BlockedResponse` — the spider records it as a ``blocked`` page;
* an answer that is not a page (empty, binary, another media type) fails with :class:`RefusedResponse`
  and its reason.

Both exceptions reach the request's errback with the response attached, so nothing is dropped unrecorded.
"""

from __future__ import annotations

import asyncio
import logging
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from gdcac_crawler.blocks import Verdict, detect_block, detect_junk

logger = logging.getLogger(__name__)

#: Request kinds (``meta["gdcac_kind"]``) whose answers must be HTML pages.
PAGE_KINDS = frozenset({"section", "listing", "article"})


class BlockedResponse(IgnoreRequest):
    """The site answered with a block or challenge page, also after the retries."""

    def __init__(self, response: Response, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.response = response
        self.verdict = verdict


class RefusedResponse(IgnoreRequest):
    """The answer is not a page that can be archived (empty, binary, not HTML)."""

    def __init__(self, response: Response, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.response = response
        self.verdict = verdict


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), ``None`` if absent."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each after a pause: ``Retry-After`` if the answer gives one, else
    ``GDCAC_RETRY_BACKOFF × 2^(attempt−1)``, at most ``GDCAC_RETRY_MAX_BACKOFF`` seconds."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("GDCAC_RETRY_BACKOFF", 2.0)
        self.max_backoff = settings.getfloat("GDCAC_RETRY_MAX_BACKOFF", 60.0)

    def _pause(self, request: Request, response: Response | None = None) -> float:
        attempt = request.meta.get("retry_times", 0) + 1
        hinted = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        delay = hinted if hinted is not None else self.backoff * 2 ** (attempt - 1)
        return min(delay, self.max_backoff)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            self.crawler.stats.inc_value("gdcac/retry/backoff")
            await asyncio.sleep(self._pause(request, response))
        return result

    async def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Any:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self.crawler.stats.inc_value("gdcac/retry/backoff")
            await asyncio.sleep(self._pause(request))
        return result


class RedirectGuardMiddleware:
    """Refuses redirects that leave the site or go round in a loop, before Scrapy follows them.

    Scrapy would re-schedule such a redirect as a new request that its offsite filter or its duplicate
    filter then drops without a trace; refusing it here fails the original request with the reason, so its
    page is recorded.  Runs closer to the downloader than Scrapy's RedirectMiddleware (600).
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not 300 <= response.status < 400 or b"Location" not in response.headers:
            return response
        target = urljoin(request.url, response.headers["Location"].decode("latin-1"))
        spider = self.crawler.spider
        host = urlsplit(target).hostname or ""
        allowed = set(getattr(spider, "allowed_domains", None) or ())
        if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
            verdict = Verdict("offsite_redirect", f"redirect off-site to {target}")
        elif target == request.url or target in request.meta.get("redirect_urls", ()):
            verdict = Verdict("redirect_loop", f"redirect loop back to {target}")
        else:
            return response
        self.crawler.stats.inc_value(f"gdcac/refused/{verdict.kind}")
        logger.warning("%s: refused, %s", request.url, verdict.reason)
        raise RefusedResponse(response, verdict)


class GuardMiddleware:
    """Recognises block, challenge and junk answers before they reach the spider.

    Settings: ``GDCAC_BLOCK_RETRIES`` (tries after a block, default 2), ``GDCAC_BLOCK_BACKOFF`` (seconds
    before the first, doubling; default 60), ``GDCAC_BLOCK_SLOWDOWN`` (factor on the site's download delay
    per block, default 2), ``GDCAC_BLOCK_MAX_DELAY`` (cap of that delay, default 120 s).
    """

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("GDCAC_GUARD_ENABLED", True):
            raise NotConfigured("GDCAC_GUARD_ENABLED is off")
        self.crawler = crawler
        self.retries = settings.getint("GDCAC_BLOCK_RETRIES", 2)
        self.backoff = settings.getfloat("GDCAC_BLOCK_BACKOFF", 60.0)
        self.slowdown = settings.getfloat("GDCAC_BLOCK_SLOWDOWN", 2.0)
        self.max_delay = settings.getfloat("GDCAC_BLOCK_MAX_DELAY", 120.0)

    @classmethod
    def from_crawler(cls, crawler) -> GuardMiddleware:
        return cls(crawler)

    def _slow_down(self, request: Request) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = min(self.max_delay, max(slot.delay * self.slowdown, 1.0))
            self.crawler.stats.max_value("gdcac/blocked/max_delay", slot.delay)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        if request.meta.get("gdcac_kind") not in PAGE_KINDS:
            return response
        verdict = detect_block(response.status, response.body)
        if verdict is not None:
            stats = self.crawler.stats
            stats.inc_value(f"gdcac/blocked/{verdict.kind}")
            self._slow_down(request)
            tries = request.meta.get("gdcac_block_tries", 0)
            logger.warning("%s: %s (try %d of %d)", response.url, verdict.reason, tries + 1, self.retries + 1)
            if tries < self.retries:
                await asyncio.sleep(min(self.max_delay, self.backoff * 2 ** tries))
                return request.replace(dont_filter=True, meta={**request.meta, "gdcac_block_tries": tries + 1})
            raise BlockedResponse(response, verdict)
        if 200 <= response.status < 300:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
            junk = detect_junk(content_type, response.body)
            if junk is not None:
                self.crawler.stats.inc_value(f"gdcac/refused/{junk.kind}")
                logger.warning("%s: refused, %s", response.url, junk.reason)
                raise RefusedResponse(response, junk)
        return response
