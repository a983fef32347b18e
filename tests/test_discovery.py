"""Discovery on sites never seen, on small hand-written pages and saved real ones: the section found by its
name on a home page, the columns of the section's own navigation (never the top navigation, wherever the
columns live), every pager form with its page count and page URLs, and article links of every URL scheme."""

from __future__ import annotations

import pytest

from gdcac_crawler.extract.discovery import find_section_link, is_article_shaped, is_page_url
from gdcac_crawler.extract.dom import parse_html
from gdcac_crawler.extract.encoding import response_from_bytes
from gdcac_crawler.extract.listing import extract_listing, extract_section, find_section
from gdcac_crawler.profiles import get_profile, resolve_profile
from tests.support.cases import drc_case

SITE = "https://www.portal.example"
UTF8 = {"Content-Type": "text/html; charset=utf-8"}

TOP_NAV = """
<div class="header"><a class="logo" href="/"><img src="/logo.png"></a></div>
<div class="menu"><ul class="mainnav">
  <li><a href="/">首页</a></li>
  <li><a href="/col/col11/index.html">网信动态</a></li>
  <li><a href="/col/col12/index.html">网信要闻</a></li>
  <li><a href="/col/col1234/index.html">政策法规</a></li>
  <li><a href="/col/col14/index.html">网络安全</a></li>
  <li><a href="/col/col15/index.html">网络文化</a></li>
  <li><a href="/col/col16/index.html">互动交流</a></li>
</ul></div>"""
FOOTER = """
<div class="footer"><ul>
  <li><a href="/sitemap/zcfg.html">政策法规</a></li><li><a href="/about/">关于我们</a></li>
  <li><a href="/sitemap/">网站地图</a></li>
</ul><p>主办单位：示例网信办 版权所有</p></div>"""


def page(url: str, body: str) -> object:
    return response_from_bytes(url, f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"
                               .encode(), UTF8)


def generic(url: str):
    return resolve_profile("generic", url)


# --- the section by its name ---------------------------------------------------------------------------

HOME = TOP_NAV + """
<div class="news"><h3>要闻</h3><ul>
  <li><a href="/v/2024/03/4773.html">学习政策法规的几点体会</a><span>2024-03-05</span></li>
  <li><a href="/v/2024/03/4770.html">网信工作会议召开</a><span>2024-03-01</span></li>
</ul></div>
<div class="zt"><a href="/zt/zcfg2024/index.html">政策法规专题</a></div>""" + FOOTER


def test_the_section_is_found_by_name_in_the_top_navigation() -> None:
    home = page(SITE + "/", HOME)
    found = find_section(home, get_profile("gdcac"))
    assert found is not None and found.url == SITE + "/col/col1234/index.html"
    assert found.method == "nav-name" and found.name == "政策法规"
    # the navigation bar it stands in recurs on the section's pages
    assert SITE + "/col/col11/index.html" in found.nav_urls and SITE + "/" in found.nav_urls


def test_neither_a_footer_link_nor_an_article_title_is_taken_for_the_section() -> None:
    no_nav = HOME.replace('<li><a href="/col/col1234/index.html">政策法规</a></li>', "")
    found = find_section_link(parse_html(no_nav), SITE + "/", "政策法规",
                              same_site=lambda u: u.startswith(SITE))
    # the footer's exact 政策法规 and the dated article 学习政策法规… lose to a short link that contains the name
    assert found is not None and found.url == SITE + "/zt/zcfg2024/index.html"
    assert found.method == "link-contains"
    only_footer = no_nav.replace('<div class="zt"><a href="/zt/zcfg2024/index.html">政策法规专题</a></div>', "")
    found = find_section_link(parse_html(only_footer), SITE + "/", "政策法规", same_site=lambda u: u.startswith(SITE))
    assert found is not None and found.url == SITE + "/sitemap/zcfg.html"  # the last resort, never an article


def test_the_title_attribute_names_the_section_too() -> None:
    body = TOP_NAV.replace('>政策法规</a>', ' title="政策法规"><img src="/n4.png"></a>')
    found = find_section_link(parse_html(body), SITE + "/", "政策法规", same_site=lambda u: u.startswith(SITE))
    assert found is not None and found.url == SITE + "/col/col1234/index.html" and found.method == "nav-name"


def test_no_link_names_the_section() -> None:
    body = TOP_NAV.replace("政策法规", "政务公开")
    assert find_section(page(SITE + "/", body), get_profile("gdcac")) is None


