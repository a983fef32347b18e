"""The mirror's legacy-encoded pages: GBK / GB18030 bytes served behind the charset headers a real portal sends
(``charset=gb2312`` over GBK-only characters, a ``charset=utf-8`` header that the meta tag contradicts, no
charset at all), each decoding with its true encoding to exactly the manifest's text."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from parsel import Selector

from gdcac_crawler.extract.encoding import header_charset, meta_charset
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.build import HEADERS_NAME
from gdcac_mirror.legacy import LEGACY_COLUMN, LEGACY_PAGES
from tests.support.http import http_fetch as fetch

MANIFEST = load_manifest()
LEGACY = [a for a in MANIFEST["articles"] if a["encoding"] != "utf-8"]
UTF8_ARTICLES = [a for a in MANIFEST["articles"] if a["encoding"] == "utf-8"]
WIDGET_LINES = {"【字体：大 中 小】", "分享到：", "打印本页", "关闭窗口", "相关导读:"}


def case(header: str | None, meta: str | None) -> dict[str, Any]:
    found = [a for a in LEGACY if (a["declared_header"], a["declared_meta"]) == (header, meta)]
    assert len(found) == 1, (header, meta)
    return found[0]


def body_blocks(text: str, article: dict[str, Any]) -> list[str]:
    """The body container's text blocks, minus the template's widget lines and the related-reading block."""
    container = Selector(text=text).css(article["body_container"])
    assert len(container) == 1
    out = []
    for el in container[0].xpath("./p | ./div"):
        if el.attrib.get("id") == "xxddk":
            continue
        line = "".join(el.css("::text").getall()).strip()
        if line and line not in WIDGET_LINES:
            out.append(line)
    return out


@pytest.fixture(scope="module")
def own_mirror() -> Iterator[MirrorProcess]:
    """A server of this module's own, for switching states and injecting faults."""
    with MirrorProcess(SITE_DIR) as process:
        yield process


# --- the manifest ---------------------------------------------------------------------------------------


def test_the_three_legacy_cases_are_in_the_manifest() -> None:
    assert len(LEGACY) == len(LEGACY_PAGES) >= 3
    gb2312 = case("gb2312", "gb2312")  # declared GB2312 in both, but holds a GBK-only character
    assert gb2312["encoding"] == "gbk" and gb2312["content_type"] == "text/html; charset=gb2312"
    disagree = case("utf-8", "gbk")  # the header says UTF-8, the meta tag says GBK, the bytes are GBK
    assert disagree["encoding"] == "gbk" and disagree["content_type"] == "text/html; charset=utf-8"
    undeclared = case(None, None)  # no charset anywhere
    assert undeclared["encoding"] in ("gbk", "gb18030") and undeclared["content_type"] == "text/html"
    assert "勠" in "".join(gb2312["body_paragraphs"])
    for art in LEGACY:
        assert art["column"] == LEGACY_COLUMN and "legacy_encoding" in art["traps"]
        assert all(isinstance(p, str) and p for p in art["body_paragraphs"]) and len(art["body_paragraphs"]) >= 4
    for art in UTF8_ARTICLES:
        assert (art["declared_header"], art["declared_meta"], art["content_type"]) == \
            ("utf-8", "utf-8", "text/html; charset=utf-8")
    assert MANIFEST["counts"]["articles_by_encoding"] == {
        **{e: sum(a["encoding"] == e for a in LEGACY) for e in {a["encoding"] for a in LEGACY}},
        "utf-8": len(UTF8_ARTICLES)}


def test_legacy_pages_are_the_oldest_of_their_column_and_ids_grow_with_time() -> None:
    column = [a for a in MANIFEST["articles"] if a["column"] == LEGACY_COLUMN]
    oldest = sorted(column, key=lambda a: a["published"])[:len(LEGACY)]
    assert {a["url"] for a in oldest} == {a["url"] for a in LEGACY}
    by_time = sorted(MANIFEST["articles"], key=lambda a: a["published"])
    assert [a["id"] for a in by_time] == sorted(a["id"] for a in by_time)
    col = next(c for c in MANIFEST["columns"] if c["code"] == LEGACY_COLUMN)
    last_page = col["listing_pages"][-1]["entries"]
    assert [e["url"] for e in last_page[-len(LEGACY):]] == [a["url"] for a in sorted(
        LEGACY, key=lambda a: a["published"], reverse=True)]


