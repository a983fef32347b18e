"""``scrapy crawl``, as Scrapy's, plus an exit status that says whether the run can be trusted.

Scrapy's own command exits 1 only when the crawl could not start (``CrawlerProcess.bootstrap_failed``).  This
one, installed through ``COMMANDS_MODULE = "gdcac_crawler.commands"`` (so ``scrapy crawl``, and scrapyd's
runner, which calls it, use it), keeps the crawler it created and, once the process has stopped, reads the
verdict that :class:`gdcac_crawler.extensions.health.RunHealth` left in its stats: 3 for an unhealthy run, 4 for
a run that did not finish, with one line on stderr saying why (:func:`gdcac_crawler.extensions.health.exit_status`,
the statuses of :class:`gdcac_crawler.extensions.health.ExitStatus`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from gdcac_crawler.extensions.health import ExitStatus, exit_status

if TYPE_CHECKING:
    import argparse


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
        code, line = exit_status(crawler.stats.get_stats())
        if code:
            print(line, file=sys.stderr, flush=True)
            self.exitcode = code
