"""The items that flow from the spider through the pipelines into the archive.

Every item carries its fetch provenance (:class:`Fetch`): which run fetched which URL, when, with what HTTP
answer, and the raw bytes with their sha256.  Items are dataclasses so that pipelines reach them through
``ItemAdapter`` and tests can build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class PageKind(StrEnum):
    """What a fetched page is: the ``kind`` of a ``pages`` row and of a request's ``gdcac_kind`` meta."""

    HOME = "home"
    """The portal's home page, where the section is found by its name when the profile's section URL fails."""
    SECTION = "section"
    """The section page, where the columns are found."""
    LISTING = "listing"
    """A column's listing page."""
    ARTICLE = "article"
    """An article page."""
    BLOCKED = "blocked"
    """A block or challenge page met instead of the page asked for."""
    ERROR = "error"
    """A fetch that failed (HTTP error, timeout, refused connection, junk answer)."""
    REJECTED = "rejected"
    """A fetched article the pipelines refused (e.g. no title or no body)."""

    @classmethod
    def crawled(cls) -> frozenset[PageKind]:
        """The kinds the spider asks for: the pages whose answers the downloader middlewares inspect."""
        return frozenset({cls.HOME, cls.SECTION, cls.LISTING, cls.ARTICLE})


class ArchiveOutcome(StrEnum):
    """What archiving an item did; the stats count each as ``gdcac/archive/<outcome>``."""

    NEW = "new"
    """An article never archived before."""
    CHANGED = "changed"
    """An archived article whose content changed: a new version."""
    UNCHANGED = "unchanged"
    """An archived article fetched again with the same content: only last_seen_at and provenance move."""
    NOT_MODIFIED = "not_modified"
    """A revisit answered 304: only last_seen_at moves."""
    REMOVED = "removed"
    """A revisit answered 404/410, or a full walk no longer lists it: ``removed_at`` is set."""


@dataclass
class Fetch:
    """Provenance of one HTTP fetch (one row of the archive's ``pages`` table)."""

    run_id: str
    """Id of the crawl run that made the fetch."""
    url: str
    """The URL that was requested."""
    final_url: str
    """The URL that answered, after redirects."""
    status: int
    """HTTP status code of the answer."""
    fetched_at: str
    """When the answer arrived: UTC, ISO 8601 with ``Z``."""
    kind: str
    """What the page is: a :class:`PageKind` (``section``, ``listing``, ``article``, ``error`` …)."""
    content_type: str | None = None
    """The ``Content-Type`` header as sent."""
    declared_encoding: str | None = None
    """The charset the HTTP header (or, failing it, a meta tag) declared."""
    encoding: str | None = None
    """The encoding the body was decoded with."""
    etag: str | None = None
    """The ``ETag`` header, if any."""
    last_modified: str | None = None
    """The ``Last-Modified`` header, if any."""
    sha256: str | None = None
    """sha256 of the raw body bytes (hex)."""
    size: int | None = None
    """Length of the raw body in bytes."""
    body: bytes | None = field(default=None, repr=False)
    """The raw body bytes; the archive stores them compressed."""
    error: str | None = None
    """Why the fetch failed or the page was rejected; ``None`` when it went well."""


@dataclass
class ListingEntry:
    """One item of a listing page: a link to an article, on this site or off it."""

    url: str
    """Canonical URL of the linked article (off-site URLs as they are)."""
    title: str
    """The title as the listing shows it (the ``title`` attribute when present)."""
    listed_date: str | None
    """The date printed beside it, ISO ``YYYY-MM-DD``, or ``None``."""
    position: int
    """1-based position on the listing page."""
    offsite: bool = False
    """True when the link leaves the portal (e.g. a WeChat article); such links are recorded, not fetched."""


@dataclass
class ListingItem:
    """A fetched listing page (or the section page, or the home page) and the entries it showed."""

    url: str
    """Canonical URL of the listing page."""
    site: str
    """Profile name of the portal."""
    column: str | None
    """Column name the page belongs to (e.g. 政策解读); ``None`` for the section page."""
    column_url: str | None
    """Canonical URL of the column's first listing page."""
    page_no: int
    """1-based page number within the column (``index_2.html`` is page 2)."""
    entries: list[ListingEntry]
    """The entries, in page order."""
    fetch: Fetch
    """Provenance of the fetch."""