def test_committed_bytes_are_the_legacy_encodings() -> None:
    for art in LEGACY:
        raw = (SITE_DIR / art["path"].lstrip("/")).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode(art["encoding"])
        assert text.encode(art["encoding"]) == raw and "\ufffd" not in text
    gb2312 = (SITE_DIR / case("gb2312", "gb2312")["path"].lstrip("/")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb2312.decode("gb2312")  # what it declares cannot read it: it holds 勠
    for art in LEGACY:
        if art["encoding"] == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                (SITE_DIR / art["path"].lstrip("/")).read_bytes().decode("gbk")


def test_headers_sidecar_matches_the_manifest() -> None:
    sidecar = json.loads((SITE_DIR / HEADERS_NAME).read_text(encoding="utf-8"))
    assert sidecar == {a["path"]: {"Content-Type": a["content_type"]} for a in LEGACY}


# --- served --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [a["path"] for a in LEGACY])
def test_served_bytes_headers_and_text(mirror: MirrorProcess, path: str) -> None:
    art = next(a for a in LEGACY if a["path"] == path)
    status, headers, body = fetch(mirror, path)
    assert status == 200
    assert body == (SITE_DIR / path.lstrip("/")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    # the declared charsets, exactly as the manifest says
    assert headers["content-type"] == art["content_type"]
    assert header_charset(headers["content-type"]) == art["declared_header"]
    assert meta_charset(body) == art["declared_meta"]
    if art["declared_header"] is None and art["declared_meta"] is None:
        assert b"charset" not in body.lower() and "charset" not in headers["content-type"]
    # decoded with the true encoding: the manifest's text
    text = body.decode(art["encoding"])
    sel = Selector(text=text)
    assert sel.css("meta[name=ArticleTitle]::attr(content)").get() == art["title"]
    assert sel.css("meta[name=ContentSource]::attr(content)").get() == art["source"]
    assert sel.css("h1.title::text, h4.wdtit::text, .article h1::text").get() == art["title"]
    info = [t.strip() for t in sel.css(".info span::text, .jbxx span::text").getall() if t.strip()]
    assert art["source_raw"] in info and any(t.endswith(art["published_text"]) for t in info)
    assert body_blocks(text, art) == art["body_paragraphs"]
    assert headers["etag"] == '"%s"' % hashlib.sha256(body).hexdigest()
    assert headers["last-modified"] == art["last_modified"]


def test_legacy_pages_answer_conditional_gets(mirror: MirrorProcess) -> None:
    for art in LEGACY:
        _, headers, _ = fetch(mirror, art["path"])
        status, headers304, body = fetch(mirror, art["path"], {"If-None-Match": headers["etag"]})
        assert status == 304 and body == b"" and headers304["etag"] == headers["etag"]
        assert fetch(mirror, art["path"], {"If-Modified-Since": headers["last-modified"]})[0] == 304


def test_every_other_page_keeps_its_utf8_header(mirror: MirrorProcess) -> None:
    assert fetch(mirror, "/" + HEADERS_NAME)[0] == 404
    for path in [a["path"] for a in UTF8_ARTICLES[::7]] + [c["path"] for c in MANIFEST["columns"]]:
        status, headers, body = fetch(mirror, path)
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8", path
        assert meta_charset(body) == "utf-8"
        body.decode("utf-8")


def test_legacy_column_listing_links_the_legacy_pages(mirror: MirrorProcess) -> None:
    col = next(c for c in MANIFEST["columns"] if c["code"] == LEGACY_COLUMN)
    listed = set()
    for page in col["listing_pages"]:
        status, headers, body = fetch(mirror, page["path"])
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
        listed |= {h.removeprefix("https://www.gdcac.gov.cn")
                   for h in Selector(text=body.decode("utf-8")).css("ul.comlist1 a::attr(href)").getall()}
    assert {a["path"] for a in LEGACY} <= listed


def test_state2_serves_the_legacy_pages_unchanged(own_mirror: MirrorProcess) -> None:
    m2 = load_manifest(state=2)
    assert {a["url"] for a in LEGACY} <= {a["url"] for a in m2["articles"]}
    touched = set(m2["changes"]["pages"]["changed"]) | set(m2["changes"]["pages"]["removed"])
    assert not touched & {a["path"] for a in LEGACY}
    first = {a["path"]: fetch(own_mirror, a["path"]) for a in LEGACY}
    own_mirror.set_state(2)
    try:
        second = {a["path"]: fetch(own_mirror, a["path"]) for a in LEGACY}
    finally:
        own_mirror.set_state(1)
    for art in LEGACY:
        (s1, h1, b1), (s2, h2, b2) = first[art["path"]], second[art["path"]]
        assert s1 == s2 == 200 and b1 == b2
        assert h1["content-type"] == h2["content-type"] == art["content_type"]
        assert h1["etag"] == h2["etag"] and h1["last-modified"] == h2["last-modified"]
    state2_entry = {a["url"]: a for a in m2["articles"]}
    for art in LEGACY:
        assert {k: v for k, v in state2_entry[art["url"]].items() if k != "listing"} == \
            {k: v for k, v in art.items() if k != "listing"}


@pytest.mark.parametrize("fault", ["gbk_page", "wrong_charset_header", "malformed_html"])
def test_page_faults_keep_a_legacy_page_legible(own_mirror: MirrorProcess, fault: str) -> None:
    art = case("gb2312", "gb2312")
    own_mirror.set_faults([{"path": art["path"], "fault": fault}])
    try:
        status, headers, body = fetch(own_mirror, art["path"])
    finally:
        own_mirror.clear_faults()
    assert status == 200
    text = body.decode(art["encoding"])
    assert all(p in text for p in art["body_paragraphs"])
    if fault == "malformed_html":
        assert headers["content-type"] == art["content_type"] and "</p>" not in text
