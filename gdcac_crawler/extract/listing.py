"""Section and listing pages: the columns of a section, the entries of a listing page, and its pager.

The nfw-cms pager has two halves: plain links (first, current, normal, next, last) and a script call
``createPageHTML(totalPage, currentPage, "index", "html")`` computed as ``Math.ceil(TOTAL/PER)`` and then
capped (``pages_limit``).  Both halves stop at the cap while the column may hold more pages, so the page
count is taken from the uncapped ``Math.ceil(TOTAL/PER)`` when the script gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from gdcac_crawler.extract.article import root_of
from gdcac_crawler.extract.dates import listed_date
from gdcac_crawler.extract.text import normalise_space, select, text_nodes
from gdcac_crawler.items import ListingEntry
from gdcac_crawler.profiles.base import Profile

_CEIL_RE = re.compile(r"Math\.ceil\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CREATE_RE = re.compile(r"createPageHTML\(\s*(\d+)\s*,")
_COUNT_RE = re.compile(r"\bvar\s+countPage\s*=\s*(\d+)")
_INLINE_SCRIPTS = etree.XPath("//script[not(@src)]/text()")


@dataclass
class Pager:
    """What a listing page says about the column's pages."""

    linked_pages: list[int] = field(default_factory=list)
    """Page numbers the static pager links to."""
    script_pages: int | None = None
    """The page count written in the pager script, after its cap (``createPageHTML(N, …)``)."""
    total_items: int | None = None
    """The column's item count from ``Math.ceil(TOTAL/PER)``, when the script gives it."""
    per_page: int | None = None
    """Items per page from ``Math.ceil(TOTAL/PER)``."""

    @property
    def total_pages(self) -> int:
        """The best known page count: the uncapped count when the script gives it, else the largest seen."""
        counts = [1, *self.linked_pages]
        if self.script_pages:
            counts.append(self.script_pages)
        if self.total_items is not None and self.per_page:
            counts.append(-(-self.total_items // self.per_page))
        return max(counts)


def extract_columns(response: Any, profile: Profile) -> list[tuple[str, str]]:
    """The columns a section page links to: ``[(name, url)]`` in page order, URLs absolute as written."""
    root = root_of(response)
    base = getattr(response, "url", profile.section_url)
    columns: list[tuple[str, str]] = []
    seen = set()
    for a in select(root, profile.column_link_css):
        href = (a.get("href") or "").strip()
        if not href:
            continue
        url = urljoin(base, href)
        if not profile.is_same_site(url, base) or not profile.is_column_url(url):
            continue
        key = profile.canonical(url)
        if key in seen:
            continue
        seen.add(key)
        name = normalise_space(a.get("title") or " ".join(text_nodes(a)))
        columns.append((name, url))
    return columns


def extract_pager(response: Any, profile: Profile) -> Pager:
    """The pager of a listing page."""
    root = root_of(response)
    base = getattr(response, "url", profile.base_url + "/")
    pager = Pager()
    for a in select(root, profile.pager_link_css):
        href = (a.get("href") or "").strip()
        if href and not href.lower().startswith("javascript:"):
            pager.linked_pages.append(profile.listing_page_no(urljoin(base, href)))
    scripts = " ".join(_INLINE_SCRIPTS(root))
    if m := _CEIL_RE.search(scripts):
        pager.total_items, pager.per_page = int(m.group(1)), int(m.group(2))
    if m := (_CREATE_RE.search(scripts) or _COUNT_RE.search(scripts)):
        pager.script_pages = int(m.group(1))
    return pager


def extract_listing(response: Any, profile: Profile) -> dict[str, Any]:
    """The entries of a listing page and its pager.

    Returns ``{"column", "entries", "pager"}``: the column name printed on the page, a
    :class:`~gdcac_crawler.items.ListingEntry` per item (same-site URLs canonical, off-site URLs as
    written and marked ``offsite``), and the :class:`Pager`.
    """
    root = root_of(response)
    base = getattr(response, "url", profile.base_url + "/")
    entries: list[ListingEntry] = []
    for li in select(root, profile.listing_item_css):
        a = select(li, profile.listing_link_css)
        if not a:
            continue
        href = (a[0].get("href") or "").strip()
        if not href or href.lower().startswith("javascript:"):
            continue
        url = urljoin(base, href)
        offsite = not profile.is_same_site(url, base)
        title = normalise_space(a[0].get("title") or " ".join(text_nodes(a[0])))
        date_text = " ".join(t for d in select(li, profile.listing_date_css) for t in text_nodes(d))
        entries.append(ListingEntry(
            url=url if offsite else profile.canonical(url),
            title=title,
            listed_date=listed_date(date_text),
            position=len(entries) + 1,
            offsite=offsite,
        ))
    column = normalise_space(" ".join(t for el in select(root, profile.listing_title_css)
                                      for t in text_nodes(el))) or None
    return {"column": column, "entries": entries, "pager": extract_pager(response, profile)}
