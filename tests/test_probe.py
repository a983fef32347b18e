"""``gdcac probe``: a first, polite look at a portal, and the draft profile it writes.

The probe runs in a subprocess (it starts Twisted's reactor) against the mirror on a free loopback port,
naming the mirror's live origin with ``--base-url`` as an operator would name the live site.  Expected values
come from the mirror's manifest.  The selectors, URL patterns and the profile writer are checked on small pages.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gdcac_crawler.cli import main
from gdcac_crawler.extract.dom import parse_html
from gdcac_crawler.extract.selectors import Case, candidates, cover, first_is, is_stable, url_pattern
from gdcac_crawler.items import PageKind
from gdcac_crawler.probe import ProbeFindings
from gdcac_crawler.profiles import get_profile
from gdcac_crawler.profiles.writer import render_profile
from gdcac_crawler.spiders.probe import ProbeSpider
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.crawl import run_crawl

MANIFEST = load_manifest()
LIVE = MANIFEST["site"]["base_url"]


def probe(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``gdcac probe ARGS`` in a subprocess, to the end."""
    return subprocess.run([sys.executable, "-m", "gdcac_crawler.cli", "probe", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def probed(mirror: MirrorProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The probe of rendering 1 (JSON report), the draft profile it wrote, and what the mirror served."""
    draft = tmp_path_factory.mktemp("probe") / "draft_gdcac.py"
    mirror.reset_stats()
    result = probe(LIVE + "/", "--base-url", mirror.base_url, "--delay", "0", "--json", "--write-profile",
                   str(draft))
    assert result.returncode == 0, result.stderr[-3000:]
    return {"report": json.loads(result.stdout), "draft": draft, "served": mirror.stats()["by_path"]}


def test_probe_finds_the_section_by_name_and_its_columns(probed: dict[str, Any]) -> None:
    report = probed["report"]
    assert report["section_url"] in (LIVE + "/zcfg/", LIVE + "/zcfg/index.html")
    assert report["section_method"] == "nav-name"
    assert report["profile"]["section_path"] == "/zcfg/"
    assert [(c["name"], c["url"]) for c in report["columns"]] == [
        (c["name"], c["url"]) for c in MANIFEST["columns"]]
    assert [c["name"] for c in report["columns"]] == ["政策解读", "法律法规", "规范性文件"]


def test_probe_reports_each_columns_pager_and_page_count(probed: dict[str, Any]) -> None:
    by_name = {c["name"]: c for c in probed["report"]["columns"]}
    for column in MANIFEST["columns"]:
        found = by_name[column["name"]]
        assert found["pages"] == column["pages"]  # uncapped: zcjd's pager shows 3 of its 6 pages
        assert found["pager_form"] == f"createPageHTML (Math.ceil({column['total_items']}/{column['per_page']}))"
        assert found["pages_exact"]
        assert found["entries"] == len(column["listing_pages"][0]["entries"])
        assert found["page_2"] == column["listing_pages"][1]["path"]


def test_probe_generalises_the_article_url_pattern(probed: dict[str, Any]) -> None:
    assert probed["report"]["article_url_pattern"] == r"/content/post_\d+\.html$"


def test_probe_reads_three_articles_from_three_columns_as_the_manifest_has_them(probed: dict[str, Any]) -> None:
    articles = {a["url"]: a for a in MANIFEST["articles"]}
    report = probed["report"]["articles"]
    assert len(report) == 3
    assert len({a["column"] for a in report}) == 3
    for probed_article in report:
        expected = articles[probed_article["url"]]
        values = {f["field"]: f["value"] for f in probed_article["fields"]}
        methods = {f["field"]: f["method"] for f in probed_article["fields"]}
        assert values["title"] == expected["title"]
        assert values["published_at"] == expected["published"]
        assert values["source"] == expected["source"]
        assert values["column_path"] == expected["column_path"]
        assert values["body"].split("\n")[:2] == expected["body_paragraphs"][:2]
        assert methods["body"] == "fallback:density"  # the generic profile assumes nothing


def test_probe_fetches_only_what_it_reports(probed: dict[str, Any]) -> None:
    """robots.txt, the home page, the section, one listing page per column and three articles: nothing else."""
    served = probed["served"]
    listings = {c["listing_pages"][0]["path"] for c in MANIFEST["columns"]}
    articles = {a["url"].removeprefix(LIVE) for a in probed["report"]["articles"]}
    assert set(served) == {"/robots.txt", "/", "/zcfg/index.html"} | listings | articles
    assert all(count == 1 for count in served.values())


def test_the_written_profile_crawls_every_article_with_no_fallback(probed: dict[str, Any], mirror: MirrorProcess,
                                                                   tmp_path: Path) -> None:
    draft = probed["draft"]
    profile = get_profile(str(draft))
    assert profile.base_url == LIVE and profile.section_name == "政策法规"
    db = tmp_path / "draft.sqlite"
    result = run_crawl(mirror.base_url, db, spider="portal", extra=("-a", f"profile={draft}", "-a", "mode=full"),
                       timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        urls = {row[0] for row in conn.execute("SELECT url FROM articles")}
        stats = json.loads(conn.execute("SELECT stats FROM runs").fetchone()[0])
        fallback_fields = conn.execute("SELECT fallback_fields FROM runs").fetchone()[0]
    assert urls == {a["url"] for a in MANIFEST["articles"]}
    assert [key for key in stats if key.startswith("gdcac/fallback/")] == []
    assert fallback_fields == 0


@pytest.fixture
def robots_mirror(tmp_path: Path) -> Any:
    """The mirror with a robots.txt that disallows the section."""
    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /zcfg/\n", encoding="utf-8")
    with MirrorProcess(root) as served:
        yield served


def test_robots_txt_disallowing_the_section_stops_the_probe_before_it(robots_mirror: MirrorProcess) -> None:
    result = probe(LIVE + "/", "--base-url", robots_mirror.base_url, "--delay", "0")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: cannot fetch the section page {LIVE}/zcfg/index.html: "
                      "IgnoreRequest: Forbidden by robots.txt"]
    assert set(robots_mirror.stats()["by_path"]) == {"/robots.txt", "/"}


class _TimedHandler(SimpleHTTPRequestHandler):
    """Serves the mirror's files, each answer taking 50 ms, and records when each request came and went."""

    log: list[tuple[float, float, str, str]]

    def do_GET(self) -> None:
        start = time.monotonic()
        time.sleep(0.05)
        super().do_GET()
        self.log.append((start, time.monotonic(), self.path, self.headers.get("User-Agent", "")))

    def log_message(self, *args: Any) -> None:
        pass


def test_requests_come_one_at_a_time_with_the_delay_between(tmp_path: Path) -> None:
    handler = type("Handler", (_TimedHandler,), {"log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(SITE_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        result = probe(LIVE + "/", "--base-url", base, "--delay", "0.2", "--json")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    log = sorted(handler.log)
    assert [path for _, _, path, _ in log][:3] == ["/robots.txt", "/", "/zcfg/index.html"]
    assert len(log) == 9  # robots.txt, home, section, three listing pages, three articles
    for (_, end, _, _), (start, _, path, _) in pairwise(log):
        assert start >= end, f"{path} was requested while another request was served"
    starts = [start for start, _, _, _ in log]
    assert min(b - a for a, b in pairwise(starts)) >= 0.18
    assert all(agent.startswith("gdcac-crawler/") for _, _, _, agent in log)


def test_an_unreachable_start_page_is_one_error_line(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # a free port with nothing listening
    url = f"http://127.0.0.1:{port}/"
    result = probe(url, "--delay", "0", "--write-profile", str(tmp_path / "p.py"))
    assert result.returncode != 0
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: cannot fetch the start page {url}: ")
    assert "ConnectionRefused" in errors[0]
    assert not (tmp_path / "p.py").exists()


def test_no_section_of_that_name_is_one_error_line(mirror: MirrorProcess) -> None:
    result = probe(LIVE + "/", "--base-url", mirror.base_url, "--delay", "0", "--section", "新闻发布")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == f"Error: no link named '新闻发布' on the start page {LIVE}/"


@pytest.mark.parametrize("args, message", [
    (["ftp://example.org/"], "Error: URL must be an http(s) URL, not 'ftp://example.org/'"),
    (["https://www.example.org/", "--base-url", "mirror"], "Error: --base-url must be an http(s) URL, not 'mirror'"),
    (["https://www.example.org/", "--profile", "nosuch"], "Error: no portal profile named 'nosuch'"),
])
def test_bad_input_is_one_error_line_before_any_fetch(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["probe", *args])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [message]


# --- selectors, URL patterns, the profile writer: pure -----------------------------------------------------

PAGE = """<html><body>
<div class="wrapper clearfix"><div id="art_4773" class="article"><h1>标题</h1>
<div id="zoom" class="article-content"><p>正文</p></div></div>
<ul class="list"><li><a href="/a.html">A</a></li><li><a href="/b.html">B</a></li></ul></div></body></html>"""


def test_numbered_ids_and_layout_classes_are_never_proposed() -> None:
    root = parse_html(PAGE)
    article = root.xpath("//div[@id='art_4773']")[0]
    assert not is_stable("art_4773") and is_stable("content1")
    assert candidates(article)[0] == "div.article"
    assert all("clearfix" not in css and "art_4773" not in css for css in candidates(article))
    body = root.xpath("//div[@id='zoom']")[0]
    assert candidates(body)[:2] == ["#zoom", "div.article-content"]


def test_cover_prefers_one_selector_right_on_every_page() -> None:
    pages = [parse_html(PAGE), parse_html(PAGE.replace('id="zoom"', 'id="content1"'))]
    cases = [Case(root, [el], candidates(el)) for root in pages for el in root.xpath("//div[p]")]
    assert cover(cases, first_is) == (("div.article-content",), 2)


def test_cover_takes_one_selector_per_layout_when_none_fits_all() -> None:
    seed = parse_html("<html><body><h1 class='title'>T</h1><div id='content1'><p>x</p></div></body></html>")
    platform = parse_html("<html><body><h4 class='wdtit'>T</h4><div id='zoom'><p>x</p></div></body></html>")
    cases = [Case(root, [root.xpath("//div")[0]], candidates(root.xpath("//div")[0])) for root in (seed, platform)]
    assert cover(cases, first_is) == (("#content1", "#zoom"), 2)


@pytest.mark.parametrize("paths, pattern", [
    (["/zcfg/zcjd/content/post_2113441.html", "/zcfg/flfg/content/post_2112748.html"], r"/content/post_\d+\.html$"),
    (["/v/2024/03/4773.html", "/v/2023/11/812.html"], r"^/v/\d{4}/\d{2}/\d+\.html$"),
    (["/xwzx/2024-03/15/c_1130.htm", "/xwzx/2023-11/02/c_9.htm"], r"^/xwzx/\d{4}-\d{2}/\d{2}/c_\d+\.htm$"),
    (["/a/t20240101_123.html", "/b/t20230101_99.html"], r"/t\d+_\d+\.html$"),
])
def test_url_patterns_are_generalised_from_entry_urls(paths: list[str], pattern: str) -> None:
    assert url_pattern(paths) == pattern


def test_a_written_profile_loads_back_equal(tmp_path: Path) -> None:
    for profile in (get_profile("gdcac"), replace(get_profile("generic@https://www.cagd.gov.cn/zcfg/"),
                                                  name="cagd", title_css=("h1.title", "h4.wdtit"))):
        path = tmp_path / f"{profile.name}.py"
        text = render_profile(profile, source_url="https://www.cagd.gov.cn/", drafted_on="2026-01-02",
                              notes={"title_css": "the heading printing the title"})
        path.write_text(text, encoding="utf-8")
        assert get_profile(str(path)) == profile
        assert "drafted by ``gdcac probe`` from https://www.cagd.gov.cn/ on 2026-01-02" in text
        assert "    # the heading printing the title\n    title_css=" in text


def test_a_file_with_no_profile_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "empty.py"
    path.write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(KeyError, match="defines no PROFILE"):
        get_profile(str(path))
    with pytest.raises(KeyError, match="no profile file"):
        get_profile(str(tmp_path / "missing.py"))




def test_probe_requests_are_marked_as_pages_the_middlewares_inspect() -> None:
    """The encoding fix and the block guard inspect only requests whose ``gdcac_kind`` is a crawled page's."""
    findings = ProbeFindings(start_url="https://www.cagd.gov.cn/", section_name="政策法规",
                             fetch_base="http://127.0.0.1:8000")
    spider = ProbeSpider(findings=findings, profile=get_profile("generic"), fetch_base=findings.fetch_base)
    request = asyncio.run(anext(spider.start()))
    assert request.url == "http://127.0.0.1:8000/"
    assert request.meta["gdcac_kind"] == PageKind.SECTION
