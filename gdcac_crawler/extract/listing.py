"""Section and listing pages: the columns of a section, the entries of a listing page, and its pager.

The nfw-cms pager has two halves: plain links (first, current, normal, next, last) and a script call
``createPageHTML(totalPage, currentPage, "index", "html")`` computed as ``Math.ceil(TOTAL/PER)`` and then
capped (``pages_limit``).  Both halves stop at the cap while the column may hold more pages, so the page
count is taken from the uncapped ``Math.ceil(TOTAL/PER)`` when the script gives it.  Every other form of
pager (TRS's 0-based ``index_N`` and ``countPage``, ``?page=N``, 下一页 links) is read by
:mod:`gdcac_crawler.extract.pager`.

Where a profile's rules find nothing (a changed template, a site never seen, or the ``generic`` profile), the
fallbacks find the columns (:mod:`gdcac_crawler.extract.discovery`: the section's own navigation, never the
top navigation; the 更多 links), the entries (:mod:`gdcac_crawler.extract.fallback`: dated links; else
article-shaped links) and the pages; the result's ``methods`` says which (``profile:<css>``,
``fallback:<how>``) and the spider counts every fallback.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from gdcac_crawler.extract import discovery, fallback
from gdcac_crawler.extract.dates import listed_date
from gdcac_crawler.extract.dom import link_title, root_of, text_nodes
from gdcac_crawler.extract.metadata import meta_tags
from gdcac_crawler.extract.pager import read_pager
from gdcac_crawler.extract.results import ListingPage, Pager, Resolved, SectionPage
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import normalise_space
from gdcac_crawler.items import ListingEntry
from gdcac_crawler.profiles.base import Profile

__all__ = ["Pager", "extract_listing", "extract_section", "find_section"]

#: ``(url, title, listed_date)`` of a listing's entry, as found.
_Found = tuple[str, str, str | None]


def _methods(resolved: dict[str, Resolved[Any]]) -> dict[str, str]:
    return {key: r.method for key, r in resolved.items() if r.method is not None}


def _base(response: Any, profile: Profile) -> str:
    return getattr(response, "url", None) or profile.section_url


def find_section(response: Any, profile: Profile) -> discovery.SectionLink | None:
    """The link on a page — the portal's home page — that names the profile's section (``section_name``,
    政策法规), whatever its path (:func:`gdcac_crawler.extract.discovery.find_section_link`); ``None`` when
    no link names it."""
    base = _base(response, profile)
    profile = profile.bound(base)
    return discovery.find_section_link(root_of(response), base, profile.section_name,
                                       same_site=lambda u: profile.is_same_site(u, base))


def extract_section(response: Any, profile: Profile, *, nav_urls: Iterable[str] = (),
                    section_url: str | None = None) -> SectionPage:
    """The columns a section page links to, and how they were found.

    Returns ``{"columns": [(name, url)], "methods": {"columns": ...}}``: the profile's column links that
    match its column pattern (``profile:<css>``); else every same-site link matching that pattern
    (``fallback:url-pattern``); else the largest list of the section's own navigation — a left menu, tabs —
    leaving out the top navigation, breadcrumbs and footers (``fallback:nav-links``); else the 更多 links of
    the page's blocks (``fallback:more-links``).  ``nav_urls`` are the URLs of the home page's navigation bar,
    when the section was found there: that bar recurs on the section page and is no column list.  URLs are
    absolute as written; the section page itself (``section_url``, default the profile's) is never a column.
    """
    root = root_of(response)
    base = _base(response, profile)
    profile = profile.bound(base)
    columns = _resolve_columns(root, base, profile, frozenset(profile.canonical(u) for u in nav_urls),
                               section_url or profile.section_url)
    return {"columns": columns.value, "methods": _methods({"columns": columns})}


def _resolve_columns(root: etree._Element, base: str, profile: Profile, nav_urls: frozenset[str],
                     section_url: str) -> Resolved[list[tuple[str, str]]]:
    def folder(url: str) -> str:
        return profile.canonical(url).rstrip("/").removesuffix("/index.html")

    section = folder(section_url)

    def keep(url: str) -> bool:
        return profile.is_same_site(url, base) and profile.is_column_url(url) and folder(url) != section

    columns = _columns(select(root, profile.column_link_css), base, profile, keep)
    if columns:
        return Resolved(columns, f"profile:{profile.column_link_css}")
    if profile.fallbacks:
        columns = _columns(select(root, "a[href]"), base, profile, keep)
        if columns:
            return Resolved(columns, "fallback:url-pattern")
        same_site: Callable[[str], bool] = lambda u: profile.is_same_site(u, base)  # noqa: E731
        found = discovery.nav_columns(root, base, section_url=section_url, same_site=same_site, nav_urls=nav_urls,
                                      canonical=profile.canonical)
        if found:
            return Resolved(found, "fallback:nav-links")
        found = discovery.more_columns(root, base, section_url=section_url, same_site=same_site,
                                       canonical=profile.canonical)
        if found:
            return Resolved(found, "fallback:more-links")
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


def _resolve_pager(root: etree._Element, base: str, profile: Profile,
                   page_no: int | None) -> tuple[Resolved[Pager], frozenset[str]]:
    """The pager of a listing page (from the profile's static pager links, else every link of the page, and
    the pager script), how its page count was found, and the URLs of its links."""
    links = discovery.page_links(root, base)
    chosen = set(select(root, profile.pager_link_css)) if profile.pager_link_css else set()
    own = [link for link in links if link.element in chosen]
    reading = read_pager(own, root, base, page_no=page_no)
    method = f"profile:{profile.pager_link_css}" if reading.from_links else None
    if method is None and profile.fallbacks:
        everywhere = read_pager(links, root, base, page_no=page_no)
        if everywhere.pager.form != "none" or not own:
            reading = everywhere
    pager = reading.pager
    if method is None and (pager.script_pages or pager.total_items is not None):
        method = "fallback:script"
    if method is None and reading.from_links:
        method = "fallback:links"
    if method is None and pager.next_url:
        method = "fallback:next-link"
    return Resolved(pager, method), reading.links


def _resolve_entries(root: etree._Element, base: str, profile: Profile,
                     not_entries: frozenset[str]) -> Resolved[list[_Found]]:
    """The listing's entries: the profile's items, else the largest group of dated links, else the largest
    list of article-shaped links (the profile's article pattern, or a scheme :mod:`~gdcac_crawler.extract.
    discovery` knows) outside the page's navigation; pager links (``not_entries``) are never entries."""
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
        found = [f for f in fallback.dated_link_entries(root, base) if f[0] not in not_entries]
        if len(found) >= 2:
            return Resolved(found, "fallback:dated-links")
        found = [(url, title, None) for url, title in _article_links(root, base, profile, not_entries)]
        if found:
            return Resolved(found, "fallback:url-pattern")
    return Resolved([])


def _article_links(root: etree._Element, base: str, profile: Profile,
                   not_entries: frozenset[str]) -> list[tuple[str, str]]:
    """The largest list of same-site article links outside the navigation, breadcrumbs and footer."""
    def same_site(url: str) -> bool:
        return profile.is_same_site(url, base)

    links = discovery.page_links(root, base)
    furniture = discovery.navigation_groups(links, same_site)
    groups: dict[etree._Element, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        url = link.url
        if link.group in furniture or url in not_entries or not same_site(url):
            continue
        if not (profile.is_article_url(url) or discovery.is_article_shaped(url)):
            continue
        if all(u != url for u, _ in groups[link.group]):
            groups[link.group].append((url, link.name))
    return max(groups.values(), key=len) if groups else []


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


def extract_listing(response: Any, profile: Profile, *, page_no: int | None = None) -> ListingPage:
    """The entries of a listing page and its pager.

    Returns ``{"column", "entries", "pager", "methods"}``: the column name printed on the page, a
    :class:`~gdcac_crawler.items.ListingEntry` per item (same-site URLs canonical, off-site URLs as
    written and marked ``offsite``), the :class:`~gdcac_crawler.extract.results.Pager`, and how each was
    found: ``entries`` by the profile's item selector, else ``fallback:dated-links`` or
    ``fallback:url-pattern``; ``pager`` by the profile's pager links, else ``fallback:script``,
    ``fallback:links`` or ``fallback:next-link`` (absent when nothing tells the page count: the spider then
    probes ``index_N``); ``column`` by the profile, else ``meta:ColumnName``.  ``page_no`` is the page's
    number in its column when the walk knows it (it tells a pager's numbering from a next link alone).
    """
    root = root_of(response)
    base = _base(response, profile)
    profile = profile.bound(base)
    pager, pager_links = _resolve_pager(root, base, profile, page_no)
    found = _resolve_entries(root, base, profile, pager_links)
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
    return {"column": column.value, "entries": entries, "pager": pager.value,
            "methods": _methods({"entries": found, "column": column, "pager": pager})}
