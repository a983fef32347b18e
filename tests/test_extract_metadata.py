"""Metadata: source (来源 / 信息来源 / ContentSource) with junk values recognised, author and 责任编辑,
文号 and 索引号, on saved pages and on the lines the pages print them in."""

from __future__ import annotations

from gdcac_crawler.extract.cleaning import clean_source
from gdcac_crawler.extract.metadata import labelled_value
from gdcac_crawler.extract.view import page_view
from gdcac_crawler.profiles import get_profile, resolve_profile
from tests.support.cases import case_response


def test_junk_meta_source_gives_way_to_the_visible_source() -> None:
    view = page_view("article", case_response("gdcac", "article_junk_meta_source"), get_profile("gdcac"))
    assert view["meta"]["ContentSource"] == "admin_wx07" and view["source"] == "“中国网信杂志”微信公众号"


def test_junk_values_are_recognised() -> None:
    gdcac, generic = get_profile("gdcac"), get_profile("generic")
    meta = {"SiteName": "示例市互联网信息办公室"}
    assert clean_source(None, {"ContentSource": "gdcac_bj01"}, gdcac) == (None, None)  # an editor's account
    assert clean_source("来源：广东省互联网信息办公室", {}, gdcac) == (None, None)  # the site itself
    assert clean_source("来源：示例市互联网信息办公室", meta, generic) == (None, None)  # the page's SiteName
    assert clean_source("来源：本网", {}, generic) == (None, None)
    assert clean_source("来源：本网", {"ContentSource": "新华社"}, generic) == ("新华社", "meta:ContentSource")
    assert clean_source("信息来源：&ldquo;网信中国&rdquo; 作者：张三", {}, generic) == ("“网信中国”", "profile:info")


def test_labelled_values_in_lines_and_table_cells() -> None:
    lines = ["索　引　号：", "11440000MB2C12345X/2022-00123", "分　　类：", "通知公告",
             "发布时间：2022-06-22 来源：南方网 作者：李明 责任编辑：王芳", "文　　号：示网信〔2022〕12号"]
    assert labelled_value(lines, "index_number")[0] == "11440000MB2C12345X/2022-00123"
    assert labelled_value(lines, "source") == ("南方网", "来源：南方网 作者：李明 责任编辑：王芳")
    assert labelled_value(lines, "author")[0] == "李明"
    assert labelled_value(lines, "editor")[0] == "王芳"
    assert labelled_value(lines, "doc_number")[0] == "示网信〔2022〕12号"
    assert labelled_value(["来源："], "source") == (None, None)


def test_all_metadata_of_the_trs_page() -> None:
    page = case_response("generic", "article_trs_furniture")
    view = page_view("article", page, resolve_profile("generic", page.url))
    assert (view["source"], view["author"], view["editor"]) == ("示例市委网信办", "李明", "王芳")
    assert view["doc_number"] == "示网信〔2022〕12号" and view["index_number"] == "11440000MB2C12345X/2022-00123"
    assert view["published_at"] == "2022-06-22T10:08:00+08:00" and view["published_raw"] == "2022年06月22日 10:08"
    assert view["source"] != view["meta"]["ContentSource"]  # webadmin01, an account name


def test_document_number_printed_under_the_title() -> None:
    view = page_view("article", case_response("drc", "article_ywtz_real"), get_profile("drc"))
    assert view["doc_number"] == "粤发改能源〔2026〕290号" and view["methods"]["doc_number"] == "fallback:body-line"
