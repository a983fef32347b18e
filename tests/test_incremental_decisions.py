"""The incremental decisions as pure functions, rule by rule (README "Incremental and full runs" and the
``GDCAC_INCREMENTAL_STOP_PAGES`` / ``GDCAC_REVISIT_*`` settings): no crawler, no HTTP, no archive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.settings import Settings

from gdcac_crawler.incremental import (
    ArchiveSnapshot,
    CrawlMode,
    EntryAction,
    IncrementalSettings,
    decide_listing,
    due_revisits,
    entry_action,
    is_recent,
)
from gdcac_crawler.items import ListingEntry

RUN = "run-now"
SITE = "https://www.gdcac.gov.cn"
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
INC, FULL = CrawlMode.INCREMENTAL, CrawlMode.FULL


def url(n: int) -> str:
    return f"{SITE}/zcfg/zcjd/content/post_{n}.html"


def row(n: int, *, run: str = "run-old", last_run: str | None = None, removed_at: str | None = None,
        removed_run: str | None = None, title: str | None = "t", first_seen: str = "2020-01-01T00:00:00.000Z",
        published: str | None = "2019-12-31T10:00:00+08:00") -> dict[str, Any]:
    return {"url": url(n), "first_run_id": run, "last_run_id": last_run or run, "removed_at": removed_at,
            "removed_run_id": removed_run, "listed_title": title, "first_seen_at": first_seen,
            "published_at": published}


def entry(n: int, title: str = "t", *, offsite: bool = False) -> ListingEntry:
    return ListingEntry(url=url(n), title=title, listed_date=None, position=n, offsite=offsite)


def is_article(u: str) -> bool:
    return "/content/" in u


def action(e: ListingEntry, snapshot: ArchiveSnapshot, mode: str = INC) -> EntryAction:
    return entry_action(e, snapshot, mode=mode, is_article=is_article)


def listing(entries: list[ListingEntry], snapshot: ArchiveSnapshot, *, mode: str = INC, before: int = 0,
            stop_pages: int = 1):
    return decide_listing(entries, snapshot, mode=mode, is_article=is_article, known_pages_before=before,
                          stop_pages=stop_pages)


# --- what counts as known, and as done ---------------------------------------------------------------------


def test_known_means_archived_before_this_run_and_not_removed() -> None:
    snapshot = ArchiveSnapshot.from_rows([
        row(1),  # archived by an earlier run
        row(2, run=RUN),  # first archived by this run (an earlier segment of it)
        row(3, removed_at="2026-01-01T00:00:00Z", removed_run="run-old"),  # removed by an earlier run
        row(4, removed_at="2026-11-29T00:00:00Z", removed_run=RUN),  # removed by this very run
    ], RUN)
    assert snapshot.known == {url(1), url(4)}
    assert set(snapshot.archived) == {url(1), url(2), url(3), url(4)}


def test_done_means_fetched_or_checked_by_this_run_already() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1), row(2, last_run=RUN), row(3, run=RUN),
                                          row(4, removed_at="2026-11-29T00:00:00Z", removed_run=RUN)], RUN)
    assert snapshot.done == {url(2), url(3), url(4)}


# --- what each listing entry gets ----------------------------------------------------------------------------


def test_incremental_skips_known_articles_and_fetches_the_rest() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1), row(3, removed_at="2026-01-01T00:00:00Z", removed_run="x")], RUN)
    assert action(entry(1), snapshot) == EntryAction.KNOWN
    assert action(entry(2), snapshot) == EntryAction.FETCH  # never archived
    assert action(entry(3), snapshot) == EntryAction.FETCH  # removed earlier, listed again: fetched


def test_full_fetches_known_articles_again() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1)], RUN)
    assert action(entry(1), snapshot, FULL) == EntryAction.FETCH
    assert action(entry(1, "another title"), snapshot, FULL) == EntryAction.FETCH


def test_a_known_article_listed_under_another_title_is_revisited() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1, title="old title"), row(2, title=None)], RUN)
    assert action(entry(1, "new title"), snapshot) == EntryAction.REVISIT
    assert action(entry(1, "old title"), snapshot) == EntryAction.KNOWN
    assert action(entry(1, ""), snapshot) == EntryAction.KNOWN  # the listing shows no title: nothing to compare
    assert action(entry(2, "a title"), snapshot) == EntryAction.KNOWN  # none archived: nothing to compare


def test_what_this_run_already_did_is_not_fetched_again_in_either_mode() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1, last_run=RUN), row(2, run=RUN)], RUN)
    for mode in (INC, FULL):
        assert action(entry(1), snapshot, mode) == EntryAction.DONE
        assert action(entry(2, "another title"), snapshot, mode) == EntryAction.DONE


def test_offsite_links_and_non_articles_are_never_fetched() -> None:
    snapshot = ArchiveSnapshot()
    for mode in (INC, FULL):
        assert action(entry(1, offsite=True), snapshot, mode) == EntryAction.OFFSITE
        assert action(ListingEntry(url=f"{SITE}/zcfg/index.html", title="x", listed_date=None, position=1),
                      snapshot, mode) == EntryAction.NOT_ARTICLE


# --- the stop rule ---------------------------------------------------------------------------------------


def test_a_page_of_only_known_articles_stops_the_column() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1), row(2)], RUN)
    decision = listing([entry(1), entry(2)], snapshot)
    assert decision.stop and decision.known_pages == 1
    assert [a for _, a in decision.actions] == [EntryAction.KNOWN, EntryAction.KNOWN]


def test_stop_pages_counts_consecutive_known_pages() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1), row(2)], RUN)
    first = listing([entry(1)], snapshot, stop_pages=2)
    assert not first.stop and first.known_pages == 1
    second = listing([entry(2)], snapshot, before=first.known_pages, stop_pages=2)
    assert second.stop and second.known_pages == 2


def test_a_page_with_an_article_not_known_resets_the_count_and_the_walk_goes_on() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1)], RUN)
    decision = listing([entry(1), entry(2)], snapshot, before=3, stop_pages=5)
    assert not decision.stop and decision.known_pages == 0
    assert [a for _, a in decision.actions] == [EntryAction.KNOWN, EntryAction.FETCH]


def test_articles_this_run_archived_are_not_known_so_their_page_does_not_stop_the_walk() -> None:
    # a resumed run: its earlier segment archived the page's articles, which are done but not known
    snapshot = ArchiveSnapshot.from_rows([row(1, run=RUN)], RUN)
    decision = listing([entry(1)], snapshot)
    assert not decision.stop and decision.actions == [(entry(1), EntryAction.DONE)]


def test_off_site_and_non_article_entries_do_not_keep_a_column_walking() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1)], RUN)
    decision = listing([entry(1), entry(2, offsite=True)], snapshot)
    assert decision.stop


def test_full_mode_and_empty_pages_never_stop_a_column() -> None:
    snapshot = ArchiveSnapshot.from_rows([row(1)], RUN)
    full = listing([entry(1)], snapshot, mode=FULL, before=4)
    assert not full.stop and full.known_pages == 0
    empty = listing([], snapshot, before=4)
    assert not empty.stop and empty.known_pages == 0


# --- the revisit window ----------------------------------------------------------------------------------


def recent(r: dict[str, Any], days: float = 7, backfilled: bool = False) -> bool:
    return is_recent(r, NOW, revisit_days=days, revisit_backfilled=backfilled)


def test_articles_first_seen_and_published_within_the_window_are_recent() -> None:
    assert recent(row(1, first_seen="2026-11-25T00:00:00Z", published="2026-11-24T10:00:00+08:00"))
    assert not recent(row(1, first_seen="2026-11-20T00:00:00Z", published="2026-11-20T10:00:00+08:00"))


def test_a_backfilled_article_is_recent_only_with_revisit_backfilled() -> None:
    backfilled = row(1, first_seen="2026-11-28T00:00:00Z", published="2021-01-01T10:00:00+08:00")
    assert not recent(backfilled)
    assert recent(backfilled, backfilled=True)
    # backfilled or not, the first capture must be within the window
    assert not recent(row(1, first_seen="2026-01-01T00:00:00Z", published=None), backfilled=True)


def test_without_a_publish_date_the_first_capture_decides() -> None:
    assert recent(row(1, first_seen="2026-11-29T08:00:00Z", published=None))


def test_revisit_days_zero_turns_revisits_off() -> None:
    assert not recent(row(1, first_seen="2026-11-29T12:00:00Z", published=None), days=0, backfilled=True)


def test_due_revisits_are_the_recent_articles_not_removed_nor_done() -> None:
    fresh = {"first_seen": "2026-11-29T08:00:00.000Z", "published": None}
    snapshot = ArchiveSnapshot.from_rows([
        row(5, **fresh), row(1, **fresh),  # recent: revisited, in URL order
        row(2, removed_at="2026-11-29T09:00:00Z", removed_run="run-old", **fresh),  # removed
        row(3, last_run=RUN, **fresh),  # done by this run already
        row(4),  # first seen long ago
    ], RUN)
    due = list(due_revisits(snapshot, NOW, mode=INC, revisit_days=7, revisit_backfilled=False))
    assert [u for u, _ in due] == [url(1), url(5)]
    assert list(due_revisits(snapshot, NOW, mode=FULL, revisit_days=7, revisit_backfilled=True)) == []


# --- the settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, expected", [
    ({"GDCAC_INCREMENTAL_STOP_PAGES": 3, "GDCAC_REVISIT_DAYS": 2.5, "GDCAC_REVISIT_BACKFILLED": True}, (3, 2.5, True)),
    ({"GDCAC_INCREMENTAL_STOP_PAGES": 0, "GDCAC_REVISIT_DAYS": -1, "GDCAC_REVISIT_BACKFILLED": False}, (1, 0.0, False)),
])
def test_settings_are_read_with_their_bounds(values: dict[str, Any], expected: tuple) -> None:
    read = IncrementalSettings.from_settings(Settings(values))
    assert (read.stop_pages, read.revisit_days, read.revisit_backfilled) == expected
