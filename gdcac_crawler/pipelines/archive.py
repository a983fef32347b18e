"""The archive step: every item written to the SQLite archive, and the run recorded.

:class:`ArchivePipeline` writes runs, pages, listings, articles and revisit outcomes (not modified, removed)
through :class:`gdcac_crawler.archive.Archive`, batched in transactions; at the end of a complete full walk it
marks the articles no listing showed as removed, and it closes the run's row with its counts, stats, health
verdict and a one-line summary in the log (:func:`summary_line`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from scrapy import signals
from scrapy.exceptions import NotConfigured

from gdcac_crawler import __version__
from gdcac_crawler.archive import Archive
from gdcac_crawler.clock import utc_now
from gdcac_crawler.extensions.health import HEALTH_REASON_KEY, HEALTH_STATUS_KEY, Health
from gdcac_crawler.incremental import CrawlMode
from gdcac_crawler.items import ArchiveOutcome, ArticleCheck, ArticleItem, ListingItem, PageFailure, PageKind

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Settings recorded with each run: what shapes a crawl, never a credential.
RECORDED_SETTINGS = (
    "BOT_NAME", "USER_AGENT", "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT",
    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "RETRY_TIMES", "HTTPCACHE_ENABLED", "JOBDIR",
    "GDCAC_ARCHIVE_PATH", "GDCAC_ARCHIVE_BATCH_SIZE", "GDCAC_ARCHIVE_BATCH_BYTES",
    "GDCAC_INCREMENTAL_STOP_PAGES", "GDCAC_REVISIT_DAYS", "GDCAC_REVISIT_BACKFILLED", "GDCAC_REMOVAL_MAX_SHARE",
    "GDCAC_HEALTH_ENABLED", "GDCAC_HEALTH_FIELDS", "GDCAC_HEALTH_MIN_ARTICLES", "GDCAC_HEALTH_MAX_FALLBACK_RATE",
    "GDCAC_HEALTH_MAX_EMPTY_RATE", "GDCAC_HEALTH_MAX_BLOCKED", "GDCAC_HEALTH_MAX_ERRORS",
    "GDCAC_ATTACHMENTS_ENABLED", "GDCAC_ATTACHMENTS_MAX_SIZE", "GDCAC_ATTACHMENTS_REVALIDATE",
)


class ArchivePipeline:
    """Writes every item to the SQLite archive and records the run.

    All archive work — compression, hashing, SQL — runs on one writer thread, so the crawl's own thread
    never waits on the disk and SQLite and zlib (which release the GIL) use a second core.  The pipeline
    awaits each write, so an item counts as scraped only once it is in the archive's buffer.  A process
    killed before a batch is flushed loses that batch, and only that: the archive is what a resumed run
    (:mod:`gdcac_crawler.resume`) reads to decide what is left to fetch, so those pages are fetched again.

    Settings: ``GDCAC_ARCHIVE_PATH`` (required), ``GDCAC_ARCHIVE_BATCH_SIZE``, ``GDCAC_ARCHIVE_BATCH_BYTES``,
    ``GDCAC_REMOVAL_MAX_SHARE``.
    """

    def __init__(self, crawler: Any, path: str, batch_size: int) -> None:
        self.crawler = crawler
        self.path = path
        self.batch_size = batch_size
        self.removal_max_share = crawler.settings.getfloat("GDCAC_REMOVAL_MAX_SHARE")
        self.archive: Archive | None = None
        self.started_at: str | None = None
        self._writer: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        path = crawler.settings.get("GDCAC_ARCHIVE_PATH")
        if not path:
            raise NotConfigured("GDCAC_ARCHIVE_PATH is not set: the archive pipeline has nowhere to write")
        pipeline = cls(crawler, path, crawler.settings.getint("GDCAC_ARCHIVE_BATCH_SIZE"))
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _stat(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"gdcac/{key}", n)

    def _writer_thread(self) -> ThreadPoolExecutor:
        assert self._writer is not None, "the archive pipeline is not open"
        return self._writer

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the writer thread and wait for its result (for the few calls outside the hot path)."""
        return self._writer_thread().submit(fn, *args, **kwargs).result()

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gdcac-archive")
        self.archive = self._run(Archive, self.path, batch_size=self.batch_size,
                                 batch_bytes=self.crawler.settings.getint("GDCAC_ARCHIVE_BATCH_BYTES"))
        self.started_at = getattr(spider, "started_at", None) or utc_now()
        settings = {key: self.crawler.settings.get(key) for key in RECORDED_SETTINGS}
        settings["spider_arguments"] = {"base_url": spider.fetch_base, "mode": spider_mode(spider)}
        self._run(self.archive.start_run, spider.run_id, spider=spider.name, site=spider.profile.name,
                  mode=spider_mode(spider), started_at=self.started_at, settings=settings,
                  crawler_version=__version__)
        logger.info("archiving run %s into %s", spider.run_id, self.path)

    def _write(self, item: Any) -> str:
        """One item into the archive (on the writer thread); the stats key it counts under."""
        assert self.archive is not None
        if isinstance(item, ArticleItem):
            status = self.archive.add_article(item)
            if status != ArchiveOutcome.NEW and self.archive.restore_article(item.url):
                self.crawler.stats.inc_value("gdcac/archive/restored")
            return f"archive/{status}"
        if isinstance(item, ArticleCheck):
            if item.outcome == ArchiveOutcome.NOT_MODIFIED:
                return f"archive/{self.archive.mark_not_modified(item.url, item.fetch, site=item.site)}"
            if item.outcome == ArchiveOutcome.REMOVED:
                return f"archive/{self.archive.mark_removed(item.url, item.fetch, site=item.site)}"
            raise ValueError(f"unknown ArticleCheck outcome {item.outcome!r}")
        if isinstance(item, ListingItem):
            self.archive.add_listing(item)
            return "archive/listing_pages" if item.column else "archive/section_pages"
        if isinstance(item, PageFailure):
            self.archive.add_failure(item)
            return "archive/blocked" if item.fetch.kind == PageKind.BLOCKED else "archive/failed"
        return "archive/ignored"

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        key = await asyncio.wrap_future(self._writer_thread().submit(self._write, item))
        self._stat(key)
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        """A dropped article still leaves its page in the archive, marked rejected with the reason."""
        if self.archive is None or not isinstance(item, ArticleItem) or item.fetch is None:
            return
        fetch = replace(item.fetch, kind=PageKind.REJECTED, error=str(exception))
        self._run(self.archive.add_failure, PageFailure(site=item.site, fetch=fetch))
        self._stat("archive/rejected")

    def close_spider(self, spider: Any = None) -> None:
        if self.archive is not None:
            self._run(self.archive.flush)

    def mark_unlisted_removed(self, spider: Any) -> int:
        """After a complete full walk: the archived articles of the walked columns that no listing showed are
        marked removed — unless they are more than ``GDCAC_REMOVAL_MAX_SHARE`` of those columns' articles (a
        site reorganised, not emptied: logged, nothing marked)."""
        assert self.archive is not None
        found = self._run(self.archive.unlisted_articles, spider.profile.name, spider.run_id)
        urls, considered = found["urls"], found["considered"]
        if not urls:
            return 0
        if len(urls) > max(1, self.removal_max_share * considered):
            logger.error("run %s: %d of %d archived articles were not listed; more than GDCAC_REMOVAL_MAX_SHARE "
                         "(%.0f%%), so none is marked removed", spider.run_id, len(urls), considered,
                         100 * self.removal_max_share)
            self._stat("removed/skipped_too_many", len(urls))
            return 0
        n = self._run(self.archive.mark_unlisted_removed, urls, run_id=spider.run_id, removed_at=utc_now())
        for url in urls:
            logger.info("%s: no longer listed; marked removed", url)
        self._stat("archive/removed", n)
        return n

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Closes the run's row: removals of a full walk, counts, stats and health; then the archive."""
        if self.archive is None:
            return
        self._run(self.archive.flush)  # already done by close_spider, unless a forced shutdown skipped it
        stats = self.crawler.stats
        if spider_mode(spider) == CrawlMode.FULL and reason == "finished":
            if getattr(spider, "walk_complete", lambda: True)():
                self.mark_unlisted_removed(spider)
            else:
                logger.warning("run %s: the walk was not complete (failed, blocked or empty listing pages); "
                               "no article is marked removed", spider.run_id)
        values = stats.get_stats()
        counts: dict[str, Any] = self._run(self.archive.run_counts, spider.run_id)
        fields = [key for key in values if key.startswith("gdcac/fields/")]
        counts.update(
            offsite=values.get("gdcac/listing/offsite", 0),
            fallback_fields=sum(values[k] for k in fields if k.endswith("/fallback")),
            empty_fields=sum(values[k] for k in fields if k.endswith("/empty")),
            resumes=max(0, (spider.job.segments - 1) if getattr(spider, "job", None) is not None else 0),
        )
        self._run(self.archive.finish_run, spider.run_id, finished_at=utc_now(), finish_reason=reason,
                  counts=counts, stats={k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                        for k, v in values.items()})
        health = values.get(HEALTH_STATUS_KEY)
        if health is not None:
            self._run(self.archive.set_run_health, spider.run_id, healthy=health == Health.HEALTHY,
                      reason=values.get(HEALTH_REASON_KEY))
        optimized = self._run(self.archive.maybe_optimize_search)
        if optimized is not None:
            logger.info("search postings optimised: %s", optimized)
        self._run(self.archive.close)
        self.archive = None
        self._writer_thread().shutdown(wait=True)
        self._writer = None
        logger.info("%s", summary_line(spider.run_id, spider_mode(spider), reason, counts, health,
                                       values.get(HEALTH_REASON_KEY)))


def spider_mode(spider: Any) -> str:
    """The spider's crawl mode (a spider without one walks everything: ``full``)."""
    return getattr(spider, "mode", CrawlMode.FULL)


def summary_line(run_id: str, mode: str, reason: str, counts: dict[str, Any], health: str | None = None,
                 health_reason: str | None = None) -> str:
    """The end-of-run summary: one line with the run's mode, finish reason, counts and health."""
    parts = ", ".join(f"{label} {counts.get(key, 0)}" for key, label in (
        ("listing_pages", "listing pages"), ("new", "new"), ("changed", "changed"), ("unchanged", "unchanged"),
        ("not_modified", "not modified"), ("removed", "removed"), ("failed", "failed"), ("blocked", "blocked"),
        ("dropped", "dropped"), ("fallback_fields", "fallback fields")))
    verdicts: dict[str, str] = {Health.HEALTHY: "healthy", Health.UNHEALTHY: f"UNHEALTHY: {health_reason}"}
    verdict = verdicts.get(health or "", "health not assessed")
    return f"run {run_id} ({mode}, {reason}): {parts}; {verdict}"
