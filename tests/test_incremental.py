"""Incremental and full runs: state 1 then state 2 of the mirror, counted at the mirror and in the archive.

One mirror of its own (module-scoped), so that switching its state never reaches the session's ``mirror``.
The crawls run in subprocesses (``scrapy crawl gdcac``), as cron runs them; the spider's decisions and the
archive's revisit writes are also tested in-process, without HTTP.
"""

from __future__ import annotations

import functools
import pickle
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from gdcac_crawler.archive import Archive, article_id
from gdcac_crawler.cli import main
from gdcac_crawler.incremental import is_recent
from gdcac_crawler.items import ArticleCheck, ArticleItem, ListingEntry, ListingItem
from gdcac_crawler.spiders import revisits as revisits_module
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from tests.factories import make_fetch

BASE = "http://127.0.0.1:8999"
LIVE = "https://www.cagd.gov.cn"
ZCJD = f"{LIVE}/zcfg/zcjd/index.html"
#: A revisit window that covers every article of the mirror (published 2022–2025), first-run captures too.
REVISIT_ALL = {"GDCAC_REVISIT_DAYS": "36500", "GDCAC_REVISIT_BACKFILLED": "True"}


def copy_archive(src: Path, dst: Path) -> None:
    """A consistent copy of a closed archive (the backup API folds in the WAL)."""
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)


def rows(db: Path, sql: str, *args: Any) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def run_row(db: Path, run_id: str) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone())
    finally:
        conn.close()


def counts(row: dict[str, Any]) -> dict[str, int]:
    keys = ("listing_pages", "articles_new", "articles_changed", "articles_unchanged", "articles_not_modified",
            "articles_removed", "articles_failed")
    return {k: row[k] for k in keys}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, crawl_mirror) -> Iterator[dict[str, Any]]:
    """Run 1 (full, state 1); run 2 (incremental, state 1, nothing changed); then state 2: run 3 incremental
    with every article in the revisit window, and — on a copy of the archive after run 2 — run 3f full."""
    tmp = tmp_path_factory.mktemp("incremental")
    inc, full = tmp / "incremental.sqlite", tmp / "full.sqlite"
    out: dict[str, Any] = {"inc": inc, "full": full}
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.reset_stats()
        crawl_mirror(mirror, inc, "-a", "run_id=run-1", "-s", "LOG_LEVEL=WARNING", "-a", "mode=full", check=True)
        out["run1_requests"] = mirror.stats()
        mirror.reset_stats()
        crawl_mirror(mirror, inc, "-a", "run_id=run-2", "-s", "LOG_LEVEL=WARNING", check=True)
        out["run2_requests"] = mirror.stats()
        copy_archive(inc, full)
        mirror.set_state(2)
        mirror.reset_stats()
        crawl_mirror(mirror, inc, "-a", "run_id=run-3", "-s", "LOG_LEVEL=WARNING", settings=REVISIT_ALL, check=True)
        out["run3_requests"] = mirror.stats()
        crawl_mirror(mirror, full, "-a", "run_id=run-3f", "-s", "LOG_LEVEL=WARNING", "-a", "mode=full", check=True)
    yield out


def recent(s, row, now) -> bool:
    """Whether the spider's settings make ``row`` recent enough to revisit at ``now``."""
    return is_recent(row, now, revisit_days=s.revisit_days, revisit_backfilled=s.revisit_backfilled)


def test_unchanged_rerun_issues_only_listing_requests(runs) -> None:
    manifest = load_manifest()
    first_pages = {c["path"] for c in manifest["columns"]}
    requests = runs["run2_requests"]
    assert set(requests["by_path"]) == {"/robots.txt", "/zcfg/"} | first_pages
    assert requests["requests"] == 2 + len(manifest["columns"])  # O(columns): nothing else
    assert runs["run1_requests"]["requests"] > 10 * requests["requests"]
    row = run_row(runs["inc"], "run-2")
    assert row["mode"] == "incremental" and row["finish_reason"] == "finished" and row["healthy"] == 1
    assert counts(row) == {"listing_pages": 3, "articles_new": 0, "articles_changed": 0, "articles_unchanged": 0,
                           "articles_not_modified": 0, "articles_removed": 0, "articles_failed": 0}
    assert rows(runs["inc"], "SELECT count(*) FROM pages WHERE run_id = 'run-2'")[0][0] == 1 + 3  # section, listings


