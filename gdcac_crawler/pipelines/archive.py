"""The archive step: every item written to the SQLite archive, and the run recorded.

:class:`ArchivePipeline` writes runs, pages, listings, articles and revisit outcomes (not modified, removed)
through :class:`gdcac_crawler.archive.Archive`, batched in transactions; at the end of a complete full walk it
marks the articles no listing showed as removed, and it closes the run's row with its counts, stats, health
verdict and a one-line summary in the log (:func:`summary_line`).

One crawl at a time writes to an archive: the pipeline takes the archive's run lock
(:class:`~gdcac_crawler.archive.RunLock`, the file ``<archive>.lock``) before it opens the archive, waiting up
to ``GDCAC_ARCHIVE_LOCK_TIMEOUT`` seconds for another crawl to end.  If the lock stays held, or the archive
stays locked for writing (``GDCAC_ARCHIVE_WRITE_TIMEOUT``), the run is refused before it writes anything —
no run row — and closes with the reason :data:`~gdcac_crawler.extensions.health.ARCHIVE_REFUSED` (exit
status 5, one ``Error:`` line).  A write that fails for good later (another connection held SQLite's write
lock past ``GDCAC_ARCHIVE_WRITE_TIMEOUT``) is counted under ``gdcac/archive/unwritten``, which makes the run
unhealthy; nothing unwritten is counted as archived, and a full walk with unwritten items marks nothing removed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, NoReturn, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from gdcac_crawler import __version__
from gdcac_crawler.archive import Archive, ArchiveBusyError, RunLock
from gdcac_crawler.clock import utc_now
from gdcac_crawler.extensions.health import (
    ARCHIVE_REFUSED,
    ARCHIVE_REFUSED_KEY,
    ARCHIVE_UNWRITTEN_KEY,
    ARCHIVE_WRITE_ERROR_KEY,
    HEALTH_REASON_KEY,
    HEALTH_STATUS_KEY,
    Health,
    add_late_reason,
)
from gdcac_crawler.incremental import CrawlMode
from gdcac_crawler.items import ArchiveOutcome, ArticleCheck, ArticleItem, ListingItem, PageFailure, PageKind

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Settings recorded with each run: what shapes a crawl, never a credential.
RECORDED_SETTINGS = (
    "BOT_NAME", "USER_AGENT", "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT",
    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "RETRY_TIMES", "HTTPCACHE_ENABLED", "JOBDIR",
    "GDCAC_ARCHIVE_PATH", "GDCAC_ARCHIVE_BATCH_SIZE", "GDCAC_ARCHIVE_BATCH_BYTES", "GDCAC_ARCHIVE_LOCK_TIMEOUT",
    "GDCAC_ARCHIVE_WRITE_TIMEOUT",
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
    ``GDCAC_REMOVAL_MAX_SHARE``, ``GDCAC_ARCHIVE_LOCK_TIMEOUT``, ``GDCAC_ARCHIVE_WRITE_TIMEOUT``.
    """

    LOCK_POLL = 0.5
    """How often (seconds) a waiting crawl tries the run lock again."""

    def __init__(self, crawler: Any, path: str, batch_size: int) -> None:
        self.crawler = crawler
        self.path = path
        self.batch_size = batch_size
        self.removal_max_share = crawler.settings.getfloat("GDCAC_REMOVAL_MAX_SHARE")
        self.lock_timeout = max(0.0, crawler.settings.getfloat("GDCAC_ARCHIVE_LOCK_TIMEOUT"))
        self.write_timeout = max(0.0, crawler.settings.getfloat("GDCAC_ARCHIVE_WRITE_TIMEOUT"))
        self.run_lock = RunLock(path)
        self._buffered: Counter[str] = Counter()
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

    async def _off_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """:meth:`_run` without blocking the crawl's thread while it waits."""
        return await asyncio.wrap_future(self._writer_thread().submit(fn, *args, **kwargs))

    async def open_spider(self, spider: Any = None) -> None:
        """Take the archive's run lock, open (and migrate) the archive and record the run's start; a run that
        cannot is refused (:meth:`refuse`) before it writes anything."""
        spider = self.crawler.spider
        self.started_at = getattr(spider, "started_at", None) or utc_now()
        await self._take_run_lock(spider)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gdcac-archive")
        settings = {key: self.crawler.settings.get(key) for key in RECORDED_SETTINGS}
        settings["spider_arguments"] = {"base_url": spider.fetch_base, "mode": spider_mode(spider)}
        try:
            archive = await self._off_thread(Archive, self.path, batch_size=self.batch_size,
                                             batch_bytes=self.crawler.settings.getint("GDCAC_ARCHIVE_BATCH_BYTES"),
                                             write_timeout=self.write_timeout)
            try:
                await self._off_thread(archive.start_run, spider.run_id, spider=spider.name,
                                       site=spider.profile.name, mode=spider_mode(spider),
                                       started_at=self.started_at, settings=settings, crawler_version=__version__)
            except BaseException:
                await self._off_thread(archive.close)
                raise
        except ArchiveBusyError as exc:
            self._release()
            self.refuse(spider, str(exc))
        self.archive = archive
        logger.info("archiving run %s into %s", spider.run_id, self.path)

    async def _take_run_lock(self, spider: Any) -> None:
        """The run lock, waited for up to ``GDCAC_ARCHIVE_LOCK_TIMEOUT`` seconds (logged once while waiting)."""
        holder = {"run_id": spider.run_id, "spider": spider.name, "mode": spider_mode(spider), "since": utc_now()}
        started, told = time.monotonic(), False
        while not self.run_lock.try_acquire(holder):
            waited = time.monotonic() - started
            if waited >= self.lock_timeout:
                self.refuse(spider, str(self.run_lock.refusal(round(waited))))
            if not told:
                told = True
                logger.warning("run %s: the archive %s is held by %s; waiting up to %g s for it", spider.run_id,
                               self.path, self.run_lock.describe_holder(), self.lock_timeout)
            await asyncio.sleep(min(self.LOCK_POLL, max(0.0, self.lock_timeout - waited)))
        if time.monotonic() - started > self.LOCK_POLL:
            logger.info("run %s: the archive %s is free after %.0f s", spider.run_id, self.path,
                        time.monotonic() - started)

    def refuse(self, spider: Any, reason: str) -> NoReturn:
        """Refuse the run before it wrote anything: the reason in the stats and the log, and the spider closed
        at once with the reason :data:`ARCHIVE_REFUSED` (exit status 5)."""
        stats = self.crawler.stats
        stats.set_value("gdcac/run_id", spider.run_id)
        stats.set_value(ARCHIVE_REFUSED_KEY, reason)
        logger.error("run %s refused: %s", spider.run_id, reason)
        raise CloseSpider(ARCHIVE_REFUSED)

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        self.run_lock.release()

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

    def _write_counted(self, item: Any) -> str:
        """:meth:`_write`, keeping count of the stats keys of the items still buffered (on the writer thread),
        so that a buffer dropped at the end is taken back out of the stats."""
        key = self._write(item)
        assert self.archive is not None
        if self.archive.pending:
            self._buffered[key] += 1
        else:
            self._buffered.clear()
        return key

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        try:
            key = await self._off_thread(self._write_counted, item)
        except ArchiveBusyError as exc:  # a write that is not buffered (a removal) failed for good
            self._unwritten(1, exc)
            return item
        self._stat(key)
        return item

    def _unwritten(self, n: int, exc: BaseException) -> None:
        """``n`` items could not be written to the archive (``exc`` says why): counted, and the reason kept."""
        self.crawler.stats.inc_value(ARCHIVE_UNWRITTEN_KEY, n)
        self.crawler.stats.set_value(ARCHIVE_WRITE_ERROR_KEY, str(exc))
        logger.error("%d items could not be written to the archive: %s", n, exc)

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        """A dropped article still leaves its page in the archive, marked rejected with the reason."""
        if self.archive is None or not isinstance(item, ArticleItem) or item.fetch is None:
            return
        fetch = replace(item.fetch, kind=PageKind.REJECTED, error=str(exception))
        self._run(self.archive.add_failure, PageFailure(site=item.site, fetch=fetch))
        self._stat("archive/rejected")

    def close_spider(self, spider: Any = None) -> None:
        """The last flush.  If it fails for good, the items it held are dropped and counted as unwritten (the
        run is unhealthy; a later write under the run's verdict would contradict it); the next run fetches
        them again, since the archive does not hold them.  Their stats (``gdcac/archive/new`` …) are taken back."""
        if self.archive is None:
            return
        try:
            self._run(self.archive.flush)
        except ArchiveBusyError as exc:
            self._unwritten(self._run(self.archive.discard_buffer), exc)
            for key, n in self._buffered.items():  # not archived after all
                self.crawler.stats.inc_value(f"gdcac/{key}", -n)
        self._buffered.clear()
        self.crawler.stats.set_value("gdcac/archive/flush_retries", self.archive.failed_flushes)

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
            self.run_lock.release()
            return
        try:
            self._close_run(spider, reason)
        finally:
            self.run_lock.release()

    def _close_run(self, spider: Any, reason: str) -> None:
        """:meth:`spider_closed` holding the run lock; a write of the run's row that fails for good is logged
        and makes the run unhealthy, never a traceback."""
        stats = self.crawler.stats
        try:
            self._close_run_row(spider, reason)
        except ArchiveBusyError as exc:
            stats.set_value(ARCHIVE_WRITE_ERROR_KEY, str(exc))
            add_late_reason(stats, f"the run could not be closed in the archive ({exc})")
            if self.archive is not None:
                self._run(self.archive.discard_buffer)
        if self.archive is not None:
            self._run(self.archive.close)
            self.archive = None
        self._writer_thread().shutdown(wait=True)
        self._writer = None

    def _close_run_row(self, spider: Any, reason: str) -> None:
        """Removals of a full walk, the run's counts, stats and health; the search postings when due."""
        assert self.archive is not None
        if self.archive.pending:  # close_spider flushed, unless a forced shutdown skipped it
            self.close_spider(spider)
        stats = self.crawler.stats
        if spider_mode(spider) == CrawlMode.FULL and reason == "finished":
            if stats.get_value(ARCHIVE_UNWRITTEN_KEY):
                logger.warning("run %s: items of the walk could not be written to the archive; no article is "
                               "marked removed", spider.run_id)
            elif getattr(spider, "walk_complete", lambda: True)():
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
