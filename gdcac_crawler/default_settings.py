"""The default values of every project setting (``GDCAC_*``), each documented where it is defined.

These are applied by :class:`gdcac_crawler.addon.GdcacAddon` at Scrapy's ``addon`` priority, so anything set
in ``settings.py``, by a spider or on the command line (``-s NAME=VALUE``) takes precedence, and a crawler
made by :func:`scrapy.utils.test.get_crawler` in a test sees the same values as ``scrapy crawl`` and scrapyd.
Code reads them without a fallback of its own (``settings.getfloat("GDCAC_REVISIT_DAYS")``): the value here is
the only default.  Scrapy's own settings (politeness, timeouts, the component wiring) stay in
:mod:`gdcac_crawler.settings`.
"""

from __future__ import annotations

# --- Politeness -------------------------------------------------------------------------------------------
#: Where to reach whoever runs the crawler; sites read it in their logs (the User-Agent in
#: :mod:`gdcac_crawler.settings` names it).  Set it, and ``USER_AGENT``, to your own page.
GDCAC_CONTACT_URL = "https://github.com/gdcac-crawler/gdcac-crawler"

# --- Retries (gdcac_crawler.downloadermiddlewares.retry) -----------------------------------------------------
#: First pause before retrying a transient failure (5xx, 429, timeout, reset), doubling per try; a
#: ``Retry-After`` header from the site takes its place.
GDCAC_RETRY_BACKOFF = 2.0
#: Longest pause before a retry, whatever Retry-After says.
GDCAC_RETRY_MAX_BACKOFF = 60.0

# --- Block pages and junk answers (gdcac_crawler.downloadermiddlewares.blockguard) ---------------------------
#: Recognise block and challenge pages (创宇盾 200 pages, 403 maintenance, 412 $_ts, 521 __jsl_clearance) and
#: answers that are not pages (empty, binary, not HTML); they are recorded, never archived as articles.
GDCAC_GUARD_ENABLED = True
#: Tries after a block page before the page is recorded as blocked.
GDCAC_BLOCK_RETRIES = 2
#: Pause before the first try after a block page (doubling); these blocks clear after a minute or two.
GDCAC_BLOCK_BACKOFF = 60.0
#: Factor on the site's download delay per block page met (the crawl slows down).
GDCAC_BLOCK_SLOWDOWN = 2.0
#: Cap of that download delay, in seconds.
GDCAC_BLOCK_MAX_DELAY = 120.0

# --- Encodings (gdcac_crawler.downloadermiddlewares.encoding) ------------------------------------------------
#: Check every page's declared charset (header, then meta tag) against its bytes and decode GBK / GB2312 /
#: GB18030 pages with a wrong or missing charset correctly (no U+FFFD); the pages table records both.
GDCAC_FIX_ENCODING = True

# --- Attachments (gdcac_crawler.pipelines.attachments) -------------------------------------------------------
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

# --- The portal (gdcac_crawler.spiders.portal) -----------------------------------------------------------
#: The live portal's origin (``https://host``), when it is not the profile's own: the scheme and host of every
#: archived URL.  ``-a portal_url=`` sets it for one crawl; ``""`` keeps the profile's.
GDCAC_PORTAL_URL = ""
#: A column's walk stops at this many listing pages (0: no cap), and a pager stating more pages than this is
#: not believed (its pages are probed one by one).  A capped walk is incomplete: the run's health names the
#: column (exit 3) and a full run marks nothing removed.  It guards against crawler traps (a pager claiming a
#: huge total, pages that each show new links for ever); the page number travels with each request, so a run
#: resumed from its JOBDIR stops at the same page.
GDCAC_MAX_LISTING_PAGES = 500

# --- The archive (gdcac_crawler.pipelines.archive) ------------------------------------------------------------
#: The SQLite archive the crawl writes to (created with its schema if missing).
GDCAC_ARCHIVE_PATH = "archive/gdcac.sqlite"
#: How many archive writes are grouped into one transaction.
GDCAC_ARCHIVE_BATCH_SIZE = 200
#: How long (seconds) a crawl waits for another crawl that holds the same archive (its run lock, the file
#: ``<archive>.lock``) before it refuses to start: exit status 5 and one ``Error:`` line naming the holder;
#: 0 refuses at once.  Ten minutes lets a full walk wait for an incremental run to end.
GDCAC_ARCHIVE_LOCK_TIMEOUT = 600.0
#: How long (seconds) one archive write transaction waits, with retries, for SQLite's write lock held by another
#: connection (a tool, a ``sqlite3`` shell) before it fails for good: items that stay unwritten make the run
#: unhealthy (exit status 3).
GDCAC_ARCHIVE_WRITE_TIMEOUT = 60.0
#: The archive's buffer is also flushed once it holds this many bytes (compressed page bodies plus the
#: articles' characters of text), so a few huge pages are written at once instead of waiting for
#: GDCAC_ARCHIVE_BATCH_SIZE items in memory (a flush costs about 60 bytes per character of text it indexes);
#: 200 ordinary articles (about 10 kB each) stay under it.
GDCAC_ARCHIVE_BATCH_BYTES = 4 * 1024 * 1024

# --- Incremental runs (gdcac_crawler.incremental; ``-a mode=incremental``, the default) -------------------------
#: An incremental run stops walking a column after this many consecutive listing pages that show only
#: articles archived before the run (at least 1).
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

# --- Run health (gdcac_crawler.extensions.health): an unhealthy run makes `scrapy crawl` exit 3 ----------------
#: Assess each run's health when it ends (and set the exit status from it).
GDCAC_HEALTH_ENABLED = True
#: Article fields whose fallback and empty rates are held to the limits below (any field of
#: :class:`gdcac_crawler.items.ArticleItem` may be added).
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
#: Unhealthy when more than this share of the article fetches failed for good (after retries).
GDCAC_HEALTH_MAX_FAILED_ARTICLE_RATE = 0.1