# --- columns: the section's own navigation ---------------------------------------------------------------

SECTION = TOP_NAV + """
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1234/index.html">政策法规</a></div>
<div class="left"><h3>政策法规</h3><ul class="sub">
  <li><a href="/col/col1301/index.html">政策解读</a></li>
  <li><a href="/col/col1302/index.html">法律法规</a></li>
  <li><a href="/col/col1303/index.html">规范性文件</a></li>
</ul></div>
<div class="main"><ul class="list">
  <li><a href="/art/2024/3/5/art_1301_1.html">解读一</a><span>2024-03-05</span></li>
  <li><a href="/art/2024/3/1/art_1302_2.html">法规二</a><span>2024-03-01</span></li>
</ul></div>""" + FOOTER
SECTION_URL = SITE + "/col/col1234/index.html"
COLUMNS = [("政策解读", SITE + "/col/col1301/index.html"), ("法律法规", SITE + "/col/col1302/index.html"),
           ("规范性文件", SITE + "/col/col1303/index.html")]


def test_columns_are_the_left_menu_outside_the_section_folder_not_the_top_navigation() -> None:
    view = extract_section(page(SECTION_URL, SECTION), generic(SECTION_URL))
    assert view["columns"] == COLUMNS
    assert view["methods"] == {"columns": "fallback:nav-links"}


def test_a_profile_whose_rules_miss_finds_the_columns_of_a_section_found_elsewhere() -> None:
    gdcac = get_profile("gdcac")  # its rules: #leftnav a, /zcfg/{column}/
    view = extract_section(page(SECTION_URL, SECTION), gdcac, section_url=gdcac.canonical(SECTION_URL))
    assert [name for name, _ in view["columns"]] == ["政策解读", "法律法规", "规范性文件"]
    assert [gdcac.canonical(u).rsplit("/", 2)[1] for _, u in view["columns"]] == ["col1301", "col1302", "col1303"]


def test_a_top_navigation_without_a_home_link_is_known_by_the_home_page() -> None:
    bare_nav = SECTION.replace('<li><a href="/">首页</a></li>', "")
    bare_nav = bare_nav.replace('<div class="menu"><ul class="mainnav">', '<div><ul>')
    # with nothing else to tell, the bar's five other sections are the largest list
    assert len(extract_section(page(SECTION_URL, bare_nav), generic(SECTION_URL))["columns"]) == 5
    home_nav = [SITE + f"/col/col{n}/index.html" for n in (11, 12, 1234, 14, 15, 16)] + [SITE + "/"]
    view = extract_section(page(SECTION_URL, bare_nav), generic(SECTION_URL), nav_urls=home_nav)
    assert view["columns"] == COLUMNS


def test_the_more_links_of_a_section_pages_blocks_name_its_columns() -> None:
    blocks = TOP_NAV + "".join(
        f'<div class="block"><div class="hd"><span>{name}</span><a href="{url}">更多&gt;&gt;</a></div><ul>'
        f'<li><a href="/v/2024/0{i + 1}/10{i}.html">文章{i}</a><span>2024-0{i + 1}-01</span></li>'
        f'<li><a href="/v/2024/0{i + 1}/20{i}.html">文章{i}b</a><span>2024-0{i + 1}-02</span></li></ul></div>'
        for i, (name, url) in enumerate(COLUMNS)) + FOOTER
    view = extract_section(page(SECTION_URL, blocks), generic(SECTION_URL))
    assert view["columns"] == COLUMNS and view["methods"] == {"columns": "fallback:more-links"}


def test_the_real_drc_left_menu_is_still_found_with_its_top_navigation_left_out() -> None:
    view = extract_section(drc_case("section_leftnav_real"), get_profile("generic@https://drc.gd.gov.cn/zwgk5590/"))
    assert view["methods"] == {"columns": "fallback:nav-links"}
    assert ("业务通知", "https://drc.gd.gov.cn/ywtz/index.html") in view["columns"]
    assert all("首页" not in name for name, _ in view["columns"])


# --- pagers ----------------------------------------------------------------------------------------------

ENTRIES = "".join(f'<li><a href="./202403/t2024030{i}_{i}.html">标题{i}</a><span>2024-03-0{i}</span></li>'
                  for i in range(1, 5))


def listing(url: str, pager: str, entries: str = ENTRIES, page_no: int | None = None):
    return extract_listing(page(url, f"<ul class='list'>{entries}</ul><div class='pg'>{pager}</div>"),
                           generic(url), page_no=page_no)["pager"]


