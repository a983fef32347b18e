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

# --- Pipelines: clean → validate → archive ------------------------------------------------------------------
ITEM_PIPELINES = {
    "gdcac_crawler.pipelines.CleanPipeline": 300,
    "gdcac_crawler.pipelines.ValidatePipeline": 400,
    "gdcac_crawler.pipelines.ArchivePipeline": 800,
}

#: The SQLite archive the crawl writes to (created with its schema if missing).
GDCAC_ARCHIVE_PATH = "archive/gdcac.sqlite"
#: How many archive writes are grouped into one transaction.
GDCAC_ARCHIVE_BATCH_SIZE = 200

# --- Scrapy housekeeping ------------------------------------------------------------------------------------
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
