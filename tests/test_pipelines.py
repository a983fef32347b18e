"""Pipelines against a temporary database: clean → validate → archive, as the crawl chains them."""

from __future__ import annotations

import asyncio
import functools
import inspect
import sqlite3

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from gdcac_crawler.items import ArticleItem, ListingEntry, ListingItem, PageFailure
from gdcac_crawler.pipelines.archive import ArchivePipeline
from gdcac_crawler.pipelines.clean import CleanPipeline
from gdcac_crawler.pipelines.validate import ValidatePipeline
from gdcac_crawler.spiders.gdcac import GdcacSpider
from tests.factories import make_fetch

URL = "https://www.gdcac.gov.cn/zcfg/zcjd/content/post_1000001.html"
LIST_URL = "https://www.gdcac.gov.cn/zcfg/zcjd/index.html"


#: This module's fetches: run run-1, fetched 2026-11-29, with an ETag.
fetch = functools.partial(make_fetch, run_id="run-1", at="2026-11-29T08:00:00.000Z", body=b"<html>page</html>",
                          etag='"abc"')


def raw_article(**overrides) -> ArticleItem:
    fields = dict(
        url=URL, site="gdcac", fetch=fetch(URL), title="标题&ldquo;一&rdquo;",
        source_raw="信息来源：&ldquo;网信广东&rdquo;",
        published_at="2022-06-22T10:08:00+08:00", published_raw="2022-06-22 10:08",
        column_path=["政策法规", "政策解读"], column="政策解读",
        body_lines=["中共广东省委网络安全和信息化委员会办公室", "当前位置:首页 > 政策法规 > 政策解读",
                    "【字体：大 中 小】", "第一段。", "微信图片_1.png", "图注。", "第二段可“打印本页”。", "分享到：",
                    "关闭窗口"],
        body_html="<p>【字体：大 中 小】</p><p>第一段。</p><p><img src='x.png' alt='微信图片_1.png'></p>"
                  "<p>图注。</p><p>第二段可“打印本页”。</p><p>分享到：</p><p>关闭窗口</p>",
        images=[{"src": "https://www.gdcac.gov.cn/x.png", "alt": "微信图片_1.png", "caption": "图注。"}],
        meta={"ContentSource": "gdcac_bj01"},
    )
    fields.update(overrides)
    return ArticleItem(**fields)


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(GdcacSpider, {"GDCAC_ARCHIVE_PATH": str(tmp_path / "a.sqlite")})
    crawler.spider = GdcacSpider.from_crawler(crawler, run_id="run-1")
    return crawler


@pytest.fixture
def chain(crawler):
    archive = ArchivePipeline.from_crawler(crawler)
    asyncio.run(archive.open_spider())
    steps = [CleanPipeline.from_crawler(crawler), ValidatePipeline.from_crawler(crawler), archive]

    async def through(item):
        for step in steps:
            result = step.process_item(item)
            item = await result if inspect.isawaitable(result) else result
        return item

    def run(item):
        try:
            return asyncio.run(through(item))
        except DropItem as exc:
            archive.item_dropped(item, None, exc)
            raise

    yield run, archive
    if archive.archive is not None:
        archive.close_spider()
        archive.spider_closed(crawler.spider, "finished")


def query(crawler, sql, *args):
    archive = crawler.settings.get("GDCAC_ARCHIVE_PATH")
    conn = sqlite3.connect(archive)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_clean_removes_boilerplate_decodes_entities_and_keeps_prose(chain) -> None:
    run, _ = chain
    item = run(raw_article())
    assert item.body_text == "第一段。\n图注。\n第二段可“打印本页”。"
    assert item.title == "标题“一”"
    assert item.source == "“网信广东”"
    assert "字体" not in item.body_html and "分享到" not in item.body_html and "图注。" in item.body_html
    assert item.images[0]["caption"] == "图注。"


def test_junk_meta_source_is_not_used_when_the_page_shows_none(chain) -> None:
    run, _ = chain
    assert run(raw_article(source_raw=None)).source is None


def test_archive_writes_article_page_and_run(crawler, chain) -> None:
    run, archive = chain
    run(raw_article())
    run(ListingItem(url=LIST_URL, site="gdcac", column="政策解读", column_url=LIST_URL, page_no=1,
                    entries=[ListingEntry(url=URL, title="标题", listed_date="2022-06-22", position=1),
                             ListingEntry(url="https://mp.weixin.qq.com/s/x", title="微信", listed_date=None,
                                          position=2, offsite=True)],
                    fetch=fetch(LIST_URL, body=b"<html>list</html>", kind="listing")))
    archive.close_spider()
    archive.spider_closed(crawler.spider, "finished")
    assert query(crawler, "SELECT url, title, source, version, first_run_id FROM articles") == [
        (URL, "标题“一”", "“网信广东”", 1, "run-1")]
    assert sorted(query(crawler, "SELECT kind, status FROM pages")) == [("article", 200), ("listing", 200)]
    assert query(crawler, "SELECT article_url, offsite FROM listings ORDER BY position") == [
        (URL, 0), ("https://mp.weixin.qq.com/s/x", 1)]
    # the run's counts are read from the archive: the one listing page written counts, the spider counted no
    # off-site entry
    assert query(crawler, "SELECT finish_reason, articles_new, listing_pages, offsite_links FROM runs") == [
        ("finished", 1, 1, 0)]
    assert crawler.stats.get_value("gdcac/archive/new") == 1


