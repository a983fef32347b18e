"""Every walk ends and no page crashes the parser: crawler traps and parser bombs.

Crawler traps (mirror faults ``endless_pager``, ``huge_total``, ``repeat_last_page``): a column's walk stops at
the page cap (``GDCAC_MAX_LISTING_PAGES``), a pager stating an absurd total is not believed, a page that
repeats earlier pages' entries ends the column; a walk stopped before its end is incomplete (a full run marks
nothing removed) and named in the run's health.  Parser bombs (``deep_nesting``, ``unclosed_tags``,
``charset_unicode_escape``, ``nul_in_title``): the article is archived as it reads; an article whose
extraction raises anyway leaves a ``pages`` row with its reason.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from gdcac_crawler.extensions.health import ExitStatus, assess
from gdcac_crawler.extract.dom import flatten_nesting, parse_html, text_content
from gdcac_crawler.extract.encoding import normalise_encoding, response_from_bytes
from gdcac_crawler.extract.listing import extract_listing
from gdcac_crawler.extract.paragraphs import paragraphs
from gdcac_crawler.items import PageFailure
from gdcac_crawler.profiles import get_profile
from gdcac_crawler.spiders import portal
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest

MANIFEST = load_manifest()
COLUMNS = {c["code"]: c for c in MANIFEST["columns"]}
ARTICLES = [a for a in MANIFEST["articles"] if not a["is_seed"] and a["encoding"] == "utf-8"]
BOMBS = ["deep_nesting", "unclosed_tags", "charset_unicode_escape", "nul_in_title"]
BOMBED = dict(zip(BOMBS, ARTICLES, strict=False))
SETTINGS = {"LOG_LEVEL": "WARNING", "GDCAC_HEALTH_MAX_ERRORS": "1000", "RETRY_TIMES": "0"}
BASE = "http://127.0.0.1:8999"
ZCJD = "https://www.cagd.gov.cn/zcfg/zcjd/index.html"
DEPTH = 5000


# --- the walk, page by page --------------------------------------------------------------------------------


def make_spider(**settings: Any) -> GdcacSpider:
    crawler = get_crawler(GdcacSpider, settings_dict=settings)
    crawler.spider = GdcacSpider.from_crawler(crawler, base_url=BASE, run_id="run-t")
    return crawler.spider


def listing(path: str, *, body_of: str | None = None, meta: dict | None = None) -> HtmlResponse:
    url = BASE + path
    body = (SITE_DIR / (body_of or path).lstrip("/")).read_bytes()
    return HtmlResponse(url=url, body=body, request=Request(url, meta=meta or {}),
                        headers={"Content-Type": "text/html; charset=utf-8"})


def walk(spider: GdcacSpider, response: HtmlResponse, page_no: int) -> list[Request]:
    out = spider.parse_listing(response, column="政策解读", column_url=ZCJD, page_no=page_no, first_page_size=8)
    return [r for r in out if isinstance(r, Request) and r.callback == spider.parse_listing]


def test_the_page_cap_stops_the_walk_incomplete_and_named_in_the_health() -> None:
    spider = make_spider(GDCAC_MAX_LISTING_PAGES=3)
    assert [r.url for r in walk(spider, listing("/zcfg/zcjd/index_2.html"), 2)] == [BASE + "/zcfg/zcjd/index_3.html"]
    assert walk(spider, listing("/zcfg/zcjd/index_3.html"), 3) == []  # page 4 exists, but the cap is 3 pages
    assert not spider.walk_complete()
    reasons = assess(spider.crawler.stats.get_stats())
    assert any("政策解读 (page 3) stopped at the page cap (3 listing pages" in r for r in reasons), reasons


def test_a_stated_page_repeating_any_earlier_page_stops_the_walk_incomplete() -> None:
    spider = make_spider()
    walk(spider, listing("/zcfg/zcjd/index.html"), 1)
    walk(spider, listing("/zcfg/zcjd/index_2.html"), 2)
    # page 3, which the pager states (it links pages 1-3), answers with page 1's entries (not the previous page's)
    page3 = listing("/zcfg/zcjd/index_3.html", body_of="/zcfg/zcjd/index.html", meta={"gdcac_within_total": True})
    assert walk(spider, page3, 3) == []
    assert not spider.walk_complete()
    assert spider.crawler.stats.get_value("gdcac/listing/repeat_columns") == ["政策解读 (page 3)"]
    reasons = assess(spider.crawler.stats.get_stats())
    assert any("政策解读 (page 3) stopped at a page that repeats earlier pages' entries" in r for r in reasons)


def test_a_probe_past_the_stated_pages_that_repeats_is_the_end() -> None:
    spider = make_spider()
    walk(spider, listing("/zcfg/zcjd/index_5.html"), 5)
    page6 = listing("/zcfg/zcjd/index_6.html", body_of="/zcfg/zcjd/index_5.html", meta={"gdcac_probe": True})
    assert walk(spider, page6, 6) == []
    stats = spider.crawler.stats
    assert spider.walk_complete() and stats.get_value("gdcac/listing/end_probe_repeat") == 1
    assert not any("repeat" in r for r in assess(stats.get_stats()))


def test_an_article_whose_extraction_raises_leaves_a_pages_row(monkeypatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(portal, "extract_article", explode)
    spider = make_spider()
    article = ARTICLES[0]
    out = list(spider.parse_article(listing(article["path"]), column="政策解读", listed_title=None,
                                    listed_date=None))
    assert len(out) == 1 and isinstance(out[0], PageFailure)
    assert out[0].fetch.error.startswith("extraction failed: RecursionError") and out[0].fetch.kind == "error"
    stats = spider.crawler.stats
    assert stats.get_value("gdcac/article/failed") == 1 and stats.get_value("gdcac/article/extract_error") == 1


# --- text walks that cannot recurse -----------------------------------------------------------------------------


def test_paragraphs_of_5000_nested_elements() -> None:
    html = ("<html><body><div id='b'>" + "<div>" * DEPTH + "<p>深处的段落。</p>" + "</div>" * DEPTH
            + "<p>其后。</p></div>")
    body = parse_html(html).xpath("//*[@id='b']")[0]
    assert [p.text for p in paragraphs(body)] == ["深处的段落。", "其后。"]
    spans = "<html><body><div id='b'>" + "<span><font>字" * DEPTH + "<br>尾</div><p>外</p></body></html>"
    root = parse_html(spans)
    assert [p.text for p in paragraphs(root.xpath("//*[@id='b']")[0])] == ["字" * DEPTH, "尾"]
    assert root.xpath("string(//p)") == "外"  # nothing after the nesting is lost


def test_a_listing_page_nested_past_the_parser_limit_keeps_its_entries() -> None:
    page = (SITE_DIR / "zcfg/zcjd/index_2.html").read_text("utf-8")
    deep = page.replace('<div class="gl-cont2 f-r">', '<div class="gl-cont2 f-r">' + "<span><font>" * DEPTH, 1)
    expected = [e["url"] for e in COLUMNS["zcjd"]["listing_pages"][1]["entries"]]
    for body in (page, deep):
        response = HtmlResponse(url=BASE + "/zcfg/zcjd/index_2.html", body=body.encode("utf-8"),
                                headers={"Content-Type": "text/html; charset=utf-8"})
        assert [e.url for e in extract_listing(response, get_profile("gdcac"), page_no=2)["entries"]] == expected

def test_flatten_nesting_keeps_the_text_and_the_inner_and_outer_structure() -> None:
    html = "<body><div class='a'>" + "<div>" * DEPTH + "<div id='c'><p>一</p><p>二</p></div>" + "</div>" * DEPTH \
        + "</div><p>三</p></body>"
    flat = flatten_nesting(html, limit=100)
    root = parse_html(flat)
    assert [text_content(p) for p in root.iter("p")] == ["一", "二", "三"]
    assert root.xpath("//*[@id='c']/p") and root.xpath("//div[@class='a']")
    assert max(len(list(e.iterancestors())) for e in root.iter()) < 120
    assert flatten_nesting("<p>a<!-- <div> --><script>'<div>'</script></p>", limit=2) == \
        "<p>a<!-- <div> --><script>'<div>'</script></p>"


@pytest.mark.parametrize("charset", ["unicode_escape", "raw_unicode_escape", "base64", "rot13", "hex", "zlib",
                                     "utf-7", "idna"])
def test_a_codec_that_is_no_text_encoding_is_no_charset(charset: str) -> None:
    assert normalise_encoding(charset) is None
    page = "<html><head><title>标题</title></head><body><p>正文\\u4e2d</p></body></html>".encode()
    response = response_from_bytes(BASE + "/a.html", page, {"Content-Type": f"text/html; charset={charset}"})
    assert response.encoding == "utf-8" and response.css("p::text").get() == "正文\\u4e2d"


def test_real_charsets_still_resolve() -> None:
    assert [normalise_encoding(c) for c in ("GB2312", "gbk", "UTF-8", "big5", "shift_jis", "latin-1")] == [
        "gb18030", "gb18030", "utf-8", "big5hkscs", "shift_jis", "cp1252"]

# --- crawls of the mirror with the faults -------------------------------------------------------------------------


def listing_requests(mirror: MirrorProcess, code: str | None = None) -> dict[str, int]:
    pattern = re.compile(rf"/zcfg/{code or '[^/]+'}/index(_\d+)?\.html")
    return {p: n for p, n in mirror.stats()["by_path"].items() if pattern.fullmatch(p)}


def run_stats(db) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        return json.loads(conn.execute("SELECT stats FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0])


@pytest.fixture(scope="module")
def huge_total_and_bombs(tmp_path_factory, crawl_mirror) -> Iterator[tuple[Any, ...]]:
    db = tmp_path_factory.mktemp("bombs") / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"fault": "huge_total", "kinds": ["listing"]},
                           *({"fault": fault, "path": a["path"]} for fault, a in BOMBED.items())])
        started = time.monotonic()
        result = crawl_mirror(mirror, db, "-a", "mode=full", settings=SETTINGS, timeout=120)
        elapsed = time.monotonic() - started
        yield db, result, listing_requests(mirror), mirror.stats().get("faults", {}), elapsed


def test_a_pager_stating_a_huge_total_is_walked_to_its_real_end(huge_total_and_bombs) -> None:
    db, result, requests, injected, elapsed = huge_total_and_bombs
    assert result.returncode == ExitStatus.OK, result.stderr[-2000:]
    assert injected["huge_total"] == MANIFEST["counts"]["listing_pages"] and elapsed < 60
    # every real listing page once, nothing past the last (each column's last page is short)
    assert sorted(requests) == sorted(p["path"] for c in MANIFEST["columns"] for p in c["listing_pages"])
    assert all(n == 1 for n in requests.values())
    assert run_stats(db)["gdcac/listing/absurd_total"] == len(MANIFEST["columns"])
    with sqlite3.connect(db) as conn:
        # no listing page failed (a 404 past the end asked as a stated page would be an error row)
        assert conn.execute("SELECT count(*) FROM pages WHERE url LIKE '%/index%' AND error IS NOT NULL"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == MANIFEST["counts"]["articles"]


@pytest.mark.parametrize("fault", BOMBS)
def test_a_parser_bomb_article_is_archived_as_it_reads(huge_total_and_bombs, fault) -> None:
    db, result, _, injected, _ = huge_total_and_bombs
    article = BOMBED[fault]
    assert injected[fault] >= 1 and "Traceback" not in result.stderr
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT title, body_text FROM articles WHERE url = ?", [article["url"]]).fetchone()
    assert row is not None, f"{fault} lost {article['url']}"
    assert row["title"] == article["title"]  # the NUL and the other control characters are gone
    assert row["body_text"].split("\n") == article["body_paragraphs"]


@pytest.fixture(scope="module")
def repeated_last_page(tmp_path_factory, crawl_mirror) -> Iterator[tuple[Any, ...]]:
    db = tmp_path_factory.mktemp("repeat") / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"fault": "repeat_last_page", "kinds": ["listing"]}])
        result = crawl_mirror(mirror, db, "-a", "mode=full", settings=SETTINGS, timeout=120)
        yield db, result, listing_requests(mirror)


def test_a_cms_repeating_its_last_page_for_ever_ends_the_column_there(repeated_last_page) -> None:
    db, result, requests = repeated_last_page
    assert result.returncode == ExitStatus.OK, result.stderr[-2000:]
    for code, column in COLUMNS.items():
        past_the_end = f"/zcfg/{code}/index_{column['pages'] + 1}.html"  # answered with the last page: the end
        assert sorted(p for p in requests if f"/{code}/" in p) == sorted(
            [p["path"] for p in column["listing_pages"]] + [past_the_end])
    stats = run_stats(db)
    assert stats["gdcac/listing/end_probe_repeat"] == len(COLUMNS) and "gdcac/listing/repeat_columns" not in stats
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == MANIFEST["counts"]["articles"]


@pytest.fixture(scope="module")
def endless_column(tmp_path_factory, crawl_mirror) -> Iterator[tuple[Any, ...]]:
    db = tmp_path_factory.mktemp("endless") / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        crawl_mirror(mirror, db, "-a", "mode=full", settings=SETTINGS, timeout=120, check=True)
        mirror.reset_stats()
        mirror.set_faults(ENDLESS_GFXWJ)
        started = time.monotonic()
        result = crawl_mirror(mirror, db, "-a", "mode=full", settings={**SETTINGS, "GDCAC_MAX_LISTING_PAGES": "6"},
                              timeout=120)
        yield db, result, listing_requests(mirror, "gfxwj"), time.monotonic() - started


def test_an_endless_pager_stops_at_the_page_cap_and_the_health_says_so(endless_column) -> None:
    _, result, requests, elapsed = endless_column
    assert result.returncode == ExitStatus.UNHEALTHY, result.stderr[-2000:]
    assert "规范性文件 (page 6) stopped at the page cap (6 listing pages" in result.stderr.strip().splitlines()[-1]
    assert sorted(requests) == ["/zcfg/gfxwj/index.html", *(f"/zcfg/gfxwj/index_{n}.html" for n in range(2, 7))]
    assert elapsed < 60


def test_a_capped_full_walk_marks_nothing_removed(endless_column) -> None:
    db, _, _, _ = endless_column
    with sqlite3.connect(db) as conn:
        # the trap's pages show none of the column's real articles: a walk taken as complete would remove them
        assert conn.execute("SELECT count(*) FROM articles WHERE removed_at IS NOT NULL").fetchone()[0] == 0
        assert conn.execute("SELECT healthy FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0] == 0


ENDLESS_GFXWJ = [{"fault": "endless_pager", "prefix": "/zcfg/gfxwj/", "kinds": ["listing"]}]
"""The column 规范性文件 made an endless trap."""


def resumable_settings(tmp_path) -> dict[str, str]:
    """A page cap of 6 and a JOBDIR in ``tmp_path``, one request at a time (so an interruption is timely)."""
    return {**SETTINGS, "GDCAC_MAX_LISTING_PAGES": "6", "JOBDIR": str(tmp_path / "job"), "CONCURRENT_REQUESTS": "1"}


def test_a_resumed_run_does_not_resume_into_the_trap(tmp_path, crawl_mirror) -> None:
    """A run interrupted inside the trap (exit 4) and resumed from its JOBDIR stops at the same page cap: the
    page number travels with each queued request."""
    db, settings = tmp_path / "archive.sqlite", resumable_settings(tmp_path)
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults(ENDLESS_GFXWJ)
        first = crawl_mirror(mirror, db, "-a", "mode=full", settings={**settings, "CLOSESPIDER_PAGECOUNT": "6"},
                             timeout=120)
        assert first.returncode == ExitStatus.INCOMPLETE, first.stderr[-2000:]
        walked = len(listing_requests(mirror, "gfxwj"))
        assert 0 < walked < 6  # interrupted inside the column's walk
        second = crawl_mirror(mirror, db, "-a", "mode=full", settings=settings, timeout=120)
        requests = listing_requests(mirror, "gfxwj")
    assert second.returncode == ExitStatus.UNHEALTHY, second.stderr[-2000:]
    assert "规范性文件 (page 6) stopped at the page cap" in second.stderr.strip().splitlines()[-1]
    assert sorted(requests) == ["/zcfg/gfxwj/index.html", *(f"/zcfg/gfxwj/index_{n}.html" for n in range(2, 7))]


def test_a_resumed_run_names_the_cap_an_earlier_segment_met(tmp_path, crawl_mirror) -> None:
    """The cap met before a pause stays in the run's health after the resume (``JOBDIR/gdcac-run.json``)."""
    db, settings = tmp_path / "archive.sqlite", resumable_settings(tmp_path)
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults(ENDLESS_GFXWJ)
        first = crawl_mirror(mirror, db, "-a", "mode=full", settings={**settings, "CLOSESPIDER_PAGECOUNT": "30"},
                             timeout=120)
        assert "did not finish" in first.stderr and "stopped at the page cap" in first.stderr  # met, then paused
        second = crawl_mirror(mirror, db, "-a", "mode=full", settings=settings, timeout=120)
        assert len(listing_requests(mirror, "gfxwj")) == 6
    assert second.returncode == ExitStatus.UNHEALTHY, second.stderr[-2000:]
    assert "规范性文件 (page 6) stopped at the page cap" in second.stderr.strip().splitlines()[-1]
    assert "stops at the page cap" not in second.stderr  # the second segment did not meet it: the first one did
