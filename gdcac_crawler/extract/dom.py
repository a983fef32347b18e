"""DOM helpers: pages parsed into plain lxml elements, and the text under an element.

Extraction visits many elements of every page; ``lxml.html``'s element classes are looked up in Python for
every element touched, which costs more than the parse itself on a small page.  So pages are parsed by
:func:`parse_html` into plain ``etree`` elements, and :func:`drop_tree` and :func:`text_content` stand in for
what those classes add.  The tag sets say how the walk over a body treats each element.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse

from gdcac_crawler.extract.text import normalise_meta, normalise_space

#: Tags that end a line of text where they open and close (the HTML block-level elements).
LINE_BREAKING_TAGS = frozenset([
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody",
    "tfoot", "tr", "section", "article", "aside", "blockquote", "pre", "center", "figure", "figcaption", "header",
    "footer", "nav", "form", "hr", "address", "main", "details", "summary", "caption",
])
#: Tags whose content is never text of the page.
SKIP_TAGS = frozenset([
    "script", "style", "noscript", "template", "iframe", "object", "embed", "button", "input", "select", "textarea",
])
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])


def parse_html(text: str) -> etree._Element:
    """The document of an HTML page's text, parsed exactly as parsel (hence ``response.selector``) parses it —
    the same libxml2 parser and options on the same bytes — but into plain lxml elements.

    libxml2 stops reading a document nested deeper than 2,048 elements (Word's thousands of unclosed
    ``<font>`` and ``<span>``): everything after that point would be lost.  Such a page is parsed again with
    its nesting flattened (:func:`flatten_nesting`): its text is all there, only excess tags are gone.
    """
    root = _parse(text.strip().replace("\x00", "").encode("utf-8") or b"<html/>")
    if root is None:
        root = _parse(flatten_nesting(text.strip().replace("\x00", "")).encode("utf-8"), depth_ok=False)
    return root if root is not None else etree.fromstring(b"<html/>", parser=etree.HTMLParser())


def _parse(body: bytes, *, depth_ok: bool = True) -> etree._Element | None:
    """The document of ``body`` (``<html/>`` for nothing but white space or a comment); ``None`` when libxml2
    stopped at its nesting limit and ``depth_ok`` asks for another try."""
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body, parser=parser)
    if depth_ok and any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in parser.error_log):
        return None
    if root is None:  # nothing but white space or a comment
        root = etree.fromstring(b"<html/>", parser=parser)
    return root


MAX_NESTING = 1000
"""How deep :func:`flatten_nesting` lets elements nest (libxml2 stops at 2,048)."""
_TAG_RE = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>|<(/?)([a-zA-Z][\w:.-]*)([^>]*)>", re.S | re.I)
_VOID_TAGS = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                        "track", "wbr"])


def flatten_nesting(text: str, limit: int = MAX_NESTING) -> str:
    """``text`` with the tags of the elements in the middle of a nesting deeper than ``limit`` removed, their
    text kept: an element more than ``limit / 2`` levels deep that also holds more than ``limit / 2`` levels
    goes (its start and end tag), so the page's outer structure (body, wrappers) and its inner structure (the
    body container, its paragraphs) stay.  An end tag closes the innermost open element of its name (those
    above it close with it).  Comments, scripts and styles are kept as they are."""
    half = limit // 2
    tags = [m for m in _TAG_RE.finditer(text) if m[3] is not None]
    depth: dict[int, int] = {}
    height: dict[int, int] = {}
    closes: dict[int, int] = {}  # an end tag's index -> the index of the start tag it closes
    stack: list[list[Any]] = []  # open elements: [name, start tag index, deepest level inside]

    def close_from(at: int) -> None:
        for j in range(len(stack) - 1, at - 1, -1):
            _, i, deepest = stack[j]
            height[i] = deepest - depth[i]
            if j:
                stack[j - 1][2] = max(stack[j - 1][2], deepest)
        del stack[at:]

    for n, match in enumerate(tags):
        name = match[3].lower()
        if match[2]:  # an end tag
            at = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == name), None)
            if at is not None:
                closes[n] = stack[at][1]
                close_from(at)
        elif name not in _VOID_TAGS and not match[4].strip().endswith("/"):
            depth[n] = len(stack) + 1
            stack.append([name, n, depth[n]])
    close_from(0)
    dropped = {i for i, d in depth.items() if d > half and height[i] > half}
    dropped |= {n for n, i in closes.items() if i in dropped}
    out: list[str] = []
    pos = 0
    for n in sorted(dropped):
        out.append(text[pos:tags[n].start()])
        pos = tags[n].end()
    out.append(text[pos:])
    return "".join(out)


def selector_for(response_or_text: Any) -> Selector:
    """A parsel Selector for a Scrapy response, a Selector, or HTML text."""
    if isinstance(response_or_text, Selector):
        return response_or_text
    if isinstance(response_or_text, str):
        return Selector(text=response_or_text)
    return response_or_text.selector


def root_of(response_or_text: Any) -> etree._Element:
    """The parsed document (an lxml element) of a response, a Selector, or HTML text.  An HTML response is
    parsed by :func:`parse_html` (a page nested past libxml2's limit keeps its text); anything else is the
    document of its Selector, parsed once."""
    if isinstance(response_or_text, HtmlResponse):
        return parse_html(response_or_text.text)
    return selector_for(response_or_text).root


def drop_tree(el: etree._Element) -> None:
    """Remove ``el`` and its subtree from its parent, keeping its tail text (``lxml.html``'s ``drop_tree``)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def text_content(el: etree._Element) -> str:
    """All the text under ``el``, tails included, comments excepted (``lxml.html``'s ``text_content``): libxml2
    gathers it in one call, several times faster than joining ``itertext()``."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


def iter_texts(el: etree._Element) -> Iterable[str]:
    """Text nodes under ``el``, scripts and styles excepted."""
    for node in el.iter():
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        if tag in SKIP_TAGS:
            if node is not el and node.tail:
                yield node.tail
            continue
        if tag is not None and node.text:
            yield node.text
        if node is not el and node.tail:
            yield node.tail


def raw_text_nodes(el: etree._Element) -> list[str]:
    """The text nodes under ``el`` that hold more than white space, trimmed of ASCII white space only (for
    metadata, which :func:`~gdcac_crawler.extract.text.normalise_meta` normalises under its rule)."""
    return [t.strip(" \t\r\n") for t in iter_texts(el) if t.strip()]


def text_nodes(el: etree._Element) -> list[str]:
    """The non-blank text nodes under ``el`` (scripts and styles excepted), each normalised."""
    return [t for t in (normalise_space(x) for x in iter_texts(el)) if t]


def element_text(el: etree._Element) -> str:
    """An element's text: its text nodes, normalised, joined by spaces."""
    return normalise_space(" ".join(text_nodes(el)))


def meta_text(el: etree._Element) -> str:
    """An element's text as a metadata value: its text nodes joined by spaces, then ``normalise_meta``."""
    return normalise_meta(" ".join(raw_text_nodes(el))) or ""


def link_title(a: etree._Element) -> str:
    """A link's title: its ``title`` attribute, else its text, normalised."""
    return normalise_space(a.get("title") or " ".join(text_nodes(a)))


def links_under(el: etree._Element) -> list[etree._Element]:
    """The ``a[href]`` under ``el`` (itself included), in document order."""
    return [a for a in el.iter("a") if a.get("href") is not None]
