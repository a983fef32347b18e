"""The mirror's second rendering ("cagd"): deterministic build, URL scheme, pagers, GBK column, manifest truth.

The walks and readings here use this rendering's own markup (``div.g-nav``, ``div.side-menu``,
``div.news-list dd``, ``div.pagination`` / ``div.page-bar``, ``div.article-hd``, ``div.v_news_content``):
they test the mirror, not the crawler.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from gdcac_mirror import SITE_CAGD_DIR, SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.build_cagd import build_cagd
from tests.support.http import http_fetch as fetch

SEED_LINES = [ln for ln in (SITE_DIR.parent / "corpus" / "seed_article.txt").read_text(encoding="utf-8").split("\n")
              if ln.strip()]
MANIFEST = load_manifest(rendering="cagd")
ORIGIN = MANIFEST["site"]["base_url"]
COLUMN_NAMES = ["政策解读", "法律法规", "规范性文件"]
NAV_NAMES = ["首页", "网信要闻", "通知公告", "政策法规", "网络安全", "网络文化", "互动交流", "专题专栏"]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def local(url: str) -> str:
    """A link (absolute on the live origin, or root-relative) as a path with query on the mirror."""
    parts = urlsplit(url)
    assert parts.netloc in ("", urlsplit(ORIGIN).netloc), url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_text(body: bytes) -> str:
    """A page decoded by the charset its own meta tag declares (the header may lie)."""
    m = re.search(rb'charset="?([\w-]+)', body[:1024])
    assert m is not None
    return body.decode(m.group(1).decode("ascii"))


@pytest.fixture(scope="module")
def mirror() -> Iterator[MirrorProcess]:
    with MirrorProcess(rendering="cagd") as process:
        yield process


def get(mirror: MirrorProcess, path: str) -> Selector:
    status, _, body = fetch(mirror, path)
    assert status == 200, path
    return Selector(text=page_text(body))


# --- builds ----------------------------------------------------------------------------------------


def test_two_builds_are_byte_identical_and_equal_the_committed_copy(tmp_path: Path) -> None:
    build_cagd(tmp_path / "a")
    build_cagd(tmp_path / "b")
    a, b, committed = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(SITE_CAGD_DIR)
    assert a == b
    assert sorted(a) == sorted(committed)
    assert [name for name in a if a[name] != committed[name]] == []


def test_no_zcfg_path_and_no_create_page_html_anywhere() -> None:
    pages = {name: data for name, data in tree(SITE_CAGD_DIR).items() if name.endswith(".html")}
    assert len(pages) == MANIFEST["counts"]["articles"] + MANIFEST["counts"]["listing_pages"] + 2
    for name, data in pages.items():
        text = page_text(data)
        assert "/zcfg" not in text and "createPageHTML" not in text, name
        for forbidden in ('class="comlist1', 'id="leftnav"', 'id="content1"', 'class="info"', 'class="position"',
                          'class="mbx', 'id="pages"'):
            assert forbidden not in text, (name, forbidden)
    assert not any(name.startswith("zcfg") for name in tree(SITE_CAGD_DIR))


# --- the server: home, section, listings -------------------------------------------------------------


def test_profile_section_path_answers_404(mirror: MirrorProcess) -> None:
    for path in ("/zcfg/", "/zcfg/index.html", "/zcfg/zcjd/index.html", "/col/col1219/index.html",
                 "/v/2022/06/0001.html", "/_query/col/col1301/index.html/page=2.html", "/manifest.json",
                 "/_headers.json"):
        assert fetch(mirror, path)[0] == 404, path
    status, headers, body = fetch(mirror, "/robots.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain") and b"User-agent: *" in body


def nav(sel: Selector) -> list[tuple[str, str]]:
    return [(a.css("::text").get(), a.attrib["href"]) for a in sel.css("div.g-nav li.nav-li > a")]


def test_home_page_names_the_section_in_its_navigation_on_every_page(mirror: MirrorProcess) -> None:
    home = get(mirror, "/")
    links = nav(home)
    assert [name for name, _ in links] == NAV_NAMES
    section = local(dict(links)["政策法规"])
    assert section == MANIFEST["site"]["section"]["path"] == "/col/col1234/index.html"
    assert home.css("li.nav-li.on a::text").get() == "首页"
    seed = MANIFEST["seed_article"]["path"]
    for path in (section, "/col/col1301/index.html", "/col/col1303/index_1.html", seed):
        sel = get(mirror, path)
        assert nav(sel) == links, path
        assert sel.css("li.nav-li.on a::text").get() == "政策法规"
        assert "主办单位：" in "".join(sel.css("div.g-foot ::text").getall())


def test_section_page_is_a_page_of_columns_kept_outside_its_folder(mirror: MirrorProcess) -> None:
    sel = get(mirror, MANIFEST["site"]["section"]["path"])
    crumbs = "".join(sel.css("div.crumbs ::text").getall())
    assert crumbs == "您当前的位置：首页 > 政策法规"
    menu = [(a.css("::text").get(), local(a.attrib["href"])) for a in sel.css("div.side-menu ul.side-ul li a")]
    expected = [(c["name"], c["path"]) for c in MANIFEST["columns"]]
    assert [name for name, _ in menu] == COLUMN_NAMES
    assert menu == expected
    assert [local(h) for h in sel.css("div.lm-box a.more::attr(href)").getall()] == [p for _, p in expected]
    section_dir = MANIFEST["site"]["section"]["path"].rsplit("/", 1)[0] + "/"
    assert all(not path.startswith(section_dir) for _, path in menu)


def entries_of(sel: Selector) -> list[dict[str, Any]]:
    """A listing page's entries as the manifest writes them (url made absolute, title, date)."""
    out = []
    for dd in sel.css("div.news-list dl dd"):
        href = dd.css("a::attr(href)").get()
        url = href if href.startswith("https://mp.weixin") else ORIGIN + local(href)
        out.append({"url": url, "title": dd.css("a::text").get(), "date": dd.css("em::text").get()})
    return out


