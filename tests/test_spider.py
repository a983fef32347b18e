"""The spider's walk, on saved mirror pages (no network): columns, pages past the pager's cap, off-site
entries, the end of a column, failures."""

from __future__ import annotations

import re

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from gdcac_crawler.items import ArticleItem, ListingItem, PageFailure
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_mirror import SITE_DIR

BASE = "http://127.0.0.1:8999"
ZCJD = "https://www.cagd.gov.cn/zcfg/zcjd/index.html"


@pytest.fixture
def spider():
    crawler = get_crawler(GdcacSpider)
    crawler.spider = GdcacSpider.from_crawler(crawler, base_url=BASE, run_id="run-t")
    return crawler.spider


def response(path: str, body: bytes | None = None, status: int = 200, meta: dict | None = None) -> HtmlResponse:
    url = BASE + path
    if body is None:
        body = (SITE_DIR / path.lstrip("/")).read_bytes()
    return HtmlResponse(url=url, body=body, status=status, request=Request(url, meta=meta or {}),
                        headers={"Content-Type": "text/html; charset=utf-8"})


def listing_kwargs(page_no: int, first_page_size=None) -> dict:
    return {"column": "政策解读", "column_url": ZCJD, "page_no": page_no, "first_page_size": first_page_size}


def split(results):
    results = list(results)
    return ([r for r in results if isinstance(r, Request)], [r for r in results if not isinstance(r, Request)])


def test_section_page_yields_every_column_on_the_fetch_base(spider) -> None:
    requests, items = split(spider.parse_section(response("/zcfg/index.html")))
    assert [r.url for r in requests] == [f"{BASE}/zcfg/zcjd/index.html", f"{BASE}/zcfg/flfg/index.html",
                                         f"{BASE}/zcfg/gfxwj/index.html"]
    assert [r.cb_kwargs["column"] for r in requests] == ["政策解读", "法律法规", "规范性文件"]
    assert len(items) == 1 and isinstance(items[0], ListingItem) and items[0].fetch.kind == "section"
    assert items[0].url == "https://www.cagd.gov.cn/zcfg/index.html"


def test_capped_pager_is_not_the_end(spider) -> None:
    # index_3 is the last page the pager shows (pages_limit=3); the column has 6 pages.
    page = response("/zcfg/zcjd/index_3.html")
    assert re.search(rb'class="last" href="[^"]*index_3\.html"', page.body)
    requests, items = split(spider.parse_listing(page, **listing_kwargs(3, 8)))
    follow = [r for r in requests if r.callback == spider.parse_listing]
    assert [r.url for r in follow] == [f"{BASE}/zcfg/zcjd/index_4.html"]
    assert follow[0].cb_kwargs["page_no"] == 4
    articles = [r for r in requests if r.callback == spider.parse_article]
    assert len(articles) == 8 and all(r.url.startswith(BASE + "/zcfg/zcjd/content/post_") for r in articles)
    assert items[0].page_no == 3 and len(items[0].entries) == 8


def test_offsite_entries_are_recorded_not_requested(spider) -> None:
    requests, items = split(spider.parse_listing(response("/zcfg/zcjd/index_2.html"), **listing_kwargs(2, 8)))
    offsite = [e for e in items[0].entries if e.offsite]
    assert [e.url for e in offsite] and all(e.url.startswith("https://mp.weixin.qq.com/s/") for e in offsite)
    assert not any("weixin" in r.url for r in requests)
    assert spider.crawler.stats.get_value("gdcac/listing/offsite") == len(offsite)


def test_last_page_ends_the_column(spider) -> None:
    requests, _ = split(spider.parse_listing(response("/zcfg/zcjd/index_6.html"), **listing_kwargs(6, 8)))
    assert [r for r in requests if r.callback == spider.parse_listing] == []


def test_without_a_script_total_a_full_last_page_is_followed_by_one_probe(spider) -> None:
    body = (SITE_DIR / "zcfg/zcjd/index_3.html").read_bytes()
    body = re.sub(rb"Math\.ceil\(\s*\d+\s*/\s*\d+\s*\)", b"3", body)  # a pager script that gives no total
    requests, _ = split(spider.parse_listing(response("/zcfg/zcjd/index_3.html", body), **listing_kwargs(3, 8)))
    probe = [r for r in requests if r.callback == spider.parse_listing]
    assert [r.url for r in probe] == [f"{BASE}/zcfg/zcjd/index_4.html"]
    assert probe[0].meta["gdcac_probe"] is True and probe[0].meta["handle_httpstatus_list"] == [404]
    missing = response("/zcfg/zcjd/index_4.html", b"<html>404</html>", 404, meta={"gdcac_probe": True})
    assert list(spider.parse_listing(missing, **listing_kwargs(4, 8))) == []
    assert spider.crawler.stats.get_value("gdcac/listing/end_probe_missing") == 1