@dataclass
class ArticleItem:
    """One article page, as extracted and then cleaned by the pipelines."""

    url: str
    """Canonical URL of the article on the live portal (the archive's identity for it)."""
    site: str = ""
    """Profile name of the portal (e.g. ``gdcac``)."""
    fetch: Fetch | None = None
    """Provenance of the fetch."""
    title: str | None = None
    """The article's title."""
    published_raw: str | None = None
    """The publish time exactly as the page printed it (label stripped)."""
    published_at: str | None = None
    """The publish time, ISO 8601 with the site's offset (+08:00)."""
    source_raw: str | None = None
    """The source line as printed (e.g. ``来源:“中国网信杂志”微信公众号``)."""
    source: str | None = None
    """The source, label stripped and entities decoded (e.g. ``“中国网信杂志”微信公众号``)."""
    author: str | None = None
    """Author where the page names one (作者：…, the ``Author`` meta tag)."""
    editor: str | None = None
    """The responsible editor where the page names one (责任编辑：…)."""
    doc_number: str | None = None
    """The document number (文号) of an official document, e.g. ``粤网信〔2022〕12号``."""
    index_number: str | None = None
    """The government-information index number (索引号) where the page prints one."""
    column_path: list[str] = field(default_factory=list)
    """The breadcrumb's names after 首页, deduplicated (e.g. ``["政策法规", "政策解读"]``)."""
    body_lines: list[str] = field(default_factory=list)
    """Body text blocks in page order as extracted, before cleaning."""
    body_text: str | None = None
    """The cleaned body: one paragraph (or heading) per line."""
    body_html: str | None = None
    """The body's HTML, sanitised (no scripts, styles or event handlers; URLs absolute)."""
    images: list[dict[str, Any]] = field(default_factory=list)
    """Images of the body: ``{"src", "alt", "caption"}``."""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    """Attachments: ``{"url", "name", "type"}`` (url ``None`` when the page gives none)."""
    related: list[dict[str, Any]] = field(default_factory=list)
    """Related links moved out of the body (相关链接, 相关解读, 相关导读): ``{"kind", "title", "url"}``."""
    attachment_files: list[dict[str, Any]] = field(default_factory=list)
    """What downloading each attachment gave (the attachments pipeline fills it): stored file or failure."""
    meta: dict[str, str] = field(default_factory=dict)
    """The government meta tags (SiteName, ColumnName, ArticleTitle, PubDate, ContentSource, ...)."""
    methods: dict[str, str] = field(default_factory=dict)
    """Which method produced each field (``profile`` selector, ``meta`` tag, ...)."""
    listed_title: str | None = None
    """The title the listing page showed for this article."""
    listed_date: str | None = None
    """The date the listing page showed for this article."""
    column: str | None = None
    """The column whose listing led to this article."""


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ArticleItem))
"""The names of :class:`ArticleItem`'s fields, in declaration order: the one list every consumer derives from."""


@dataclass
class PageFailure:
    """A page that could not be fetched or was refused; archived as a ``pages`` row with its reason."""

    site: str
    """Profile name of the portal."""
    fetch: Fetch
    """Provenance of the attempt; ``fetch.error`` says what went wrong, ``fetch.kind`` is ``error``."""


@dataclass
class ArticleCheck:
    """A revisit of an archived article that yielded no content to extract: the page was not modified (HTTP
    304 to a conditional GET) or is gone from the portal (404/410)."""

    url: str
    """Canonical URL of the article (the archive's identity for it)."""
    site: str
    """Profile name of the portal."""
    outcome: ArchiveOutcome
    """:attr:`ArchiveOutcome.NOT_MODIFIED` (304: only ``last_seen_at`` moves) or :attr:`ArchiveOutcome.REMOVED`
    (404/410: ``removed_at`` is set)."""
    fetch: Fetch
    """Provenance of the revisit."""
