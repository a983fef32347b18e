"""``scrapy crawl``, as Scrapy's, plus an exit status that says whether the run can be trusted.

Scrapy's own command exits 1 only when the crawl could not start (``CrawlerProcess.bootstrap_failed``).  This
one, installed through ``COMMANDS_MODULE = "gdcac_crawler.commands"`` (so ``scrapy crawl``, and scrapyd's
runner, which calls it, use it), keeps the crawler it created and, once the process has stopped, reads the
verdict that :class:`gdcac_crawler.extensions.health.RunHealth` left in its stats: 3 for an unhealthy run, 4 for
a run that did not finish, with one line on stderr saying why (:func:`gdcac_crawler.extensions.health.exit_status`,
the statuses of :class:`gdcac_crawler.extensions.health.ExitStatus`).

A second SIGINT/SIGTERM makes Scrapy stop at once, without closing the spider: no ``spider_closed`` signal,
so no run row closed, no health, no finish reason — and Scrapy's own command would exit 0.  This one sees that
the spider never closed and sends ``spider_closed`` itself with the reason ``shutdown_forced``
(:data:`~gdcac_crawler.extensions.health.FORCED_SHUTDOWN`): the archive flushes what it buffered and closes
the run's row with that reason, and the exit status is 4.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from gdcac_crawler.extensions.health import FORCED_SHUTDOWN, ExitStatus, exit_status

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler


def close_forced(crawler: Crawler) -> bool:
    """After the process stopped: if the spider opened but never closed (a forced shutdown), close it now
    with the reason ``shutdown_forced``; whether it had to."""
    if crawler.spider is None or crawler.stats.get_value("finish_reason") is not None:
        return False
    crawler.signals.send_catch_log(signal=signals.spider_closed, spider=crawler.spider, reason=FORCED_SHUTDOWN)
    return True


class Command(ScrapyCrawlCommand):
    """``scrapy crawl SPIDER``: exit 0 healthy, 1 not started, 2 usage, 3 unhealthy, 4 not finished."""

    def long_desc(self) -> str:
        statuses = ", ".join(f"{status.value} {status.meaning}" for status in ExitStatus)
        return f"Run a spider of the current project, by name.  Exit status: {statuses}."

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitStatus.BOOTSTRAP_FAILED
            return
        close_forced(crawler)
        code, line = exit_status(crawler.stats.get_stats())
        if code:
            print(line, file=sys.stderr, flush=True)
            self.exitcode = code
