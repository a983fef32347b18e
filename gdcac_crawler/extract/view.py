"""What a page yields, as one plain JSON-ready dict: the view that fixtures record and tests compare.

The same functions the spider and the clean pipeline use, composed: an article is extracted and cleaned
(``body_text`` given as its list of lines, for reviewable golden files); a listing gives its entries and
pager; a section page its columns.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypedDict, cast

from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.cleaning import clean_article
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.items import PageKind
from gdcac_crawler.profiles.base import Profile


class ArticleView(TypedDict):
    """An article's view: its cleaned fields in this order (``body_html`` is left out: it is long and tested
    on its own), ``body_text`` as its list of lines."""

    url: str
    title: str | None
    published_at: str | None
    published_raw: str | None
    source: str | None
    source_raw: str | None
    author: str | None
    editor: str | None
    doc_number: str | None
    index_number: str | None
    column_path: list[str]
    body_text: list[str]
    images: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    related: list[dict[str, Any]]
    meta: dict[str, str]
    methods: dict[str, str]


class PagerView(TypedDict):
    """A pager's view: what it states, its form, and the URL its rule gives page 2 (``None`` while the
    numbering is unknown)."""

    linked_pages: list[int]
    script_pages: int | None
    total_items: int | None
    per_page: int | None
    total_pages: int
    form: str
    page_2_url: str | None


class ListingView(TypedDict):
    """A listing's view: its column, its entries as dicts, its pager."""

    column: str | None
    entries: list[dict[str, Any]]
    pager: PagerView
    methods: dict[str, str]


class SectionView(TypedDict):
    """A section page's view: its columns, URLs canonical."""

    columns: list[dict[str, str]]
    methods: dict[str, str]


#: Article fields a view shows, in this order (each an :data:`~gdcac_crawler.items.ARTICLE_FIELDS` name).
ARTICLE_VIEW_FIELDS: tuple[str, ...] = tuple(ArticleView.__annotations__)
KINDS: tuple[str, ...] = tuple(kind.value for kind in (PageKind.ARTICLE, PageKind.LISTING, PageKind.SECTION))
"""The page kinds that have a view."""


def article_view(response: Any, profile: Profile) -> ArticleView:
    """The view of an article page."""
    item = clean_article(extract_article(response, profile), profile)
    view: dict[str, Any] = {key: item.get(key) for key in ARTICLE_VIEW_FIELDS}
    view["body_text"] = (item.get("body_text") or "").split("\n") if item.get("body_text") else []
    return cast(ArticleView, view)  # ARTICLE_VIEW_FIELDS are ArticleView's keys, in its order


def listing_view(response: Any, profile: Profile) -> ListingView:
    """The view of a listing page."""
    listing = extract_listing(response, profile)
    pager = listing["pager"]
    return {
        "column": listing["column"],
        "entries": [asdict(e) for e in listing["entries"]],
        "pager": {"linked_pages": sorted(set(pager.linked_pages)), "script_pages": pager.script_pages,
                  "total_items": pager.total_items, "per_page": pager.per_page, "total_pages": pager.total_pages,
                  "form": pager.form,
                  "page_2_url": pager.rule.url(2, response.url) if pager.rule and pager.rule.offset is not None
                  else None},
        "methods": listing["methods"],
    }


def section_view(response: Any, profile: Profile) -> SectionView:
    """The view of a section page."""
    section = extract_section(response, profile)
    bound = profile.bound(response.url)
    return {"columns": [{"name": name, "url": bound.canonical(url)} for name, url in section["columns"]],
            "methods": section["methods"]}


def page_view(kind: str, response: Any, profile: Profile) -> ArticleView | ListingView | SectionView:
    """The view of a page of ``kind`` (``article``, ``listing`` or ``section``)."""
    if kind == PageKind.ARTICLE:
        return article_view(response, profile)
    if kind == PageKind.LISTING:
        return listing_view(response, profile)
    if kind == PageKind.SECTION:
        return section_view(response, profile)
    raise ValueError(f"unknown page kind {kind!r}: one of {', '.join(KINDS)}")