def test_state2_incremental_run_counts_exactly_the_changes(runs) -> None:
    changes = load_manifest(state=2)["changes"]
    row = run_row(runs["inc"], "run-3")
    assert counts(row) == {
        "listing_pages": 4,  # 政策解读 pages 1 and 2 (page 1 shows the new article), the other columns' page 1
        "articles_new": changes["counts"]["new"],
        "articles_changed": changes["counts"]["changed"],
        "articles_unchanged": 0,
        "articles_not_modified": changes["counts"]["unchanged_articles"],
        "articles_removed": changes["counts"]["removed"],
        "articles_failed": 0,
    }
    assert (row["articles_new"], row["articles_changed"], row["articles_removed"]) == (1, 3, 1)
    assert row["healthy"] == 1 and row["health"] is None
    # every revisit was a conditional GET: the unchanged answered 304, recorded without a body
    statuses = dict(rows(runs["inc"], "SELECT status, count(*) FROM pages WHERE run_id = 'run-3' AND kind = 'article' "
                                      "GROUP BY status"))
    assert statuses == {200: 4, 304: changes["counts"]["unchanged_articles"], 404: 1}
    assert rows(runs["inc"], "SELECT count(*) FROM pages WHERE run_id = 'run-3' AND status = 304 "
                             "AND sha256 IS NOT NULL")[0][0] == 0
    listing_paths = {p for p in runs["run3_requests"]["by_path"] if "/content/" not in p}
    assert listing_paths == {"/robots.txt", "/zcfg/", "/zcfg/zcjd/index.html", "/zcfg/zcjd/index_2.html",
                             "/zcfg/flfg/index.html", "/zcfg/gfxwj/index.html"}


def test_state2_full_run_counts_exactly_the_changes(runs) -> None:
    manifest2 = load_manifest(state=2)
    changes = manifest2["changes"]
    row = run_row(runs["full"], "run-3f")
    assert counts(row) == {
        "listing_pages": sum(c["pages"] for c in manifest2["columns"]),
        "articles_new": 1, "articles_changed": 3,
        "articles_unchanged": changes["counts"]["unchanged_articles"],
        "articles_not_modified": 0, "articles_removed": 1, "articles_failed": 0,
    }
    assert row["mode"] == "full" and row["healthy"] == 1


@pytest.mark.parametrize("which, run_id", [("inc", "run-3"), ("full", "run-3f")])
def test_versions_after_state2(runs, which, run_id) -> None:
    db = runs[which]
    changes = load_manifest(state=2)["changes"]
    n1 = load_manifest()["counts"]["articles"]
    # nothing deleted: every state-1 article plus the new one; one version each plus one per change
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == n1 + 1
    assert rows(db, "SELECT count(*) FROM article_versions")[0][0] == n1 + 1 + 3
    for change in changes["changed"]:
        aid = article_id(change["url"])
        (version, _changed_at, current_hash), = rows(db, "SELECT version, changed_at, content_hash FROM articles "
                                                        "WHERE id = ?", aid)
        versions = rows(db, "SELECT version, content_hash, run_id, title, source, body_text FROM article_versions "
                            "WHERE article_id = ? ORDER BY version", aid)
        assert version == 2 and [v[0] for v in versions] == [1, 2] and versions[1][2] == run_id
        assert versions[0][1] != versions[1][1] == current_hash
        before, after = versions
        field = change["field"]
        if field == "title":
            assert (before[3], after[3]) == (change["before"], change["after"])
        elif field == "source":
            assert (before[4], after[4]) == (change["before"], change["after"])
        else:
            assert (before[5].split("\n"), after[5].split("\n")) == (change["before"], change["after"])
    (new,) = changes["new"]
    assert rows(db, "SELECT version, first_run_id, title FROM articles WHERE url = ?", new["url"]) == [
        (1, run_id, new["title"])]
    (gone,) = changes["removed"]
    removed = rows(db, "SELECT removed_at IS NOT NULL, removed_run_id, version FROM articles WHERE url = ?",
                   gone["url"])
    assert removed == [(1, run_id, 1)]
    assert rows(db, "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL")[0][0] == 1
    # unchanged articles: still version 1, and their last_seen_at moved to this run
    assert rows(db, "SELECT count(*) FROM articles WHERE version = 1 AND removed_at IS NULL AND last_run_id = ?",
                run_id)[0][0] == changes["counts"]["unchanged_articles"] + 1


