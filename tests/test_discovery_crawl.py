"""`scrapy crawl gdcac` of a site it has never seen, served on a free loopback port: the profile's section
path answers 404, so the crawl finds 政策法规 by its name on the home page (at a path of its own, columns
outside its folder), walks a ``?page=N`` pager, a static pager capped at 3 pages past its cap, and TRS's
0-based ``index_N`` pages known only from ``var countPage`` — and archives every article, counting the way
it went."""

from __future__ import annotations

import json
import sqlite3

import pytest

from gdcac_crawler.profiles import get_profile
from gdcac_mirror.crawl import run_crawl
from tests.support.sites import StaticSite

NAV = """<div class="menu"><ul class="mainnav">
  <li><a href="/">首页</a></li><li><a href="/col/col11/index.html">网信动态</a></li>
  <li><a href="/col/col12/index.html">网信要闻</a></li><li><a href="/col/col1234/index.html">政策法规</a></li>
  <li><a href="/col/col14/index.html">网络安全</a></li><li><a href="/col/col16/index.html">互动交流</a></li>
</ul></div>"""
FOOTER = """<div class="footer"><a href="/sitemap/zcfg.html">政策法规</a> <a href="/sitemap/">网站地图</a>
<p>主办单位：示例网信办</p></div>"""
MENU = """<div class="left"><h3>政策法规</h3><ul class="sub">
  <li><a href="/col/col1301/index.html">政策解读</a></li><li><a href="/col/col1302/index.html">法律法规</a></li>
  <li><a href="/col/col1303/index.html">规范性文件</a></li><li><a href="/col/col1309/index.html">联系我们</a></li>
</ul></div>"""
WECHAT = "https://mp.weixin.qq.com/s/AbCdEf"


def html(title: str, body: str, script: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{NAV}"
            f"{body}{f'<script>{script}</script>' if script else ''}{FOOTER}</body></html>")


def listing_page(column: str, entries: list[tuple[str, str, str]], pager: str, script: str = "") -> str:
    items = "".join(f'<li><a href="{url}" title="{title}">{title}</a><span>{day}</span></li>'
                    for url, title, day in entries)
    return html(column, f'{MENU}<div class="main"><h2>{column}</h2><ul class="news">{items}</ul>'
                        f'<div class="pg">{pager}</div></div>', script)


def article(column: str, column_url: str, title: str, day: str) -> str:
    return html(title, f"""<div class="position">当前位置：<a href="/">首页</a> &gt;
        <a href="/col/col1234/index.html">政策法规</a> &gt; <a href="{column_url}">{column}</a></div>
        <h1 class="title">{title}</h1>
        <div class="info"><span class="source">来源：南方日报</span><span class="time">{day} 10:00</span></div>
        <div id="content1"><p>{title}。这是正文的第一段，讲述政策的背景、目的和主要内容，供读者了解。</p>
        <p>第二段说明实施的要求与时间安排，并请各单位认真贯彻落实。</p></div>""")


def build_site() -> tuple[dict[str, str], set[str]]:
    """The site's pages by path, and the paths of its articles."""
    pages: dict[str, str] = {
        "/": html("示例网信网", """<div class="news"><ul>
            <li><a href="/v/2024/02/1001.html">学习政策法规的几点体会</a><span>2024-02-05</span></li>
            <li><a href="/v/2024/02/1002.html">网信工作会议召开</a><span>2024-02-01</span></li></ul></div>"""),
        "/col/col1234/index.html": html(
            "政策法规", '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政策法规</div>' + MENU),
        "/col/col1309/index.html": html(
            "联系我们", MENU + "<div class='main'><p>地址：示例路1号 电话：12345678</p></div>"),
    }
    articles: dict[str, tuple[str, str, str, str]] = {}  # path -> (column, column_url, title, day)

    def entries(column: str, column_url: str, paths: list[str], start: int) -> list[tuple[str, str, str]]:
        out = []
        for i, path in enumerate(paths):
            day = f"2024-03-{28 - start - i:02d}"
            title = f"{column}第{start + i + 1}篇"
            if path != WECHAT:
                articles[path] = (column, column_url, title, day)
            out.append((path, title, day))
        return out

    # 政策解读: a ?page=N pager; page 1 also lists a WeChat article
    url = "/col/col1301/index.html"
    paths = [WECHAT] + [f"/v/2024/03/{4700 + n}.html" for n in range(9)]
    for n, chunk in enumerate((paths[:4], paths[4:8], paths[8:]), 1):
        links = "".join(f'<a href="index.html{"" if p == 1 else f"?page={p}"}">{p}</a>' for p in (1, 2, 3))
        nxt = f'<a href="index.html?page={n + 1}">下一页</a>' if n < 3 else ""
        pages[url + ("" if n == 1 else f"?page={n}")] = listing_page("政策解读", entries("政策解读", url, chunk,
                                                                                          4 * (n - 1)), links + nxt)
    # 法律法规: five full pages, a static pager capped at three (index_2 is page 2), no script
    url = "/col/col1302/index.html"
    for n in range(1, 6):
        chunk = [f"/art/2024/3/{n}/art_1302_{4 * n + k}.html" for k in range(4)]
        links = "".join(f'<a href="{"index.html" if p == 1 else f"index_{p}.html"}">{p}</a>' for p in (1, 2, 3))
        nxt = f'<a href="index_{n + 1}.html">下一页</a>' if n < 3 else ""
        pages[f"/col/col1302/index{'' if n == 1 else f'_{n}'}.html"] = listing_page(
            "法律法规", entries("法律法规", url, chunk, 4 * (n - 1)), links + nxt)
    # 规范性文件: TRS, the page count only in a script (index_1 is page 2); nothing tells the numbering
    url = "/col/col1303/index.html"
    for n, size in ((1, 4), (2, 4), (3, 2)):
        chunk = [f"/col/col1303/202403/t202403{10 + n:02d}_{100 * n + k}.html" for k in range(size)]
        pages[f"/col/col1303/index{'' if n == 1 else f'_{n - 1}'}.html"] = listing_page(
            "规范性文件", entries("规范性文件", url, chunk, 4 * (n - 1)), "", "var countPage = 3//共多少页")
    for path, (column, column_url, title, day) in articles.items():
        pages[path] = article(column, column_url, title, day)
    return pages, set(articles)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    pages, articles = build_site()
    db = tmp_path_factory.mktemp("discovery") / "archive.sqlite"
    with StaticSite(pages) as site:
        result = run_crawl(site.base_url, db, spider="gdcac", timeout=120,
                           extra=("-a", "run_id=run-d", "-a", "mode=full", "-s", "LOG_LEVEL=INFO"))
        requests = site.requests
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = 'run-d'").fetchone()[0])
    yield result, conn, stats, requests, articles
    conn.close()


