"""Scrapy settings of gdcac-crawler: Scrapy's own settings and the wiring of the project's components.

The defaults are for the live portal and are polite: robots.txt obeyed, one request at a time per site,
AutoThrottle, and a User-Agent that names the project with a contact URL.  Crawls of the offline mirror
(and benchmarks) lift these explicitly on the command line, e.g.
``-s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0 -s CONCURRENT_REQUESTS_PER_DOMAIN=8``.
The project's own settings (``GDCAC_*``) are documented, with their defaults, in
:mod:`gdcac_crawler.default_settings`; the add-on below applies them.
"""

from __future__ import annotations

from gdcac_crawler import __version__, default_settings

BOT_NAME = "gdcac_crawler"
SPIDER_MODULES = ["gdcac_crawler.spiders"]
NEWSPIDER_MODULE = "gdcac_crawler.spiders"
COMMANDS_MODULE = "gdcac_crawler.commands"  # `scrapy crawl` with an exit status that tells the run's health

# --- The project's defaults (GDCAC_*), at the add-on priority (the spider declares the add-on too) -------
ADDONS = {
    "gdcac_crawler.addon.GdcacAddon": 0,
}

USER_AGENT = f"gdcac-crawler/{__version__} (+{default_settings.GDCAC_CONTACT_URL})"

# --- Politeness (the live site) ---------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
COOKIES_ENABLED = False
# No way into a running crawl from outside: Scrapy's telnet console and its remote-control HTTP endpoint
# (which runs code sent to it inside the crawler) stay off unless an operator asks for them with -s.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}
#: Pages larger than this are refused (a 20 MB "page" is not an article); warn from DOWNLOAD_WARNSIZE.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
#: Bytes of responses being scraped and archived before no further page is scheduled nor sent (Scrapy's default,
#: stated here because InFlightBytesMiddleware holds requests to it too): huge pages go a few at a time.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 5_000_000

# --- Downloader middlewares (gdcac_crawler.downloadermiddlewares) ------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # after decompression (590) on the way back from the downloader, before the spider sees the page
    "gdcac_crawler.downloadermiddlewares.encoding.EncodingMiddleware": 560,
    # Scrapy's retries, each after a pause (Retry-After, else exponential backoff)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "gdcac_crawler.downloadermiddlewares.retry.BackoffRetryMiddleware": 550,
    # redirects off the site, to another port or in a loop are refused (and recorded) before they are followed
    "gdcac_crawler.downloadermiddlewares.redirect.RedirectGuardMiddleware": 610,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "gdcac_crawler.downloadermiddlewares.redirect.GuardedRedirectMiddleware": 600,
    # meta refreshes under the same guard, after the block guard (a challenge page that reloads is a block)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "gdcac_crawler.downloadermiddlewares.redirect.MetaRefreshGuardMiddleware": 530,
    # block, challenge and junk answers, after the retries of transient errors
    "gdcac_crawler.downloadermiddlewares.blockguard.BlockGuardMiddleware": 540,
    # page requests wait before they are sent while the scraper holds SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes
    "gdcac_crawler.downloadermiddlewares.inflight.InFlightBytesMiddleware": 50,
}

# --- Spider middlewares (gdcac_crawler.spidermiddlewares): a URL longer than URLLENGTH_LIMIT is recorded --------
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "gdcac_crawler.spidermiddlewares.urllength.UrlLengthGuardMiddleware": 800,
}

# --- Item pipelines (gdcac_crawler.pipelines): clean → validate → attachments → archive ----------------------
ITEM_PIPELINES = {
    "gdcac_crawler.pipelines.clean.CleanPipeline": 300,
    "gdcac_crawler.pipelines.validate.ValidatePipeline": 400,
    "gdcac_crawler.pipelines.attachments.AttachmentsPipeline": 700,
    "gdcac_crawler.pipelines.archive.ArchivePipeline": 800,
}

# --- Extensions (gdcac_crawler.extensions): an unhealthy run makes `scrapy crawl` exit 3 with its reason -------
EXTENSIONS = {
    "gdcac_crawler.extensions.health.RunHealth": 500,
}

# --- Scrapy housekeeping ------------------------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
