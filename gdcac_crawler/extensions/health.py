"""Run health: is the run that just ended one an operator can trust, and if not, why — in one line.

A run is **unhealthy** when

* its start could not be fetched: neither the profile's section page nor the portal's home page answered
  (DNS failure, connection refused, timeout, an HTTP error — ``gdcac/start/error`` names the URL and the error);
* the section was not found (no link named like it on the home page) or showed no columns, or every listing
  page of a column failed (``gdcac/column/all_failed``);
* it finished but neither archived an article nor recognised one as archived already although its listings
  showed entries (a new article template, every article page failing, entries that are no articles), or its
  listing pages showed no entries at all (a new listing template);
* more than ``GDCAC_HEALTH_MAX_FAILED_ARTICLE_RATE`` of its article fetches failed for good;
* it met block or challenge pages (a WAF page served with 200, 403 maintenance pages, 412/521 JavaScript
  challenges — counted by the guard middleware under ``gdcac/blocked/<kind>`` and archived as ``blocked``
  pages, or, without the guard, failed with status 403, 412 or 521) more than ``GDCAC_HEALTH_MAX_BLOCKED``
  times (default 0: any);
* a watched field (``GDCAC_HEALTH_FIELDS``) came from a fallback rather than the profile's selectors, or came
  out empty, in more than ``GDCAC_HEALTH_MAX_FALLBACK_RATE`` / ``GDCAC_HEALTH_MAX_EMPTY_RATE`` of the articles,
  once at least ``GDCAC_HEALTH_MIN_ARTICLES`` were checked (the validate pipeline counts them);
* the walk of a column stopped before its end: at the page cap (``GDCAC_MAX_LISTING_PAGES``), or at a page
  the pager states that repeats earlier pages' entries (crawler traps: the walk is incomplete);
* its errors exceed ``GDCAC_HEALTH_MAX_ERRORS``: failed pages plus the other ERROR log lines (Scrapy logs
  each give-up after retries at ERROR: that one counts once, as its failed page);
* items could not be written to the archive: a write or the last flush still found the archive locked after
  ``GDCAC_ARCHIVE_WRITE_TIMEOUT`` (``gdcac/archive/unwritten``), so the run's archive lacks them.

:class:`RunHealth` (an extension, in ``EXTENSIONS``) assesses the run when the spider closes, puts the verdict
in the stats (``gdcac/health/status``: ``healthy`` or ``unhealthy``; ``gdcac/health/reason``), logs it, and the
archive pipeline stores it in the run's row.  The project's ``crawl`` command
(:mod:`gdcac_crawler.commands.crawl`, through ``COMMANDS_MODULE``) turns it into the exit status of
``scrapy crawl`` (:func:`exit_status`, one of :class:`ExitStatus`) with the one-line reason on stderr:

====  ======================================================================================================
0     the run finished and is healthy
1     Scrapy could not start the crawl (a bad spider argument, an unusable setting)
2     usage error (Scrapy's own: unknown option, no spider named)
3     the run is unhealthy (the reason is the last line on stderr)
4     the run did not finish (interrupted: SIGINT/SIGTERM — a second one forces the shutdown, and the run's
      row says ``shutdown_forced`` — or a CLOSESPIDER limit); resume it with the same ``JOBDIR``
5     the run was refused before it wrote anything: another crawl held the archive for longer than
      ``GDCAC_ARCHIVE_LOCK_TIMEOUT``, or the archive stayed locked (the ``Error:`` line names the holder)
====  ======================================================================================================

Why a small extension and not Spidermon: Spidermon's monitors would express these checks, but it does not
set the process's exit status either (the command would still be needed), its field-coverage monitor measures
non-empty values, not which extraction method produced them, and it would add a dependency tree to a
crawler that must stay easy to install from cron.  The checks here are a pure function of the stats
(:func:`assess`), tested without a crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from gdcac_crawler import default_settings
from gdcac_crawler.blockpages import BLOCK_STATUSES
from gdcac_crawler.items import ArchiveOutcome

logger = logging.getLogger(__name__)


class ExitStatus(IntEnum):
    """The exit statuses of ``scrapy crawl`` (the table above), each with the words ``scrapy crawl -h`` uses."""

    meaning: str

    def __new__(cls, value: int, meaning: str) -> ExitStatus:
        status = int.__new__(cls, value)
        status._value_ = value
        status.meaning = meaning
        return status

    OK = 0, "the run finished and is healthy"
    BOOTSTRAP_FAILED = 1, "the crawl could not start"
    USAGE = 2, "usage error"
    UNHEALTHY = 3, "the run is unhealthy"
    INCOMPLETE = 4, "the run did not finish (resume it with the same JOBDIR)"
    ARCHIVE_BUSY = 5, "another crawl holds the archive (the run was refused and wrote nothing)"


class Health(StrEnum):
    """The verdict on a run, as the stats hold it (``gdcac/health/status``)."""

    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


HEALTH_STATUS_KEY = "gdcac/health/status"
"""The stats key of the run's :class:`Health`."""
HEALTH_REASON_KEY = "gdcac/health/reason"
"""The stats key of the reasons an unhealthy run is unhealthy (``; ``-separated)."""
START_ERROR_KEY = "gdcac/start/error"
"""The stats key the spider sets when no start page (section page, home page) could be fetched:
``"<url>: <error>"``."""
FORCED_SHUTDOWN = "shutdown_forced"
"""The finish reason of a run whose shutdown a second SIGINT/SIGTERM forced (Scrapy then stops at once, without
closing the spider: the crawl command closes the run's row with this reason)."""
#: Archive outcomes (``gdcac/archive/<outcome>``) that count as an article archived by the run.
ARCHIVED_OUTCOMES = (ArchiveOutcome.NEW, ArchiveOutcome.CHANGED, ArchiveOutcome.UNCHANGED,
                     ArchiveOutcome.NOT_MODIFIED, ArchiveOutcome.REMOVED, "already_removed")