def walk(mirror: MirrorProcess, column: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Follow a column's 下一页 links from its first page: (page URL, its entries) in order."""
    url, pages = column["url"], []
    while url:
        sel = get(mirror, local(url))
        pages.append((url, entries_of(sel)))
        bar = sel.css("div.pagination, div.page-bar")
        assert len(bar) == 1
        nxt = bar.xpath(".//a[normalize-space()='下一页']/@href").get()
        url = urljoin(url, nxt) if nxt else ""
        assert len(pages) <= 50
    return pages


def test_walking_the_pagers_reaches_every_listing_entry(mirror: MirrorProcess) -> None:
    forms = {}
    for column in MANIFEST["columns"]:
        walked = walk(mirror, column)
        expected = column["listing_pages"]
        assert [url for url, _ in walked] == [p["url"] for p in expected]
        for (_, entries), page in zip(walked, expected, strict=True):
            assert entries == [{k: e[k] for k in ("url", "title", "date")} for e in page["entries"]]
        forms[column["code"]] = column["pager"]
    assert forms == {"zcjd": "query-relative", "flfg": "query", "gfxwj": "text"}
    assert sum(len(p["entries"]) for c in MANIFEST["columns"] for p in c["listing_pages"]) == (
        MANIFEST["counts"]["articles"] + MANIFEST["counts"]["offsite"])


def test_query_and_text_pagers_as_printed(mirror: MirrorProcess) -> None:
    zcjd, flfg, gfxwj = MANIFEST["columns"]
    first = get(mirror, zcjd["path"])
    assert first.css("div.pagination a.pg-next::attr(href)").get() == "?page=2"
    assert first.css("div.pagination a.pg-last::attr(href)").get() == f"?page={zcjd['pages']}"
    assert first.css("span.pg-total::text").get() == f"共{zcjd['total_items']}条"
    assert fetch(mirror, f"{zcjd['path']}?page=1")[2] == fetch(mirror, zcjd["path"])[2]
    assert fetch(mirror, f"{zcjd['path']}?page={zcjd['pages'] + 1}")[0] == 404
    assert fetch(mirror, f"{zcjd['path']}?page=x")[0] == 404
    assert get(mirror, flfg["path"]).css("a.pg-next::attr(href)").get() == f"{ORIGIN}{flfg['path']}?page=2"
    bar = get(mirror, gfxwj["path"]).css("div.page-bar")
    assert "".join(bar.css("::text").getall()).split() == ["共2页", "当前第1页", "首页", "上一页", "下一页", "尾页"]
    assert bar.xpath("./a/text()").getall() == ["下一页", "尾页"] and bar.xpath("./a/@href").getall() == [
        "index_1.html"] * 2
    assert [p["path"] for p in gfxwj["listing_pages"]] == ["/col/col1303/index.html", "/col/col1303/index_1.html"]
    assert fetch(mirror, "/col/col1303/index_2.html")[0] == 404
    assert fetch(mirror, "/index.html?from=rss")[2] == fetch(mirror, "/index.html")[2]  # other queries: ignored


def test_offsite_entries_stay_offsite_links(mirror: MirrorProcess) -> None:
    offsite = {o["url"] for o in MANIFEST["offsite"]}
    assert len(offsite) == 2 and all(u.startswith("https://mp.weixin.qq.com/s/") for u in offsite)
    for o in MANIFEST["offsite"]:
        page = o["listing"]
        hrefs = get(mirror, page["path"]).css("div.news-list dd a::attr(href)").getall()
        assert hrefs[page["position"] - 1] == o["url"]


# --- articles ------------------------------------------------------------------------------------------


def test_every_article_page_matches_the_manifest(mirror: MirrorProcess) -> None:
    for art in MANIFEST["articles"]:
        published = art["published"]
        assert re.fullmatch(rf"/v/{published[:4]}/{published[5:7]}/\d{{4}}\.html", art["path"]), art["path"]
        status, headers, body = fetch(mirror, art["path"])
        assert status == 200 and headers["content-type"] == art["content_type"]
        assert headers["last-modified"] == art["last_modified"]
        sel = Selector(text=body.decode(art["encoding"]))
        assert sel.css("div.article-hd h2::text").get() == art["title"]
        assert sel.css("p.meta span::text").getall()[:2] == ["发布时间：" + art["published_text"], art["source_raw"]]
        assert "".join(sel.css("div.crumbs ::text").getall()) == "您当前的位置：首页 > " + " > ".join(
            art["column_path"])
        metas = {m.attrib["name"]: m.attrib["content"] for m in sel.css("meta[name]")}
        assert {k: metas[k] for k in art["meta"]} == art["meta"]
        assert metas["Url"] == art["url"] and metas["ColumnName"] == art["column_name"]
        assert [a.attrib["href"] for a in sel.css("div.attach li a")] == [a["url"] or "" for a in art["attachments"]]
        assert sel.css("div.attach li a::text").getall() == [a["name"] for a in art["attachments"]]
        assert [ORIGIN + s for s in sel.css("div.v_news_content img::attr(src)").getall()] == [
            im["src"] for im in art["images"]]


def test_seed_article_page_holds_the_seed_text(mirror: MirrorProcess) -> None:
    seed = next(a for a in MANIFEST["articles"] if a["is_seed"])
    assert seed["path"] == MANIFEST["seed_article"]["path"] and seed["column_path"] == ["政策法规", "政策解读"]
    sel = get(mirror, seed["path"])
    title, source_line, time, body = SEED_LINES[4], SEED_LINES[5], SEED_LINES[6], SEED_LINES[7:]
    assert sel.css("div.article-hd h2::text").get() == title
    assert sel.css("p.meta span::text").getall()[:2] == ["发布时间：" + time, "来源：" + source_line[len("来源:"):]]
    lines = []
    for p in sel.css("div.article-bd#fontzoom > div.v_news_content > p"):
        alt = p.css("img::attr(alt)").get()
        lines.append(alt if alt is not None else "".join(p.css("::text").getall()))
    assert lines == body
    image = "微信图片_20220622104036.png"
    assert seed["body_paragraphs"] == [ln for ln in body if ln != image]
    assert seed["images"][0]["alt"] == image and seed["images"][0]["caption"] == body[body.index(image) + 1]
    status, headers, png = fetch(mirror, seed["images"][0]["path"])
    assert status == 200 and headers["content-type"] == "image/png" and png.startswith(b"\x89PNG")
    assert seed["images"][0]["path"].startswith("/u/cms/www/202206/")


def test_uploads_are_served_from_their_own_folder(mirror: MirrorProcess) -> None:
    files = [(f["path"], f["type"]) for a in MANIFEST["articles"] for f in a["attachments"] if f["path"]]
    files += [(im["path"], "png") for a in MANIFEST["articles"] for im in a["images"]]
    assert len(files) == MANIFEST["counts"]["attachments"] + MANIFEST["counts"]["images"] > 20
    types = {"pdf": "application/pdf", "png": "image/png", "xls": "application/vnd.ms-excel",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    for path, kind in files:
        assert re.fullmatch(rf"/u/cms/www/\d{{6}}/\d{{13}}\.{kind}", path), path
        status, headers, _ = fetch(mirror, path)
        assert status == 200 and headers["content-type"] == types[kind], path
    assert any(f["path"] is None for a in MANIFEST["articles"] for f in a["attachments"])


# --- the GBK column --------------------------------------------------------------------------------------


def test_gbk_column_is_gbk_under_a_utf8_header(mirror: MirrorProcess) -> None:
    column = next(c for c in MANIFEST["columns"] if c["code"] == "gfxwj")
    articles = [a for a in MANIFEST["articles"] if a["column"] == "gfxwj"]
    assert len(articles) == column["article_count"] == 11
    assert {a["encoding"] for a in MANIFEST["articles"] if a["column"] != "gfxwj"} == {"utf-8"}
    pages = [(p["path"], [e["title"] for e in p["entries"]]) for p in column["listing_pages"]]
    pages += [(a["path"], [a["title"], *a["body_paragraphs"]]) for a in articles]
    for path, texts in pages:
        status, headers, body = fetch(mirror, path)
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8", path
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' in body[:300]
        text = body.decode("gb2312")  # the declared charset is enough: the column holds no GBK-only character
        assert text == body.decode("gbk")
        assert all(t in text for t in texts), path
    for a in articles:
        assert (a["encoding"], a["declared_header"], a["declared_meta"]) == ("gbk", "utf-8", "gb2312")
        assert "gbk_bytes_under_utf8_header" in a["traps"]


# --- the manifest --------------------------------------------------------------------------------------


def test_manifest_holds_the_same_content_as_rendering_1() -> None:
    first = load_manifest()
    assert MANIFEST["counts"]["articles"] == first["counts"]["articles"] == len(MANIFEST["articles"]) >= 62
    assert set(MANIFEST) == set(first) - {"overlay", "changes"} | {"rendering"}
    truth = ("id", "title", "published", "source", "body_paragraphs", "column", "column_name", "column_path",
             "headings", "is_seed")
    assert [{k: a[k] for k in truth} for a in MANIFEST["articles"]] == [{k: a[k] for k in truth}
                                                                       for a in first["articles"]]
    for ours, theirs in zip(MANIFEST["articles"], first["articles"], strict=True):
        assert set(ours) == set(theirs)
        assert [f["name"] for f in ours["attachments"]] == [f["name"] for f in theirs["attachments"]]
        assert [(i["alt"], i["caption"]) for i in ours["images"]] == [(i["alt"], i["caption"])
                                                                      for i in theirs["images"]]
        assert ours["url"] == ORIGIN + ours["path"] and ours["path"] != theirs["path"]
    assert {o["url"] for o in MANIFEST["offsite"]} == {o["url"] for o in first["offsite"]}
    assert [(c["code"], c["name"], c["pages"]) for c in MANIFEST["columns"]] == [
        (c["code"], c["name"], c["pages"]) for c in first["columns"]]
    assert len({a["path"] for a in MANIFEST["articles"]}) == len(MANIFEST["articles"])


def test_second_state_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cagd has no state 2"):
        MirrorProcess(rendering="cagd", state=2)
    with pytest.raises(ValueError, match="cagd has no state 2"):
        load_manifest(rendering="cagd", state=2)
    with pytest.raises(ValueError, match="no rendering"):
        MirrorProcess(rendering="trs")
    result = subprocess.run([sys.executable, "-m", "gdcac_mirror", "serve", "--rendering", "cagd", "--state", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == ["Error: rendering cagd has no state 2: it is built in state 1 only"]


def test_gdcac_mirror_serve_serves_the_chosen_rendering() -> None:
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gdcac"), "mirror", "serve", "--rendering", "cagd",
                             "--port", "0"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        base = proc.stdout.readline().split()[-1].rstrip("/")
        with urllib.request.urlopen(base + "/col/col1234/index.html", timeout=10) as resp:
            assert "政策法规" in resp.read().decode("utf-8")
    finally:  # the command serves from a child process: stop the whole group
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
