"""Requests whose URL is longer than ``URLLENGTH_LIMIT`` (2,083 characters), recorded instead of dropped.

Scrapy's UrlLengthMiddleware drops such a request with an INFO line: a listed article with a long link would
vanish without a trace.  :class:`UrlLengthGuardMiddleware` takes its place and fails the request instead —
its errback gets a :class:`~gdcac_crawler.exceptions.RefusedRequest` with the length, so the page is one
``pages`` row of kind ``error`` with the reason, and a refused listing page makes the walk incomplete, like
any failed request.  A request with no errback is dropped with a WARNING.  Counted as
``gdcac/refused/url_too_long``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware
from twisted.python.failure import Failure

from gdcac_crawler.exceptions import RefusedRequest

logger = logging.getLogger(__name__)


class UrlLengthGuardMiddleware(UrlLengthMiddleware):
    """Fails the requests whose URL is longer than ``URLLENGTH_LIMIT`` into their errback, to be recorded."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for o in start:
            for out in self._checked(o):
                yield out

    def process_spider_output(self, response: Response | None, result: Iterable[Any],
                              spider: Any = None) -> Iterable[Any]:
        for o in result:
            yield from self._checked(o)

    async def process_spider_output_async(self, response: Response | None, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        async for o in result:
            for out in self._checked(o):
                yield out

    def _checked(self, o: Any) -> Iterator[Any]:
        """``o`` itself, or, for a request whose URL is too long, what its errback makes of the refusal."""
        if not isinstance(o, Request) or len(o.url) <= self.maxlength:
            yield o
            return
        self.crawler.stats.inc_value("gdcac/refused/url_too_long")
        error = RefusedRequest(f"URL of {len(o.url):,} characters, longer than URLLENGTH_LIMIT ({self.maxlength:,})")
        logger.warning("%s…: refused, %s", o.url[:200], error)
        if o.errback is None:
            return
        failure = Failure(error)
        failure.request = o  # type: ignore[attr-defined]  # what Scrapy sets on an errback's failure
        for out in o.errback(failure) or ():
            yield from self._checked(out)
