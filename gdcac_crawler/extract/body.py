"""An article's body once its container is known: the excluded parts pruned, the related lists cut out, the
paragraphs walked into lines and image records, the links made absolute, the HTML sanitised.

:func:`read_body` does all of it, in that order.  A page parsed for the extraction alone has
its body pruned in place (:func:`prune_in_place`); a page that belongs to the caller (a Selector's) has its
body copied first (:func:`copy_without`).  The body's HTML is serialised in one call and sanitised by nh3.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, NamedTuple
from urllib.parse import urljoin

import nh3
from lxml import etree

from gdcac_crawler.extract.dom import drop_tree
from gdcac_crawler.extract.paragraphs import Paragraph, paragraphs
from gdcac_crawler.extract.related import related_records, split_related_lists
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import is_file_name, normalise_space

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "span", "div", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "img", "a", "blockquote",
    "pre", "figure", "figcaption", "hr",
}
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt"}, "a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
}


class BodyContent(NamedTuple):
    """What a body gives the article's fields."""

    lines: list[str]
    """The text paragraphs, in reading order (``body_lines``)."""
    html: str | None
    """The sanitised HTML (``body_html``)."""
    images: list[dict[str, Any]]
    """Image records ``{"src", "alt", "caption"}``."""
    list_links: list[etree._Element]
    """The links of the related lists cut out of the body."""
    list_related: list[dict[str, Any]]
    """The related-link records of those lists."""

    @classmethod
    def empty(cls) -> BodyContent:
        """What a page without a body gives: no lines, no HTML, no images, no related lists."""
        return cls([], None, [], [], [])


def copy_without(body: etree._Element, css_list: tuple[str, ...]) -> etree._Element:
    """A copy of the body element with the excluded parts (attachments, related links) removed."""
    copy = deepcopy(body)
    copy.tail = None
    if css_list:
        for el in select(copy, ", ".join(css_list)):
            if el is not copy and el.getparent() is not None:
                drop_tree(el)
    return copy


def prune_in_place(root: etree._Element, body: etree._Element, css_list: tuple[str, ...]) -> etree._Element:
    """The body element itself with the excluded parts removed: for a page parsed for this extraction alone,
    which nothing reads after its body (copying it, as :func:`copy_without` does, costs more than the rest of
    the pruning).  The excluded parts are looked up on the whole (indexed) page, then kept if under the body."""
    if css_list:
        for el in select(root, ", ".join(css_list)):
            if el is body or not any(a is body for a in el.iterancestors()):
                continue
            if el.getparent() is not None:
                drop_tree(el)
    return body


def images_with_captions(found: list[Paragraph], page_url: str) -> list[dict[str, Any]]:
    """Image records ``{"src", "alt", "caption"}``: the caption is the centred text paragraph after the image
    (file-name lines and empty paragraphs in between are skipped)."""
    images = []
    for i, paragraph in enumerate(found):
        if paragraph.image is None:
            continue
        caption = None
        for nxt in found[i + 1:]:
            if nxt.image is not None:
                break
            if not nxt.text or is_file_name(nxt.text) or nxt.text == paragraph.image["alt"]:
                continue
            if nxt.centred and len(nxt.text) <= 200:
                caption = nxt.text
            break
        src = paragraph.image["src"]
        images.append({
            "src": urljoin(page_url, src) if src else None,
            "alt": normalise_space(paragraph.image["alt"]) or None,
            "caption": caption,
        })
    return images


def absolutise_links(content: etree._Element, page_url: str) -> None:
    """Make the ``src`` of images and the ``href`` of links under ``content`` absolute (in place)."""
    for el in content.iter("img", "a"):  # .//img[@src] | .//a[@href]
        attr = "src" if el.tag == "img" else "href"
        value = el.get(attr)
        if el is content or value is None:
            continue
        value = value.strip()
        if value and not value.lower().startswith(("javascript:", "#", "data:")):
            el.set(attr, urljoin(page_url, value))


def sanitise_html(fragment: str) -> str:
    """The body's HTML with only structural tags and safe attributes left (nh3 / ammonia)."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                     link_rel=None, strip_comments=True).strip()


def _inner_html(el: etree._Element) -> str:
    """The element's own text as it stands, then its children serialised as HTML (with their tails)."""
    if not isinstance(el.tag, str) or el.tag.lower() in ("script", "style"):  # its tails are written raw
        return (el.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in el)
    # The children in one call rather than one each: the element, stripped to a bare <div>, serialised whole.
    text, tag, attrib = el.text, el.tag, dict(el.attrib)
    el.text = None
    el.attrib.clear()
    el.tag = "div"
    try:
        html = etree.tostring(el, encoding="unicode", method="html", with_tail=False)
    finally:
        el.text, el.tag = text, tag
        el.attrib.update(attrib)
    return (text or "") + html[len("<div>"):-len("</div>")]


def read_body(root: etree._Element, body: etree._Element, exclude_css: tuple[str, ...], page_url: str,
              owned: bool) -> BodyContent:
    """The body's lines, HTML, images and related lists (``owned``: the page is this extraction's alone, so
    the body is pruned in place; else a copy is)."""
    content = prune_in_place(root, body, exclude_css) if owned else copy_without(body, exclude_css)
    list_links: list[etree._Element] = []
    list_related: list[dict[str, Any]] = []
    for label, links in split_related_lists(content):
        list_links += links
        list_related += related_records(label, links, page_url)
    found = paragraphs(content)
    lines = [p.text for p in found if p.image is None]
    images = images_with_captions(found, page_url)
    absolutise_links(content, page_url)
    return BodyContent(lines, sanitise_html(_inner_html(content)), images, list_links, list_related)
