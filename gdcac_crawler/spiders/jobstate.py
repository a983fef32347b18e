"""How a run's process ends in its ``JOBDIR`` (:mod:`gdcac_crawler.resume`), and what earlier segments of the
run left for this one (a mixin of :class:`~gdcac_crawler.spiders.portal.PortalSpider`)."""

from __future__ import annotations

from typing import Any

from gdcac_crawler.extensions.health import ARCHIVE_REFUSED, FORCED_SHUTDOWN
from gdcac_crawler.resume import RunJob, close_job, undo_open

#: Why a column's walk may stop before its end (each has its ``gdcac/listing/<why>_columns`` stat).
STOPPED_WALKS = ("page_cap", "repeat")


class JobStateMixin:
    """The ``JOBDIR`` side of a portal spider: closing the run file, and whether the walk was complete."""

    job: RunJob | None
    job_how: str
    jobdir: str | None
    incomplete_pages: int
    max_listing_pages: int
    crawler: Any

    def _close_job(self, spider: Any = None, reason: str = "finished") -> None:
        """Record in ``JOBDIR`` how the run ended; after a forced shutdown Scrapy's queue on disk cannot be
        trusted, so the run stays ``running`` (an unclean end: the next process walks again); a run refused
        because another crawl held the archive leaves the file as it found it."""
        if reason == FORCED_SHUTDOWN:
            return
        if reason == ARCHIVE_REFUSED and self.job is not None and self.jobdir:
            undo_open(self.jobdir, self.job, self.job_how)  # refused before it did anything
            return
        if self.job is not None and self.jobdir:
            stats = self.crawler.stats
            stopped = {why: list(stats.get_value(f"gdcac/listing/{why}_columns") or []) for why in STOPPED_WALKS}
            close_job(self.jobdir, self.job, finished=reason == "finished",
                      incomplete_pages=self.job.incomplete_pages + self.incomplete_pages,
                      stopped_walks={why: names for why, names in stopped.items() if names})

    @property
    def resumed(self) -> bool:
        """Whether this process continues a run that an earlier process started (same ``JOBDIR``)."""
        return self.job_how != "new"

    def walk_complete(self) -> bool:
        """Whether every column was walked to its end with no failed, blocked or empty section or listing page
        (in this process and, for a resumed run, in the earlier ones): only then may a full run mark the
        articles it did not find as removed."""
        earlier = self.job.incomplete_pages if self.job is not None else 0
        return not (self.incomplete_pages or earlier)

    def _earlier_stopped_walks(self) -> None:
        """A resumed run's health names the walks that earlier segments stopped (the page cap, a repeat)."""
        for why, names in (self.job.stopped_walks if self.job is not None else {}).items():
            self.crawler.stats.set_value(f"gdcac/listing/{why}_columns", list(names))
            if why == "page_cap":
                self.crawler.stats.set_value("gdcac/listing/page_cap_pages", self.max_listing_pages)
