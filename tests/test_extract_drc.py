"""The drc profile (drc.gd.gov.cn) on the real pages saved in tests/fixtures/drc/: the article's title, time,
source, body and attachment, the listing's entries and uncapped page count, the columns of 政务公开 — with
the spider's own code unchanged (the same PortalSpider walks it, driven by the profile)."""

from __future__ import annotations

from scrapy import Request
from scrapy.utils.test import get_crawler

from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.view import page_view
from gdcac_crawler.items import ArticleItem, ListingItem
from gdcac_crawler.profiles import get_profile, profile_for_url
from gdcac_crawler.spiders.portal import PortalSpider
from tests.support.cases import drc_case as load


def test_auto_picks_drc_by_host() -> None:
    assert profile_for_url("https://drc.gd.gov.cn/ywtz/content/post_4960402.html").name == "drc"
    assert get_profile("drc").section_url == "https://drc.gd.gov.cn/zwgk5590/"


def test_real_article_fields() -> None:
    view = page_view("article", load("article_ywtz_real"), get_profile("drc"))
    assert view["title"] == "关于印发《广东省重点行业节能降碳改造攻坚三年行动方案》的通知"
    assert view["published_at"] == "2026-09-24T17:25:04+08:00" and view["published_raw"] == "2026-09-24 17:25:04"
    assert view["source"] == "省能源局节能处" and view["source_raw"] == "信息来源：省能源局节能处"
    assert view["column_path"] == ["政务公开", "业务通知"]
    assert view["doc_number"] == "粤发改能源〔2026〕290号"
    body = view["body_text"]
    assert body[0] == "广东省发展改革委 广东省能源局 广东省工业和信息化厅 广东省"
    assert body[5].startswith("省有关单位，横琴粤澳深度合作区执委会")
    assert body[-1] == "附件：重点行业企业节能降碳改造计划项目储备清单"
    assert len(body) == 50 and all(body)
    text = "\n".join(body)
    for furniture in ("您所在的位置", "信息来源", "字体", "相关附件", "相关导读", "分享到", "打印文档", "关闭窗口",
                      "主办单位", "版权所有", ".xls"):
        assert furniture not in text
    assert view["attachments"] == [{"url": "https://drc.gd.gov.cn/attachment/0/626/626328/4960402.xls",
                                    "name": "附件：重点行业企业节能降碳改造计划项目储备清单.xls", "type": "xls"}]
    assert view["methods"]["attachments"] == "profile:attachment_css"  # a.doc inside .fjlis
    assert all(m.startswith("profile:") for k, m in view["methods"].items() if k != "doc_number")


def test_real_listing_and_its_uncapped_page_count() -> None:
    view = page_view("listing", load("listing_ywtz_real"), get_profile("drc"))
    assert view["column"] == "业务通知" and len(view["entries"]) == 20
    first = view["entries"][0]
    assert first["url"] == "https://drc.gd.gov.cn/ywtz/content/post_4960402.html"
    assert first["listed_date"] == "2026-09-24" and not first["offsite"]
    assert view["pager"]["total_items"] == 1071 and view["pager"]["per_page"] == 20
    assert view["pager"]["total_pages"] == 54  # the pager itself stops at its cap of 20
    assert max(view["pager"]["linked_pages"]) == 20


def test_columns_of_the_section_from_the_left_navigation() -> None:
    view = page_view("section", load("section_leftnav_real"), get_profile("drc"))
    names = [c["name"] for c in view["columns"]]
    assert len(names) == 13 and names[3] == "业务通知"
    assert view["columns"][3]["url"] == "https://drc.gd.gov.cn/ywtz/index.html"  # directly under the root


def test_the_unchanged_spider_walks_drc_with_its_profile() -> None:
    crawler = get_crawler(PortalSpider)
    spider = PortalSpider.from_crawler(crawler, profile="drc", base_url="http://127.0.0.1:8999", run_id="r")
    listing = load("listing_ywtz_real")
    page = listing.replace(url="http://127.0.0.1:8999/ywtz/index.html",
                           request=Request("http://127.0.0.1:8999/ywtz/index.html"))
    out = list(spider.parse_listing(page, column="业务通知", column_url="https://drc.gd.gov.cn/ywtz/index.html",
                                    page_no=1, first_page_size=None))
    items = [o for o in out if isinstance(o, ListingItem)]
    requests = [o for o in out if isinstance(o, Request)]
    assert items and len(items[0].entries) == 20
    assert "http://127.0.0.1:8999/ywtz/content/post_4960402.html" in [r.url for r in requests]
    assert "http://127.0.0.1:8999/ywtz/index_2.html" in [r.url for r in requests]
    article = load("article_ywtz_real")
    page = article.replace(url="http://127.0.0.1:8999/ywtz/content/post_4960402.html",
                           request=Request("http://127.0.0.1:8999/ywtz/content/post_4960402.html"))
    (item,) = [o for o in spider.parse_article(page, column="业务通知", listed_title=None, listed_date=None)
               if isinstance(o, ArticleItem)]
    assert item.url == "https://drc.gd.gov.cn/ywtz/content/post_4960402.html" and item.site == "drc"
    assert item.fetch.declared_encoding == "utf-8" and item.fetch.encoding == "utf-8"
    assert extract_article(article, get_profile("drc"))["title"] == item.title