def test_every_article_is_requested_once_and_archived(crawled) -> None:
    result, conn, stats, requests, articles = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(articles) == 9 + 20 + 10
    assert {path for path in articles if requests[path] == 1} == articles
    gdcac = get_profile("gdcac")
    archived = {r["url"] for r in conn.execute("SELECT url FROM articles")}
    assert archived == {gdcac.canonical("http://h" + path) for path in articles}
    assert stats["gdcac/article/requested"] == len(articles)
    (row,) = conn.execute("SELECT article_url, column_name FROM listings WHERE offsite = 1").fetchall()
    assert tuple(row) == (WECHAT, "政策解读")


def test_the_section_is_found_by_name_from_the_home_page(crawled) -> None:
    _, conn, stats, requests, _ = crawled
    assert requests["/zcfg/"] == 1 and requests["/"] == 1 and requests["/col/col1234/index.html"] == 1
    assert requests["/sitemap/zcfg.html"] == 0 and requests["/v/2024/02/1001.html"] == 0
    assert stats["gdcac/discovery/start"] == "home"
    assert stats["gdcac/discovery/section/nav-name"] == 1
    assert "gdcac/start/error" not in stats and "gdcac/section/not_found" not in stats
    kinds = dict(conn.execute("SELECT kind, count(*) FROM pages WHERE run_id = 'run-d' GROUP BY kind").fetchall())
    assert kinds["home"] == 1 and kinds["section"] == 1 and kinds["error"] == 1  # the profile's /zcfg/: 404


def test_columns_and_pagers_are_counted_by_the_way_they_were_found(crawled) -> None:
    _, _, stats, _, _ = crawled
    assert stats["gdcac/discovery/columns/nav-links"] == 4
    assert stats["gdcac/discovery/not_listing"] == 1  # 联系我们
    assert stats["gdcac/discovery/pager/query"] == 1
    assert stats["gdcac/discovery/pager/static-links"] == 1
    assert stats["gdcac/discovery/pager/countPage"] == 1
    assert stats["gdcac/listing/pages"] == 3 + 5 + 3
    assert stats["gdcac/discovery/articles/dated-links"] == 3 + 5 + 3
    assert "gdcac/column/all_failed" not in stats


def test_every_listing_page_is_walked_past_a_capped_pager(crawled) -> None:
    _, _, stats, requests, _ = crawled
    for path in ("/col/col1301/index.html?page=2", "/col/col1301/index.html?page=3"):
        assert requests[path] == 1, path
    # the pager stops at 3: pages 4 and 5 are probed for, and the missing index_6 ends the column
    for n in (2, 3, 4, 5, 6):
        assert requests[f"/col/col1302/index_{n}.html"] == 1, n
    assert stats["gdcac/listing/end_probe_missing"] == 1
    # TRS: index_1 is page 2, found by probing index_1 first; index_2 is page 3
    assert requests["/col/col1303/index_1.html"] == 1 and requests["/col/col1303/index_2.html"] == 1
    assert requests["/col/col1303/index_3.html"] == 0  # page 3 was short: the end
