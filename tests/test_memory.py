"""Bytes in flight: page requests wait before they are sent while the scraper holds too many bytes of
responses; attachment requests (which items in the pipelines wait for) never wait."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from scrapy.http import Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from gdcac_crawler.downloadermiddlewares.inflight import InFlightBytesMiddleware
from gdcac_crawler.items import PageKind
from gdcac_crawler.spiders.gdcac import GdcacSpider


class Slot:
    """Scrapy's scraper slot, reduced to its byte count."""

    def __init__(self, active_size: int, max_active_size: int = 5_000_000) -> None:
        self.active_size, self.max_active_size = active_size, max_active_size

    def needs_backout(self) -> bool:
        return self.active_size > self.max_active_size


def middleware(slot: Slot) -> InFlightBytesMiddleware:
    crawler = get_crawler(GdcacSpider)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.engine = SimpleNamespace(scraper=SimpleNamespace(slot=slot))
    return InFlightBytesMiddleware.from_crawler(crawler)


def test_a_page_request_waits_until_the_scraped_pages_are_archived() -> None:
    slot = Slot(active_size=14_000_000)  # two 7 MB pages being scraped and archived
    mw = middleware(slot)
    request = Request("http://127.0.0.1/zcfg/zcjd/content/post_1.html", meta={"gdcac_kind": PageKind.ARTICLE})

    async def scenario() -> tuple[bool, bool]:
        task = asyncio.ensure_future(mw.process_request(request))
        await asyncio.sleep(0.2)
        held = not task.done()
        slot.active_size = 40_000  # archived: only small pages left
        await asyncio.wait_for(task, 2)
        return held, task.result() is None

    assert asyncio.run(scenario()) == (True, True)
    assert mw.crawler.stats.get_value("gdcac/memory/held_requests") == 1


def test_attachments_and_robots_are_never_held_nor_pages_when_there_is_room() -> None:
    mw = middleware(Slot(active_size=14_000_000))
    for meta in ({}, {"gdcac_kind": "attachment"}):  # the files pipeline's requests, robots.txt
        held = mw.process_request(Request("http://127.0.0.1/a.pdf", meta=meta))
        assert asyncio.run(asyncio.wait_for(held, 1)) is None
    roomy = middleware(Slot(active_size=40_000))
    page = Request("http://127.0.0.1/zcfg/", meta={"gdcac_kind": PageKind.SECTION})
    assert asyncio.run(asyncio.wait_for(roomy.process_request(page), 1)) is None
    assert mw.crawler.stats.get_value("gdcac/memory/held_requests") is None
