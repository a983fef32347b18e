"""Attachments among a page's links: which links point at documents, and their records.

An attachment record is ``{"url", "name", "type"}``: the absolute URL (``None`` when the link's ``href`` is
empty), the file's name as the page prints it, and its extension.  (Downloading the files is the attachments
pipeline's work, :mod:`gdcac_crawler.pipelines.attachments`.)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from gdcac_crawler.extract.dom import element_text, links_under
from gdcac_crawler.extract.text import normalise_meta, normalise_space
from gdcac_crawler.extract.vocabulary import ATTACHMENT_LABEL_RE

ATTACHMENT_EXTENSIONS = frozenset([
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "zip", "rar", "7z", "txt", "csv",
    "rtf", "jpg", "jpeg", "png",
])


def _plainly_not_a_file(url: str) -> bool:
    """Whether ``urlsplit(url).path`` surely ends in no attachment extension, told without splitting the URL:
    its path is the end of the URL before ``?`` and ``#``, so a last dot there is the path's last dot.  (Only
    for URLs that ``urlsplit`` takes as they stand: ASCII, no brackets, no tabs or line breaks.)"""
    if not url.isascii() or "[" in url or "]" in url or "\t" in url or "\r" in url or "\n" in url:
        return False
    head = url.split("#", 1)[0].split("?", 1)[0]
    return "." not in head or head.rsplit(".", 1)[1].lower().strip() not in ATTACHMENT_EXTENSIONS


def file_type(name: str | None, url: str | None) -> str | None:
    """The attachment extension of a file ``name`` or, failing it, of the ``url``'s path; ``None`` when
    neither ends in one."""
    if name is None and url and _plainly_not_a_file(url):
        return None
    for candidate in (name, urlsplit(url).path if url else None):
        if candidate and "." in candidate:
            ext = candidate.rsplit(".", 1)[1].lower().strip()
            if ext in ATTACHMENT_EXTENSIONS:
                return ext
    return None


def link_url(a: etree._Element, page_url: str) -> str | None:
    """A link's absolute URL; ``None`` for an empty, ``javascript:``, ``mailto:`` or in-page ``href``."""
    href = (a.get("href") or "").strip()
    if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
        return None
    return urljoin(page_url, href)


def file_links(el: etree._Element) -> list[etree._Element]:
    """The links under ``el`` (itself included) whose ``href`` ends in an attachment extension."""
    return [a for a in links_under(el) if file_type(None, a.get("href"))]


def attachment_records(links: list[etree._Element], page_url: str) -> list[dict[str, Any]]:
    """Attachment records ``{"url", "name", "type"}`` of those ``links`` that point at documents.  The real
    file name is taken from ``alt`` when the CMS puts it there, else the link text, else ``title``; the URL is
    ``None`` when the link's ``href`` is empty."""
    found: list[dict[str, Any]] = []
    seen = set()
    for a in links:
        url = link_url(a, page_url)
        name = normalise_meta(a.get("alt") or "") or element_text(a) or normalise_meta(a.get("title") or "") or None
        kind = file_type(name, url)
        if kind is None:
            continue
        key = (url, name)
        if key in seen:
            continue
        seen.add(key)
        found.append({"url": url, "name": name, "type": kind})
    return found


def labelled_attachment_links(root: etree._Element) -> list[etree._Element]:
    """The links of the blocks headed by an attachment label standing alone (``<p>附件：</p><ul>…</ul>``,
    ``<span>相关附件：</span><a>…``), in page order: the block is the label's parent.  An attachment block
    outside the body container is common on CMS templates that print it under the body."""
    links: list[etree._Element] = []
    for el in root.iter("p", "span", "div", "h3", "h4", "strong", "b", "dt", "em", "label"):
        own = normalise_space(el.text or "")
        if len(el) or not own or not ATTACHMENT_LABEL_RE.match(own):
            continue
        block = el.getparent()
        if block is None:
            continue
        links += [a for a in links_under(block) if a not in links]
    return links
