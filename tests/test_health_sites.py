"""Broken sites, each crawled for real by ``scrapy crawl`` against a server on a free loopback port (or none):
the run must exit 3 with one reason line that says what went wrong, and its row must say so too — never
"healthy" with nothing archived."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from gdcac_crawler.extensions.health import ExitStatus
from gdcac_mirror.crawl import run_crawl
from tests.support.sites import CannedSite, free_port, page, serve

#: No retries and short timeouts, so that each failure shows at once.
QUICK = {"RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "2", "DNS_TIMEOUT": "2", "LOG_LEVEL": "WARNING",
         "ROBOTSTXT_OBEY": "False", "GDCAC_BLOCK_RETRIES": "0", "GDCAC_HEALTH_MAX_ERRORS": "1000"}

NAV = ('<div class="topnav"><ul><li><a href="/">首页</a></li><li><a href="/news/">网信要闻</a></li>'
       '<li><a href="/channel/7/">政策法规</a></li><li><a href="/hd/">互动交流</a></li></ul></div>')
NAV_WITHOUT_SECTION = NAV.replace('<li><a href="/channel/7/">政策法规</a></li>', "")
MENU = ('<div class="sidebar"><h3>政策法规</h3><ul class="menu"><li><a href="/channel/71/">政策解读</a></li>'
        '<li><a href="/channel/72/">法律法规</a></li></ul></div>')
FOOTER = '<div class="footer"><p>主办单位：某某网信办</p></div>'


def listing(column: str, ids: range) -> str:
    items = "".join(f'<li><a href="/art/2024/3/{n}/art_{column}_{n}.html" title="第{n}号通知">第{n}号通知</a>'
                    f"<span>2024-03-{n:02d}</span></li>" for n in ids)
    return page(column, NAV + MENU + f'<div class="list"><ul class="items">{items}</ul></div>' + FOOTER)


def crawl(base_url: str, db: Path, *extra: str, spider: str = "gdcac") -> subprocess.CompletedProcess:
    return run_crawl(base_url, db, spider=spider, settings=QUICK, extra=extra, timeout=120)


def reason_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def run_row(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT healthy, health, finish_reason FROM runs").fetchone()
    finally:
        conn.close()


def assert_unhealthy(result: subprocess.CompletedProcess, db: Path, pattern: str) -> str:
    assert result.returncode == ExitStatus.UNHEALTHY, result.stderr[-3000:]
    line = reason_line(result)
    assert re.match(r"gdcac: run \S+ is unhealthy: " + pattern, line), line
    healthy, health, finish = run_row(db)
    assert healthy == 0 and finish == "finished" and re.match(pattern, health), health
    return line


# --- the start page cannot be fetched ------------------------------------------------------------------------


def test_nothing_listening(tmp_path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    line = assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                            r"the start page could not be fetched: ")
    assert base in line and "ConnectionRefusedError" in line


def test_no_name_resolution(tmp_path) -> None:
    line = assert_unhealthy(crawl("http://gdcac-portal.invalid", tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                            r"the start page could not be fetched: ")
    assert "http://gdcac-portal.invalid/" in line and re.search(r"DNSLookupError|CannotResolveHostError", line)


def test_a_server_that_never_answers(tmp_path) -> None:
    with serve(CannedSite(hang=6)) as base:
        line = assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                                r"the start page could not be fetched: ")
    assert base in line and "Timeout" in line


@pytest.mark.parametrize("status", [404, 500])
def test_every_page_answers_an_http_error(tmp_path, status) -> None:
    with serve(CannedSite(default_status=status)) as base:
        line = assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                                r"the start page could not be fetched: ")
    assert base in line and f"HTTP {status}" in line


# --- the section, its columns, their listings -------------------------------------------------------------


def test_no_section_of_that_name_on_the_home_page(tmp_path) -> None:
    home = page("广东网信网", NAV_WITHOUT_SECTION + "<p>欢迎访问。</p>" + FOOTER)
    with serve(CannedSite({"/": (200, home)})) as base:
        line = assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                                r"the section was not found by its name on the home page")
    assert base in line


def test_a_section_without_columns(tmp_path) -> None:
    pages = {"/": (200, page("广东网信网", NAV + FOOTER)),
             "/channel/7/": (200, page("政策法规", NAV + "<p>本栏目正在建设中。</p>" + FOOTER))}
    with serve(CannedSite(pages)) as base:
        assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                         r"the section page showed no columns")


def test_every_listing_page_of_the_columns_fails(tmp_path) -> None:
    pages = {"/": (200, page("广东网信网", NAV + FOOTER)),
             "/channel/7/": (200, page("政策法规", NAV + MENU + FOOTER)),
             "/channel/71/": (500, page("错误", "<p>服务器错误</p>")),
             "/channel/72/": (503, page("错误", "<p>服务暂不可用</p>"))}
    with serve(CannedSite(pages)) as base:
        assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                         r"every listing page of 2 columns failed \(政策解读, 法律法规\)")


def test_listings_with_entries_but_no_article_behind_them(tmp_path) -> None:
    pages = {"/": (200, page("广东网信网", NAV + FOOTER)),
             "/channel/7/": (200, page("政策法规", NAV + MENU + FOOTER)),
             "/channel/71/": (200, listing("71", range(1, 4))),
             "/channel/72/": (200, listing("72", range(4, 7)))}
    # every entry's page answers 404: the listings show 6 entries, none can be archived
    with serve(CannedSite(pages)) as base:
        assert_unhealthy(crawl(base, tmp_path / "a.sqlite"), tmp_path / "a.sqlite",
                         r"no article archived: 6 article pages requested, listings showed 6 entries")


def test_the_generic_profile_on_a_site_whose_listings_all_404(tmp_path) -> None:
    section = page("政策法规", MENU.replace("/channel/", "/zcfg/") + FOOTER)
    with serve(CannedSite({"/zcfg/": (200, section)})) as base:
        result = crawl(base, tmp_path / "a.sqlite", "-a", f"profile=generic@{base}/zcfg/", spider="portal")
        assert_unhealthy(result, tmp_path / "a.sqlite", r"every listing page of 2 columns failed")