def test_second_pass_of_the_same_article_is_unchanged(crawler, chain) -> None:
    run, archive = chain
    run(raw_article())
    run(raw_article())
    archive.close_spider()
    assert query(crawler, "SELECT count(*), max(version) FROM articles") == [(1, 1)]
    assert crawler.stats.get_value("gdcac/archive/unchanged") == 1


@pytest.mark.parametrize("overrides, reason", [
    ({"title": None, "meta": {}}, "missing_title"),
    ({"body_lines": ["当前位置:首页 > 政策法规", "关闭窗口"], "images": []}, "missing_body"),
])
def test_validate_drops_with_a_counted_reason_and_the_page_is_kept(crawler, chain, overrides, reason) -> None:
    run, archive = chain
    with pytest.raises(DropItem, match=reason):
        run(raw_article(**overrides))
    archive.close_spider()
    assert crawler.stats.get_value(f"gdcac/dropped/{reason}") == 1
    assert query(crawler, "SELECT count(*) FROM articles") == [(0,)]
    rows = query(crawler, "SELECT kind, error FROM pages")
    assert len(rows) == 1 and rows[0][0] == "rejected" and reason in rows[0][1]


def test_an_article_that_is_one_image_or_one_document_is_kept(crawler, chain) -> None:
    run, archive = chain
    run(raw_article(body_lines=["当前位置:首页 > 政策法规", "一图读懂.png", "关闭窗口"],
                    images=[{"src": "https://www.gdcac.gov.cn/a.png", "alt": "一图读懂.png", "caption": None}]))
    other = "https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2100001.html"
    run(raw_article(url=other, fetch=fetch(other), body_lines=["关闭窗口"], images=[],
                    attachments=[{"url": "https://www.gdcac.gov.cn/attachment/x.pdf", "name": "全文.pdf",
                                  "type": "pdf"}]))  # fmt: skip
    archive.close_spider()
    rows = query(crawler, "SELECT body_text, json_array_length(images), json_array_length(attachments) "
                          "FROM articles ORDER BY url")  # fmt: skip
    assert sorted(rows) == [(None, 0, 1), (None, 1, 0)]  # no text: NULL, not an empty string
    assert crawler.stats.get_value("gdcac/validate/body_without_text") == 2
    assert crawler.stats.get_value("gdcac/fields/body_text/empty") == 2
    assert not [k for k in crawler.stats.get_stats() if k.startswith("gdcac/dropped/")]


def test_failures_are_recorded_with_their_reason(crawler, chain) -> None:
    run, archive = chain
    failed = fetch(URL, body=b"not found", kind="error")
    failed.status, failed.error = 404, "HTTP 404 (article page)"
    run(PageFailure(site="gdcac", fetch=failed))
    archive.close_spider()
    assert query(crawler, "SELECT kind, status, error FROM pages") == [("error", 404, "HTTP 404 (article page)")]


def test_archive_needs_a_path(tmp_path) -> None:
    crawler = get_crawler(GdcacSpider, {"GDCAC_ARCHIVE_PATH": ""})
    with pytest.raises(NotConfigured, match="GDCAC_ARCHIVE_PATH"):
        ArchivePipeline.from_crawler(crawler)


def test_the_fields_counted_are_the_fields_health_watches(tmp_path) -> None:
    crawler = get_crawler(GdcacSpider, {"GDCAC_ARCHIVE_PATH": str(tmp_path / "a.sqlite"),
                                        "GDCAC_HEALTH_FIELDS": ["author", "body_text"]})  # fmt: skip
    crawler.spider = GdcacSpider.from_crawler(crawler, run_id="run-1")
    ValidatePipeline.from_crawler(crawler).count_fields(
        ItemAdapter(raw_article(author=None, body_text="", methods={"body": "fallback:density"})))
    stats = crawler.stats.get_stats()
    assert stats["gdcac/fields/author/empty"] == 1  # a field added to the watch list is counted
    assert stats["gdcac/fields/body_text/fallback"] == 1 and stats["gdcac/fields/body_text/empty"] == 1
    assert not any(k.startswith("gdcac/fields/title/") for k in stats)  # no longer watched: not counted
