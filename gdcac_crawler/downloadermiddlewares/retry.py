"""Scrapy's retries of transient failures, each after a pause, so that a struggling site is not hammered.

:class:`BackoffRetryMiddleware` takes the place of Scrapy's RetryMiddleware (disabled in ``settings.py``): the
same codes and exceptions are retried, by Scrapy's own middleware, but before each retry it waits — the
server's ``Retry-After`` when it sends one, else ``GDCAC_RETRY_BACKOFF × 2^(attempt−1)`` seconds, at most
``GDCAC_RETRY_MAX_BACKOFF``.  Counted as ``gdcac/retry/backoff``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response


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
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware:
    """Scrapy's retries (its RetryMiddleware decides what and how often), each after a pause."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.retry = RetryMiddleware.from_crawler(crawler)  # NotConfigured when RETRY_ENABLED is off
        self.backoff = crawler.settings.getfloat("GDCAC_RETRY_BACKOFF")
        self.max_backoff = crawler.settings.getfloat("GDCAC_RETRY_MAX_BACKOFF")

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffRetryMiddleware:
        return cls(crawler)

    def pause(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before retrying ``request`` (after ``response``, if it came with one)."""
        attempt = request.meta.get("retry_times", 0) + 1
        hinted = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        delay = hinted if hinted is not None else self.backoff * 2 ** (attempt - 1)
        return min(delay, self.max_backoff)

    async def _after_pause(self, result: Any, request: Request, response: Response | None = None) -> Any:
        if isinstance(result, Request):
            self.crawler.stats.inc_value("gdcac/retry/backoff")
            await asyncio.sleep(self.pause(request, response))
        return result

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        return await self._after_pause(self.retry.process_response(request, response), request, response)

    async def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Any:
        return await self._after_pause(self.retry.process_exception(request, exception), request)