@dataclass(frozen=True)
class HealthPolicy:
    """The thresholds a run is held to (from the ``GDCAC_HEALTH_*`` settings; defaults: theirs)."""

    fields: tuple[str, ...] = tuple(default_settings.GDCAC_HEALTH_FIELDS)
    min_articles: int = default_settings.GDCAC_HEALTH_MIN_ARTICLES
    max_fallback_rate: float = default_settings.GDCAC_HEALTH_MAX_FALLBACK_RATE
    max_empty_rate: float = default_settings.GDCAC_HEALTH_MAX_EMPTY_RATE
    max_blocked: int = default_settings.GDCAC_HEALTH_MAX_BLOCKED
    max_errors: int = default_settings.GDCAC_HEALTH_MAX_ERRORS
    max_failed_article_rate: float = default_settings.GDCAC_HEALTH_MAX_FAILED_ARTICLE_RATE

    @classmethod
    def from_settings(cls, settings: Any) -> HealthPolicy:
        return cls(
            fields=tuple(settings.getlist("GDCAC_HEALTH_FIELDS")),
            min_articles=settings.getint("GDCAC_HEALTH_MIN_ARTICLES"),
            max_fallback_rate=settings.getfloat("GDCAC_HEALTH_MAX_FALLBACK_RATE"),
            max_empty_rate=settings.getfloat("GDCAC_HEALTH_MAX_EMPTY_RATE"),
            max_blocked=settings.getint("GDCAC_HEALTH_MAX_BLOCKED"),
            max_errors=settings.getint("GDCAC_HEALTH_MAX_ERRORS"),
            max_failed_article_rate=settings.getfloat("GDCAC_HEALTH_MAX_FAILED_ARTICLE_RATE"),
        )


def blocked_count(stats: Mapping[str, Any]) -> tuple[int, dict[str, int]]:
    """Block and challenge pages met, with their kinds: the largest of what the guard counted
    (``gdcac/blocked/<kind>``, every answer including retried ones), what the archive recorded
    (``gdcac/archive/blocked``) and the pages that failed with a block status (``gdcac/error/http_<status>``)."""
    kinds = {key.rsplit("/", 1)[1]: int(value) for key, value in stats.items()
             if key.startswith("gdcac/blocked/") and key != "gdcac/blocked/max_delay" and isinstance(value, int)}
    by_status = {f"http_{s}": int(stats.get(f"gdcac/error/http_{s}", 0) or 0) for s in BLOCK_STATUSES}
    total = max(sum(kinds.values()), int(stats.get("gdcac/archive/blocked", 0) or 0), sum(by_status.values()))
    if not kinds:
        kinds = by_status
    return total, kinds


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f}%"


def _walk_reasons(stats: Mapping[str, Any], get: Callable[[str], int]) -> list[str]:
    """What went wrong in the walk itself: the start, the section, its columns, their listing pages."""
    start_error = stats.get(START_ERROR_KEY)
    if start_error:
        return [f"the start page could not be fetched: {start_error}"]
    reasons = []
    if get("gdcac/section/not_found"):
        where = stats.get("gdcac/section/not_found_on")
        reasons.append("the section was not found by its name on the home page" + (f" {where}" if where else ""))
    if get("gdcac/section/no_columns"):
        reasons.append("the section page showed no columns")
    if failed_columns := get("gdcac/column/all_failed"):
        names = stats.get("gdcac/column/all_failed_names") or []
        detail = f" ({', '.join(str(n) for n in names)})" if names else ""
        reasons.append(f"every listing page of {failed_columns} column{'s' if failed_columns > 1 else ''} "
                       f"failed{detail}")
    listing_pages, entries = get("gdcac/listing/pages"), get("gdcac/listing/entries")
    if listing_pages and not entries:
        reasons.append(f"{listing_pages} listing pages showed no entries")
    return reasons + _stopped_walk_reasons(stats)


