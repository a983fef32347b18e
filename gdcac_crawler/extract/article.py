"""Article pages: from a response (or HTML text) to the raw fields of an :class:`~gdcac_crawler.items.ArticleItem`.

Pure functions: no engine, no database.  :func:`extract_article` runs one resolver per field
(:mod:`~gdcac_crawler.extract.resolvers`): each reads the profile's selectors first; where they find nothing,
the government meta tags and the generic fallbacks (:mod:`gdcac_crawler.extract.fallback`) fill it, and the
resolver says which produced it, so ``methods`` is the record of the resolved fields (``profile:<css>``,
``meta:<tag>``, ``fallback:<how>``).  Cleaning (boilerplate lines, entities, source labels) is the clean
pipeline's work: see :func:`clean_article` (:mod:`~gdcac_crawler.extract.cleaning`).

Cost: :func:`extract_article` parses the page once into plain lxml elements (:func:`article_root`), answers the
profile's selectors from a one-pass index of the ids and classes they name
(:mod:`~gdcac_crawler.extract.selector_index`), reads everything around the body first and then prunes the body
in place (a page passed as a Selector is the caller's, so its body is copied instead), and serialises the
body's children in one call (:mod:`~gdcac_crawler.extract.body`).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse

from gdcac_crawler.extract import fallback
from gdcac_crawler.extract.body import BodyContent, read_body
from gdcac_crawler.extract.cleaning import clean_article
from gdcac_crawler.extract.dom import parse_html
from gdcac_crawler.extract.metadata import info_lines, meta_tags
from gdcac_crawler.extract.resolvers import (
    ArticlePage,
    confirmed_body,
    doc_number_in_body,
    editor_in_body,
    links_around,
    resolve_attachments,
    resolve_author,
    resolve_body,
    resolve_column_path,
    resolve_labelled,
    resolve_published,
    resolve_related,
    resolve_source,
    resolve_title,
)
from gdcac_crawler.extract.results import ArticleFields, Resolved
from gdcac_crawler.extract.selector_index import indexed
from gdcac_crawler.profiles.base import Profile

__all__ = ["METHOD_ORDER", "article_root", "clean_article", "extract_article"]

#: The order of ``methods`` keys (stable output for reviewed golden files).
METHOD_ORDER = ("title", "source", "published_at", "author", "editor", "doc_number", "index_number",
                "column_path", "body", "attachments", "related")

_XML_DECLARATION_RE = re.compile(r"[\s\ufeff]*<\?xml\s")


def article_root(response_or_text: Any) -> etree._Element:
    """The document of an article page (see :func:`_parsed`)."""
    return _parsed(response_or_text)[0]


def _parsed(response_or_text: Any) -> tuple[etree._Element, bool]:
    """``(root, own)``: the document of an article page, and whether it was parsed for this call alone.

    An HTML response's text (and HTML text) is parsed by :func:`~gdcac_crawler.extract.dom.parse_html` — the
    tree ``response.selector`` would build, in plain lxml elements, which the extraction's many element visits
    read faster.  A Selector's document, and the one Scrapy's selector builds for any other response (XML, or
    text that parsel reads as XML), belong to the caller: ``own`` is false.
    """
    if isinstance(response_or_text, Selector):
        return response_or_text.root, False
    if isinstance(response_or_text, str):
        text = response_or_text
        if text.lstrip()[:1] in ("{", "[") or _XML_DECLARATION_RE.match(text):  # parsel may read JSON or XML
            return Selector(text=text).root, True
        return parse_html(text), True
    if isinstance(response_or_text, HtmlResponse):
        return parse_html(response_or_text.text), True
    return response_or_text.selector.root, False


def _selectors(profile: Profile) -> tuple[str, ...]:
    """The selectors extraction asks of a whole page with ``profile`` (what its index records)."""
    return (*profile.title_css, *profile.body_css, *profile.info_css, ", ".join(profile.breadcrumb_css),
            ", ".join(profile.related_css), profile.attachment_css, ", ".join(profile.body_exclude_css))


def extract_article(response: Any, profile: Profile, *, url: str | None = None) -> ArticleFields:
    """The raw fields of an article page.

    ``url`` is the article's canonical URL (relative links resolve against it); by default the response's
    URL mapped to the live portal.  Returns the :class:`~gdcac_crawler.extract.results.ArticleFields` of an
    :class:`~gdcac_crawler.items.ArticleItem`: title, published_raw, published_at, source_raw, author, editor,
    doc_number, index_number, column_path, body_lines, body_html, images, attachments, related, meta and
    methods.  Fields it cannot find are ``None`` or empty.
    """
    profile = profile.bound(url or getattr(response, "url", "") or "http://localhost/")
    root, own = _parsed(response)
    with indexed(root, _selectors(profile)):
        # a page parsed for this call alone has its body pruned in place rather than copied
        return _extract_article(root, response, profile, url, owned=own)


def _live(profile: Profile, url: str | None, page_url: str) -> str | None:
    """A same-site resource's URL on the live origin (images and attachments linked on an alias host, or on
    the mirror, are the portal's), any other URL as written."""
    if url and profile.is_same_site(url, page_url):
        return profile.live_url(url)
    return url


def _extract_article(root: etree._Element, response: Any, profile: Profile, url: str | None,
                     owned: bool) -> ArticleFields:
    page_url = url or profile.canonical(getattr(response, "url", profile.base_url + "/"))
    page = ArticlePage(root, profile, page_url, meta_tags(root))
    title = resolve_title(page)
    body = resolve_body(page, title.value)
    info = info_lines(root, profile)
    # The lines before the body, read only where the profile's info rows are missing (a drifted template, or
    # the generic profile): a profile that finds its info rows takes its metadata from them alone.
    preamble = fallback.preamble_lines(root, body.value) if (profile.fallbacks and not info) else []
    source = resolve_source(page, info, preamble)
    published = resolve_published(page, info, preamble)
    body = confirmed_body(page, body, published.value[0])
    author = resolve_author(page, info, preamble)
    editor = resolve_labelled("editor", info, preamble)
    doc_number = resolve_labelled("doc_number", info, preamble)
    index_number = resolve_labelled("index_number", info, preamble)
    column = resolve_column_path(page)
    # Everything read from the page around and under the body is read before the body is pruned.
    around = links_around(page, body.value)
    content = (BodyContent.empty() if body.value is None
               else read_body(root, body.value, profile.body_exclude_css, page_url, owned))
    doc_number = doc_number_in_body(doc_number, content.lines)
    editor = editor_in_body(editor, content.lines)
    attachments = resolve_attachments(around, content, page_url)
    related = resolve_related(around, content)
    resolved: dict[str, Resolved[Any]] = {
        "title": title, "source": source, "published_at": published, "author": author, "editor": editor,
        "doc_number": doc_number, "index_number": index_number, "column_path": column, "body": body,
        "attachments": attachments, "related": related,
    }
    return {
        "url": page_url,
        "site": profile.name,
        "title": title.value,
        "published_raw": published.value[1],
        "published_at": published.value[0],
        "source_raw": source.value,
        "author": author.value,
        "editor": editor.value,
        "doc_number": doc_number.value,
        "index_number": index_number.value,
        "column_path": column.value,
        "body_lines": content.lines,
        "body_html": content.html,
        "images": [{**image, "src": _live(profile, image["src"], page_url)} for image in content.images],
        "attachments": [{**att, "url": _live(profile, att["url"], page_url)} for att in attachments.value],
        "related": related.value,
        "meta": page.meta,
        "methods": {key: method for key in METHOD_ORDER if (method := resolved[key].method) is not None},
    }
