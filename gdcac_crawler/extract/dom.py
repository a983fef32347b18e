"""DOM helpers: pages parsed into plain lxml elements, and the text under an element.

Extraction visits many elements of every page; ``lxml.html``'s element classes are looked up in Python for
every element touched, which costs more than the parse itself on a small page.  So pages are parsed by
:func:`parse_html` into plain ``etree`` elements, and :func:`drop_tree` and :func:`text_content` stand in for
what those classes add.  The tag sets say how the walk over a body treats each element.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree
from parsel import Selector

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
    """
    body = text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body, parser=parser)
    if root is None:  # nothing but white space or a comment
        root = etree.fromstring(b"<html/>", parser=parser)
    return root


def selector_for(response_or_text: Any) -> Selector:
    """A parsel Selector for a Scrapy response, a Selector, or HTML text."""
    if isinstance(response_or_text, Selector):
        return response_or_text
    if isinstance(response_or_text, str):
        return Selector(text=response_or_text)
    return response_or_text.selector


def root_of(response_or_text: Any) -> etree._Element:
    """The parsed document (an lxml element) of a response, a Selector, or HTML text; parsed once."""
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