def script(code: str) -> str:
    return f"<script>{code}</script>"


def test_nfw_cms_create_page_html_counts_from_one() -> None:
    pager = listing(SITE + "/zcfg/zcjd/index.html", script('createPageHTML(34, 1, "index", "html");'))
    assert pager.form == "createPageHTML" and pager.total_pages == 34 and not pager.exact
    assert pager.rule is not None and pager.rule.url(2, "") == SITE + "/zcfg/zcjd/index_2.html"
    assert pager.rule.url(34, "") == SITE + "/zcfg/zcjd/index_34.html"


def test_trs_create_page_html_counts_from_zero() -> None:
    pager = listing(SITE + "/zwgk/tzgg/index.shtml", script('createPageHTML(34, 0, "index", "shtml");'))
    assert pager.form == "createPageHTML" and pager.total_pages == 34
    assert pager.rule is not None and pager.rule.url(2, "") == SITE + "/zwgk/tzgg/index_1.shtml"
    assert pager.rule.url(34, "") == SITE + "/zwgk/tzgg/index_33.shtml"


def test_create_page_html_with_an_element_id_and_variables() -> None:
    code = 'var countPage = Number("34"); var currentPage = 0; createPageHTML("page_div", countPage, currentPage, ' \
           '"index", "html", 672);'
    pager = listing(SITE + "/a/index.html", script(code))
    assert pager.form == "createPageHTML" and pager.total_pages == 34
    assert pager.rule is not None and pager.rule.url(2, "") == SITE + "/a/index_1.html"


@pytest.mark.parametrize("count", ["var countPage = 34//共多少页", 'var countPage = Number("34");'])
def test_count_page_gives_the_count_and_current_page_the_numbering(count: str) -> None:
    url = SITE + "/zwgk/tzgg/index.html"
    pager = listing(url, script(f"var currentPage = 0;//所在页从0开始\n{count}"))
    assert pager.form == "countPage" and pager.total_pages == 34
    assert pager.rule is not None and pager.rule.url(2, url) == SITE + "/zwgk/tzgg/index_1.html"
    pager = listing(url, script(count))  # nothing tells index_1 from index_2: the spider probes
    assert pager.form == "countPage" and pager.total_pages == 34 and pager.rule is not None
    assert pager.rule.offset is None


def test_the_real_trs_page_counts_from_zero() -> None:
    case = response_from_bytes(SITE + "/xxgk/xxgknb/index.html", (
        __import__("pathlib").Path(__file__).parent / "fixtures/generic/listing_trs_countpage_real/page.html"
    ).read_bytes(), UTF8)
    pager = extract_listing(case, generic(case.url))["pager"]
    assert pager.form == "countPage" and pager.total_pages == 2
    assert pager.next_url == SITE + "/xxgk/xxgknb/index_1.html"
    assert pager.rule is not None and pager.rule.url(2, case.url) == pager.next_url


def test_the_real_nfw_cms_page_counts_from_one_and_past_its_cap() -> None:
    case = drc_case("listing_ywtz_real")
    pager = extract_listing(case, get_profile("drc"))["pager"]
    assert pager.form == "createPageHTML" and pager.exact and pager.total_pages == 54  # Math.ceil(1071/20)
    assert max(pager.linked_pages) == 20  # the capped 最后一页
    assert pager.rule is not None and pager.rule.url(54, case.url) == "https://drc.gd.gov.cn/ywtz/index_54.html"


@pytest.mark.parametrize("param", ["page", "pageNo", "p", "curPage"])
def test_query_pagers(param: str) -> None:
    url = SITE + "/news/index.html"
    links = "".join(f'<a href="index.html?{param}={n}">{n}</a>' for n in (1, 2, 3, 4, 5))
    pager = listing(url, links + f'<a href="index.html?{param}=2">下一页</a><a href="index.html?{param}=12">尾页</a>')
    assert pager.form == "query" and pager.total_pages == 12 and pager.next_url == f"{url}?{param}=2"
    assert pager.rule is not None and pager.rule.url(2, url) == f"{url}?{param}=2"
    assert pager.rule.url(12, url) == f"{url}?{param}=12"


def test_a_zero_based_query_pager_is_read_from_its_numbered_links() -> None:
    url = SITE + "/list.jsp?cid=5"
    links = "".join(f'<a href="/list.jsp?cid=5&pageIndex={n - 1}">{n}</a>' for n in (1, 2, 3))
    pager = listing(url, links)
    assert pager.form == "query" and pager.total_pages == 3
    assert pager.rule is not None and pager.rule.url(2, url) == SITE + "/list.jsp?cid=5&pageIndex=1"


