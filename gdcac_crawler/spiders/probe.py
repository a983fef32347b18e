"""The probe spider (``gdcac probe``): a first, polite look at a portal, one page at a time.

It fetches the start page (the portal's home page), finds the section there by its name, reads the section's
columns, the first listing page of each column and three articles (from different columns where it can), with
the same extraction functions the crawl uses, and records what it read in a
:class:`~gdcac_crawler.probe.ProbeFindings`.  It yields no items and writes nothing: the probe runs it with no
item pipelines.  Each request is made from the callback of the one before (a queue), so requests never overlap
whatever the concurrency, and ``DOWNLOAD_DELAY`` spaces them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from gdcac_crawler.addon import GdcacAddon
from gdcac_crawler.exceptions import UnwantedResponse
from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.discovery import find_section_link
from gdcac_crawler.extract.dom import root_of
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.items import PageKind
from gdcac_crawler.probe import ArticleFinding, ColumnFinding, ProbeFindings
from gdcac_crawler.profiles import Profile

#: How many articles the probe reads.
ARTICLES = 3


@dataclass
class _Step:
    url: str
    """The canonical (live) URL."""
    callback: Callable[..., Iterator[Any]]
    kind: PageKind
    """What the page is (the home and section pages are both ``section``): the project's downloader
    middlewares decode and inspect only the pages whose request says so."""
    kwargs: dict[str, Any]


class ProbeSpider(scrapy.Spider):
    """Fetches a portal's home page, section, columns, one listing page per column and three articles."""

    name = "probe"

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        settings.setdefault_in_component_priority_dict("ADDONS", GdcacAddon, 0)

    def __init__(self, *args: Any, findings: ProbeFindings, profile: Profile, fetch_base: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.findings = findings
        self.given = profile
        """The profile the probe starts from (``generic``, unbound, by default)."""
        self.profile = profile.bound(findings.start_url)
        """That profile bound to the site: first to the start page's, then to the section's."""
        self.fetch_base = fetch_base
        self.queue: list[_Step] = []
        self.nav_urls: frozenset[str] = frozenset()
        """The home page's navigation bar around the section's link (never a column list)."""

    # --- one request at a time ----------------------------------------------------------------------------

    def _request(self, step: _Step) -> scrapy.Request:
        return scrapy.Request(self.profile.to_fetch_url(step.url, self.fetch_base), callback=step.callback,
                              errback=self.on_error, cb_kwargs=step.kwargs,
                              meta={"probe_step": step, "gdcac_kind": step.kind},
                              dont_filter=True)

    def _next(self) -> Iterator[scrapy.Request]:
        if self.queue:
            yield self._request(self.queue.pop(0))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._request(_Step(self.findings.start_url, self.parse_home, PageKind.SECTION, {}))

    # --- the callbacks --------------------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """The start page: the section's link, found by its name (the crawl's own discovery)."""
        self.findings.fetched.append(response.url)
        found = find_section_link(root_of(response), response.url, self.findings.section_name,
                                  same_site=lambda url: self.profile.is_same_site(url, response.url))
        if found is None:
            self.findings.error = (f"no link named {self.findings.section_name!r} on the start page "
                                   f"{self.findings.start_url}")
            return
        self.findings.section_url = self.profile.canonical(found.url)
        self.findings.section_method = found.method
        self.nav_urls = found.nav_urls
        yield self._request(_Step(self.findings.section_url, self.parse_section, PageKind.SECTION, {}))

    def parse_section(self, response: Response) -> Iterator[scrapy.Request]:
        """The section page: its columns; then the first listing page of each, one after the other."""
        self.findings.fetched.append(response.url)
        self.profile = self.given.bound(self.findings.section_url or response.url)
        section = extract_section(response, self.profile, nav_urls=self.nav_urls,
                                  section_url=self.findings.section_url)
        self.findings.section_html = response.text if isinstance(response, TextResponse) else ""
        self.findings.columns_method = section["methods"].get("columns")
        for name, url in section["columns"]:
            column = ColumnFinding(name=name, url=self.profile.canonical(url))
            self.findings.columns.append(column)
            self.queue.append(_Step(column.url, self.parse_listing, PageKind.LISTING, {"column": column}))
        if not section["columns"]:
            self.findings.error = f"no columns found on the section page {self.findings.section_url}"
        yield from self._next()

    def parse_listing(self, response: Response, column: ColumnFinding) -> Iterator[scrapy.Request]:
        """A column's first listing page: its entries and pager; after the last column, the articles."""
        self.findings.fetched.append(response.url)
        column.html = response.text if isinstance(response, TextResponse) else ""
        column.listing = extract_listing(response, self.profile, page_no=1)
        if not self.queue:
            self._queue_articles()
        yield from self._next()

    def _queue_articles(self) -> None:
        """Three same-site article entries, taken from the columns in turn (the first of each, then the
        second...), so the probe sees as many columns' articles as it can."""
        lists = [[(c, e) for e in (c.listing["entries"] if c.listing else []) if not e.offsite
                  and self.profile.is_article_url(e.url)] for c in self.findings.columns]
        picked = [pair for rank in range(max(map(len, lists), default=0)) for pair in
                  (lst[rank] for lst in lists if rank < len(lst))][:ARTICLES]
        for column, entry in picked:
            article = ArticleFinding(url=entry.url, column=column.name)
            self.findings.articles.append(article)
            self.queue.append(_Step(entry.url, self.parse_article, PageKind.ARTICLE, {"article": article}))

    def parse_article(self, response: Response, article: ArticleFinding) -> Iterator[scrapy.Request]:
        """An article: its fields, as the crawl extracts them."""
        self.findings.fetched.append(response.url)
        if isinstance(response, TextResponse):
            article.html = response.text
            article.fields = extract_article(response, self.profile, url=article.url)
        else:
            article.error = f"not a text page: {response.headers.get('Content-Type')!r}"
        yield from self._next()

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """A request that failed for good: fatal for the start and section pages (the probe has nothing to go
        on), recorded on its column or article otherwise."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on an errback's failure
        step: _Step = request.meta["probe_step"]
        error = failure.value
        if isinstance(error, UnwantedResponse):
            reason = error.verdict.reason
        elif isinstance(error, HttpError):
            reason = f"HTTP {error.response.status}"
        else:
            reason = f"{type(error).__name__}: {failure.getErrorMessage()}"
        target = step.kwargs.get("column") or step.kwargs.get("article")
        if target is None:
            what = "start page" if step.callback == self.parse_home else "section page"
            self.findings.error = f"cannot fetch the {what} {step.url}: {reason}"
            return
        target.error = reason
        if isinstance(target, ColumnFinding) and not self.queue:
            self._queue_articles()
        yield from self._next()


def probe_settings(delay: float, log_level: str = "ERROR") -> Settings:
    """The project's settings made polite and harmless for a probe: robots.txt obeyed, one request at a time,
    ``delay`` seconds between requests (not randomised, not adapted), no item pipelines (nothing is
    written), no run-health extension; the project's downloader middlewares and User-Agent as they are.  A
    probe is interactive, so a failing page is retried once rather than three times."""
    settings = Settings()
    settings.setmodule("gdcac_crawler.settings", priority="project")
    settings.setdict({
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 1, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": delay, "RANDOMIZE_DOWNLOAD_DELAY": False, "AUTOTHROTTLE_ENABLED": False,
        "ITEM_PIPELINES": {}, "EXTENSIONS": {}, "LOG_LEVEL": log_level, "JOBDIR": None,
        "LOG_INSTALL_ROOT_HANDLER": log_level != "ERROR", "RETRY_TIMES": 1,
    }, priority="cmdline")
    return settings


def run_probe(findings: ProbeFindings, profile: Profile, *, delay: float, fetch_base: str | None = None,
              log_level: str = "ERROR") -> ProbeFindings:
    """Run the probe spider in this process to the end (it starts and stops the Twisted reactor, so once per
    process) and return the ``findings`` it filled."""
    process = CrawlerProcess(probe_settings(delay, log_level))
    process.crawl(ProbeSpider, findings=findings, profile=profile, fetch_base=fetch_base)
    process.start()
    return findings
