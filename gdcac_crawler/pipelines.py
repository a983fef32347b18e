"""Item pipelines: clean → validate → archive.

* :class:`CleanPipeline` (300) turns extracted article fields into archived ones: boilerplate lines out of
  the body, entities decoded, the source's label stripped, file-name images kept only as image records.
* :class:`ValidatePipeline` (400) drops an article without a title or a body, counted by reason
  (``gdcac/dropped/<reason>``) and logged with its URL; the archive still records the page as rejected.
* :class:`ArchivePipeline` (800) writes runs, pages, listings and articles through
  :class:`gdcac_crawler.archive.Archive`, batched in transactions.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from gdcac_crawler import __version__
from gdcac_crawler.archive import Archive
from gdcac_crawler.extract.article import clean_article
from gdcac_crawler.items import ArticleItem, ListingItem, PageFailure
from gdcac_crawler.spiders.portal import utc_now

logger = logging.getLogger(__name__)

#: Article fields the clean step reads and writes.
CLEAN_FIELDS = ("title", "source_raw", "meta", "images", "body_lines", "body_html", "methods", "source",
                "body_text")
#: Settings recorded with each run: what shapes a crawl, never a credential.
RECORDED_SETTINGS = (
    "BOT_NAME", "USER_AGENT", "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT",
    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "RETRY_TIMES", "HTTPCACHE_ENABLED", "JOBDIR",
    "GDCAC_ARCHIVE_PATH", "GDCAC_ARCHIVE_BATCH_SIZE",
)


class CleanPipeline:
    """Cleans article items; passes other items through."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> CleanPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        profile = self.crawler.spider.profile
        cleaned = clean_article({k: adapter.get(k) for k in CLEAN_FIELDS}, profile)
        for key in CLEAN_FIELDS:
            adapter[key] = cleaned[key]
        return item


class ValidatePipeline:
    """Drops article items that lack a title or a body, with the reason counted and logged."""

    REQUIRED = ("title", "body_text")

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        missing = [name for name in self.REQUIRED if not adapter.get(name)]
        if missing:
            reason = "missing_" + "_and_".join("body" if m == "body_text" else m for m in missing)
            self.crawler.stats.inc_value(f"gdcac/dropped/{reason}")
            logger.warning("dropping %s: %s", adapter.get("url"), reason)
            raise DropItem(f"{reason}: {adapter.get('url')}")
        return item


class ArchivePipeline:
    """Writes every item to the SQLite archive and records the run.

    All archive work — compression, hashing, SQL — runs on one writer thread, so the crawl's own thread
    never waits on the disk and SQLite and zlib (which release the GIL) use a second core.  The pipeline
    awaits each write, so an item counts as scraped only once it is in the archive's buffer.

    Settings: ``GDCAC_ARCHIVE_PATH`` (required), ``GDCAC_ARCHIVE_BATCH_SIZE``.
    """

    def __init__(self, crawler, path: str, batch_size: int) -> None:
        self.crawler = crawler
        self.path = path
        self.batch_size = batch_size
        self.archive: Archive | None = None
        self.started_at: str | None = None
        self._writer: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler) -> ArchivePipeline:
        path = crawler.settings.get("GDCAC_ARCHIVE_PATH")
        if not path:
            raise NotConfigured("GDCAC_ARCHIVE_PATH is not set: the archive pipeline has nowhere to write")
        pipeline = cls(crawler, path, crawler.settings.getint("GDCAC_ARCHIVE_BATCH_SIZE", 200))
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _stat(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"gdcac/{key}", n)

    def _run(self, fn, *args, **kwargs) -> Any:
        """Run ``fn`` on the writer thread and wait for its result (for the few calls outside the hot path)."""
        assert self._writer is not None
        return self._writer.submit(fn, *args, **kwargs).result()

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gdcac-archive")
        self.archive = self._run(Archive, self.path, batch_size=self.batch_size)
        self.started_at = utc_now()
        settings = {key: self.crawler.settings.get(key) for key in RECORDED_SETTINGS}
        settings["spider_arguments"] = {"base_url": spider.fetch_base}
        self._run(self.archive.start_run, spider.run_id, spider=spider.name, site=spider.profile.name,
                  mode="full", started_at=self.started_at, settings=settings, crawler_version=__version__)
        logger.info("archiving run %s into %s", spider.run_id, self.path)

    def _write(self, item: Any) -> str:
        """One item into the archive (on the writer thread); the stats key it counts under."""
        assert self.archive is not None
        if isinstance(item, ArticleItem):
            return f"archive/{self.archive.add_article(item)}"
        if isinstance(item, ListingItem):
            self.archive.add_listing(item)
            return "archive/listing_pages" if item.column else "archive/section_pages"
        if isinstance(item, PageFailure):
            self.archive.add_failure(item)
            return "archive/failed"
        return "archive/ignored"

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        key = await asyncio.wrap_future(self._writer.submit(self._write, item))
        self._stat(key)
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        """A dropped article still leaves its page in the archive, marked rejected with the reason."""
        if self.archive is None or not isinstance(item, ArticleItem) or item.fetch is None:
            return
        fetch = replace(item.fetch, kind="rejected", error=str(exception))
        self._run(self.archive.add_failure, PageFailure(site=item.site, fetch=fetch))
        self._stat("archive/rejected")

    def close_spider(self, spider: Any = None) -> None:
        if self.archive is not None:
            self._run(self.archive.flush)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Closes the run's row with its finish reason, counts and stats, then the archive."""
        if self.archive is None:
            return
        stats = self.crawler.stats.get_stats()
        counts = {
            "listing_pages": stats.get("gdcac/listing/pages", 0),
            "new": stats.get("gdcac/archive/new", 0),
            "changed": stats.get("gdcac/archive/changed", 0),
            "unchanged": stats.get("gdcac/archive/unchanged", 0),
            "failed": stats.get("gdcac/archive/failed", 0),
            "dropped": stats.get("gdcac/archive/rejected", 0),
            "blocked": stats.get("gdcac/archive/blocked", 0),
            "offsite": stats.get("gdcac/listing/offsite", 0),
        }
        self._run(self.archive.finish_run, spider.run_id, finished_at=utc_now(), finish_reason=reason,
                  counts=counts, stats={k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                        for k, v in stats.items()})
        self._run(self.archive.close)
        self.archive = None
        self._writer.shutdown(wait=True)
        self._writer = None
        logger.info("run %s finished (%s): %s", spider.run_id, reason,
                    ", ".join(f"{k}={v}" for k, v in counts.items()))
