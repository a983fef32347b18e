"""The one portal spider: section → columns → listing pages → same-site articles.

The walk starts from the profile's section URL.  When that fails (an HTTP error, DNS, a refused connection)
or shows no columns, it fetches the portal's home page and finds the section there by its name, whatever its
path (:func:`gdcac_crawler.extract.listing.find_section`).  Columns are the section's own navigation; a
candidate whose page shows no entries is no column.  Each column is walked page by page through whatever
pager it has (:mod:`gdcac_crawler.extract.pager`): the next link, else the pager's URL rule, else ``index_1``
and ``index_2`` probed; past the last page the pager states, a full page is followed by one probe, and a
missing page (404), an empty one or one that repeats the entries already seen ends the column.  Every walk ends:
a column stops at ``GDCAC_MAX_LISTING_PAGES`` pages, a pager stating more pages than that is not believed, and
a page the pager's exact count states that repeats earlier entries stops the column; a walk so stopped is
incomplete, and the run's health names it (crawler traps).  The stats say
which way each step went (``gdcac/discovery/...``) and what failed for good (``gdcac/start/error``,
``gdcac/section/not_found`` with ``gdcac/section/not_found_on``, ``gdcac/column/all_failed``, ``gdcac/article/failed``).

It only walks and extracts; it never writes to the archive (it reads it once, read-only, when it starts).
Everything particular to a portal comes from its profile.  Spider arguments (``-a name=value``):

``mode``
    ``incremental`` (the default): per column, listing pages are walked until ``GDCAC_INCREMENTAL_STOP_PAGES``
    consecutive pages show only articles archived before this run; new articles are fetched; recent articles
    (``GDCAC_REVISIT_DAYS``) are revisited with a conditional GET (304: not modified; 404/410: removed).
    ``full``: every listing page and every article is fetched again; after a complete walk, archived articles
    that no listing showed are marked removed (by the archive pipeline).

``base_url``
    Fetch from this origin instead of the live portal, e.g. the offline mirror ``http://127.0.0.1:8000``.
    Article identities stay the live portal's URLs, so crawls of the mirror on any port agree.
``portal_url``
    The live portal's origin, e.g. ``https://www.cagd.gov.cn`` (default: the profile's; also the setting
    ``GDCAC_PORTAL_URL``): the scheme and host of every archived URL.  The profile's own hosts stay the
    portal's, as aliases.
``run_id``
    Id of this run in the archive (default: UTC time plus a random suffix).
``profile``
    The portal profile (only for the generic ``portal`` spider; ``gdcac`` fixes it).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.utils.job import job_dir
from twisted.python.failure import Failure

from gdcac_crawler.addon import GdcacAddon
from gdcac_crawler.clock import new_run_id, utc_now
from gdcac_crawler.exceptions import UnwantedResponse
from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.discovery import is_page_url
from gdcac_crawler.extract.fallback import is_fallback
from gdcac_crawler.extract.listing import extract_listing, extract_section, find_section
from gdcac_crawler.extract.results import Pager, PageRule
from gdcac_crawler.incremental import (
    ArchiveSnapshot,
    CrawlMode,
    EntryAction,
    IncrementalSettings,
    decide_listing,
)
from gdcac_crawler.items import (
    ArticleCheck,
    ArticleItem,
    ListingEntry,
    ListingItem,
    PageFailure,
    PageKind,
)
from gdcac_crawler.profiles import Profile, get_profile
from gdcac_crawler.provenance import fetch_record
from gdcac_crawler.resume import RunJob, open_job
from gdcac_crawler.spiders.failures import failed_page
from gdcac_crawler.spiders.jobstate import JobStateMixin
from gdcac_crawler.spiders.revisits import REVISIT_STATUSES, RevisitsMixin

logger = logging.getLogger(__name__)


MODES = tuple(CrawlMode)
"""The crawl modes (``-a mode=...``); the first is the default."""
#: Why a column's walk may stop before its end (``gdcac/listing/<why>_columns`` name the columns).
#: The stats key each listing entry's action is counted under.
ENTRY_STATS = {
    EntryAction.OFFSITE: "listing/offsite",
    EntryAction.NOT_ARTICLE: "listing/not_article",
    EntryAction.DONE: "resume/skipped_articles",
    EntryAction.KNOWN: "incremental/known_entries",
    EntryAction.REVISIT: "incremental/title_changed",
    EntryAction.FETCH: "article/requested",
}


class PortalSpider(JobStateMixin, RevisitsMixin, scrapy.Spider):
    """Crawls one portal's section, driven by the portal's profile."""

    name = "portal"
    profile_name: str | None = None

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """The spider's settings, with the project's add-on (its ``GDCAC_*`` defaults) enabled wherever the
        spider runs, not only where ``settings.py`` is read.  The defaults are also set here, at once: Scrapy
        applies add-ons only after it made the spider, and :meth:`from_crawler` reads them."""
        super().update_settings(settings)
        settings.setdefault_in_component_priority_dict("ADDONS", GdcacAddon, 0)
        GdcacAddon().update_settings(settings)

    def __init__(self, *args: Any, base_url: str | None = None, run_id: str | None = None,
                 profile: str | None = None, mode: str | None = None, portal_url: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = profile or self.profile_name
        if not name:
            raise ValueError("the portal spider needs a profile: -a profile=NAME")
        self.profile: Profile = get_profile(name)
        self.portal_url = portal_url
        if portal_url:
            self.profile = self.profile.with_origin(portal_url)
        self.fetch_base = base_url.rstrip("/") if base_url else None
        if self.fetch_base and urlsplit(self.fetch_base).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.mode: str = (mode or MODES[0]).strip().lower()
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.run_id = run_id or new_run_id()
        self.started_at = utc_now()
        self._allow_domains()
        # Incremental state of this spider instance (never process-global): the settings are read in
        # from_crawler, the snapshot of the archive is taken in start().
        self.stop_pages = 1
        self.revisit_days = 0.0
        self.revisit_backfilled = False
        self.archive_path: str | None = None
        self.snapshot = ArchiveSnapshot()
        """What the archive held for the site when the crawl started (:mod:`gdcac_crawler.incremental`)."""
        self.incomplete_pages = 0
        """Section or listing pages that failed or showed nothing: a full walk with any is not complete."""
        self.start_error: str | None = None
        """``"<url>: <error>"`` of the profile's section URL when it failed (the run's start error if the home
        page fails too)."""
        self.section_answered = False
        """Whether the profile's section URL answered (with no columns, when the walk went on to the home page)."""
        self.columns: dict[str, str] = {}
        """The columns asked for, canonical first-page URL → name (a column is walked once)."""
        self.column_entries: dict[str, set[str]] = {}
        """Per column, the entry URLs its pages showed so far: a page that shows only these is past the end."""
        self.max_listing_pages = 0
        """``GDCAC_MAX_LISTING_PAGES``: the page a column's walk stops at (0: no cap)."""
        self.columns_answered = 0
        """Columns whose first page answered or failed for good."""
        self.columns_listing = 0
        """Columns whose first page showed entries (or failed: a listing that could not be read)."""
        self.failed_columns: list[str] = []
        """Names of the columns whose every listing page failed."""
        self.job: RunJob | None = None
        self.job_how = "new"
        self.jobdir: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings, requested_run_id=kwargs.get("run_id"))
        return spider

    def _allow_domains(self) -> None:
        """Scrapy's off-site filter: the mirror's host when fetching from one, else the portal's hosts."""
        fetch_host = urlsplit(self.fetch_base).hostname if self.fetch_base else None
        self.allowed_domains = [fetch_host] if fetch_host else [*self.profile.hosts, *self.profile.aliases]

    def _configure(self, settings: Any, *, requested_run_id: str | None) -> None:
        """Read the live origin and the incremental settings; with a ``JOBDIR``, continue the run it holds
        (see :mod:`gdcac_crawler.resume`)."""
        if not self.portal_url and settings.get("GDCAC_PORTAL_URL"):
            self.portal_url = settings.get("GDCAC_PORTAL_URL")
            self.profile = self.profile.with_origin(self.portal_url)
            self._allow_domains()
        incremental = IncrementalSettings.from_settings(settings)
        self.stop_pages = incremental.stop_pages
        self.revisit_days = incremental.revisit_days
        self.revisit_backfilled = incremental.revisit_backfilled
        self.archive_path = settings.get("GDCAC_ARCHIVE_PATH") or None
        self.max_listing_pages = max(0, settings.getint("GDCAC_MAX_LISTING_PAGES"))
        self.jobdir = job_dir(settings)
        if self.jobdir:
            self.job, self.job_how = open_job(self.jobdir, run_id=self.run_id, mode=self.mode,
                                              started_at=self.started_at, requested_run_id=requested_run_id)
            self.run_id, self.mode, self.started_at = self.job.run_id, self.job.mode, self.job.started_at
            self.crawler.signals.connect(self._close_job, signal=signals.spider_closed)

    # --- helpers ----------------------------------------------------------------------------------------

    def _count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"gdcac/{key}", n)

    def _count_fallbacks(self, methods: dict[str, str], url: str) -> None:
        """``gdcac/fallback/<field>`` for every field a fallback (not the profile's rules) produced: a jump in
        these counts is the first sign that the live template changed."""
        fields = [name for name, method in methods.items() if is_fallback(method)]
        for name in fields:
            self._count(f"fallback/{name}")
        if fields and self.profile.name != "generic":
            logger.info("%s: fallbacks for %s", url, ", ".join(f"{n} ({methods[n]})" for n in fields))

    def _request(self, url: str, callback: Callable[..., Any], *, kind: PageKind, **kwargs: Any) -> scrapy.Request:
        meta = kwargs.pop("meta", {})
        meta["gdcac_kind"] = kind
        return scrapy.Request(self.profile.to_fetch_url(url, self.fetch_base), callback=callback,
                              errback=self.on_error, meta=meta, **kwargs)

    # --- the walk ---------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        logger.info("run %s (%s%s): crawling %s (%s) from %s", self.run_id, self.mode,
                    f", {self.job_how} from JOBDIR" if self.resumed else "", self.profile.name,
                    self.profile.section_name, self.fetch_base or self.profile.base_url)
        self.crawler.stats.set_value("gdcac/run_id", self.run_id)
        self.crawler.stats.set_value("gdcac/mode", self.mode)
        self._earlier_stopped_walks()
        self.load_archive_state()
        yield self._request(self.profile.section_url, self.parse_section, kind=PageKind.SECTION,
                            meta={"gdcac_start": "section"})
        for request in self.revisit_requests():
            yield request

    def parse_section(self, response: Response) -> Iterator[Any]:
        """The section page: discover its columns and walk each from its first listing page.

        The profile's section URL (``gdcac_start`` = ``section``) that shows no columns sends the walk to the
        home page; a section found there by name (``home``) that shows none is walked as a listing itself
        when it shows entries, else the run has no columns (``gdcac/section/no_columns``)."""
        start = response.meta.get("gdcac_start", "section")
        section_url = self.profile.canonical(response.url)
        section = extract_section(response, self.profile, nav_urls=response.meta.get("gdcac_nav_urls", ()),
                                  section_url=section_url if start == "home" else None)
        columns, method = section["columns"], _how(section["methods"].get("columns"))
        yield ListingItem(url=section_url, site=self.profile.name, column=None, column_url=None, page_no=1,
                          entries=[], fetch=fetch_record(response, self.run_id, PageKind.SECTION))
        if not columns and start == "section":
            self.section_answered = True
            logger.warning("the section page %s shows no columns: looking for %s on the home page", response.url,
                           self.profile.section_name)
            yield self._home_request()
            return
        if not columns and extract_listing(response, self.profile, page_no=1)["entries"]:
            columns, method = [(self.profile.section_name or section_url, section_url)], "self"
        self._count_fallbacks(section["methods"], response.url)
        self._count("section/columns", len(columns))
        if not columns:
            logger.error("no columns found on the section page %s: the template may have changed", response.url)
            self._count("section/no_columns")
            self.incomplete_pages += 1
            return
        self.crawler.stats.set_value("gdcac/discovery/start", start)
        if start == "section":
            self._count("discovery/section/profile")
        for name, url in columns:
            yield from self._column(name, url, method)

    def _home_request(self) -> scrapy.Request:
        return self._request(self.profile.home_url, self.parse_home, kind=PageKind.HOME, dont_filter=True)

    def parse_home(self, response: Response) -> Iterator[Any]:
        """The portal's home page: find the section by its name among the navigation links and walk it."""
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=None,
                          column_url=None, page_no=1, entries=[],
                          fetch=fetch_record(response, self.run_id, PageKind.HOME))
        found = find_section(response, self.profile)
        if found is None:
            logger.error("no link named %s on the home page %s: the section was not found",
                         self.profile.section_name or "(no section name)", response.url)
            self._count("section/not_found")
            self.crawler.stats.set_value("gdcac/section/not_found_on", response.url)
            self.incomplete_pages += 1
            return
        self._count(f"discovery/section/{found.method}")
        logger.info("section %s found on the home page %s: %s (%s)", self.profile.section_name, response.url,
                    found.url, found.method)
        yield self._request(self.profile.canonical(found.url), self.parse_section, kind=PageKind.SECTION,
                            dont_filter=True,
                            meta={"gdcac_start": "home", "gdcac_nav_urls": sorted(found.nav_urls)})

    def _column(self, name: str, url: str, method: str) -> Iterator[scrapy.Request]:
        """The request for a column's first page, unless the column is walked already; its method
        (``profile``, ``url-pattern``, ``nav-links``, ``more-links``, ``self``, ``nested``) is counted under
        ``gdcac/discovery/columns/<method>``."""
        column_url = self.profile.canonical(url)
        if column_url in self.columns:
            return
        self.columns[column_url] = name
        self._count(f"discovery/columns/{method}")
        yield self._request(column_url, self.parse_listing, kind=PageKind.LISTING, dont_filter=method == "self",
                            cb_kwargs={"column": name, "column_url": column_url, "page_no": 1,
                                       "first_page_size": None, "column_method": method})

    def parse_listing(self, response: Response, column: str, column_url: str, page_no: int,
                      first_page_size: int | None, rule: PageRule | None = None,
                      column_method: str = "profile") -> Iterator[Any]:
        """A listing page: record it, follow its same-site articles (as :func:`gdcac_crawler.incremental.
        decide_listing` decides), and go on to the next page unless the column's walk stops here."""
        probe = bool(response.meta.get("gdcac_probe"))
        alternative: PageRule | None = response.meta.get("gdcac_probe_alt")
        if response.status == 404 and probe:
            yield from self._end_probe(response, "missing", alternative, column, column_url, page_no,
                                       first_page_size, column_method)
            return
        listing = extract_listing(response, self.profile, page_no=page_no)
        entries, pager = listing["entries"], listing["pager"]
        seen = self.column_entries.setdefault(column_url, set())
        if page_no > 1 and entries and all(e.url in seen for e in entries):
            # the entries of pages already walked (any of them): the site answers page numbers past its end
            if response.meta.get("gdcac_within_total"):  # the pager stated this page: the site answers wrong
                self._stopped_walk("repeat", column, page_no, response.url)
            yield from self._end_probe(response, "repeat", alternative, column, column_url, page_no,
                                       first_page_size, column_method)
            return
        if probe and not entries:
            yield from self._end_probe(response, "empty", alternative, column, column_url, page_no,
                                       first_page_size, column_method)
            return
        seen.update(e.url for e in entries)
        if page_no == 1 and not entries and column_method not in ("profile", "self"):
            yield from self._not_listing(response, column, column_url, column_method)
            return
        if page_no == 1:
            self._column_answered(listing=True)
            form = pager.form if pager.form != "none" else ("index-probe" if entries else "none")
            self._count(f"discovery/pager/{form}")
        self._count(f"discovery/articles/{_how(listing['methods'].get('entries')) or 'none'}")
        self._count_fallbacks(listing["methods"], response.url)
        self._count("listing/pages")
        if not entries:
            logger.warning("listing page %s shows no entries", response.url)
            self._count("listing/empty")
            self.incomplete_pages += 1
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=column,
                          column_url=column_url, page_no=page_no, entries=entries,
                          fetch=fetch_record(response, self.run_id, PageKind.LISTING))
        self._count("listing/entries", len(entries))
        decision = decide_listing(entries, self.snapshot, mode=self.mode, is_article=self.is_article,
                                  known_pages_before=response.meta.get("gdcac_known_pages", 0),
                                  stop_pages=self.stop_pages)
        for entry, action in decision.actions:
            self._count(ENTRY_STATS[action])
            yield from self._follow(entry, action, column)
        if decision.stop:
            self._count("incremental/columns_stopped")
            logger.debug("%s: page %d shows only archived articles; column %s stops here", response.url,
                         page_no, column)
            return
        if rule is None or (pager.rule is not None and pager.rule.offset is not None):
            rule = pager.rule  # this page's own rule, unless only the walk so far knows the numbering
        yield from self._next_page(response, column, column_url, page_no, len(entries),
                                   first_page_size or len(entries), pager, decision.known_pages, rule, column_method)

    def is_article(self, url: str) -> bool:
        """Whether a listing's same-site entry is an article to fetch: the profile's article pattern, or any
        page that is not a listing page or a file (a site never seen uses its own URL scheme)."""
        return self.profile.is_article_url(url) or is_page_url(url)

    def _end_probe(self, response: Response, why: str, alternative: PageRule | None, column: str,
                   column_url: str, page_no: int, first_page_size: int | None,
                   column_method: str) -> Iterator[scrapy.Request]:
        """A page past the column's end (``missing``: 404, ``empty``, ``repeat``: entries already seen): the
        column ends here, unless the other ``index_N`` numbering is still to be tried."""
        if alternative is not None:
            yield self._listing_request(alternative.url(page_no, column_url), column, column_url, page_no,
                                        first_page_size, alternative, column_method, probe=True,
                                        known_pages=response.meta.get("gdcac_known_pages", 0))
            return
        self._count(f"listing/end_probe_{why}")
        logger.debug("%s: past the end of column %s (%s)", response.url, column, why)

    def _stopped_walk(self, why: str, column: str, page_no: int, url: str) -> None:
        """A column's walk stopped before its end, by the page cap (``page_cap``) or at a page the pager stated
        that repeats earlier pages' entries (``repeat``): the walk is incomplete (a full run marks nothing
        removed), and the stats (``gdcac/listing/<why>``, ``gdcac/listing/<why>_columns``) name the column
        for the run's health."""
        self.incomplete_pages += 1
        self._count(f"listing/{why}")
        stopped = self.crawler.stats.get_value(f"gdcac/listing/{why}_columns") or []
        self.crawler.stats.set_value(f"gdcac/listing/{why}_columns", [*stopped, f"{column} (page {page_no})"])
        if why == "page_cap":
            self.crawler.stats.set_value("gdcac/listing/page_cap_pages", self.max_listing_pages)
            logger.warning("%s: column %s stops at the page cap (GDCAC_MAX_LISTING_PAGES = %d)", url, column,
                         self.max_listing_pages)
        else:
            logger.warning("%s: page %d of column %s repeats earlier pages' entries although the pager states it; "
                         "the column's walk stops here", url, page_no, column)

    def _not_listing(self, response: Response, column: str, column_url: str,
                     column_method: str) -> Iterator[Any]:
        """A candidate column whose first page shows no entries is no column (a page of the section's menu
        that is no listing); when it shows columns of its own, those are walked instead."""
        self._count("discovery/not_listing")
        logger.info("%s (%s) shows no listing entries: not a column", column, response.url)
        yield ListingItem(url=self.profile.canonical(response.url), site=self.profile.name, column=column,
                          column_url=column_url, page_no=1, entries=[],
                          fetch=fetch_record(response, self.run_id, PageKind.LISTING))
        nested = []
        if column_method != "nested":
            nested = extract_section(response, self.profile, section_url=column_url)["columns"]
        before = len(self.columns)
        for name, url in nested:
            yield from self._column(name, url, "nested")
        self._column_answered(listing=False)
        if len(self.columns) > before:
            logger.info("%s lists columns of its own: %d walked", column, len(self.columns) - before)

    def _column_answered(self, *, listing: bool) -> None:
        """Bookkeeping of the columns' first pages: when every candidate has answered and none was a listing,
        the section has no columns after all."""
        self.columns_answered += 1
        self.columns_listing += int(listing)
        if self.columns_answered == len(self.columns) and not self.columns_listing:
            logger.error("none of the %d candidate columns is a listing: the section shows no columns",
                         len(self.columns))
            self._count("section/no_columns")
            self.incomplete_pages += 1

    def _follow(self, entry: ListingEntry, action: EntryAction, column: str) -> Iterator[scrapy.Request]:
        """The request a listing entry's action calls for, if any."""
        if action == EntryAction.REVISIT:
            # the listing shows an archived article under another title: look at it again
            self._count("incremental/revisits")
            yield self._revisit(entry.url, {**self.snapshot.archived.get(entry.url, {}), "column_name": column,
                                            "listed_title": entry.title, "listed_date": entry.listed_date})
        elif action == EntryAction.FETCH:
            yield self._request(entry.url, self.parse_article, kind=PageKind.ARTICLE,
                                cb_kwargs={"column": column, "listed_title": entry.title,
                                           "listed_date": entry.listed_date})

    def _listing_request(self, url: str, column: str, column_url: str, page_no: int, page_size: int | None,
                         rule: PageRule | None, column_method: str, *, probe: bool, known_pages: int,
                         alternative: PageRule | None = None, within_total: bool = False) -> scrapy.Request:
        meta: dict[str, Any] = {"gdcac_known_pages": known_pages, "gdcac_within_total": within_total}
        if probe:
            meta.update({"gdcac_probe": True, "handle_httpstatus_list": [404]})
            if alternative is not None:
                meta["gdcac_probe_alt"] = alternative
        return self._request(self.profile.canonical(url), self.parse_listing, kind=PageKind.LISTING, meta=meta,
                             cb_kwargs={"column": column, "column_url": column_url, "page_no": page_no,
                                        "first_page_size": page_size, "rule": rule, "column_method": column_method})

    def _next_page(self, response: Response, column: str, column_url: str, page_no: int, n_entries: int,
                   page_size: int, pager: Pager, known_pages: int = 0, rule: PageRule | None = None,
                   column_method: str = "profile") -> Iterator[scrapy.Request]:
        """Page ``page_no + 1`` when the column has one.

        Its URL is the page's next link, else the column's URL rule (from the pager's links or script); with
        no rule whose numbering is known, ``index_1`` is probed, then ``index_2`` (TRS counts from 0, nfw-cms
        from 1).  The script's uncapped ``Math.ceil(TOTAL/PER)`` decides when the page gives it.  Otherwise
        the pager's largest page is only a lower bound (platforms cap it), so a full last page is followed by
        one probe for the next page; a 404 there, an empty page or one showing only entries already seen ends
        the column.  ``known_pages`` (consecutive pages showing only archived articles, for the incremental
        stop rule) travels in the request's meta.
        """
        if not n_entries:
            return
        nxt = page_no + 1
        url = pager.next_url
        if url is None and rule is not None and rule.offset is not None:
            url = rule.url(nxt, column_url)
        if pager.exact and page_no >= pager.total_pages:
            return
        stated = pager.exact or page_no < pager.total_pages or pager.next_url is not None
        within_total = pager.exact  # the script's uncapped count states the page (links are only a lower bound)
        if stated and self.max_listing_pages and pager.total_pages > self.max_listing_pages:
            # a pager that states more pages than a walk may take is not believed: walked as probes
            if page_no == 1:
                self._count("listing/absurd_total")
                logger.warning("%s: the pager of column %s states %d pages (more than the cap of %d); its pages "
                               "are probed one by one", response.url, column, pager.total_pages,
                               self.max_listing_pages)
            stated = within_total = False
        if not stated and n_entries < page_size:
            return  # a short page after the last page the pager states: the end
        if self.max_listing_pages and nxt > self.max_listing_pages:
            self._stopped_walk("page_cap", column, page_no, response.url)
            return
        if not stated:
            self._count("listing/end_probe")
        if url is not None:
            yield self._listing_request(url, column, column_url, nxt, page_size, rule, column_method,
                                        probe=not stated, known_pages=known_pages, within_total=within_total)
            return
        # no URL rule known: index_N in the column's folder, counted from 0 (TRS) or from 1 (nfw-cms)
        trs, nfw = _index_rules(column_url, rule)
        yield self._listing_request(trs.url(nxt, column_url), column, column_url, nxt, page_size, trs, column_method,
                                    probe=True, known_pages=known_pages, alternative=nfw)

    def parse_article(self, response: Response, column: str | None, listed_title: str | None,
                      listed_date: str | None) -> Iterator[ArticleItem | ArticleCheck | PageFailure]:
        """An article page: its fields as extracted, with provenance; cleaning is the pipelines' work.

        A revisit (conditional GET) may instead answer 304 (not modified) or 404/410 (gone): an
        :class:`ArticleCheck` says so.
        """
        if response.meta.get("gdcac_revisit") and response.status in REVISIT_STATUSES:
            yield self._revisit_check(response)
            return
        if not isinstance(response, TextResponse):
            yield PageFailure(site=self.profile.name, fetch=fetch_record(
                response, self.run_id, PageKind.ERROR,
                error=f"not a text page: {response.headers.get('Content-Type')!r}"))
            return
        canonical = self.profile.canonical(response.url)
        try:
            fields = extract_article(response, self.profile, url=canonical)
        except Exception as exc:  # any page that breaks extraction leaves its row and reason, and is counted
            yield self._extraction_failed(response, exc)
            return
        self._count_fallbacks(fields["methods"], response.url)
        self._count("article/parsed")
        yield ArticleItem(**fields, fetch=fetch_record(response, self.run_id, PageKind.ARTICLE),
                          listed_title=listed_title, listed_date=listed_date, column=column)

    def _extraction_failed(self, response: Response, exc: Exception) -> PageFailure:
        """An article page whose extraction raised: a ``pages`` row with the exception as its reason, counted
        as a failed article (``gdcac/article/failed``, ``gdcac/article/extract_error``) and logged at ERROR, so
        the run's health sees it."""
        self._count("article/failed")
        self._count("article/extract_error")
        what = f"extraction failed: {type(exc).__name__}: {str(exc)[:200]}"
        logger.error("%s: %s", response.url, what, exc_info=not isinstance(exc, RecursionError))
        return PageFailure(site=self.profile.name, fetch=fetch_record(response, self.run_id, PageKind.ERROR,
                                                                      error=what))

    def on_error(self, failure: Failure) -> Iterator[PageFailure | scrapy.Request]:
        """A request that failed for good (after retries): one ``pages`` row with the reason, and the walk's
        bookkeeping — the home page tried when the profile's section URL fails, ``gdcac/start/error`` when no
        start page could be fetched, failed columns and articles counted."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on an errback's failure
        kind = request.meta.get("gdcac_kind", "page")
        failed = failed_page(failure, run_id=self.run_id, site=self.profile.name)
        self._count(failed.stats_key)
        if not isinstance(failure.value, UnwantedResponse):  # the block guard logs its own verdicts
            logger.warning("%s: %s (%s page)", failed.url, failed.what, kind)
        yield failed.item
        what = failed.what
        yield from self._failed(request, kind, what)

    def _failed(self, request: scrapy.Request, kind: str, what: str) -> Iterator[scrapy.Request]:
        """The walk's bookkeeping for a request that failed for good with ``what``."""
        if kind == PageKind.SECTION and request.meta.get("gdcac_start") == "section":
            self.start_error = f"{request.url}: {what}"
            logger.warning("the section page %s failed (%s): looking for %s on the home page", request.url, what,
                           self.profile.section_name)
            yield self._home_request()
        elif kind in (PageKind.HOME, PageKind.SECTION):
            self.incomplete_pages += 1
            if kind == PageKind.HOME and self.section_answered:
                logger.error("the section page showed no columns and the home page %s failed (%s)", request.url,
                             what)
                self._count("section/no_columns")
                return
            reason = f"{request.url}: {what}"
            if kind == PageKind.HOME and self.start_error:  # both the section and the home page failed
                reason = f"{self.start_error}, and the home page {reason}"
            logger.error("no start page could be fetched: %s", reason)
            self.crawler.stats.set_value("gdcac/start/error", reason)
        elif kind == PageKind.LISTING:
            self.incomplete_pages += 1  # a walk with a failed page is not complete
            if request.cb_kwargs.get("page_no") == 1:
                name = request.cb_kwargs.get("column") or request.url
                self.failed_columns.append(name)
                self._count("column/all_failed")
                order = list(self.columns.values())  # the section's order, not the order the failures came in
                names = sorted(self.failed_columns, key=lambda n: order.index(n) if n in order else len(order))
                self.crawler.stats.set_value("gdcac/column/all_failed_names", names)
                logger.error("column %s: its first listing page %s failed (%s)", name, request.url, what)
                self._column_answered(listing=True)
        elif kind == PageKind.ARTICLE:
            self._count("article/failed")


def _how(method: str | None) -> str:
    """A method's name for the stats: ``profile:#leftnav a`` → ``profile``, ``fallback:nav-links`` →
    ``nav-links``."""
    if not method:
        return ""
    kind, _, how = method.partition(":")
    return "profile" if kind == "profile" else (how or kind)


def _index_rules(column_url: str, rule: PageRule | None) -> tuple[PageRule, PageRule]:
    """The two numberings of ``index_N`` pages in a column's folder, TRS's (``index_1`` is page 2) and
    nfw-cms's (``index_2`` is page 2), for a column whose pager does not say which (a script's rule with
    its offset unknown, or no pager at all)."""
    if rule is not None:
        return rule.with_offset(-1), rule.with_offset(0)
    parts = urlsplit(column_url)
    folder, _, name = parts.path.rpartition("/")
    ext = name.rsplit(".", 1)[1] if "." in name else "html"
    prefix = f"{parts.scheme}://{parts.netloc}{folder}/index_"
    return PageRule(prefix, f".{ext}", -1), PageRule(prefix, f".{ext}", 0)
