"""The offline mirror: deterministic builds, the committed copy, the seed page, the HTTP server, the manifest."""

from __future__ import annotations

import hashlib
import html
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.build import build_site
from gdcac_mirror.content import BASE_URL, PAGE_ORIGIN
from tests.support.http import http_fetch as fetch

LIVE = BASE_URL
"""The live origin: the manifest's URLs (the archive's identities) start with it."""
PAGES = PAGE_ORIGIN
"""The host the rendering's pages write in their absolute links (an alias of the live origin)."""
SEED_TEXT = Path(SITE_DIR).parent / "corpus" / "seed_article.txt"
WIDGET_LINES = {"【字体：大 中 小】", "分享到：", "打印本页", "关闭窗口", "相关导读:"}


# --- helpers -------------------------------------------------------------------------------------------


def local(url: str) -> str:
    """A link as found in a page, as a root-relative path on the mirror."""
    for origin in (PAGES, LIVE):
        if url.startswith(origin):
            return url[len(origin):]
    return url


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(a: Path, b: Path) -> None:
    ta, tb = tree(a), tree(b)
    assert sorted(ta) == sorted(tb)
    different = [name for name in ta if ta[name] != tb[name]]
    assert different == []


def reference_body(sel: Selector, article: dict[str, Any]) -> list[str]:
    """A plain reference extraction of an article body: the container's child blocks, minus widget lines,
    images, file-name lines, the attachment list and the related-reading block."""
    container = sel.css(article["body_container"])
    assert len(container) == 1
    alts = {im["alt"] for im in article["images"]}
    out = []
    for el in container[0].xpath("./p | ./div"):
        classes = (el.attrib.get("class") or "").split()
        if "fjlis" in classes or el.attrib.get("id") == "xxddk" or el.css("img"):
            continue
        text = "".join(el.css("::text").getall()).strip()
        if text and text not in WIDGET_LINES and text not in alts:
            out.append(text)
    return out


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


# --- builds --------------------------------------------------------------------------------------------


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    m1 = build_site(tmp_path / "a")
    m2 = build_site(tmp_path / "b")
    assert m1 == m2
    assert_same_tree(tmp_path / "a", tmp_path / "b")


def test_committed_site_equals_a_fresh_build(tmp_path: Path) -> None:
    build_site(tmp_path / "fresh")
    assert_same_tree(SITE_DIR, tmp_path / "fresh")


def test_committed_site_is_small_and_holds_no_local_paths() -> None:
    files = tree(SITE_DIR)
    assert sum(len(b) for b in files.values()) < 2_000_000
    repo = str(Path(__file__).resolve().parents[1]).encode("utf-8")
    for name, data in files.items():
        assert repo not in data, name


