"""The generic fallback: text density and the government meta tags for articles; URL patterns, dated links,
the pager script and index_N links for listings; every fallback named in ``methods`` and counted by the
spider as ``gdcac/fallback/<field>``.  The ``generic`` profile, which has no selectors at all, must read the
mirror's pages exactly as the gdcac profile does, and the real drc pages as the drc profile does."""

from __future__ import annotations

import re

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from gdcac_crawler.extract.encoding import response_from_bytes
from gdcac_crawler.extract.fallback import density_body, is_fallback
from gdcac_crawler.extract.view import page_view
from gdcac_crawler.items import ArticleItem, ListingItem
from gdcac_crawler.profiles import get_profile, resolve_profile
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_crawler.spiders.portal import PortalSpider
from gdcac_mirror import SITE_CAGD_DIR, SITE_DIR, load_manifest
from gdcac_mirror.content import BASE_URL, PAGE_ORIGIN

UTF8 = {"Content-Type": "text/html; charset=utf-8"}
BASE = "http://127.0.0.1:8999"
#: published_raw is left out: the fallbacks take the time from the PubDate meta tag (which prints seconds)
FIELDS = ("title", "published_at", "source", "column_path", "body_text", "images", "attachments")


def mirror_page(path: str, url: str | None = None, body: bytes | None = None) -> HtmlResponse:
    url = url or PAGE_ORIGIN + path
    return response_from_bytes(url, body if body is not None else (SITE_DIR / path.lstrip("/")).read_bytes(), UTF8)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest()


def test_generic_reads_every_mirror_article_as_the_gdcac_profile_does(manifest) -> None:
    gdcac = get_profile("gdcac")
    for article in manifest["articles"]:
        page = mirror_page(article["path"])
        expected = page_view("article", page, gdcac)
        generic = resolve_profile("generic", page.url).with_origin(BASE_URL)  # the live origin, as gdcac's
        got = page_view("article", page, generic)
        assert {k: got[k] for k in FIELDS} == {k: expected[k] for k in FIELDS}, article["path"]
        assert got["methods"]["body"] == "fallback:density" and got["methods"]["title"] == "meta:ArticleTitle"
        assert got["published_raw"] == got["meta"]["PubDate"]
        assert all(is_fallback(m) for m in got["methods"].values())


def test_generic_reads_every_mirror_listing_and_the_section(manifest) -> None:
    gdcac = get_profile("gdcac")
    generic = get_profile(f"generic@{PAGE_ORIGIN}/zcfg/").with_origin(BASE_URL)
    for column in manifest["columns"]:
        for listing in column["listing_pages"]:
            page = mirror_page(listing["path"])
            expected, got = page_view("listing", page, gdcac), page_view("listing", page, generic)
            assert got["entries"] == expected["entries"] and got["entries"]
            assert got["pager"]["total_pages"] == expected["pager"]["total_pages"]
            assert got["methods"] == {"entries": "fallback:dated-links", "column": "meta:ColumnName",
                                      "pager": "fallback:script"}
    section = page_view("section", mirror_page("/zcfg/index.html"), generic)
    assert section["columns"] == page_view("section", mirror_page("/zcfg/index.html"), gdcac)["columns"]
    assert section["methods"] == {"columns": "fallback:url-pattern"}


def test_generic_reads_the_real_drc_article_as_the_drc_profile_does() -> None:
    from tests.support.cases import drc_case

    page = drc_case("article_ywtz_real")
    expected = page_view("article", page, get_profile("drc"))
    got = page_view("article", page, resolve_profile("generic", page.url))
    for key in ("title", "published_at", "source", "body_text", "attachments", "doc_number"):
        assert got[key] == expected[key], key
    assert got["column_path"] == expected["column_path"]


def test_generic_finds_the_drc_columns_by_their_navigation_block() -> None:
    from tests.support.cases import drc_case

    page = drc_case("section_leftnav_real")
    view = page_view("section", page, get_profile("generic@https://drc.gd.gov.cn/zwgk5590/"))
    assert view["methods"] == {"columns": "fallback:nav-links"}
    assert [c["name"] for c in view["columns"]] == [
        c["name"] for c in page_view("section", page, get_profile("drc"))["columns"]]


# --- a profile whose selectors stop matching (the live template changed) ---------------------------------

def drift(path: str, *subs: tuple[str, str]) -> bytes:
    body = (SITE_DIR / path.lstrip("/")).read_text(encoding="utf-8")
    for old, new in subs:
        assert old in body, old
        body = body.replace(old, new)
    return body.encode("utf-8")


SEED = "/zcfg/zcjd/content/post_2107282.html"
ARTICLE_DRIFT = (('<h1 class="title">', '<h2 class="headline">'), ("</h1>", "</h2>"),
                 ('id="content1" class="article-content"', 'class="main-text"'), ('class="info"', 'class="meta-row"'),
                 ('class="position"', 'class="path"'))


def test_a_drifted_article_template_is_read_by_the_fallbacks() -> None:
    gdcac = get_profile("gdcac")
    expected = page_view("article", mirror_page(SEED), gdcac)
    view = page_view("article", mirror_page(SEED, body=drift(SEED, *ARTICLE_DRIFT)), gdcac)
    assert {k: view[k] for k in FIELDS} == {k: expected[k] for k in FIELDS}
    assert view["methods"] == {"title": "meta:ArticleTitle", "source": "fallback:label",
                               "published_at": "meta:PubDate", "column_path": "fallback:breadcrumb",
                               "body": "fallback:density"}


