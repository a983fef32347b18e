"""Identity URLs and the links a crawl must not lose: share tags dropped, the query parameters that select
content kept, too-long links recorded, redirects to another port refused.

The crawl is ``scrapy crawl gdcac`` of a small site on a free loopback port whose one column lists the same
article three times — as ``post_1.html``, ``?from=list`` and ``?utm_source=wechat&from=timeline`` — and an
article whose link is longer than Scrapy's URL length limit (2,083 characters).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from gdcac_crawler.downloadermiddlewares.redirect import MetaRefreshGuardMiddleware, refusal
from gdcac_crawler.exceptions import RefusedResponse
from gdcac_crawler.profiles import get_profile
from gdcac_crawler.profiles.base import clean_query
from gdcac_mirror.crawl import run_crawl
from tests.support.sites import StaticSite

GDCAC = get_profile("gdcac")
LONG = "/zcfg/zcjd/content/" + "a" * 2100 + "/post_3.html"
"""An article path longer than ``URLLENGTH_LIMIT`` (2,083) on its own."""
SHARED = ["/zcfg/zcjd/content/post_1.html", "/zcfg/zcjd/content/post_1.html?from=list",
          "/zcfg/zcjd/content/post_1.html?utm_source=wechat&from=timeline"]


def page(title: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def article(title: str) -> str:
    return page(title, f"""<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zcfg/">政策法规</a>
        &gt; <a href="/zcfg/zcjd/">政策解读</a></div><h1 class="title">{title}</h1>
        <div class="info">来源：南方日报 发布时间：2024-03-01 10:00</div>
        <div id="content1"><p>{title}。这是正文的第一段，讲述政策的背景、目的和主要内容。</p>
        <p>第二段说明实施的要求与时间安排。</p></div>""")


def site_pages() -> dict[str, str]:
    entries = [(url, "同一篇文章") for url in SHARED] + [("/zcfg/zcjd/content/post_2.html?spm=a.b.c", "第二篇"),
                                                       (LONG, "链接过长的文章")]
    items = "".join(f'<li><a href="{url}" title="{title}">{title}</a><span>2024-03-01</span></li>'
                    for url, title in entries)
    return {
        "/zcfg/": page("政策法规", '<div id="leftnav"><a href="/zcfg/zcjd/">政策解读</a></div>'),
        "/zcfg/zcjd/": page("政策解读", f'<div class="con-tit2"><span>政策解读</span></div><ul class="comlist1">{items}</ul>'),
        "/zcfg/zcjd/content/post_1.html": article("同一篇文章"),
        "/zcfg/zcjd/content/post_2.html": article("第二篇"),
    }


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Iterator[tuple[sqlite3.Connection, dict[str, int]]]:
    db = tmp_path_factory.mktemp("identity") / "archive.sqlite"
    with StaticSite(site_pages()) as site:
        result = run_crawl(site.base_url, db, spider="gdcac", timeout=120, extra=("-a", "mode=full"))
        requests = dict(site.requests)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, requests
    conn.close()


def test_share_tags_do_not_make_another_article(crawl) -> None:
    conn, requests = crawl
    urls = sorted(r["url"] for r in conn.execute("SELECT url FROM articles"))
    assert urls == ["https://www.cagd.gov.cn/zcfg/zcjd/content/post_1.html",
                    "https://www.cagd.gov.cn/zcfg/zcjd/content/post_2.html"]
    # the cleaned URL is what is fetched, once: the site never saw the share tags
    assert requests["/zcfg/zcjd/content/post_1.html"] == 1 and requests["/zcfg/zcjd/content/post_2.html"] == 1
    assert not [path for path in requests if "?" in path]


def test_a_too_long_link_is_one_row_with_its_reason_never_fetched(crawl) -> None:
    conn, requests = crawl
    (row,) = conn.execute("SELECT kind, status, error FROM pages WHERE url LIKE ?", ["%/post_3.html"]).fetchall()
    length = len("http://127.0.0.1:12345") + len(LONG)  # the fetch URL: the loopback origin of the site
    assert (row["kind"], row["status"]) == ("error", 0)
    assert row["error"] == (f"URL of {length:,} characters, longer than URLLENGTH_LIMIT (2,083) "
                            "(article page)")
    assert LONG not in requests


def test_the_identity_keeps_only_the_parameters_that_select_content() -> None:
    url = "http://127.0.0.1:8000/zcfg/zcjd/content/post_1.html?utm_medium=x&id=7&from=list#top"
    assert GDCAC.canonical(url) == "https://www.cagd.gov.cn/zcfg/zcjd/content/post_1.html"
    assert replace(GDCAC, content_query_params=("ID",)).canonical(url) == \
        "https://www.cagd.gov.cn/zcfg/zcjd/content/post_1.html?id=7"
    # a pager's page parameter stays, so listing pages stay distinct
    assert GDCAC.canonical("https://www.cagd.gov.cn/zcfg/zcjd/index.html?from=nav&page=3") == \
        "https://www.cagd.gov.cn/zcfg/zcjd/index.html?page=3"
    # a site never seen (None): every parameter but the tracking ones
    generic = get_profile("generic@https://example.gov.cn/news/")
    assert generic.canonical("https://example.gov.cn/show.jsp?channel=5&spm=1.2&id=9&isappinstalled=0") == \
        "https://example.gov.cn/show.jsp?channel=5&id=9"


def test_a_resource_keeps_its_query_but_the_tracking_tags() -> None:
    url = "http://www.gdcac.gov.cn/attachment/download.jsp?fileId=42&utm_source=wechat"
    assert GDCAC.live_url(url) == "https://www.cagd.gov.cn/attachment/download.jsp?fileId=42"
    assert GDCAC.to_fetch_url(url, "http://127.0.0.1:8000") == "http://127.0.0.1:8000/attachment/download.jsp?fileId=42"


def test_clean_query_keeps_what_it_keeps_as_written() -> None:
    assert clean_query("b=%E4%B8%AD&UTM_Source=x&&a=1", frozenset({"a", "b"})) == "b=%E4%B8%AD&a=1"
    assert clean_query("share_token=abc&q=1") == "q=1"


@pytest.mark.parametrize("source, target, kind", [
    ("http://127.0.0.1:8000/a.html", "http://127.0.0.1:8001/a.html", "other_port_redirect"),
    ("https://www.cagd.gov.cn/a.html", "https://www.cagd.gov.cn:8443/a.html", "other_port_redirect"),
    ("https://www.cagd.gov.cn/a.html", "http://cagd.gov.cn:8080/a.html", "other_port_redirect"),
    ("https://www.cagd.gov.cn/a.html", "https://evil.example/a.html", "offsite_redirect"),
    ("https://www.cagd.gov.cn/a.html", "https://www.cagd.gov.cn/a.html", "redirect_loop"),
    ("http://www.cagd.gov.cn/a.html", "https://www.cagd.gov.cn/a.html", None),  # http → https: the same site
    ("https://www.cagd.gov.cn/a.html", "https://cagd.gov.cn:443/b.html", None),
])
def test_the_redirect_guard(source: str, target: str, kind: str | None) -> None:
    verdict = refusal(Request(source), target, ["www.cagd.gov.cn", "cagd.gov.cn", "127.0.0.1"])
    assert (verdict.kind if verdict else None) == kind


def refresh_page(url: str, target: str) -> HtmlResponse:
    body = f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head><body></body></html>'
    return HtmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url))


def test_a_same_site_meta_refresh_is_followed_past_the_duplicate_filter() -> None:
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    crawler.spider = type("S", (), {"allowed_domains": ["127.0.0.1"]})()
    crawler.stats.open_spider()
    guard = MetaRefreshGuardMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:8000/zcfg/zcjd/index.html", meta={"gdcac_kind": "listing"})
    followed = guard.process_response(request, refresh_page(request.url, "/zcfg/zcjd/index_1.html"))
    assert isinstance(followed, Request) and followed.url == "http://127.0.0.1:8000/zcfg/zcjd/index_1.html"
    assert followed.dont_filter and followed.meta["redirect_urls"] == [request.url]
    assert followed.meta["gdcac_kind"] == "listing"
    # and back again: a loop through the chain, refused
    with pytest.raises(RefusedResponse, match="meta refresh loop back to"):
        guard.process_response(followed, refresh_page(followed.url, request.url))
    # a refresh later than METAREFRESH_MAXDELAY is a page like any other
    late = HtmlResponse(request.url, body=b'<meta http-equiv="refresh" content="600; url=/x.html">', request=request)
    assert guard.process_response(request, late) is late