def _stopped_walk_reasons(stats: Mapping[str, Any]) -> list[str]:
    """Columns whose walk the spider stopped before their end (a crawler trap, or a site that answers the
    pages its pager states with earlier pages): by the page cap (``gdcac/listing/page_cap_columns``) or at a
    page that repeats earlier pages' entries (``gdcac/listing/repeat_columns``)."""
    reasons = []
    capped = stats.get("gdcac/listing/page_cap_columns") or []
    if capped:
        cap = stats.get("gdcac/listing/page_cap_pages")
        reasons.append(f"column{'s' if len(capped) > 1 else ''} {', '.join(str(c) for c in capped)} stopped at "
                       f"the page cap ({cap} listing pages, GDCAC_MAX_LISTING_PAGES)")
    repeated = stats.get("gdcac/listing/repeat_columns") or []
    if repeated:
        reasons.append(f"column{'s' if len(repeated) > 1 else ''} {', '.join(str(c) for c in repeated)} stopped "
                       "at a page that repeats earlier pages' entries although the pager states more pages")
    return reasons


def _article_reasons(get: Callable[[str], int], policy: HealthPolicy, finished: bool) -> list[str]:
    """What went wrong with the articles the listings showed: none archived or recognised, or too many failed."""
    reasons = []
    entries = get("gdcac/listing/entries")
    requested = get("gdcac/article/requested") + get("gdcac/incremental/revisits")
    archived = sum(get(f"gdcac/archive/{k}") for k in ARCHIVED_OUTCOMES)
    recognised = get("gdcac/incremental/known_entries") + get("gdcac/resume/skipped_articles")
    if finished and entries and not archived and not recognised:
        if requested:
            reasons.append(f"no article archived: {requested} article pages requested, listings showed {entries} "
                           "entries")
        else:
            reasons.append(f"no article archived or recognised: listings showed {entries} entries, none of them "
                           "a same-site article")
    failed = get("gdcac/article/failed")
    if reasons:  # nothing archived: that every fetch failed is the same fact
        return reasons
    if requested and failed / requested > policy.max_failed_article_rate:
        reasons.append(f"{failed} of {requested} article fetches failed ({_pct(failed / requested)}, "
                       f"limit {_pct(policy.max_failed_article_rate)})")
    return reasons


def _field_reasons(get: Callable[[str], int], policy: HealthPolicy) -> list[str]:
    """Watched fields that came from a fallback, or came out empty, too often; fields with the same count
    share one reason (``title, source came from a fallback in 66 of 66 articles``)."""
    checked = get("gdcac/fields/checked")
    if not checked or checked < policy.min_articles:
        return []
    over: dict[tuple[str, int], list[str]] = {}
    for field in policy.fields:
        for what, limit in (("fallback", policy.max_fallback_rate), ("empty", policy.max_empty_rate)):
            n = get(f"gdcac/fields/{field}/{what}")
            if n and n / checked > limit:
                over.setdefault((what, n), []).append(field)
    reasons = []
    for (what, n), fields in over.items():
        how, limit = (("came from a fallback", policy.max_fallback_rate) if what == "fallback"
                      else ("was empty", policy.max_empty_rate))
        reasons.append(f"{', '.join(fields)} {how} in {n} of {checked} articles "
                       f"({_pct(n / checked)}, limit {_pct(limit)})")
    return reasons


# --- the archive: a run refused because another crawl holds it; items that could not be written -------------

ARCHIVE_REFUSED = "archive_busy"
"""The finish reason of a run the archive pipeline refused at its start (another crawl held the archive past
``GDCAC_ARCHIVE_LOCK_TIMEOUT``, or it stayed locked): it wrote nothing, not even its run's row."""
ARCHIVE_REFUSED_KEY = "gdcac/archive/refused"
"""The stats key of why the run was refused (:data:`ARCHIVE_REFUSED`)."""
ARCHIVE_UNWRITTEN_KEY = "gdcac/archive/unwritten"
"""The stats key of how many items could not be written to the archive (writes that failed for good)."""
ARCHIVE_WRITE_ERROR_KEY = "gdcac/archive/write_error"
"""The stats key of the last write that failed for good, and why."""