def spider_for(cls=GdcacSpider, **kwargs):
    crawler = get_crawler(cls)
    return cls.from_crawler(crawler, base_url=BASE, run_id="run-f", **kwargs)


def served(path: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=BASE + path, body=body, headers=UTF8, request=Request(BASE + path))


def test_the_spider_counts_every_fallback() -> None:
    spider = spider_for()
    stats = spider.crawler.stats
    (item,) = [x for x in spider.parse_article(served(SEED, drift(SEED, *ARTICLE_DRIFT)), column="政策解读",
                                               listed_title=None, listed_date=None) if isinstance(x, ArticleItem)]
    assert item.body_lines and item.methods["body"] == "fallback:density"
    for field in ("title", "source", "published_at", "column_path", "body"):
        assert stats.get_value(f"gdcac/fallback/{field}") == 1, field
    listing = "/zcfg/zcjd/index_2.html"
    body = drift(listing, ('class="comlist1', 'class="newslist'), ('id="pages"', 'id="pager"'),
                 ('class="con-tit2', 'class="column-head'))
    out = list(spider.parse_listing(served(listing, body), column="政策解读",
                                    column_url="https://www.gdcac.gov.cn/zcfg/zcjd/index.html", page_no=2,
                                    first_page_size=8))
    (page,) = [x for x in out if isinstance(x, ListingItem)]
    assert len(page.entries) == 8 and sum(e.offsite for e in page.entries) == 1
    assert BASE + "/zcfg/zcjd/index_3.html" in [r.url for r in out if isinstance(r, Request)]
    assert stats.get_value("gdcac/fallback/entries") == 1 and stats.get_value("gdcac/fallback/pager") == 1
    section = drift("/zcfg/index.html", ('id="leftnav"', 'id="sidemenu"'))
    out = list(spider.parse_section(served("/zcfg/index.html", section)))
    assert [r.cb_kwargs["column"] for r in out if isinstance(r, Request)] == ["政策解读", "法律法规", "规范性文件"]
    assert stats.get_value("gdcac/fallback/columns") == 1


def test_the_profile_path_counts_no_fallback() -> None:
    spider = spider_for()
    list(spider.parse_article(served(SEED, (SITE_DIR / SEED.lstrip("/")).read_bytes()), column="政策解读",
                              listed_title=None, listed_date=None))
    assert not [k for k in spider.crawler.stats.get_stats() if k.startswith("gdcac/fallback/")]


def test_pager_links_stand_in_for_a_missing_pager() -> None:
    listing = "/zcfg/zcjd/index_2.html"
    body = drift(listing, ('id="pages"', 'id="pager"'))
    body = re.sub(rb"<script[^>]*>[^<]*createPageHTML[^<]*</script>", b"", body)
    view = page_view("listing", mirror_page(listing, body=body), get_profile("gdcac"))
    assert view["methods"]["pager"] == "fallback:links" and view["pager"]["total_pages"] == 3


def test_generic_profile_crawls_with_the_unchanged_spider() -> None:
    spider = spider_for(PortalSpider, profile="generic@https://www.gdcac.gov.cn/zcfg/")
    assert spider.profile.name == "generic" and spider.profile.section_url == "https://www.gdcac.gov.cn/zcfg/"
    out = list(spider.parse_section(served("/zcfg/index.html", (SITE_DIR / "zcfg/index.html").read_bytes())))
    assert [r.url for r in out if isinstance(r, Request)] == [
        f"{BASE}/zcfg/zcjd/index.html", f"{BASE}/zcfg/flfg/index.html", f"{BASE}/zcfg/gfxwj/index.html"]


def test_density_needs_prose() -> None:
    from lxml import html

    assert density_body(html.fromstring("<html><body><ul><li><a href='/a'>首页</a></li></ul></body></html>")) is None


def test_a_block_page_served_with_200_gets_no_body_from_the_fallbacks() -> None:
    from gdcac_mirror.faults import MAINTENANCE_HTML, WAF_BLOCK_HTML

    waf = WAF_BLOCK_HTML.format(ip="127.0.0.1", time="2025-01-06 12:00:00", event="0" * 32)
    for html in (waf, MAINTENANCE_HTML):
        page = mirror_page(SEED, body=html.encode("utf-8"))
        for profile in (get_profile("gdcac"), resolve_profile("generic", page.url)):
            view = page_view("article", page, profile)
            assert view["body_text"] == [] and "body" not in view["methods"]  # validate drops it: no body


def test_an_attachment_block_outside_the_body_is_found_by_its_label() -> None:
    """The cagd rendering prints its attachments under the body container, headed by a bare 附件：; one link's
    file is missing (empty href), its name only in the link."""
    path = "/v/2022/10/2080.html"
    page = response_from_bytes("https://www.cagd.gov.cn" + path, (SITE_CAGD_DIR / path.lstrip("/")).read_bytes(),
                               UTF8)
    fields = page_view("article", page, get_profile("gdcac"))
    assert fields["methods"]["attachments"] == "fallback:labelled-block"
    assert [(a["name"], a["url"] is None) for a in fields["attachments"]] == [
        ("《儿童个人信息网络保护规定》全文.pdf", False), ("云计算服务安全评估办法（征求意见稿）.docx", False),
        ("附件3：移动互联网应用程序信息服务管理规定填报说明.pdf", True)]