def test_next_links_alone() -> None:
    url = SITE + "/news/list.html"
    pager = listing(url, '<a href="list_2.html">下一页</a>')
    assert pager.form == "next-link" and pager.next_url == SITE + "/news/list_2.html"
    assert pager.rule is not None and pager.rule.url(5, url) == SITE + "/news/list_5.html"
    for text in ("下页", "后页", "&gt;"):
        assert listing(url, f'<a href="?page=3">{text}</a>', page_no=2).next_url == url + "?page=3"
    # 尾页 alone on page 2 of a ?page= pager: its number is the count
    pager = listing(url + "?page=2", '<a href="?page=3">下一页</a><a href="?page=9">末页</a>', page_no=2)
    assert pager.total_pages == 9 and pager.rule is not None and pager.rule.url(9, url) == url + "?page=9"


def test_trs_static_links_count_from_zero() -> None:
    url = SITE + "/tjsj/zxfb/index.html"
    links = "".join(f'<a href="index_{n - 1}.html">{n}</a>' for n in (2, 3, 4, 5))
    pager = listing(url, "共25页 <span>1</span>" + links + '<a href="index_1.html">下一页</a>'
                    '<a href="index_24.html">尾页</a>')
    assert pager.form == "static-links" and pager.total_pages == 25
    assert pager.rule is not None and pager.rule.url(2, url) == SITE + "/tjsj/zxfb/index_1.html"
    assert pager.rule.url(25, url) == SITE + "/tjsj/zxfb/index_24.html"


def test_no_pager() -> None:
    pager = listing(SITE + "/news/index.html", "")
    assert pager.form == "none" and pager.rule is None and pager.next_url is None and pager.total_pages == 1


# --- article links -----------------------------------------------------------------------------------------

SCHEMES = ["/zcfg/zcjd/content/post_2107282.html", "/zwgk/tzgg/202206/t20220622_123456.html",
           "/2026-03/17/c_1234567890123456.htm", "/v/2024/03/4773.html", "/art/2026/8/5/art_11018_999.html"]


@pytest.mark.parametrize("path", SCHEMES)
def test_article_urls_of_every_scheme(path: str) -> None:
    assert is_article_shaped(SITE + path) and is_page_url(SITE + path)


@pytest.mark.parametrize("path", ["/zcfg/zcjd/index.html", "/zcfg/zcjd/index_2.html", "/col/col1301/index.html",
                                  "/attachment/0/626/4960402.xls", "/news/list_3.shtml"])
def test_listing_pages_and_files_are_not_articles(path: str) -> None:
    assert not is_article_shaped(SITE + path)
    assert not is_page_url(SITE + path)


def test_undated_article_links_of_every_scheme_are_the_entries_and_nav_or_pager_links_never() -> None:
    items = "".join(f'<li><a href="{p}">第{i}篇</a></li>' for i, p in enumerate(SCHEMES))
    body = TOP_NAV + f"<div class='list'><ul>{items}</ul></div>" \
        '<div class="pg"><a href="index.html?page=2">2</a><a href="index.html?page=2">下一页</a></div>' + FOOTER
    url = SITE + "/col/col1301/index.html"
    found = extract_listing(page(url, body), generic(url))
    assert [e.url for e in found["entries"]] == [SITE + p for p in SCHEMES]
    assert found["methods"]["entries"] == "fallback:url-pattern"


def test_dated_entries_of_a_date_folder_scheme() -> None:
    items = "".join(f'<li><a href="/v/2024/0{m}/{n}.html" title="标题{n}">标题{n}</a><em>2024-0{m}-1{m}</em></li>'
                    for m, n in ((3, 4773), (2, 4701), (1, 4650)))
    url = SITE + "/col/col1301/index.html"
    found = extract_listing(page(url, TOP_NAV + f"<ul class='news'>{items}</ul>" + FOOTER), generic(url))
    assert [(e.url, e.listed_date) for e in found["entries"]] == [
        (SITE + "/v/2024/03/4773.html", "2024-03-13"), (SITE + "/v/2024/02/4701.html", "2024-02-12"),
        (SITE + "/v/2024/01/4650.html", "2024-01-11")]
    assert found["methods"]["entries"] == "fallback:dated-links"
