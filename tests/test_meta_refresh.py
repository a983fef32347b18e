"""Meta refreshes follow the redirect guard: two full runs of the mirror into one archive, the second with
listing pages and an article that answer 200 with ``<meta http-equiv="refresh" content="0;url=…">`` — off the
site, and back to themselves.

Left to Scrapy's MetaRefreshMiddleware, the refreshed requests are dropped by the off-site and the duplicate
filters without a trace: no ``pages`` row, the walk looks complete, and the second full run marks the five
live articles those two listing pages show as removed (5 of 66, under the 20 % that would stop it).  Under
the guard each refused page is one ``error`` row with its reason, the walk is incomplete, and nothing is
marked removed.  The run itself stays healthy: a refused listing page counts as a failed one, and one failed
page past a column's first is not a failure of the site (a column whose first page is refused is: see
``test_a_column_whose_first_page_refreshes_away_makes_the_run_unhealthy``).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator

import pytest

from gdcac_crawler.extensions.health import ExitStatus
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest

MANIFEST = load_manifest()
OFFSITE_LISTING = "/zcfg/zcjd/index_6.html"
"""The last page of 政策解读 (2 articles): refreshes to https://example.invalid in the second run."""
SELF_LISTING = "/zcfg/gfxwj/index_2.html"
"""The last page of 规范性文件 (3 articles): refreshes to itself."""
ARTICLE = next(a for a in MANIFEST["articles"] if a["listing"]["path"] == "/zcfg/flfg/index.html")
"""An article on the first page of 法律法规: refreshes to itself."""
SETTINGS = {"LOG_LEVEL": "INFO"}


def rows(db, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, crawl_mirror) -> Iterator[tuple[str, subprocess.CompletedProcess, str]]:
    db = str(tmp_path_factory.mktemp("meta_refresh") / "archive.sqlite")
    with MirrorProcess(SITE_DIR) as mirror:
        crawl_mirror(mirror, db, "-a", "mode=full", "-a", "run_id=first", settings=SETTINGS, check=True)
        mirror.set_faults([{"path": OFFSITE_LISTING, "fault": "meta_refresh_offsite"},
                           {"path": SELF_LISTING, "fault": "meta_refresh_self"},
                           {"path": ARTICLE["path"], "fault": "meta_refresh_self"}])
        second = crawl_mirror(mirror, db, "-a", "mode=full", "-a", "run_id=second", settings=SETTINGS)
        yield db, second, mirror.base_url


def test_the_first_run_archived_every_article(runs) -> None:
    db, _, _ = runs
    assert rows(db, "SELECT count(*) FROM articles WHERE first_run_id = 'first'")[0][0] == len(MANIFEST["articles"])


def test_no_live_article_is_marked_removed(runs) -> None:
    db, _, _ = runs
    assert rows(db, "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL")[0][0] == 0
    assert rows(db, "SELECT articles_removed FROM runs WHERE id = 'second'")[0][0] == 0


@pytest.mark.parametrize("path, reason", [
    (OFFSITE_LISTING, f"meta refresh off-site to https://example.invalid{OFFSITE_LISTING} (listing page)"),
    (SELF_LISTING, "meta refresh loop back to http://127.0.0.1:{port}" + SELF_LISTING + " (listing page)"),
    (ARTICLE["path"], "meta refresh loop back to http://127.0.0.1:{port}" + ARTICLE["path"] + " (article page)"),
])
def test_each_refused_page_is_one_row_with_its_reason(runs, path: str, reason: str) -> None:
    db, _, base_url = runs
    found = rows(db, "SELECT kind, status, error FROM pages WHERE run_id = 'second' AND url LIKE ?", "%" + path)
    assert [tuple(r) for r in found] == [("error", 200, reason.format(port=base_url.rsplit(":", 1)[1]))]


def test_the_walk_is_incomplete_and_says_so(runs) -> None:
    db, second, _ = runs
    assert "the walk was not complete" in second.stderr
    stats = json.loads(rows(db, "SELECT stats FROM runs WHERE id = 'second'")[0][0])
    assert stats["gdcac/refused/offsite_meta_refresh"] == 1 and stats["gdcac/refused/meta_refresh_loop"] == 2
    assert "gdcac/meta_refresh/followed" not in stats


def test_the_run_is_healthy_with_a_refused_page_past_a_columns_first(runs) -> None:
    db, second, _ = runs
    assert second.returncode == ExitStatus.OK, second.stderr[-2000:]
    assert rows(db, "SELECT healthy FROM runs WHERE id = 'second'")[0][0] == 1


def test_no_offsite_page_was_fetched(runs) -> None:
    db, _, _ = runs
    assert rows(db, "SELECT count(*) FROM pages WHERE url LIKE '%example.invalid%' "
                    "OR final_url LIKE '%example.invalid%'")[0][0] == 0


def test_a_column_whose_first_page_refreshes_away_makes_the_run_unhealthy(tmp_path, crawl_mirror) -> None:
    db = tmp_path / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"path": "/zcfg/gfxwj/index.html", "fault": "meta_refresh_offsite"}])
        result = crawl_mirror(mirror, db, "-a", "mode=full")
    assert result.returncode == ExitStatus.UNHEALTHY
    assert result.stderr.strip().splitlines()[-1].endswith("every listing page of 1 column failed (规范性文件)")
    (error,) = [r[0] for r in rows(db, "SELECT error FROM pages WHERE url LIKE '%/zcfg/gfxwj/index.html'")]
    assert error.startswith("meta refresh off-site to https://example.invalid/zcfg/gfxwj/index.html")
