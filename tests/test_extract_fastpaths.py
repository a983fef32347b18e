"""The fast paths of article extraction give what the slower, obvious code gave: each is checked against that
code (parsel's parse, XPath, lxml.html, the regular expressions) on every saved page and on awkward input."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from scrapy.http import TextResponse

from gdcac_crawler.extract.article import _parsed, article_root, clean_article, extract_article
from gdcac_crawler.extract.attachment_links import ATTACHMENT_EXTENSIONS
from gdcac_crawler.extract.attachment_links import file_type as _file_type
from gdcac_crawler.extract.body import _inner_html
from gdcac_crawler.extract.cleaning import _drop_lines_lxml_html as _drop_html_blocks_lxml_html
from gdcac_crawler.extract.cleaning import drop_lines_from_html as drop_html_blocks
from gdcac_crawler.extract.dom import links_under as _links
from gdcac_crawler.extract.dom import parse_html
from gdcac_crawler.extract.metadata import GOV_META, meta_tags
from gdcac_crawler.extract.paragraphs import paragraphs as html_blocks
from gdcac_crawler.extract.rules import rules_disabled
from gdcac_crawler.extract.selector_index import _compiled, _Index, indexed, select
from gdcac_crawler.extract.text import _DROPPED_RE, _WS_RE, normalise_space
from gdcac_crawler.profiles import resolve_profile
from tests.support.cases import load_case

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGES = sorted(FIXTURES.glob("*/*/page.html"))


def _response(page: Path):
    return load_case(page.parent)[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_parse_html_builds_the_tree_parsel_builds_in_plain_elements(page: Path) -> None:
    response = _response(page)
    ours, theirs = parse_html(response.text), response.selector.root
    assert etree.tostring(ours, method="html", encoding="unicode") == \
        etree.tostring(theirs, method="html", encoding="unicode")
    assert type(ours) is etree._Element and not isinstance(ours, lxml_html.HtmlElement)


def test_parse_html_of_nothing_is_an_empty_document() -> None:
    assert parse_html("").tag == "html"
    assert parse_html("  \n ").tag == "html"
    assert parse_html("<!-- only a comment -->").tag == "html"


_SPACES = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()] + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@given(st.lists(st.sampled_from([*_SPACES, "\x00", "\x07", "\x1b", "\x7f", "a", "中", " ", "\n"]), max_size=12).map("".join))
def test_normalise_space_is_the_regular_expressions_whatever_the_white_space(text: str) -> None:
    assert normalise_space(text) == _WS_RE.sub(" ", _DROPPED_RE.sub("", text)).strip()


SELECTORS = [
    "h1.title", "h4.wdtit", "h1", "#content1", ".article-content", ".info, .jbxx", ".position, .mbx",
    ".xgdd, #xxddk", "a.nfw-cms-attachment, .fjlis a", ".article h1", ".fjlis a", "div.wrapper",
    ".fjlis, .xgdd, #xxddk, .share, .bdsharebuttonbox", "#content1 p", "#content1, .position", "p, div",
    "ul li", "div.a.b", "a[href]",
]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_the_index_answers_what_xpath_answers(page: Path) -> None:
    root = parse_html(_response(page).text)
    for wanted in (None, ("h1.title", ".info", "#content1", ".fjlis a")):
        with indexed(root, wanted):
            for css in SELECTORS:
                assert select(root, css) == _compiled(css)(root), css
    assert _Index(root).select(".fjlis a") is not None  # descendant selectors are answered, not passed on
    limited = _Index(root, (frozenset({"content1"}), frozenset()))
    assert limited.select(".info") is None  # not recorded: XPath answers it


def test_a_descendant_selector_keeps_document_order_across_parts() -> None:
    root = parse_html(
        "<div class='fjlis'><a id='1'>x</a><p><a id='2' class='nfw-cms-attachment'>y</a></p></div>"
        "<a id='3' class='nfw-cms-attachment'>z</a><div class='fjlis'><div class='fjlis'><a id='4'>w</a></div></div>")
    with indexed(root):
        found = select(root, "a.nfw-cms-attachment, .fjlis a")
    assert [a.get("id") for a in found] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_meta_tags_are_those_with_a_name_and_content(page: Path) -> None:
    root = parse_html(_response(page).text)
    reference = {}
    for el in etree.XPath("//meta[@name][@content]")(root):
        reference.setdefault(el.get("name").lower(), el.get("content"))
    got = meta_tags(root)
    assert {k.lower() for k in got} <= set(reference)
    assert {k.lower() for k in got} == set(reference) & {k.lower() for k in GOV_META}  # every one it knows
    assert all(normalise_space(reference[k.lower()]) == v for k, v in got.items())


HTML = [
    "<p>【字体：大 中 小】</p><p>正文。</p><p>关闭窗口</p>",
    "lead &amp; text<p>关闭窗口</p>tail<p>正文</p>",
    "  <p>关闭窗口</p>after",
    "<div><p>关闭窗口</p>t1<p>正文</p>t2</div>end",
    "<p>关闭<b>窗口</b></p><p><img src='a.png'>关闭窗口</p>",
    '<meta http-equiv="Content-Type" content="text/html"><p>正文</p><p>关闭窗口</p>',
    "<html><body><p>关闭窗口</p><p>正文</p></body></html>",
    "<body class='x'><p>关闭窗口</p><p>正文</p></body>",
    "<p>&amp;ldquo;关闭窗口&amp;rdquo;</p><p>“关闭窗口”</p>",
    "<table><tr><td>关闭窗口</td></tr></table><ul><li>关闭窗口</li><li>正文</li></ul>",
]


@pytest.mark.parametrize("body_html", HTML)
def test_drop_html_blocks_is_lxml_html_fragment_parsing(body_html: str) -> None:
    for dropped in ({"关闭窗口"}, {"关闭窗口", "正文"}, {"“关闭窗口”"}, {"【字体：大 中 小】", "正文。"}):
        assert drop_html_blocks(body_html, dropped) == _drop_html_blocks_lxml_html(body_html, dropped)
    assert drop_html_blocks("<p>关闭窗口</p><p>正文</p>", {"关闭窗口"}) == "<p>正文</p>"


def test_centred_and_heading_pass_down_to_the_lines_inside_a_block() -> None:
    root = parse_html("<div id='b'><div align='center'><p>甲</p><span>乙<br>丙</span></div><h2><span>丁<br>丁二</span>"
                      "</h2><p>戊</p><p>&nbsp;</p><center>己</center><table><tr><td>a</td><td>b</td></tr></table>"
                      "<!--c-->尾</div>")
    body = root.find(".//div")
    assert [(b.text, b.centred, b.heading) for b in html_blocks(body)] == [
        ("甲", True, False), ("乙", True, False), ("丙", True, False), ("丁", False, True), ("丁二", False, True),
        ("戊", False, False), ("", False, False), ("己", True, False), ("a | b", False, False), ("尾", False, False)]
    with rules_disabled("paragraph_lines"):
        assert [b.text for b in html_blocks(body)] == ["甲乙丙丁丁二戊 己", "a | b", "尾"]


ARTICLES = [p for p in PAGES if p.parent.name.startswith("article")]


@pytest.mark.parametrize("page", ARTICLES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_pruning_the_body_in_place_gives_what_pruning_a_copy_gives(page: Path) -> None:
    """A response's page is parsed for the extraction alone and its body pruned in place; a Selector's page
    belongs to the caller, so its body is copied first and its tree left as it was."""
    response = _response(page)
    site = page.parent.parent.name
    for name in {site, "generic"}:
        profile = resolve_profile(name, response.url)
        selector = Selector(text=response.text)
        before = etree.tostring(selector.root, encoding="unicode")
        in_place = clean_article(extract_article(response, profile, url=response.url), profile)
        copied = clean_article(extract_article(selector, profile, url=response.url), profile)
        assert in_place == copied
        assert etree.tostring(selector.root, encoding="unicode") == before
        assert in_place["body_html"] is None or not re.search(r"\sstyle=", in_place["body_html"])


def test_article_root_parses_text_and_responses_and_keeps_a_selectors_own_tree() -> None:
    selector = Selector(text="<p>x</p>")
    assert article_root(selector) is selector.root
    assert article_root("<p>x</p>").find(".//p").text == "x"


def _inner_html_child_by_child(el: etree._Element) -> str:
    return (el.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in el)


@pytest.mark.parametrize("page", ARTICLES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_inner_html_in_one_call_is_the_children_serialised_one_by_one(page: Path) -> None:
    root = parse_html(_response(page).text)
    for el in root.iter("div", "td", "p", "script", "style"):
        before = etree.tostring(el, encoding="unicode")
        assert _inner_html(el) == _inner_html_child_by_child(el)
        assert etree.tostring(el, encoding="unicode") == before  # tag, attributes and text put back


def test_inner_html_keeps_the_raw_leading_text_and_a_scripts_raw_tails() -> None:
    root = parse_html("<div id='a' class='b'>1 &lt; 2 &amp; 3<p>x</p>a &amp; b<br>c</div>"
                      "<script>if (a < b) {}<!-- x --></script>")
    div = root.find(".//div")
    assert _inner_html(div) == "1 < 2 & 3<p>x</p>a &amp; b<br>c"
    assert (div.tag, dict(div.attrib)) == ("div", {"id": "a", "class": "b"})
    script = root.find(".//script")
    script.append(etree.Element("b"))
    script[0].tail = "a < b"
    assert _inner_html(script) == _inner_html_child_by_child(script)


def test_a_response_scrapy_reads_as_xml_is_read_as_scrapy_reads_it_and_left_as_it_was() -> None:
    page = FIXTURES / "gdcac" / "article_seed" / "page.html"
    html = _response(page)
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + html.text.replace("<!DOCTYPE html>", "", 1)
    response = TextResponse(url=html.url, body=xhtml.encode("utf-8"), encoding="utf-8")
    root, own = _parsed(response)
    assert root is response.selector.root and not own  # Scrapy's own (XML) tree: the caller's, not pruned
    before = etree.tostring(root, encoding="unicode")
    profile = resolve_profile("gdcac", html.url)
    got = extract_article(response, profile, url=html.url)
    assert etree.tostring(response.selector.root, encoding="unicode") == before
    assert got == extract_article(response.selector, profile, url=html.url)
    assert got["title"] and got["body_lines"]
    assert _parsed(xhtml)[0].tag == root.tag  # the same text, given as text, is read as XML too
    assert _parsed('{"a": 1}')[1] and _parsed(html.text)[0].tag == "html"


def _file_type_by_splitting(url: str) -> str | None:
    path = urlsplit(url).path
    if path and "." in path:
        ext = path.rsplit(".", 1)[1].lower().strip()
        if ext in ATTACHMENT_EXTENSIONS:
            return ext
    return None


@given(st.lists(st.sampled_from(["http:", "https:", "//", "www.gdcac.gov.cn", "x.zip", "/", "a", ".", "pdf", "PDF",
                                 "html", "?", "#", "q.doc", ":", "javascript:", "mailto:", " ", "附件", "[", "]", "\n",
                                 "..", "docx "]), max_size=9).map("".join))
def test_a_links_file_type_is_told_without_splitting_only_where_splitting_agrees(url: str) -> None:
    try:
        expected = _file_type_by_splitting(url)
    except ValueError:  # urlsplit refuses it: so must the quick reading
        with pytest.raises(ValueError):
            _file_type(None, url)
        return
    assert _file_type(None, url) == expected


def test_links_are_the_a_elements_with_an_href_itself_included() -> None:
    root = parse_html("<div><a href='1'>x</a><a>no href</a><p><a href=''>2</a></p></div>")
    div = root.find(".//div")
    assert _links(div) == _compiled("a[href]")(div)
    assert len(_links(div)) == 2 and _links(div[0]) == [div[0]]
