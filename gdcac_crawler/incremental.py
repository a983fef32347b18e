"""The incremental decisions: what a run fetches, revisits or skips, and where a column's walk stops.

Pure: rows of the archive, listing entries, settings and the time in; decisions out.  The spider
(:mod:`gdcac_crawler.spiders.portal`) takes the :class:`ArchiveSnapshot` when it starts, asks these functions,
and turns their answers into requests and stats.

The rules:

* **known** — an article archived before this run and not removed (or removed by this very run): what the stop
  rule and the incremental skip call known.  **done** — an article an earlier segment of this same run (a
  resumed ``JOBDIR``) already fetched or checked: never fetched again, in either mode.
* On a listing page, an off-site entry or a link that is no article is never fetched.  In ``incremental``
  mode a known article is skipped — unless the listing shows it under another title than the one archived,
  then it is revisited; every other article is fetched.  In ``full`` mode every article not done is fetched.
* **The stop rule** (``incremental`` only): a listing page with entries of which none is a same-site article
  that is not known counts as a known page; ``GDCAC_INCREMENTAL_STOP_PAGES`` consecutive known pages end the
  column's walk.
* **Revisits** (``incremental`` only): the archived articles not removed and not done that are recent — first
  seen within ``GDCAC_REVISIT_DAYS`` (0: none) and, unless ``GDCAC_REVISIT_BACKFILLED``, published no more than
  that many days before they were first seen — get a conditional GET.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gdcac_crawler.clock import parse_time
from gdcac_crawler.items import ListingEntry

ArchivedRow = Mapping[str, Any]
"""One archived article as the spider's start-up snapshot reads it (``url``, ``first_seen_at``,
``published_at``, ``first_run_id``, ``last_run_id``, ``removed_at``, ``removed_run_id``, ``listed_title``,
``etag``, ``last_modified`` …)."""


class CrawlMode(StrEnum):
    """The crawl modes (``-a mode=...``); the first is the default."""

    INCREMENTAL = "incremental"
    """Only what is new, recently archived, or listed under a new title."""
    FULL = "full"
    """Every listing page and every article again; a complete walk marks the unlisted articles removed."""


class EntryAction(StrEnum):
    """What the walk does with one entry of a listing page."""

    OFFSITE = "offsite"
    """A link off the portal: recorded with the listing, never fetched."""
    NOT_ARTICLE = "not_article"
    """A same-site link that is no article page."""
    DONE = "done"
    """Fetched or checked by an earlier segment of this run: not again."""
    KNOWN = "known"
    """Archived before this run, listed as archived (incremental): skipped."""
    REVISIT = "revisit"
    """Archived before this run but listed under another title (incremental): a conditional GET."""
    FETCH = "fetch"
    """An article to fetch."""


@dataclass(frozen=True)
class IncrementalSettings:
    """The incremental settings of a run, read once (bounds applied)."""

    stop_pages: int
    """Consecutive known listing pages that end a column's walk (at least 1)."""
    revisit_days: float
    """The revisit window in days (0: no revisits)."""
    revisit_backfilled: bool
    """Whether articles that were already old when first seen are revisited too."""

    @classmethod
    def from_settings(cls, settings: Any) -> IncrementalSettings:
        return cls(stop_pages=max(1, settings.getint("GDCAC_INCREMENTAL_STOP_PAGES")),
                   revisit_days=max(0.0, settings.getfloat("GDCAC_REVISIT_DAYS")),
                   revisit_backfilled=settings.getbool("GDCAC_REVISIT_BACKFILLED"))


@dataclass(frozen=True)
class ArchiveSnapshot:
    """What the archive held for the site when the run started."""

    archived: dict[str, ArchivedRow] = field(default_factory=dict)
    """Every archived article of the site, by URL."""
    known: frozenset[str] = frozenset()
    """URLs archived before this run and not removed (or removed by this run)."""
    done: frozenset[str] = frozenset()
    """URLs this run already fetched or checked, in an earlier segment."""

    @classmethod
    def from_rows(cls, rows: Iterable[ArchivedRow], run_id: str) -> ArchiveSnapshot:
        """The snapshot of these archived rows, for the run ``run_id``."""
        rows = list(rows)
        return cls(
            archived={r["url"]: r for r in rows},
            known=frozenset(r["url"] for r in rows if r["first_run_id"] != run_id
                            and (r["removed_at"] is None or r.get("removed_run_id") == run_id)),
            done=frozenset(r["url"] for r in rows if r["last_run_id"] == run_id
                           or r.get("removed_run_id") == run_id),
        )


