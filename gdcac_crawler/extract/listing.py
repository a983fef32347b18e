"""Section and listing pages: the columns of a section, the entries of a listing page, and its pager.

The nfw-cms pager has two halves: plain links (first, current, normal, next, last) and a script call
``createPageHTML(totalPage, currentPage, "index", "html")`` computed as ``Math.ceil(TOTAL/PER)`` and then
capped (``pages_limit``).  Both halves stop at the cap while the column may hold more pages, so the page
count is taken from the uncapped ``Math.ceil(TOTAL/PER)`` when the script gives it.

Where a profile's rules find nothing (a changed template, or the ``generic`` profile), the fallbacks of
:mod:`gdcac_crawler.extract.fallback` find the columns, the entries and the pages; the result's ``methods``
says which (``profile:<css>``, ``fallback:<how>``) and the spider counts every fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from gdcac_crawler.extract import fallback
from gdcac_crawler.extract.dates import listed_date
from gdcac_crawler.extract.dom import link_title, root_of, text_nodes
from gdcac_crawler.extract.metadata import meta_tags
from gdcac_crawler.extract.results import ListingPage, Pager, Resolved, SectionPage
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import normalise_space
from gdcac_crawler.items import ListingEntry
from gdcac_crawler.profiles.base import Profile

__all__ = ["Pager", "extract_listing", "extract_section"]

_CEIL_RE = re.compile(r"Math\.ceil\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CREATE_RE = re.compile(r"createPageHTML\(\s*(\d+)\s*,")
_COUNT_RE = re.compile(r"\bvar\s+countPage\s*=\s*(\d+)")
_INLINE_SCRIPTS = etree.XPath("//script[not(@src)]/text()")

#: ``(url, title, listed_date)`` of a listing's entry, as found.
_Found = tuple[str, str, str | None]


def _methods(resolved: dict[str, Resolved[Any]]) -> dict[str, str]:
    return {key: r.method for key, r in resolved.items() if r.method is not None}


def _base(response: Any, profile: Profile) -> str:
    return getattr(response, "url", None) or profile.section_url


def extract_section(response: Any, profile: Profile) -> SectionPage:
    """The columns a section page links to, and how they were found.

    Returns ``{"columns": [(name, url)], "methods": {"columns": ...}}``: the profile's column links that
    match its column pattern (``profile:<css>``); else every same-site link matching that pattern
    (``fallback:url-pattern``); else the largest group of listing-shaped links in one navigation list
    (``fallback:nav-links``).  URLs are absolute as written; the section page itself is never a column.
    """
    root = root_of(response)
    base = _base(response, profile)
    profile = profile.bound(base)
    columns = _resolve_columns(root, base, profile)
    return {"columns": columns.value, "methods": _methods({"columns": columns})}


def _resolve_columns(root: etree._Element, base: str, profile: Profile) -> Resolved[list[tuple[str, str]]]:
    def folder(url: str) -> str:
        return profile.canonical(url).rstrip("/").removesuffix("/index.html")

    section = folder(profile.section_url)

    def keep(url: str) -> bool:
        return profile.is_same_site(url, base) and profile.is_column_url(url) and folder(url) != section

    columns = _columns(select(root, profile.column_link_css), base, profile, keep)
    if columns:
        return Resolved(columns, f"profile:{profile.column_link_css}")
    if profile.fallbacks:
        columns = _columns(select(root, "a[href]"), base, profile, keep)
        if columns:
            return Resolved(columns, "fallback:url-pattern")
        found = fallback.nav_columns(root, base, lambda u: profile.is_same_site(u, base))
        columns = _dedupe([(name, url) for name, url in found if folder(url) != section], profile)
        if columns:
            return Resolved(columns, "fallback:nav-links")
    return Resolved(columns)


def _columns(links: list[etree._Element], base: str, profile: Profile,
             keep: Callable[[str], bool]) -> list[tuple[str, str]]:
    found = []
    for a in links:
        href = (a.get("href") or "").strip()
        if not href:
            continue
        url = urljoin(base, href)
        if not keep(url):
            continue
        found.append((link_title(a), url))
    return _dedupe(found, profile)


def _dedupe(columns: list[tuple[str, str]], profile: Profile) -> list[tuple[str, str]]:
    out, seen = [], set()
    for name, url in columns:
        key = profile.canonical(url).removesuffix("index.html")
        if key in seen:
            continue
        seen.add(key)
        out.append((name, url))
    return out


def _resolve_pager(root: etree._Element, base: str, profile: Profile) -> Resolved[Pager]:
    """The pager of a listing page (the profile's static pager links, and the pager script's numbers), and
    how its page count was found."""
    pager = Pager()
    method = None
    for a in select(root, profile.pager_link_css):
        href = (a.get("href") or "").strip()
        if href and not href.lower().startswith("javascript:"):
            pager.linked_pages.append(profile.listing_page_no(urljoin(base, href)))
    if pager.linked_pages:
        method = f"profile:{profile.pager_link_css}"
    scripts = " ".join(_INLINE_SCRIPTS(root))
    if m := _CEIL_RE.search(scripts):
        pager.total_items, pager.per_page = int(m.group(1)), int(m.group(2))
    if m := (_CREATE_RE.search(scripts) or _COUNT_RE.search(scripts)):
        pager.script_pages = int(m.group(1))
    if method is None and (pager.script_pages or pager.total_items is not None):
        method = "fallback:script"
    if method is None and profile.fallbacks:
        links = fallback.pager_links(root, base, profile.listing_page_pattern)
        pager.linked_pages = [profile.listing_page_no(url) for url in links]
        if pager.linked_pages:
            method = "fallback:links"
    return Resolved(pager, method)


def _resolve_entries(root: etree._Element, base: str, profile: Profile) -> Resolved[list[_Found]]:
    """The listing's entries: the profile's items, else the largest group of dated links, else the links
    that match the profile's article URL pattern."""
    found: list[_Found] = []
    for li in select(root, profile.listing_item_css):
        a = select(li, profile.listing_link_css)
        if not a:
            continue
        href = (a[0].get("href") or "").strip()
        if not href or href.lower().startswith("javascript:"):
            continue
        title = link_title(a[0])
        date_text = " ".join(t for d in select(li, profile.listing_date_css) for t in text_nodes(d))
        found.append((urljoin(base, href), title, listed_date(date_text)))
    if found:
        return Resolved(found, f"profile:{profile.listing_item_css}")
    if profile.fallbacks:
        found = fallback.dated_link_entries(root, base)
        if found:
            return Resolved(found, "fallback:dated-links")
        links = fallback.url_pattern_links(
            root, base, lambda u: profile.is_same_site(u, base) and profile.is_article_url(u))
        found = [(url, title, None) for url, title in links]
        if found:
            return Resolved(found, "fallback:url-pattern")
    return Resolved(found)