def test_incremental_and_full_agree_on_the_content(runs) -> None:
    sql = "SELECT id, content_hash, version, removed_at IS NOT NULL FROM articles ORDER BY id"
    assert rows(runs["inc"], sql) == rows(runs["full"], sql)


def test_history_shows_versions_and_a_diff(runs) -> None:
    change = next(c for c in load_manifest(state=2)["changes"]["changed"] if c["field"] == "title")
    result = CliRunner().invoke(main, ["history", change["url"], "--db", str(runs["inc"])])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"article {article_id(change['url'])}  {change['url']}"
    assert sum(line.startswith("version ") for line in lines) == 2
    assert f"-title: {change['before']}" in lines and f"+title: {change['after']}" in lines
    by_id = CliRunner().invoke(main, ["history", article_id(change["url"]), "--db", str(runs["inc"]), "--no-diff"])
    assert by_id.exit_code == 0 and "+title" not in by_id.output
    missing = CliRunner().invoke(main, ["history", "https://www.cagd.gov.cn/none.html", "--db", str(runs["inc"])])
    assert missing.exit_code != 0 and "no article" in missing.output


# --- the spider's decisions, in-process ------------------------------------------------------------------


@pytest.fixture
def spider():
    def make(mode: str = "incremental", **settings: Any) -> GdcacSpider:
        crawler = get_crawler(GdcacSpider, settings)
        crawler.spider = GdcacSpider.from_crawler(crawler, base_url=BASE, run_id="run-now", mode=mode)
        return crawler.spider
    return make


