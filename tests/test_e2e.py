"""End to end: `scrapy crawl gdcac` in a subprocess against the mirror on a free loopback port.

The archive must hold every same-site article of the mirror exactly once with its provenance, the seed
article's text exactly as the seed, no off-site URL fetched, and a second run must add no article.  Both runs
are full runs (``-a mode=full``), which fetch every article again; incremental runs are tested in
``test_incremental.py``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib

import pytest

from gdcac_mirror import SITE_DIR, load_manifest

SEED = (SITE_DIR.parent / "corpus" / "seed_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def crawled(mirror, tmp_path_factory, crawl_mirror):
    """Two runs of the crawl into one archive; the mirror's request counts after the first."""
    db = tmp_path_factory.mktemp("e2e") / "archive.sqlite"
    mirror.reset_stats()
    crawl_mirror(mirror, db, "-a", "run_id=run-1", "-a", "mode=full", "-s", "LOG_LEVEL=WARNING", check=True)
    first_requests = mirror.stats()
    crawl_mirror(mirror, db, "-a", "run_id=run-2", "-a", "mode=full", "-s", "LOG_LEVEL=WARNING", check=True)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, first_requests
    conn.close()


def test_every_same_site_article_archived_exactly_once(crawled) -> None:
    conn, _ = crawled
    manifest = load_manifest()
    expected = {a["url"] for a in manifest["articles"]}
    urls = [r["url"] for r in conn.execute("SELECT url FROM articles")]
    assert len(urls) == len(expected) == manifest["counts"]["articles"] >= 62
    assert set(urls) == expected


def test_articles_match_the_mirror_truth(crawled) -> None:
    conn, _ = crawled
    rows = {r["url"]: r for r in conn.execute("SELECT * FROM articles")}
    for article in load_manifest()["articles"]:
        row = rows[article["url"]]
        assert row["title"] == article["title"], article["url"]
        assert row["published_at"] == article["published"], article["url"]
        assert row["source"] == article["source"], article["url"]
        assert row["body_text"].split("\n") == article["body_paragraphs"], article["url"]
        assert json.loads(row["column_path"]) == article["column_path"], article["url"]
        assert row["column_name"] == article["column_name"]
        assert [a["name"] for a in json.loads(row["attachments"])] == [a["name"] for a in article["attachments"]]


def test_seed_article_text_comes_out_exactly(crawled) -> None:
    conn, _ = crawled
    lines = [line for line in SEED.split("\n") if line]
    header, crumbs, title, source, time, body = lines[:2], lines[2:4], lines[4], lines[5], lines[6], lines[7:]
    assert crumbs == ["当前位置:首页 > 政策法规 > 政策解读"] * 2 and header[1] == "广东省互联网信息办公室"
    row = conn.execute("SELECT * FROM articles WHERE title = ?", [title]).fetchone()
    assert row is not None
    assert "来源:" + row["source"] == source
    assert row["published_raw"] == time and row["published_at"] == "2022-06-22T10:08:00+08:00"
    assert json.loads(row["column_path"]) == ["政策法规", "政策解读"]
    image_name = "微信图片_20220622104036.png"
    assert row["body_text"].split("\n") == [line for line in body if line != image_name]
    for boilerplate in (*header, crumbs[0], image_name, "字体", "分享到", "打印", "关闭窗口"):
        assert boilerplate not in row["body_text"]
    (image,) = json.loads(row["images"])
    assert image["alt"] == image_name and image["caption"] == body[body.index(image_name) + 1]


def test_provenance_of_every_article(crawled) -> None:
    conn, _ = crawled
    rows = conn.execute(
        "SELECT a.url, a.http_status, a.fetched_at, a.raw_sha256, a.etag, a.first_run_id, a.last_run_id, "
        "p.url AS fetched_url, p.status, p.run_id, p.kind, b.body, b.compression "
        "FROM articles a JOIN pages p ON p.article_id = a.id AND p.run_id = a.last_run_id "
        "JOIN page_bodies b ON b.sha256 = p.sha256").fetchall()
    assert len(rows) == conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
    for r in rows:
        assert r["http_status"] == r["status"] == 200 and r["kind"] == "article"
        assert r["fetched_at"].endswith("Z") and r["etag"]
        assert r["first_run_id"] == "run-1" and r["last_run_id"] == r["run_id"] == "run-2"
        assert r["fetched_url"].startswith("http://127.0.0.1:") and r["fetched_url"].endswith(r["url"][24:])
        raw = zlib.decompress(r["body"])
        assert hashlib.sha256(raw).hexdigest() == r["raw_sha256"]


def test_offsite_entries_recorded_and_never_fetched(crawled) -> None:
    conn, first_requests = crawled
    manifest = load_manifest()
    offsite = {o["url"] for o in manifest["offsite"]}
    listed = {r[0] for r in conn.execute("SELECT article_url FROM listings WHERE offsite = 1")}
    assert listed == offsite and len(offsite) == 2
    assert conn.execute("SELECT count(*) FROM pages WHERE url LIKE '%weixin%'").fetchone()[0] == 0
    # Every listing page of every column was fetched, past the pager's cap, and nothing beyond the site.
    listing_paths = {p["path"] for c in manifest["columns"] for p in c["listing_pages"]}
    fetched = set(first_requests["by_path"])
    assert listing_paths <= fetched
    assert "/zcfg/zcjd/index_6.html" in fetched
    article_paths = {a["path"] for a in manifest["articles"]}
    attachment_paths = {f["path"] for a in manifest["articles"] for f in a["attachments"] if f["path"]}
    assert fetched <= listing_paths | article_paths | attachment_paths | {"/robots.txt", "/zcfg/", "/zcfg/index.html"}


def test_second_run_adds_no_article(crawled) -> None:
    conn, _ = crawled
    n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    runs = conn.execute("SELECT id, finish_reason, articles_new, articles_unchanged, articles_changed, "
                        "listing_pages, offsite_links FROM runs ORDER BY started_at").fetchall()
    manifest = load_manifest()
    pages, offsite = sum(c["pages"] for c in manifest["columns"]), len(manifest["offsite"])
    assert [tuple(r) for r in runs] == [("run-1", "finished", n, 0, 0, pages, offsite),
                                        ("run-2", "finished", 0, n, 0, pages, offsite)]
    assert conn.execute("SELECT count(*), max(version) FROM article_versions").fetchone()[:] == (n, 1)
    assert conn.execute("SELECT count(*) FROM pages WHERE kind = 'article'").fetchone()[0] == 2 * n
    assert conn.execute("SELECT count(*) FROM pages WHERE kind = 'error'").fetchone()[0] == 0
    # identical bodies are stored once across the two runs
    assert conn.execute("SELECT count(*) FROM page_bodies").fetchone()[0] < conn.execute(
        "SELECT count(*) FROM pages").fetchone()[0]
