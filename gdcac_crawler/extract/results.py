"""What extraction returns, per page kind, and the provenance every field carries.

Each page kind has its own ``TypedDict`` — plain dicts at run time, so the spider, the pipelines and the
golden files read them as before, but typed for whoever reads them in code:

* :class:`ArticleFields` from :func:`~gdcac_crawler.extract.article.extract_article` (the raw fields of an
  :class:`~gdcac_crawler.items.ArticleItem`), :class:`CleanedArticle` from
  :func:`~gdcac_crawler.extract.cleaning.clean_article`;
* :class:`ListingPage` from :func:`~gdcac_crawler.extract.listing.extract_listing`, with its :class:`Pager`;
* :class:`SectionPage` from :func:`~gdcac_crawler.extract.listing.extract_section`.

A field's value and the method that found it travel together as a :class:`Resolved`; the ``methods`` of a
result are the methods of its resolved fields (``profile:<css>``, ``meta:<tag>``, ``fallback:<how>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypedDict, TypeVar

from gdcac_crawler.items import ListingEntry

T = TypeVar("T")


class Resolved(NamedTuple, Generic[T]):
    """A field's value and how it was found (``None``: not found, or not by any method worth recording)."""

    value: T
    method: str | None = None


class ArticleFields(TypedDict):
    """The raw fields of an article page, as :class:`~gdcac_crawler.items.ArticleItem` names and types them
    (``ArticleItem(**fields, fetch=...)`` builds the item); cleaning adds ``source`` and ``body_text``."""

    url: str
    site: str
    title: str | None
    published_raw: str | None
    published_at: str | None
    source_raw: str | None
    author: str | None
    editor: str | None
    doc_number: str | None
    index_number: str | None
    column_path: list[str]
    body_lines: list[str]
    body_html: str | None
    images: list[dict[str, Any]]
    """``{"src", "alt", "caption"}`` per image of the body."""
    attachments: list[dict[str, Any]]
    """``{"url", "name", "type"}`` per attachment."""
    related: list[dict[str, Any]]
    """``{"kind", "title", "url"}`` per related link."""
    meta: dict[str, str]
    methods: dict[str, str]


class CleanedArticle(ArticleFields):
    """An article's fields after cleaning: the source without its label, the body's text without boilerplate."""

    source: str | None
    body_text: str | None


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


class ListingPage(TypedDict):
    """A listing page: the column name it prints, its entries, its pager, and how each was found."""

    column: str | None
    entries: list[ListingEntry]
    pager: Pager
    methods: dict[str, str]


class SectionPage(TypedDict):
    """A section page: the ``(name, url)`` of the columns it links to, and how they were found."""

    columns: list[tuple[str, str]]
    methods: dict[str, str]
