"""Block, challenge and junk answers, recognised before they reach the spider.

:class:`BlockGuardMiddleware` looks at every page answer (the kinds :meth:`PageKind.crawled`; not robots.txt,
not attachments):

* a block or challenge page (:func:`gdcac_crawler.blockpages.detect_block`, by content as well as status) slows
  the site's download slot down, is retried after a pause (``GDCAC_BLOCK_RETRIES`` times), and if it stays
  blocked fails the request with :class:`~gdcac_crawler.exceptions.BlockedResponse` — the spider records it
  as a ``blocked`` page;
* an answer that is not a page (empty, binary, another media type: :func:`gdcac_crawler.blockpages.detect_junk`)
  fails with :class:`~gdcac_crawler.exceptions.RefusedResponse` and its reason.

Both exceptions reach the request's errback with the response attached, so nothing is dropped unrecorded.
Counted as ``gdcac/blocked/<kind>`` (and ``gdcac/blocked/max_delay``) and ``gdcac/refused/<kind>``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from gdcac_crawler.blockpages import detect_block, detect_junk
from gdcac_crawler.exceptions import BlockedResponse, RefusedResponse
from gdcac_crawler.items import PageKind
from gdcac_crawler.provenance import header_text

logger = logging.getLogger(__name__)


class BlockGuardMiddleware:
    """Recognises block, challenge and junk answers; retries the blocked ones after a pause.

    Settings: ``GDCAC_GUARD_ENABLED``, ``GDCAC_BLOCK_RETRIES`` (tries after a block), ``GDCAC_BLOCK_BACKOFF``
    (seconds before the first, doubling), ``GDCAC_BLOCK_SLOWDOWN`` (factor on the site's download delay per
    block), ``GDCAC_BLOCK_MAX_DELAY`` (cap of that delay and of the pause); defaults in
    :mod:`gdcac_crawler.default_settings`.
    """

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.getbool("GDCAC_GUARD_ENABLED"):
            raise NotConfigured("GDCAC_GUARD_ENABLED is off")
        self.crawler = crawler
        self.retries = settings.getint("GDCAC_BLOCK_RETRIES")
        self.backoff = settings.getfloat("GDCAC_BLOCK_BACKOFF")
        self.slowdown = settings.getfloat("GDCAC_BLOCK_SLOWDOWN")
        self.max_delay = settings.getfloat("GDCAC_BLOCK_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Any) -> BlockGuardMiddleware:
        return cls(crawler)

    def _slow_down(self, request: Request) -> None:
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = min(self.max_delay, max(slot.delay * self.slowdown, 1.0))
            self.crawler.stats.max_value("gdcac/blocked/max_delay", slot.delay)

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        if request.meta.get("gdcac_kind") not in PageKind.crawled():
            return response
        verdict = detect_block(response.status, response.body)
        if verdict is not None:
            self.crawler.stats.inc_value(f"gdcac/blocked/{verdict.kind}")
            self._slow_down(request)
            tries = request.meta.get("gdcac_block_tries", 0)
            logger.warning("%s: %s (try %d of %d)", response.url, verdict.reason, tries + 1, self.retries + 1)
            if tries < self.retries:
                await asyncio.sleep(min(self.max_delay, self.backoff * 2 ** tries))
                return request.replace(dont_filter=True, meta={**request.meta, "gdcac_block_tries": tries + 1})
            raise BlockedResponse(response, verdict)
        if 200 <= response.status < 300:
            junk = detect_junk(header_text(response.headers, "Content-Type"), response.body)
            if junk is not None:
                self.crawler.stats.inc_value(f"gdcac/refused/{junk.kind}")
                logger.warning("%s: refused, %s", response.url, junk.reason)
                raise RefusedResponse(response, junk)
        return response
