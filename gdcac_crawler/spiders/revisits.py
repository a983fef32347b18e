"""What the archive already holds, for one spider: the snapshot incremental decisions read, and the conditional
revisits of recent articles with what their answers say (a mixin of :class:`~gdcac_crawler.spiders.portal.
PortalSpider`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from gdcac_crawler.archive import Archive
from gdcac_crawler.incremental import ArchiveSnapshot, due_revisits
from gdcac_crawler.items import ArchiveOutcome, ArticleCheck, PageKind
from gdcac_crawler.profiles import Profile
from gdcac_crawler.provenance import conditional_headers, fetch_record

logger = logging.getLogger("gdcac_crawler.spiders.portal")

#: Statuses an article revisit handles itself: not modified, and gone.
REVISIT_STATUSES = [304, 404, 410]


class RevisitsMixin:
    """The archive's snapshot and the revisits (incremental mode) of a portal spider."""

    archive_path: str | None
    profile: Profile
    run_id: str
    mode: str
    revisit_days: float
    revisit_backfilled: bool
    snapshot: ArchiveSnapshot

    if TYPE_CHECKING:  # defined by the spider
        def _count(self, key: str, n: int = 1) -> None: ...

        def _request(self, url: str, callback: Callable[..., Any], *, kind: PageKind,
                     **kwargs: Any) -> scrapy.Request: ...

        def parse_article(self, response: Response, column: str | None, listed_title: str | None,
                          listed_date: str | None) -> Iterator[Any]: ...

    def load_archive_state(self, rows: list[dict[str, Any]] | None = None) -> None:
        """Take the snapshot of the archive that incremental decisions read: every archived article of the
        site (one read-only query; ``rows`` gives them directly, for tests).

        Read once into this spider instance rather than looked up per listing page: one indexed scan (tens of
        milliseconds for 10,000 articles) instead of a query on the crawl's thread for every page, no
        connection shared with the archive's writer thread, and nothing process-global — each spider (one per
        worker on a shared frontier) holds its own snapshot.  Articles archived during this run are tracked
        by the walk itself.
        """
        if rows is None:
            rows = []
            if self.archive_path and Path(self.archive_path).is_file():
                with Archive(self.archive_path, readonly=True) as archive:
                    rows = archive.known_articles(self.profile.name)
        self.snapshot = ArchiveSnapshot.from_rows(rows, self.run_id)
        self._count("archive/known", len(self.snapshot.known))
        if self.snapshot.done:
            self._count("resume/already_done", len(self.snapshot.done))
            logger.info("run %s: %d articles already done in an earlier segment of this run", self.run_id,
                        len(self.snapshot.done))

    def revisit_requests(self) -> Iterator[scrapy.Request]:
        """Conditional GETs for the recent archived articles (incremental mode only)."""
        for url, row in due_revisits(self.snapshot, datetime.now(UTC), mode=self.mode,
                                     revisit_days=self.revisit_days, revisit_backfilled=self.revisit_backfilled):
            self._count("incremental/revisits")
            yield self._revisit(url, row)

    def _revisit(self, url: str, row: Mapping[str, Any]) -> scrapy.Request:
        return self._request(url, self.parse_article, kind=PageKind.ARTICLE, headers=conditional_headers(row),
                             meta={"gdcac_revisit": True, "handle_httpstatus_list": REVISIT_STATUSES},
                             cb_kwargs={"column": row.get("column_name"), "listed_title": row.get("listed_title"),
                                        "listed_date": row.get("listed_date")})

    def _revisit_check(self, response: Response) -> ArticleCheck:
        """What a revisit's 304 (not modified) or 404/410 (gone) says about the archived article."""
        canonical = self.profile.canonical(response.url)
        fetch = fetch_record(response, self.run_id, PageKind.ARTICLE)
        if response.status == 304:
            self._count("article/not_modified")
            return ArticleCheck(url=canonical, site=self.profile.name, outcome=ArchiveOutcome.NOT_MODIFIED,
                                fetch=replace(fetch, body=None, sha256=None, size=None))
        self._count("article/gone")
        return ArticleCheck(url=canonical, site=self.profile.name, outcome=ArchiveOutcome.REMOVED,
                            fetch=replace(fetch, error=f"HTTP {response.status}: gone from the portal"))
