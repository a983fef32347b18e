"""End to end on the mirror's second rendering ("cagd"): the same ``scrapy crawl gdcac -a base_url=…`` as on the
first rendering, against a site the crawler has never seen (the section found by name from the home page,
columns outside its folder, query and text-link pagers, ``/v/YYYY/MM/NNNN.html`` articles, a GBK column under a
UTF-8 header).  The archive must hold every same-site article of the manifest exactly, the seed text exactly,
the off-site entries recorded and never fetched.  The gdcac profile's selectors are the platform's, so every
field comes from the fallbacks: the run says so (exit 3, the drift named).  A profile drafted by ``gdcac probe``
from this rendering then crawls it with no fallback at all, healthy.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from gdcac_crawler.extensions.health import ExitStatus
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest

SEED_LINES = [ln for ln in (SITE_DIR.parent / "corpus" / "seed_article.txt").read_text(encoding="utf-8").split("\n")
              if ln.strip()]
MANIFEST = load_manifest(rendering="cagd")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, crawl_mirror) -> Iterator[tuple[sqlite3.Connection, dict[str, Any]]]:
    """One full crawl of the cagd rendering into a fresh archive; the mirror's request counts."""
    db = tmp_path_factory.mktemp("e2e-cagd") / "archive.sqlite"
    with MirrorProcess(rendering="cagd") as mirror:
        result = crawl_mirror(mirror, db, "-a", "run_id=cagd-1", "-a", "mode=full", "-s", "LOG_LEVEL=WARNING")
        requests = mirror.stats()
    assert result.returncode == ExitStatus.UNHEALTHY, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "gdcac: run cagd-1 is unhealthy: title, published_at, source, body_text, column_path came from a fallback "
        "in 66 of 66 articles (100%, limit 25%)")
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, requests
    conn.close()


@pytest.fixture(scope="module")
def drafted(tmp_path_factory, crawl_mirror) -> Iterator[tuple[sqlite3.Connection, dict[str, Any]]]:
    """``gdcac probe`` of the rendering with ``--write-profile``, then a full crawl with the drafted profile."""
    tmp = tmp_path_factory.mktemp("e2e-cagd-draft")
    draft = tmp / "cagd.py"
    db = tmp / "archive.sqlite"
    with MirrorProcess(rendering="cagd") as mirror:
        probe = subprocess.run([sys.executable, "-m", "gdcac_crawler.cli", "probe", "https://www.cagd.gov.cn/",
                                "--base-url", mirror.base_url, "--delay", "0", "--write-profile", str(draft)],
                               capture_output=True, text=True, timeout=120)
        assert probe.returncode == 0, probe.stderr[-3000:]
        result = crawl_mirror(mirror, db, "-a", "run_id=cagd-draft", "-a", "mode=full", "-a", f"profile={draft}",
                              "-s", "LOG_LEVEL=WARNING", spider="portal")
    assert result.returncode == ExitStatus.OK, result.stderr[-3000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, {"probe": probe.stdout}
    conn.close()


@pytest.fixture(params=["gdcac", "drafted"])
def archive(request) -> sqlite3.Connection:
    """The archive of either crawl: the gdcac profile's, the drafted profile's."""
    fixture = "crawled" if request.param == "gdcac" else "drafted"
    return request.getfixturevalue(fixture)[0]


def test_every_article_archived_exactly_once(archive) -> None:
    conn = archive
    urls = [r["url"] for r in conn.execute("SELECT url FROM articles")]
    expected = {a["url"] for a in MANIFEST["articles"]}
    assert len(expected) == MANIFEST["counts"]["articles"] >= 62
    assert sorted(urls) == sorted(expected)


def test_articles_match_the_mirror_truth(archive) -> None:
    conn = archive
    rows = {r["url"]: r for r in conn.execute("SELECT * FROM articles")}
    assert rows, "nothing archived"
    for article in MANIFEST["articles"]:
        row = rows[article["url"]]
        assert row["title"] == article["title"], article["url"]
        assert row["published_at"] == article["published"], article["url"]
        assert row["source"] == article["source"], article["url"]
        assert row["body_text"].split("\n") == article["body_paragraphs"], article["url"]
        assert row["column_name"] == article["column_name"], article["url"]
        assert json.loads(row["column_path"]) == article["column_path"], article["url"]
        names = [a["name"] for a in json.loads(row["attachments"])]
        assert names == [a["name"] for a in article["attachments"]], article["url"]


def test_seed_article_text_comes_out_exactly(archive) -> None:
    conn = archive
    title, source_line, time, body = SEED_LINES[4], SEED_LINES[5], SEED_LINES[6], SEED_LINES[7:]
    row = conn.execute("SELECT * FROM articles WHERE title = ?", [title]).fetchone()
    assert row is not None, "the seed article was not archived"
    assert row["url"] == MANIFEST["seed_article"]["url"]
    assert "来源:" + row["source"] == source_line
    assert row["published_at"] == "2022-06-22T10:08:00+08:00" and time == "2022-06-22 10:08"
    assert json.loads(row["column_path"]) == ["政策法规", "政策解读"]
    image_name = "微信图片_20220622104036.png"
    assert row["body_text"].split("\n") == [line for line in body if line != image_name]
    for boilerplate in ("您当前的位置", image_name, "字号", "分享到", "打印本页", "关闭窗口", "扫一扫"):
        assert boilerplate not in row["body_text"]


def test_offsite_entries_recorded_and_never_fetched(crawled) -> None:
    conn, requests = crawled
    offsite = {o["url"] for o in MANIFEST["offsite"]}
    listed = {r[0] for r in conn.execute("SELECT article_url FROM listings WHERE offsite = 1")}
    assert listed == offsite and len(offsite) == 2
    assert conn.execute("SELECT count(*) FROM pages WHERE url LIKE '%weixin%'").fetchone()[0] == 0
    site = MANIFEST["site"]
    listing = {p["path"].split("?", 1)[0] for c in MANIFEST["columns"] for p in c["listing_pages"]}
    articles = {a["path"] for a in MANIFEST["articles"]}
    attachments = {f["path"] for a in MANIFEST["articles"] for f in a["attachments"] if f["path"]}
    allowed = listing | articles | attachments | {"/", site["root_path"], site["robots_path"], site["section"]["path"]}
    fetched = set(requests["by_path"])
    assert articles <= fetched
    assert fetched - allowed <= {"/zcfg/", "/zcfg/index.html"}  # the profile's section path may be tried first


def test_the_drafted_profile_needs_no_fallback(drafted) -> None:
    conn, probe = drafted
    stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = 'cagd-draft'").fetchone()[0])
    assert not [key for key in stats if key.startswith("gdcac/fallback/")], stats
    assert tuple(conn.execute("SELECT fallback_fields, healthy FROM runs").fetchone()) == (0, 1)
    assert stats["gdcac/discovery/pager/query"] == 2 and stats["gdcac/discovery/start"] == "section"
    assert "section 政策法规: https://www.cagd.gov.cn/col/col1234/index.html (found by nav-name)" in probe["probe"]