def _archive_reasons(stats: Mapping[str, Any], get: Callable[[str], int]) -> list[str]:
    """A refused run, or items the archive lacks because their writes failed for good."""
    if stats.get(ARCHIVE_REFUSED_KEY):
        return [f"refused: {stats[ARCHIVE_REFUSED_KEY]}"]
    if unwritten := get(ARCHIVE_UNWRITTEN_KEY):
        error = stats.get(ARCHIVE_WRITE_ERROR_KEY)
        return [f"{unwritten} items could not be written to the archive" + (f" ({error})" if error else "")]
    return []


def add_late_reason(stats: Any, reason: str) -> None:
    """Make the verdict in ``stats`` (a stats collector) unhealthy for a ``reason`` found after the assessment
    (the run's own row could not be written)."""
    earlier = stats.get_value(HEALTH_REASON_KEY) if stats.get_value(HEALTH_STATUS_KEY) == Health.UNHEALTHY else None
    stats.set_value(HEALTH_STATUS_KEY, Health.UNHEALTHY.value)
    stats.set_value(HEALTH_REASON_KEY, f"{earlier}; {reason}" if earlier else reason)
    logger.error("run %s is unhealthy: %s", stats.get_value("gdcac/run_id"), reason)


def assess(stats: Mapping[str, Any], policy: HealthPolicy = HealthPolicy(),
           finish_reason: str | None = None) -> list[str]:
    """The reasons a run with these stats is unhealthy (empty: healthy), most telling first.  A run that did
    not finish (``finish_reason``, default the stats' own) is not blamed for articles it never got to."""

    def get(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    finished = (finish_reason or stats.get("finish_reason") or "finished") == "finished"
    reasons = _archive_reasons(stats, get) + _walk_reasons(stats, get)
    if not stats.get(START_ERROR_KEY):
        reasons += _article_reasons(get, policy, finished)
    blocked, kinds = blocked_count(stats)
    if blocked > policy.max_blocked:
        detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()) if n)
        reasons.append(f"{blocked} block or challenge pages" + (f" ({detail})" if detail else ""))
    reasons += _field_reasons(get, policy)
    errors = get("gdcac/archive/failed") + max(0, get("log_count/ERROR") - get("retry/max_reached"))
    if errors > policy.max_errors:
        reasons.append(f"{errors} errors (failed pages and ERROR log lines; limit {policy.max_errors})")
    return reasons


class RunHealth:
    """Assesses the run when the spider closes; the verdict goes into the stats and the log.

    Settings: ``GDCAC_HEALTH_ENABLED`` and the thresholds of :class:`HealthPolicy`.
    """

    def __init__(self, crawler: Any, policy: HealthPolicy) -> None:
        self.crawler = crawler
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunHealth:
        if not crawler.settings.getbool("GDCAC_HEALTH_ENABLED"):
            raise NotConfigured("GDCAC_HEALTH_ENABLED is off")
        ext = cls(crawler, HealthPolicy.from_settings(crawler.settings))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        reasons = assess(stats.get_stats(), self.policy, finish_reason=reason)
        run_id = getattr(spider, "run_id", None)
        if reasons:
            stats.set_value(HEALTH_STATUS_KEY, Health.UNHEALTHY.value)
            stats.set_value(HEALTH_REASON_KEY, "; ".join(reasons))
            logger.error("run %s is unhealthy: %s", run_id, "; ".join(reasons))
        else:
            stats.set_value(HEALTH_STATUS_KEY, Health.HEALTHY.value)
            logger.info("run %s is healthy", run_id)


def exit_status(stats: Mapping[str, Any]) -> tuple[ExitStatus, str | None]:
    """The exit status of a ``scrapy crawl`` that ended with these stats, and the one line that explains a
    non-zero one (see the table in this module's docstring)."""
    run_id = stats.get("gdcac/run_id") or "?"
    finish = stats.get("finish_reason")
    if stats.get(ARCHIVE_REFUSED_KEY):
        return ExitStatus.ARCHIVE_BUSY, f"Error: run {run_id} refused: {stats[ARCHIVE_REFUSED_KEY]}"
    if stats.get(HEALTH_STATUS_KEY) == Health.UNHEALTHY:
        line = f"gdcac: run {run_id} is unhealthy: {stats.get(HEALTH_REASON_KEY)}"
        if finish and finish != "finished":
            line += f" (and it did not finish: {finish})"
        return ExitStatus.UNHEALTHY, line
    if finish and finish != "finished":
        return ExitStatus.INCOMPLETE, (f"gdcac: run {run_id} did not finish ({finish}); run the same command with the "
                                 "same JOBDIR to resume it")
    return ExitStatus.OK, None
