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


@dataclass(frozen=True)
class PageRule:
    """How the URL of a column's page ``n`` (1-based) is made: page 1 is the column's first page; page ``n``
    is ``prefix + str(n + offset) + suffix`` — ``index_{n}.html`` (nfw-cms, offset 0), ``index_{n-1}.html``
    (TRS, offset -1), ``?page={n}``.  ``offset`` is ``None`` while nothing on the page tells it (an ``index_N``
    pager written only by script): the spider then probes ``index_1`` and ``index_2``."""

    prefix: str
    suffix: str
    offset: int | None

    def url(self, n: int, first_url: str) -> str:
        """The URL of page ``n`` (``first_url`` for page 1)."""
        if n <= 1:
            return first_url
        return f"{self.prefix}{n + (self.offset or 0)}{self.suffix}"

    def number(self, url: str) -> int | None:
        """The page number ``url`` has under this rule (``None``: not one of its pages, or no offset known)."""
        if self.offset is None or not (url.startswith(self.prefix) and url.endswith(self.suffix)):
            return None
        middle = url[len(self.prefix):len(url) - len(self.suffix)]
        return int(middle) - self.offset if middle.isdigit() else None

    def with_offset(self, offset: int) -> PageRule:
        return PageRule(self.prefix, self.suffix, offset)


@dataclass
class Pager:
    """What a listing page says about the column's pages: the pager's form, the page count it states (which
    may be capped), the rule that makes page ``n``'s URL, and the literal link to the next page."""

    linked_pages: list[int] = field(default_factory=list)
    """Page numbers (1-based) the static pager links to."""
    script_pages: int | None = None
    """The page count written in the pager script (``createPageHTML(N, …)``, ``var countPage = N``), which the
    platform may have capped."""
    total_items: int | None = None
    """The column's item count from ``Math.ceil(TOTAL/PER)``, when the script gives it."""
    per_page: int | None = None
    """Items per page from ``Math.ceil(TOTAL/PER)``."""
    form: str = "none"
    """The pager's form: ``createPageHTML``, ``countPage``, ``query`` (``?page=N`` links), ``static-links``
    (numbered links), ``next-link`` (下一页 / 尾页 only) or ``none``."""
    rule: PageRule | None = None
    """How page ``n``'s URL is made (from the links, else the script); ``None`` when nothing tells."""
    next_url: str | None = None
    """The 下一页 link's URL, when the page has one that leads elsewhere."""
    current: int | None = None
    """This page's own number (1-based) as the pager shows it, when it does."""

    @property
    def total_pages(self) -> int:
        """The best known page count: the uncapped count when the script gives it, else the largest seen."""
        counts = [1, *self.linked_pages]
        if self.script_pages:
            counts.append(self.script_pages)
        if self.total_items is not None and self.per_page:
            counts.append(-(-self.total_items // self.per_page))
        return max(counts)

    @property
    def exact(self) -> bool:
        """Whether :attr:`total_pages` is the column's real page count (``Math.ceil(TOTAL/PER)``, computed
        before any cap) rather than a lower bound."""
        return self.total_items is not None and bool(self.per_page)


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