def test_article_item_carries_canonical_url_and_provenance(spider) -> None:
    path = "/zcfg/zcjd/content/post_2107282.html"
    page = response(path)
    page.headers["ETag"] = '"e1"'
    (item,) = spider.parse_article(page, column="政策解读", listed_title="t", listed_date="2022-06-22")
    assert isinstance(item, ArticleItem)
    assert item.url == "https://www.cagd.gov.cn" + path
    assert item.fetch.url == BASE + path and item.fetch.status == 200 and item.fetch.run_id == "run-t"
    assert item.fetch.etag == '"e1"' and item.fetch.size == len(page.body) and len(item.fetch.sha256) == 64
    assert item.fetch.fetched_at.endswith("Z") and item.fetch.declared_encoding == "utf-8"
    assert item.title == "后疫情时代,如何构建网络空间命运共同体?" and item.listed_date == "2022-06-22"


def test_http_error_becomes_a_failure_record(spider) -> None:
    url = BASE + "/zcfg/zcjd/content/post_1.html"
    failed = HtmlResponse(url=url, status=404, body=b"gone", request=Request(url, meta={"gdcac_kind": "article"}))
    failure = Failure(HttpError(failed))
    failure.request = failed.request
    (record,) = spider.on_error(failure)
    assert isinstance(record, PageFailure)
    assert record.fetch.status == 404 and record.fetch.kind == "error" and "HTTP 404" in record.fetch.error


def test_base_url_must_be_http() -> None:
    crawler = get_crawler(GdcacSpider)
    with pytest.raises(ValueError, match="base_url"):
        GdcacSpider.from_crawler(crawler, base_url="file:///etc")


# --- discovery: the start, the home page, failed columns and articles ----------------------------------------

def failed(spider, url: str, meta: dict, error: Exception | None = None, status: int = 404, cb_kwargs=None):
    """The errback's output for a request that failed for good: an HTTP ``status``, or ``error``."""
    request = Request(url, meta=meta, cb_kwargs=cb_kwargs or {})
    if error is None:
        error = HttpError(HtmlResponse(url=url, status=status, body=b"x", request=request))
    failure = Failure(error)
    failure.request = request
    return list(spider.on_error(failure))


def test_the_profiles_section_page_with_columns_is_the_start(spider) -> None:
    list(spider.parse_section(response("/zcfg/index.html", meta={"gdcac_start": "section"})))
    stats = spider.crawler.stats
    assert stats.get_value("gdcac/discovery/start") == "section"
    assert stats.get_value("gdcac/discovery/section/profile") == 1
    assert stats.get_value("gdcac/discovery/columns/profile") == 3


def test_a_failed_section_url_sends_the_crawl_to_the_home_page(spider) -> None:
    out = failed(spider, BASE + "/zcfg/", {"gdcac_kind": "section", "gdcac_start": "section"})
    (home,) = [r for r in out if isinstance(r, Request)]
    assert home.url == BASE + "/" and home.callback == spider.parse_home and home.meta["gdcac_kind"] == "home"
    assert spider.incomplete_pages == 0 and spider.crawler.stats.get_value("gdcac/start/error") is None


def test_when_the_home_page_fails_too_the_start_error_names_the_url_and_the_error(spider) -> None:
    from twisted.internet.error import DNSLookupError

    failed(spider, BASE + "/zcfg/", {"gdcac_kind": "section", "gdcac_start": "section"},
           DNSLookupError("no such host"))
    failed(spider, BASE + "/", {"gdcac_kind": "home"}, DNSLookupError("no such host"))
    error = spider.crawler.stats.get_value("gdcac/start/error")
    assert error.startswith(BASE + "/zcfg/: DNSLookupError: ") and "no such host" in error
    assert f", and the home page {BASE}/: DNSLookupError: " in error  # both pages tried, both named
    assert spider.walk_complete() is False


def test_a_section_page_without_columns_sends_the_crawl_home_and_a_404_there_says_so(spider) -> None:
    out = list(spider.parse_section(response("/zcfg/index.html", b"<html><body><p>nothing</p></body></html>",
                                             meta={"gdcac_start": "section"})))
    assert [r.url for r in out if isinstance(r, Request)] == [BASE + "/"]
    assert [i.fetch.kind for i in out if isinstance(i, ListingItem)] == ["section"]
    failed(spider, BASE + "/", {"gdcac_kind": "home"}, status=500)
    assert spider.crawler.stats.get_value("gdcac/section/no_columns") == 1


def test_a_home_page_with_no_link_to_the_section_is_an_error(spider, caplog) -> None:
    page = response("/", "<html><body><ul><li><a href='/'>首页</a></li><li><a href='/a/'>网信动态</a></li>"
                         "</ul></body></html>".encode())
    with caplog.at_level("ERROR"):
        out = list(spider.parse_home(page))
    assert [i.fetch.kind for i in out] == ["home"] and not [r for r in out if isinstance(r, Request)]
    assert spider.crawler.stats.get_value("gdcac/section/not_found") == 1
    assert spider.crawler.stats.get_value("gdcac/section/not_found_on") == BASE + "/"
    assert any("政策法规" in r.getMessage() and BASE + "/" in r.getMessage() for r in caplog.records)