def test_build_refuses_to_overwrite_a_directory_that_is_not_a_mirror(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        build_site(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_benchmark_build_scales(tmp_path: Path) -> None:
    started = time.monotonic()
    m = build_site(tmp_path / "bench", scale=2000, seed=7)
    elapsed = time.monotonic() - started
    assert elapsed < 10
    assert m["counts"]["articles"] >= 2000
    assert len(m["columns"]) >= 4
    assert all(c["pages"] >= 10 for c in m["columns"])
    zcjd = next(c for c in m["columns"] if c["code"] == "zcjd")
    assert zcjd["pages"] > zcjd["pager_last"]
    assert {a["variant"] for a in m["articles"]} == set(m["variants"])
    sample = m["articles"][len(m["articles"]) // 2]
    assert (tmp_path / "bench" / sample["path"].lstrip("/")).is_file()
    assert len({a["id"] for a in m["articles"]}) == len(m["articles"])


# --- the seed page -------------------------------------------------------------------------------------


def test_seed_page_renders_to_the_seed_text(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    status, headers, body = fetch(mirror, manifest["seed_article"]["path"])
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    sel = Selector(text=body.decode("utf-8"))
    lines = [t for t in (s.strip() for s in sel.css("div.top-title ::text").getall()) if t]
    positions = sel.css("div.position")
    assert len(positions) == 2
    assert sel.css("div.column-banner div.position")
    lines += ["".join(p.css("::text").getall()).strip() for p in positions]
    lines.append(sel.css("h1.title::text").get())
    lines.append(sel.css("div.info span.source::text").get())
    lines.append(sel.css("div.info span.time::text").get())
    for p in sel.css("#content1 > p"):
        alt = p.css("img::attr(alt)").get()
        lines.append(alt if alt is not None else "".join(p.css("::text").getall()))
    expected = [ln for ln in SEED_TEXT.read_text(encoding="utf-8").split("\n") if ln.strip()]
    assert lines == expected


def test_seed_article_in_manifest(manifest: dict[str, Any]) -> None:
    seed = next(a for a in manifest["articles"] if a["is_seed"])
    expected = [ln for ln in SEED_TEXT.read_text(encoding="utf-8").split("\n") if ln.strip()]
    assert seed["title"] == expected[4]
    assert seed["source"] == "“中国网信杂志”微信公众号"
    assert seed["source_raw"] == expected[5]
    assert seed["published"] == "2022-06-22T10:08:00+08:00"
    assert seed["column"] == "zcjd"
    assert seed["images"][0]["alt"] == "微信图片_20220622104036.png"
    assert seed["images"][0]["caption"] == expected[expected.index("微信图片_20220622104036.png") + 1]
    assert seed["body_paragraphs"] == [ln for ln in expected[7:] if ln != "微信图片_20220622104036.png"]
    assert seed["headings"] == ["构建网络空间命运共同体的重大现实意义", "全球网络空间治理面临严峻挑战",
                                "构建网络空间命运共同体的路径探索"]


# --- the server ----------------------------------------------------------------------------------------


def test_404_past_the_last_listing_page_and_for_unknown_paths(mirror: MirrorProcess,
                                                              manifest: dict[str, Any]) -> None:
    for col in manifest["columns"]:
        last = col["listing_pages"][-1]["path"]
        assert fetch(mirror, last)[0] == 200
        status, headers, body = fetch(mirror, f"/zcfg/{col['code']}/index_{col['pages'] + 1}.html")
        assert status == 404
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert b"404" in body
    for path in ["/wxdt/index.html", "/wxyw/index.html", "/zcfg/nosuch/index.html", "/nope", "/manifest.json",
                 "/zcfg/zcjd/content/mpost_1.html", *manifest["not_found_examples"]]:
        assert fetch(mirror, path)[0] == 404, path


def test_directories_serve_their_index(mirror: MirrorProcess) -> None:
    for directory, index in [("/", "/index.html"), ("/zcfg/", "/zcfg/index.html"), ("/zcfg", "/zcfg/index.html"),
                             ("/zcfg/zcjd/", "/zcfg/zcjd/index.html")]:
        a, b = fetch(mirror, directory), fetch(mirror, index)
        assert a[0] == b[0] == 200
        assert a[2] == b[2]


def test_etag_last_modified_and_304(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    seed_path = manifest["seed_article"]["path"]
    status, headers, body = fetch(mirror, seed_path)
    assert status == 200
    assert headers["etag"] == '"%s"' % hashlib.sha256(body).hexdigest()
    assert headers["last-modified"] == "Wed, 22 Jun 2022 02:08:00 GMT"
    status, headers304, body304 = fetch(mirror, seed_path, headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body304 == b""
    assert headers304["etag"] == headers["etag"]
    assert fetch(mirror, seed_path, headers={"If-None-Match": '"nope"'})[0] == 200
    assert fetch(mirror, seed_path, headers={"If-Modified-Since": headers["last-modified"]})[0] == 304
    assert fetch(mirror, seed_path, headers={"If-Modified-Since": "Tue, 21 Jun 2022 00:00:00 GMT"})[0] == 200
    # a non-article file carries the fixed date
    assert fetch(mirror, "/zcfg/index.html")[1]["last-modified"] == manifest["site"]["default_last_modified"]


def test_head_and_content_types(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    status, headers, body = fetch(mirror, "/robots.txt", method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == len(fetch(mirror, "/robots.txt")[2])
    assert fetch(mirror, "/robots.txt")[2] == b"User-agent: *\nDisallow: /search/\n"
    image = next(im for a in manifest["articles"] for im in a["images"])
    status, headers, body = fetch(mirror, image["path"])
    assert status == 200 and headers["content-type"] == "image/png" and body.startswith(b"\x89PNG\r\n\x1a\n")
    types = {"pdf": ("application/pdf", b"%PDF-"), "xls": ("application/vnd.ms-excel", bytes.fromhex("D0CF11E0")),
             "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04")}
    for att in (x for a in manifest["articles"] for x in a["attachments"] if x["path"]):
        status, headers, body = fetch(mirror, att["path"])
        ctype, magic = types[att["type"]]
        assert status == 200 and headers["content-type"] == ctype and body.startswith(magic), att


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/zcfg/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/zcfg/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%5c..%5cetc%5cpasswd",
    "/%252e%252e/%252e%252e/etc/passwd", "/.%2e/.%2e/etc/passwd", "/zcfg/..%00/etc/passwd", "//etc/passwd",
    "/zcfg/zcjd/../index.html", "/%ff%fe",
])
def test_path_traversal_is_impossible(mirror: MirrorProcess, path: str) -> None:
    status, _, body = fetch(mirror, path)
    assert status in (400, 404)
    assert b"root:" not in body


def test_stats_count_requests_per_path(mirror: MirrorProcess) -> None:
    mirror.reset_stats()
    assert mirror.stats() == {"requests": 0, "by_path": {}}
    fetch(mirror, "/zcfg/flfg/index.html")
    fetch(mirror, "/zcfg/flfg/index.html")
    fetch(mirror, "/no/such/page.html")
    stats = mirror.stats()
    assert stats == {"requests": 3, "by_path": {"/zcfg/flfg/index.html": 2, "/no/such/page.html": 1}}


def test_mirror_process_reports_a_failed_start(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("x")
    busy = MirrorProcess(SITE_DIR, port=0)
    with busy:
        port = urlsplit(busy.base_url).port
        with pytest.raises(RuntimeError, match="(?i)address|exited"):
            MirrorProcess(tmp_path, port=port).start()


# --- listings and the section page ---------------------------------------------------------------------


def test_zcjd_pager_shows_3_as_last_while_later_pages_exist(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    col = next(c for c in manifest["columns"] if c["code"] == "zcjd")
    assert col["pages_limit"] == 3 and col["pager_last"] == 3 and col["pages"] >= 5
    status, _, body = fetch(mirror, "/zcfg/zcjd/index.html")
    sel = Selector(text=body.decode("utf-8"))
    assert local(sel.css("#pages a.last::attr(href)").get()).endswith("/zcfg/zcjd/index_3.html")
    hrefs = [local(h) for h in sel.css("#pages a::attr(href)").getall()]
    assert not any(re.search(r"index_([4-9]|\d\d)\.html$", h) for h in hrefs)
    script = " ".join(sel.css("#pages script::text").getall())
    assert f"Math.ceil({col['total_items']}/{col['per_page']})" in script
    assert "var pages_limit=3;" in script
    assert 'createPageHTML(totalPage, pageCurrent, "index", "html");' in script
    page3 = Selector(text=fetch(mirror, "/zcfg/zcjd/index_3.html")[2].decode("utf-8"))
    assert page3.css("#pages a.next").get() is None
    assert local(page3.css("#pages a.last::attr(href)").get()).endswith("index_3.html")
    for n in range(4, col["pages"] + 1):
        assert fetch(mirror, f"/zcfg/zcjd/index_{n}.html")[0] == 200
    assert fetch(mirror, f"/zcfg/zcjd/index_{col['pages'] + 1}.html")[0] == 404


def test_listing_pages_match_the_manifest(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    for col in manifest["columns"]:
        dates = []
        for page in col["listing_pages"]:
            status, _, body = fetch(mirror, page["path"])
            assert status == 200
            sel = Selector(text=body.decode("utf-8"))
            crumb = "".join(sel.css("div.position ::text").getall()).strip()
            assert crumb == f"当前位置:首页 > 政策法规 > {col['name']}"
            assert sel.css("div.con-tit2 span::text").get() == col["name"]
            seen = []
            for li in sel.css("ul.comlist1 > li"):
                a = li.css("a")
                assert a.attrib["target"] == "_blank"
                date = li.css("span::text").get()
                seen.append({"url": a.attrib["href"], "title": a.attrib["title"], "text": a.css("::text").get(),
                             "date": date.strip().strip("[]")})
            assert [s["title"] for s in seen] == [e["title"] for e in page["entries"]]
            assert [s["text"] for s in seen] == [e["title"] for e in page["entries"]]
            assert [s["date"] for s in seen] == [e["date"] for e in page["entries"]]
            assert [LIVE + local(s["url"]) if local(s["url"]).startswith("/") else s["url"] for s in seen] == \
                [e["url"] for e in page["entries"]]
            assert len(seen) <= col["per_page"]
            dates += [e["date"] for e in page["entries"]]
            assert sel.css("div.footer").get() is not None
        assert dates == sorted(dates, reverse=True)  # newest first
        assert len(dates) == col["total_items"]


def test_section_page_lists_the_columns_in_leftnav(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    status, _, body = fetch(mirror, "/zcfg/")
    assert status == 200
    sel = Selector(text=body.decode("utf-8"))
    links = [(a.attrib["title"], local(a.attrib["href"])) for a in sel.css("div#leftnav ul li a[title][href]")]
    assert links == [(c["name"], c["path"]) for c in manifest["columns"]]
    nav = [local(h) for h in sel.css("div#nav a::attr(href)").getall()]
    for path in manifest["site"]["not_mirrored_sections"]:
        assert path in nav
        assert fetch(mirror, path)[0] == 404
    root = Selector(text=fetch(mirror, "/index.html")[2].decode("utf-8"))
    assert any(local(h) in ("/zcfg/", "/zcfg/index.html") for h in root.css("a::attr(href)").getall())


def test_links_mix_absolute_and_root_relative() -> None:
    hrefs = []
    encodings = {a["path"]: a["encoding"] for a in load_manifest()["articles"]}  # legacy pages are GBK
    for page in Path(SITE_DIR).rglob("*.html"):
        text = page.read_bytes().decode(encodings.get("/" + page.relative_to(SITE_DIR).as_posix(), "utf-8"))
        hrefs += Selector(text=text).css("a::attr(href)").getall()
    absolute = sum(h.startswith(PAGES + "/") for h in hrefs)
    relative = sum(h.startswith("/") and not h.startswith("//") for h in hrefs)
    assert absolute > relative > 0


# --- the manifest against the pages --------------------------------------------------------------------


def test_manifest_counts(manifest: dict[str, Any]) -> None:
    counts = manifest["counts"]
    assert counts["columns"] == len(manifest["columns"]) >= 3
    assert {"zcjd", "flfg", "gfxwj"} <= {c["code"] for c in manifest["columns"]}
    assert counts["articles"] == len(manifest["articles"]) >= 62
    zcjd = next(c for c in manifest["columns"] if c["code"] == "zcjd")
    assert zcjd["article_count"] >= 36 and zcjd["per_page"] == 8 and zcjd["pages"] >= 5
    assert zcjd["total_items"] == zcjd["article_count"] + zcjd["offsite_count"]
    for col in manifest["columns"]:
        if col["code"] != "zcjd":
            assert col["pages"] == 2 and col["pages_limit"] == 20
    offsite = manifest["offsite"]
    assert counts["offsite"] == len(offsite) >= 2
    for item in offsite:
        assert re.fullmatch(r"https://mp\.weixin\.qq\.com/s/[A-Za-z0-9_-]{22}", item["url"])
        assert item["title"] and re.fullmatch(r"\d{4}-\d\d-\d\d", item["date"]) and item["column"] == "zcjd"
    variants = {}
    for art in manifest["articles"]:
        variants[art["variant"]] = variants.get(art["variant"], 0) + 1
        assert re.fullmatch(r"\d{7}", str(art["id"]))
        assert art["url"] == LIVE + art["path"]
        assert re.fullmatch(rf"/zcfg/{art['column']}/content/post_{art['id']}\.html", art["path"])
        year = datetime.fromisoformat(art["published"]).year
        assert 2019 <= year <= 2024
        assert (SITE_DIR / art["path"].lstrip("/")).is_file()
    assert set(variants) == set(manifest["variants"]) and min(variants.values()) >= 2
    traps = {t for a in manifest["articles"] for t in a["traps"]}
    assert {"double_escaped_source", "widget_words_in_prose", "attachment_without_href", "junk_meta_source",
            "image_file_name_line", "widget_lines_in_body"} <= traps


def test_every_article_page_matches_the_manifest(mirror: MirrorProcess, manifest: dict[str, Any]) -> None:
    for art in manifest["articles"]:
        status, headers, body = fetch(mirror, art["path"])
        assert status == 200, art["path"]
        sel = Selector(text=body.decode(art["encoding"]))
        meta = {m.attrib["name"]: m.attrib["content"] for m in sel.css("meta[name]")}
        for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnType", "ArticleTitle", "PubDate",
                     "ContentSource"):
            assert name in meta, (art["path"], name)
        for name, value in art["meta"].items():
            assert meta[name] == value, (art["path"], name)
        assert meta["SiteName"] == "广东省互联网信息办公室" and meta["SiteDomain"] == "www.gdcac.gov.cn"
        assert sel.css("title::text").get().endswith(art["title"])
        assert f"content/mpost_{art['id']}.html" in " ".join(sel.css("head script::text").getall())
        assert sel.css("div.share").get() is not None and sel.css("div.footer").get() is not None
        share = "".join(sel.css("div.share ::text").getall())
        assert "分享到" in share and "打印" in share and "关闭窗口" in share
        footer = "".join(sel.css("div.footer ::text").getall())
        for word in ("主办单位", "版权所有", "粤ICP备", "网站标识码"):
            assert word in footer
        crumbs = sel.css("div.position, div.mbx")
        assert len(crumbs) == art["breadcrumb_count"]
        for crumb in crumbs:
            names = crumb.css("a::text").getall()
            assert names == ["首页", "政策法规", art["column_name"]]
        # title, source, time
        assert sel.css("h1.title::text, h4.wdtit::text, .article h1::text").get() == art["title"]
        info = [t.strip() for t in sel.css(".info span::text, .jbxx span::text").getall() if t.strip()]
        assert art["source_raw"] in info
        assert any(t.endswith(art["published_text"]) for t in info)
        source = html.unescape(re.sub(r"^(信息)?来源[:：]", "", art["source_raw"]))
        assert source == art["source"]
        # body
        assert reference_body(sel, art) == art["body_paragraphs"], art["path"]
        assert 4 <= len(art["body_paragraphs"]) <= 20
        container = sel.css(art["body_container"])[0]
        imgs = container.css("img")
        assert [(local(i.attrib["src"]), i.attrib["alt"]) for i in imgs] == \
            [(im["path"], im["alt"]) for im in art["images"]]
        for im in art["images"]:
            assert im["src"] == LIVE + im["path"] and im["caption"] in art["body_paragraphs"]
        links = container.css("div.fjlis a.nfw-cms-attachment")
        assert [(a.attrib["href"] and local(a.attrib["href"]) or None, a.attrib["alt"], a.css("::text").get())
                for a in links] == [(x["path"], x["name"], x["link_text"]) for x in art["attachments"]]
        for x in art["attachments"]:
            assert x["link_text"] != x["name"]
            assert x["type"] == x["name"].rsplit(".", 1)[1]
        if art["layout"] == "zoom":
            blocks = ["".join(el.css("::text").getall()).strip() for el in container.xpath("./p | ./div")]
            assert blocks[0] == "【字体：大 中 小】"
            assert blocks[-3:] == ["分享到：", "打印本页", "关闭窗口"]
            assert any(t.startswith("发布时间：") for t in info)
        if "double_escaped_source" in art["traps"]:
            assert b"&amp;ldquo;" in body and "&ldquo;" in art["source_raw"]
        if "junk_meta_source" in art["traps"]:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", meta["ContentSource"])
        if "widget_words_in_prose" in art["traps"]:
            assert any(("打印本页" in p or "分享到" in p or "【字体：大 中 小】" in p) and len(p) > 40
                       for p in art["body_paragraphs"])
        if "image_file_name_line" in art["traps"]:
            lines = ["".join(p.css("::text").getall()).strip() for p in container.css("p")]
            assert any(im["alt"] in lines for im in art["images"])