def title_changed(entry: ListingEntry, row: ArchivedRow | None) -> bool:
    """Whether the listing shows an archived article under another title than the one archived with it."""
    archived_title = (row or {}).get("listed_title")
    return bool(entry.title and archived_title and entry.title != archived_title)


def entry_action(entry: ListingEntry, snapshot: ArchiveSnapshot, *, mode: str,
                 is_article: Callable[[str], bool]) -> EntryAction:
    """What the walk does with one listing entry (``is_article``: the profile's test of an article URL)."""
    if entry.offsite:
        return EntryAction.OFFSITE
    if not is_article(entry.url):
        return EntryAction.NOT_ARTICLE
    if entry.url in snapshot.done:
        return EntryAction.DONE
    if mode == CrawlMode.INCREMENTAL and entry.url in snapshot.known:
        return EntryAction.REVISIT if title_changed(entry, snapshot.archived.get(entry.url)) else EntryAction.KNOWN
    return EntryAction.FETCH


@dataclass(frozen=True)
class ListingDecision:
    """What to do with one listing page: each entry's action, and whether the column's walk goes on."""

    actions: list[tuple[ListingEntry, EntryAction]]
    """Every entry with its action, in page order."""
    known_pages: int
    """Consecutive known pages up to and including this one (0 when this one shows an article not known)."""
    stop: bool
    """Whether the column's walk ends here (the stop rule)."""


def decide_listing(entries: Sequence[ListingEntry], snapshot: ArchiveSnapshot, *, mode: str,
                   is_article: Callable[[str], bool], known_pages_before: int, stop_pages: int) -> ListingDecision:
    """The decisions for a listing page whose walk has met ``known_pages_before`` consecutive known pages."""
    actions = [(entry, entry_action(entry, snapshot, mode=mode, is_article=is_article)) for entry in entries]
    fresh = sum(1 for entry, action in actions if action not in (EntryAction.OFFSITE, EntryAction.NOT_ARTICLE)
                and entry.url not in snapshot.known)
    known_pages = 0
    if mode == CrawlMode.INCREMENTAL and entries and not fresh:
        known_pages = known_pages_before + 1
    return ListingDecision(actions=actions, known_pages=known_pages, stop=known_pages > 0 and known_pages >= stop_pages)


def is_recent(row: ArchivedRow, now: datetime, *, revisit_days: float, revisit_backfilled: bool) -> bool:
    """Whether an archived article is recent enough to revisit at ``now``: first seen within ``revisit_days``
    and, unless ``revisit_backfilled``, published no more than that many days before it was first seen (an
    old article archived late, e.g. by the first full run, is not recent)."""
    if revisit_days <= 0:
        return False
    window = timedelta(days=revisit_days)
    first_seen = parse_time(row.get("first_seen_at"))
    if first_seen is None or first_seen < now - window:
        return False
    if revisit_backfilled:
        return True
    published = parse_time(row.get("published_at"))
    return published is None or published >= first_seen - window


def due_revisits(snapshot: ArchiveSnapshot, now: datetime, *, mode: str, revisit_days: float,
                 revisit_backfilled: bool) -> Iterator[tuple[str, ArchivedRow]]:
    """The archived articles to revisit with a conditional GET at ``now``, by URL (incremental mode only):
    recent, not removed, not done by an earlier segment of the run."""
    if mode != CrawlMode.INCREMENTAL:
        return
    for url, row in sorted(snapshot.archived.items()):
        if row["removed_at"] is None and url not in snapshot.done and is_recent(
                row, now, revisit_days=revisit_days, revisit_backfilled=revisit_backfilled):
            yield url, row