def test_the_home_page_leads_to_the_section_by_name(spider) -> None:
    out = list(spider.parse_home(response("/index.html")))
    (section,) = [r for r in out if isinstance(r, Request)]
    assert section.url == BASE + "/zcfg/index.html" and section.meta["gdcac_start"] == "home"
    assert spider.crawler.stats.get_value("gdcac/discovery/section/nav-name") == 1


def test_a_column_whose_first_page_failed_is_counted_with_its_name(spider) -> None:
    list(spider.parse_section(response("/zcfg/index.html")))  # columns 政策解读, 法律法规, 规范性文件
    flfg = {**listing_kwargs(1), "column": "法律法规", "column_url": "https://www.gdcac.gov.cn/zcfg/flfg/index.html"}
    failed(spider, BASE + "/zcfg/flfg/index.html", {"gdcac_kind": "listing"}, status=503, cb_kwargs=flfg)
    failed(spider, BASE + "/zcfg/zcjd/index.html", {"gdcac_kind": "listing"}, status=503,
           cb_kwargs=listing_kwargs(1))
    failed(spider, BASE + "/zcfg/zcjd/index_2.html", {"gdcac_kind": "listing"}, cb_kwargs=listing_kwargs(2))
    stats = spider.crawler.stats
    assert stats.get_value("gdcac/column/all_failed") == 2
    assert stats.get_value("gdcac/column/all_failed_names") == ["政策解读", "法律法规"]  # in the section's order
    failed(spider, BASE + "/zcfg/zcjd/content/post_1.html", {"gdcac_kind": "article"})
    assert stats.get_value("gdcac/article/failed") == 1


def test_a_page_of_entries_already_seen_ends_the_column(spider) -> None:
    list(spider.parse_listing(response("/zcfg/zcjd/index.html"), **listing_kwargs(1)))
    body = (SITE_DIR / "zcfg/zcjd/index.html").read_bytes()
    out = list(spider.parse_listing(response("/zcfg/zcjd/index_2.html", body, meta={"gdcac_probe": True}),
                                    **listing_kwargs(2, 8)))
    assert out == [] and spider.crawler.stats.get_value("gdcac/listing/end_probe_repeat") == 1


def test_with_no_pager_index_1_is_probed_then_index_2(spider) -> None:
    items = "".join(f'<li><a href="/zcfg/zcjd/content/post_{n}.html">t{n}</a><span>2024-01-0{n}</span></li>'
                    for n in range(1, 4))
    out = list(spider.parse_listing(response("/zcfg/zcjd/index.html", f"<ul>{items}</ul>".encode()),
                                    **listing_kwargs(1)))
    (probe,) = [r for r in out if isinstance(r, Request) and r.callback == spider.parse_listing]
    assert probe.url == BASE + "/zcfg/zcjd/index_1.html" and probe.meta["gdcac_probe"] is True
    assert spider.crawler.stats.get_value("gdcac/discovery/pager/index-probe") == 1
    missing = response("/zcfg/zcjd/index_1.html", b"404", 404, meta=probe.meta)
    (alternative,) = spider.parse_listing(missing, **probe.cb_kwargs)
    assert alternative.url == BASE + "/zcfg/zcjd/index_2.html" and alternative.meta["gdcac_probe"] is True
    assert "gdcac_probe_alt" not in alternative.meta


def test_a_section_found_by_name_that_is_itself_a_listing_is_walked_as_its_one_column(spider) -> None:
    items = "".join(f'<li><a href="/v/2024/03/{n}.html">t{n}</a><span>2024-03-0{n}</span></li>' for n in (1, 2, 3))
    page = response("/channel/7/", f"<html><body><ul>{items}</ul></body></html>".encode(),
                    meta={"gdcac_start": "home"})
    out = list(spider.parse_section(page))
    (column,) = [r for r in out if isinstance(r, Request)]
    assert column.url == BASE + "/channel/7/" and column.dont_filter and column.cb_kwargs["column"] == "政策法规"
    assert spider.crawler.stats.get_value("gdcac/discovery/columns/self") == 1
    assert spider.crawler.stats.get_value("gdcac/discovery/start") == "home"


def test_a_candidate_column_that_lists_columns_of_its_own_has_them_walked(spider) -> None:
    spider.columns = {"https://x/zcfg/": "政策法规", "https://x/zhuanti/": "专题"}
    menu = "".join(f'<li><a href="/zhuanti/{c}/index.html">{name}</a></li>'
                   for c, name in (("a", "专题一"), ("b", "专题二")))
    page = response("/zhuanti/index.html", f"<html><body><ul class='sub'>{menu}</ul></body></html>".encode())
    kwargs = {"column": "专题", "column_url": "https://x/zhuanti/", "page_no": 1, "first_page_size": None,
              "column_method": "nav-links"}
    out = list(spider.parse_listing(page, **kwargs))
    assert [r.url for r in out if isinstance(r, Request)] == [BASE + "/zhuanti/a/index.html",
                                                             BASE + "/zhuanti/b/index.html"]
    stats = spider.crawler.stats
    assert stats.get_value("gdcac/discovery/not_listing") == 1
    assert stats.get_value("gdcac/discovery/columns/nested") == 2
    assert stats.get_value("gdcac/listing/pages") is None and spider.incomplete_pages == 0