def _resolve_column(root: etree._Element, profile: Profile) -> Resolved[str | None]:
    """The column's name: as the profile finds it printed on the page, else the ``ColumnName`` meta tag."""
    column = normalise_space(" ".join(t for el in select(root, profile.listing_title_css)
                                      for t in text_nodes(el))) or None
    if column:
        return Resolved(column, f"profile:{profile.listing_title_css}")
    if profile.fallbacks:
        column = meta_tags(root).get("ColumnName") or None
        if column:
            return Resolved(column, "meta:ColumnName")
    return Resolved(column)


def extract_listing(response: Any, profile: Profile) -> ListingPage:
    """The entries of a listing page and its pager.

    Returns ``{"column", "entries", "pager", "methods"}``: the column name printed on the page, a
    :class:`~gdcac_crawler.items.ListingEntry` per item (same-site URLs canonical, off-site URLs as
    written and marked ``offsite``), the :class:`~gdcac_crawler.extract.results.Pager`, and how each was
    found: ``entries`` by the profile's item selector, else ``fallback:dated-links`` or
    ``fallback:url-pattern``; ``pager`` by the profile's pager links, else ``fallback:script`` or
    ``fallback:links`` (absent when nothing tells the page count: the spider then probes ``index_N``);
    ``column`` by the profile, else ``meta:ColumnName``.
    """
    root = root_of(response)
    base = _base(response, profile)
    profile = profile.bound(base)
    found = _resolve_entries(root, base, profile)
    entries: list[ListingEntry] = []
    for url, title, day in found.value:
        offsite = not profile.is_same_site(url, base)
        entries.append(ListingEntry(
            url=url if offsite else profile.canonical(url),
            title=title,
            listed_date=day,
            position=len(entries) + 1,
            offsite=offsite,
        ))
    column = _resolve_column(root, profile)
    pager = _resolve_pager(root, base, profile)
    return {"column": column.value, "entries": entries, "pager": pager.value,
            "methods": _methods({"entries": found, "column": column, "pager": pager})}