def page(path: str, status: int = 200, body: bytes | None = None, meta: dict | None = None) -> HtmlResponse:
    url = BASE + path
    if body is None:
        body = (SITE_DIR / path.lstrip("/")).read_bytes()
    return HtmlResponse(url=url, body=body, status=status, request=Request(url, meta=meta or {}),
                        headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"e2"'})


def archived(url: str, *, run: str = "run-old", first_seen: str = "2020-01-01T00:00:00.000Z",
             published: str | None = "2019-12-31T10:00:00+08:00", **kw: Any) -> dict[str, Any]:
    row = {"id": article_id(url), "url": url, "column_name": "政策解读", "published_at": published,
           "first_seen_at": first_seen, "last_seen_at": first_seen, "first_run_id": run, "last_run_id": run,
           "etag": '"e1"', "last_modified": "Wed, 01 Jan 2020 00:00:00 GMT", "listed_title": "t",
           "listed_date": "2019-12-31", "removed_at": None, "removed_run_id": None}
    row.update(kw)
    return row


def entry_urls(path: str) -> list[str]:
    return [e["url"] for c in load_manifest()["columns"] for p in c["listing_pages"] if p["path"] == path
            for e in p["entries"] if not e["offsite"]]


def split(results) -> tuple[list[Request], list[Any]]:
    results = list(results)
    return [r for r in results if isinstance(r, Request)], [r for r in results if not isinstance(r, Request)]


def listing_kwargs(page_no: int) -> dict[str, Any]:
    return {"column": "政策解读", "column_url": ZCJD, "page_no": page_no, "first_page_size": 8}


def titled(path: str) -> list[dict[str, Any]]:
    entries = [e for c in load_manifest()["columns"] for p in c["listing_pages"] if p["path"] == path
               for e in p["entries"] if not e["offsite"]]
    return [archived(e["url"], listed_title=e["title"]) for e in entries]


def test_a_page_of_known_articles_stops_the_column(spider) -> None:
    s = spider()
    s.load_archive_state(titled("/zcfg/zcjd/index.html"))
    requests, items = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    assert requests == [] and isinstance(items[0], ListingItem)
    assert s.crawler.stats.get_value("gdcac/incremental/columns_stopped") == 1


def test_stop_pages_counts_consecutive_known_pages(spider) -> None:
    s = spider(GDCAC_INCREMENTAL_STOP_PAGES=2)
    s.load_archive_state(titled("/zcfg/zcjd/index.html") + titled("/zcfg/zcjd/index_2.html"))
    requests, _ = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    assert [r.url for r in requests] == [f"{BASE}/zcfg/zcjd/index_2.html"]
    assert requests[0].meta["gdcac_known_pages"] == 1
    second = page("/zcfg/zcjd/index_2.html", meta=requests[0].meta)
    requests, _ = split(s.parse_listing(second, **listing_kwargs(2)))
    assert requests == []


def test_new_articles_are_fetched_and_the_walk_goes_on(spider) -> None:
    s = spider()
    known = titled("/zcfg/zcjd/index.html")
    s.load_archive_state(known[1:])  # the newest article is not archived yet
    requests, _ = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    assert [r.url for r in requests if r.callback == s.parse_article] == [known[0]["url"].replace(LIVE, BASE)]
    follow = [r for r in requests if r.callback == s.parse_listing]
    assert [r.url for r in follow] == [f"{BASE}/zcfg/zcjd/index_2.html"] and follow[0].meta["gdcac_known_pages"] == 0


def test_full_mode_fetches_known_articles_again(spider) -> None:
    s = spider("full")
    s.load_archive_state(titled("/zcfg/zcjd/index.html"))
    requests, _ = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    assert len([r for r in requests if r.callback == s.parse_article]) == 8
    assert any(r.callback == s.parse_listing for r in requests)
    assert list(s.revisit_requests()) == []  # full mode fetches; it never revisits conditionally


def test_a_changed_listed_title_triggers_a_conditional_revisit(spider) -> None:
    s = spider()
    known = titled("/zcfg/zcjd/index.html")
    known[2]["listed_title"] = "an older title"
    s.load_archive_state(known)
    requests, _ = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    (revisit,) = requests
    assert revisit.url == known[2]["url"].replace(LIVE, BASE) and revisit.meta["gdcac_revisit"] is True
    assert revisit.headers.get("If-None-Match") == b'"e1"'


def test_recent_articles_are_revisited_with_conditional_requests(spider, monkeypatch) -> None:
    s = spider(GDCAC_REVISIT_DAYS=7)
    now = "2026-11-29T08:00:00.000Z"
    urls = [f"{LIVE}/zcfg/zcjd/content/post_{n}.html" for n in range(1, 7)]
    s.load_archive_state([
        archived(urls[0], first_seen=now, published="2026-11-28T10:00:00+08:00"),  # new and recent: revisit
        archived(urls[1], first_seen=now, published=None),  # no publish date: first capture decides
        archived(urls[2], first_seen=now, published="2021-01-01T10:00:00+08:00"),  # backfilled: not recent
        archived(urls[3]),  # first seen long ago
        archived(urls[4], first_seen=now, published=None, removed_at=now),  # removed: never revisited
        archived(urls[5], first_seen=now, published=None, last_run_id="run-now"),  # done in this run already
    ])
    clock = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert [recent(s, s.snapshot.archived[u], clock) for u in urls[:4]] == [True, True, False, False]
    s.revisit_backfilled = True
    assert recent(s, s.snapshot.archived[urls[2]], clock)
    s.revisit_backfilled = False

    class Clock(datetime):  # revisit_requests reads the wall clock: pin it to the test's
        @classmethod
        def now(cls, tz=None):
            return clock

    monkeypatch.setattr(revisits_module, "datetime", Clock)
    revisits = [r for r in s.revisit_requests() if r.url in {u.replace(LIVE, BASE) for u in urls[:2]}]
    assert len(revisits) == 2
    # exactly the recent two: not the backfilled, the old, the removed, nor the one done in this run
    assert [r.url for r in s.revisit_requests()] == [u.replace(LIVE, BASE) for u in urls[:2]]
    for r in revisits:
        assert r.headers.get("If-None-Match") == b'"e1"'
        assert r.headers.get("If-Modified-Since") == b"Wed, 01 Jan 2020 00:00:00 GMT"
        assert r.meta["handle_httpstatus_list"] == [304, 404, 410] and r.callback == s.parse_article
        assert r.cb_kwargs == {"column": "政策解读", "listed_title": "t", "listed_date": "2019-12-31"}
    assert recent(spider(GDCAC_REVISIT_DAYS=0), s.snapshot.archived[urls[0]], clock) is False


def test_revisit_answers_become_checks(spider) -> None:
    s = spider()
    path = "/zcfg/zcjd/content/post_2107282.html"
    meta = {"gdcac_revisit": True, "gdcac_kind": "article"}
    not_modified = Response(BASE + path, status=304, headers={"ETag": '"e1"'}, request=Request(BASE + path, meta=meta))
    (check,) = s.parse_article(not_modified, column="政策解读", listed_title=None, listed_date=None)
    assert isinstance(check, ArticleCheck) and check.outcome == "not_modified" and check.url == LIVE + path
    assert check.fetch.status == 304 and check.fetch.body is None and check.fetch.sha256 is None
    gone = page(path, status=404, body=b"<html>404</html>", meta=meta)
    (check,) = s.parse_article(gone, column="政策解读", listed_title=None, listed_date=None)
    assert check.outcome == "removed" and check.fetch.status == 404 and "gone" in check.fetch.error
    (item,) = s.parse_article(page(path, meta=meta), column="政策解读", listed_title="t", listed_date=None)
    assert isinstance(item, ArticleItem) and item.title


def test_requests_survive_the_jobdir_queue(spider) -> None:
    """Every request the walk makes is serialisable as Scrapy's disk queue stores it (no lambdas, plain
    cb_kwargs and meta), and comes back with the same callback."""
    s = spider(GDCAC_REVISIT_DAYS=7)
    s.load_archive_state([archived(f"{LIVE}/zcfg/zcjd/content/post_1.html", first_seen="2026-11-29T00:00:00Z",
                                   published=None)])
    made = list(s.revisit_requests())
    made += split(s.parse_section(page("/zcfg/index.html")))[0]
    made += split(s.parse_listing(page("/zcfg/zcjd/index_3.html"), **listing_kwargs(3)))[0]
    assert len(made) > 10
    for request in made:
        back = request_from_dict(pickle.loads(pickle.dumps(request.to_dict(spider=s), protocol=4)), spider=s)
        assert back.callback == request.callback and back.errback == s.on_error
        assert back.cb_kwargs == request.cb_kwargs and back.meta == request.meta and back.headers == request.headers


def test_articles_done_before_a_resume_are_not_fetched_again(spider) -> None:
    s = spider("full")
    urls = entry_urls("/zcfg/zcjd/index.html")
    s.load_archive_state([archived(urls[0], run="run-now"), archived(urls[1], last_run_id="run-now")])
    assert s.snapshot.done == {urls[0], urls[1]} and urls[0] not in s.snapshot.known and urls[1] in s.snapshot.known
    requests, _ = split(s.parse_listing(page("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    fetched = {r.url for r in requests if r.callback == s.parse_article}
    assert len(fetched) == 6 and urls[0].replace(LIVE, BASE) not in fetched


# --- the archive's revisit writes -------------------------------------------------------------------------


#: The revisit writes' fetches: run r2 unless told, an ETag, no Content-Type.
fetch = functools.partial(make_fetch, run_id="r2", body=b"<html>x</html>", content_type=None, encoding=None,
                          etag='"e"')


def test_not_modified_moves_only_last_seen(tmp_path) -> None:
    url = f"{LIVE}/zcfg/zcjd/content/post_1.html"
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.add_article(ArticleItem(url=url, site="gdcac", title="t", body_text="b",
                                        fetch=fetch(url, at="2026-01-01T00:00:00Z", run_id="r1")))
        before = archive.get_article(url)
        assert archive.mark_not_modified(url, fetch(url, at="2026-02-01T00:00:00Z", status=304, body=None),
                                         site="gdcac") == "not_modified"
        after = archive.get_article(url)
        assert after["last_seen_at"] == "2026-02-01T00:00:00Z" and after["last_run_id"] == "r2"
        assert {k: v for k, v in after.items() if k not in ("last_seen_at", "last_run_id")} == \
            {k: v for k, v in before.items() if k not in ("last_seen_at", "last_run_id")}
        assert len(archive.article_versions(url)) == 1
        assert archive.mark_not_modified(LIVE + "/x.html",
                                         fetch(LIVE + "/x.html", at="2026-02-01T00:00:00Z", status=304, body=None),
                                         site="gdcac") == "unknown"
        assert archive.run_counts("r2")["not_modified"] == 2


def test_removed_is_marked_never_deleted_and_restored_when_back(tmp_path) -> None:
    url = f"{LIVE}/zcfg/zcjd/content/post_1.html"
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.add_article(ArticleItem(url=url, site="gdcac", title="t", body_text="b",
                                        fetch=fetch(url, at="2026-01-01T00:00:00Z", run_id="r1")))
        assert archive.mark_removed(url, fetch(url, at="2026-02-01T00:00:00Z", status=404, body=b"gone"),
                                    site="gdcac") == "removed"
        assert archive.mark_removed(url, fetch(url, at="2026-02-02T00:00:00Z", status=404, body=b"gone"),
                                    site="gdcac") == "already_removed"
        row = archive.get_article(url)
        assert row["removed_at"] == "2026-02-01T00:00:00Z" and row["removed_run_id"] == "r2"
        assert archive.article_count() == 1 and len(archive.article_versions(url)) == 1
        assert archive.run_counts("r2")["removed"] == 1 and archive.run_counts("r2")["failed"] == 0
        assert archive.restore_article(url) is True and archive.get_article(url)["removed_at"] is None
        assert archive.restore_article(url) is False


def test_unlisted_articles_are_what_a_full_walk_did_not_see(tmp_path) -> None:
    urls = [f"{LIVE}/zcfg/zcjd/content/post_{n}.html" for n in range(3)]
    with Archive(tmp_path / "a.sqlite") as archive:
        for url in urls:
            archive.add_article(ArticleItem(url=url, site="gdcac", title="t", body_text=url, column="政策解读",
                                            fetch=fetch(url, at="2026-01-01T00:00:00Z", run_id="r1")))
        archive.add_listing(ListingItem(url=ZCJD, site="gdcac", column="政策解读", column_url=ZCJD, page_no=1,
                                        entries=[ListingEntry(url=u, title="t", listed_date=None, position=i + 1)
                                                 for i, u in enumerate(urls[:2])],
                                        fetch=fetch(ZCJD, at="2026-02-01T00:00:00Z", run_id="r2")))
        found = archive.unlisted_articles("gdcac", "r2")
        assert found == {"urls": [urls[2]], "considered": 3}
        assert archive.mark_unlisted_removed(found["urls"], run_id="r2", removed_at="2026-02-01T00:00:01Z") == 1
        assert archive.unlisted_articles("gdcac", "r2") == {"urls": [], "considered": 2}
        assert archive.unlisted_articles("gdcac", "r-none") == {"urls": [], "considered": 0}
