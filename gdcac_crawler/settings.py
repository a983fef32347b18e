"""Scrapy settings of gdcac-crawler.

The defaults are for the live portal and are polite: robots.txt obeyed, one request at a time per site,
AutoThrottle, and a User-Agent that names the project with a contact URL.  Crawls of the offline mirror
(and benchmarks) lift these explicitly on the command line, e.g.
``-s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0 -s CONCURRENT_REQUESTS_PER_DOMAIN=8``.
Every project setting (``GDCAC_*``) is documented where it is defined, below.
"""

from __future__ import annotations

from gdcac_crawler import __version__

BOT_NAME = "gdcac_crawler"
SPIDER_MODULES = ["gdcac_crawler.spiders"]
NEWSPIDER_MODULE = "gdcac_crawler.spiders"

#: Where to reach whoever runs the crawler; sites read it in their logs.  Set it to your own page.
GDCAC_CONTACT_URL = "https://github.com/gdcac-crawler/gdcac-crawler"
USER_AGENT = f"gdcac-crawler/{__version__} (+{GDCAC_CONTACT_URL})"

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
TELNETCONSOLE_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
}

# --- Encodings: every page decoded with the encoding its bytes are in (gdcac_crawler.middlewares) --------------
DOWNLOADER_MIDDLEWARES = {
    # after decompression (590) on the way back from the downloader, before the spider sees the page
    "gdcac_crawler.middlewares.EncodingMiddleware": 560,
    # Scrapy's retries, each after a pause (Retry-After, else exponential backoff)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "gdcac_crawler.guard.BackoffRetryMiddleware": 550,
    # redirects off the site or in a loop are refused (and recorded) before Scrapy follows them (600)
    "gdcac_crawler.guard.RedirectGuardMiddleware": 610,
    # block, challenge and junk answers, after the retries of transient errors
    "gdcac_crawler.guard.GuardMiddleware": 540,
}
#: First pause before retrying a transient failure (5xx, 429, timeout, reset), doubling per try; a
#: ``Retry-After`` header from the site takes its place.
GDCAC_RETRY_BACKOFF = 2.0
#: Longest pause before a retry, whatever Retry-After says.
GDCAC_RETRY_MAX_BACKOFF = 60.0
#: Recognise block and challenge pages (创宇盾 200 pages, 403 maintenance, 412 $_ts, 521 __jsl_clearance) and
#: answers that are not pages (empty, binary, not HTML); they are recorded, never archived as articles.
GDCAC_GUARD_ENABLED = True
#: Tries after a block page before the page is recorded as blocked.
GDCAC_BLOCK_RETRIES = 2
#: Pause before the first try after a block page (doubling); these blocks clear after a minute or two.
GDCAC_BLOCK_BACKOFF = 60.0
#: Factor on the site's download delay per block page met (the crawl slows down), and its cap in seconds.
GDCAC_BLOCK_SLOWDOWN = 2.0
GDCAC_BLOCK_MAX_DELAY = 120.0
#: Pages larger than this are refused (a 20 MB "page" is not an article); warn from DOWNLOAD_WARNSIZE.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
#: Check every page's declared charset (header, then meta tag) against its bytes and decode GBK / GB2312 /
#: GB18030 pages with a wrong or missing charset correctly (no U+FFFD); the pages table records both.
GDCAC_FIX_ENCODING = True

# --- Pipelines: clean → validate → attachments → archive ---------------------------------------------------------
ITEM_PIPELINES = {
    "gdcac_crawler.pipelines.CleanPipeline": 300,
    "gdcac_crawler.pipelines.ValidatePipeline": 400,
    "gdcac_crawler.attachments.AttachmentsPipeline": 700,
    "gdcac_crawler.pipelines.ArchivePipeline": 800,
}

#: Download each article's attachments (Scrapy's FilesPipeline) into GDCAC_FILES_STORE, keyed by sha256.
GDCAC_ATTACHMENTS_ENABLED = True
#: Where attachment files are stored: ``<sha256[:2]>/<sha256>/<original name>`` under it.  Empty: the
#: ``files`` folder beside GDCAC_ARCHIVE_PATH (``archive/files/`` by default).
GDCAC_FILES_STORE = ""
#: Attachments larger than this many bytes are not downloaded (recorded as failed, reason ``too-large``).
GDCAC_ATTACHMENTS_MAX_SIZE = 100 * 1024 * 1024
#: Ask for an attachment whose file the archive already holds with its ETag / Last-Modified (a 304 keeps the
#: stored file, ``not_modified``); off: download every attachment every time.
GDCAC_ATTACHMENTS_REVALIDATE = True

#: The SQLite archive the crawl writes to (created with its schema if missing).
GDCAC_ARCHIVE_PATH = "archive/gdcac.sqlite"
#: How many archive writes are grouped into one transaction.
GDCAC_ARCHIVE_BATCH_SIZE = 200

# --- Incremental runs (``-a mode=incremental``, the default; ``-a mode=full`` walks and fetches everything) -----
#: An incremental run stops walking a column after this many consecutive listing pages that show only
#: articles archived before the run.
GDCAC_INCREMENTAL_STOP_PAGES = 1
#: Revisit (conditional GET: If-None-Match / If-Modified-Since) the articles first seen within this many days;
#: a 304 only moves last_seen_at, a 404/410 marks the article removed.  0 turns revisits off.
GDCAC_REVISIT_DAYS = 7
#: Also revisit articles that were already older than GDCAC_REVISIT_DAYS when first seen (e.g. everything a
#: first full run archived).  Off: recency is counted from publication as well as from first capture.
GDCAC_REVISIT_BACKFILLED = False
#: A full run marks the archived articles no listing showed as removed only after a complete walk, and only if
#: they are at most this share of the walked columns' articles (more means a reorganised site: logged instead).
GDCAC_REMOVAL_MAX_SHARE = 0.2

# --- Run health (gdcac_crawler.health): an unhealthy run makes `scrapy crawl` exit 3 with a one-line reason ----
COMMANDS_MODULE = "gdcac_crawler.commands"
EXTENSIONS = {
    "gdcac_crawler.health.RunHealth": 500,
}
#: Assess each run's health when it ends (and set the exit status from it).
GDCAC_HEALTH_ENABLED = True
#: Article fields whose fallback and empty rates are held to the limits below.
GDCAC_HEALTH_FIELDS = ["title", "published_at", "source", "body_text", "column_path"]
#: The rate limits apply once at least this many articles were checked in the run.
GDCAC_HEALTH_MIN_ARTICLES = 10
#: Unhealthy when a watched field came from a fallback (not the profile's selectors) in more than this share.
GDCAC_HEALTH_MAX_FALLBACK_RATE = 0.25
#: Unhealthy when a watched field came out empty in more than this share of the articles.
GDCAC_HEALTH_MAX_EMPTY_RATE = 0.25
#: Unhealthy when more block or challenge pages than this were met (0: any).
GDCAC_HEALTH_MAX_BLOCKED = 0
#: Unhealthy when failed pages plus ERROR log lines exceed this.
GDCAC_HEALTH_MAX_ERRORS = 10

# --- Scrapy housekeeping ------------------------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
