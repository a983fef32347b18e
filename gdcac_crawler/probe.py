"""What ``gdcac probe`` found on a portal, and its report: as text for an operator, as JSON for a program.

:class:`ProbeFindings` is filled by the probe spider (:mod:`gdcac_crawler.spiders.probe`) — the pages it
fetched and what the crawl's own extraction functions read on them; :func:`build_report` turns it, with the
draft profile derived from it (:mod:`gdcac_crawler.profiles.draft`), into a :class:`ProbeReport`;
:func:`render_text` and :meth:`ProbeReport.to_json` print it.  Pure: nothing here fetches or writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gdcac_crawler.extract.article import METHOD_ORDER
from gdcac_crawler.extract.cleaning import clean_article
from gdcac_crawler.extract.results import ArticleFields, ListingPage, Pager
from gdcac_crawler.profiles.base import Profile
from gdcac_crawler.profiles.draft import Draft, ProbedArticle, ProbedListing, ProbedSite

__all__ = ["ArticleFinding", "ColumnFinding", "ProbeFindings", "ProbeReport", "build_report", "pager_form",
           "probed_site", "render_text"]

#: How many characters of a field's value the report shows.
VALUE_WIDTH = 60


@dataclass
class ColumnFinding:
    """A column the section page links to, and its first listing page once fetched."""

    name: str
    url: str
    html: str = ""
    listing: ListingPage | None = None
    error: str | None = None


@dataclass
class ArticleFinding:
    """An article the probe read, and its fields as the crawl extracts them."""

    url: str
    column: str | None
    html: str = ""
    fields: ArticleFields | None = None
    error: str | None = None


@dataclass
class ProbeFindings:
    """Everything the probe spider fetched and read."""

    start_url: str
    section_name: str
    fetch_base: str | None = None
    section_url: str | None = None
    section_method: str | None = None
    section_html: str = ""
    columns_method: str | None = None
    columns: list[ColumnFinding] = field(default_factory=list)
    articles: list[ArticleFinding] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    """The URLs fetched, in order (robots.txt aside)."""
    error: str | None = None
    """Why the probe could not go on (the start or section page failed, no section, no columns)."""


def probed_site(findings: ProbeFindings, profile: Profile) -> ProbedSite:
    """What a draft profile is derived from: the pages read, with the profile (bound to the section)."""
    return ProbedSite(
        profile=profile.bound(findings.section_url or findings.start_url), section_name=findings.section_name,
        section_url=findings.section_url or findings.start_url, section_html=findings.section_html,
        columns=[(c.name, c.url) for c in findings.columns],
        listings=[ProbedListing(c.name, c.url, c.html, c.listing) for c in findings.columns if c.listing],
        articles=[ProbedArticle(a.url, a.column, a.html, a.fields) for a in findings.articles if a.fields])


def pager_form(pager: Pager) -> str:
    """The pager's form as the listing page shows it, with the numbers its script gives."""
    if pager.total_items is not None:
        return f"{pager.form} (Math.ceil({pager.total_items}/{pager.per_page}))"
    if pager.script_pages:
        return f"{pager.form} ({pager.script_pages} pages)"
    return pager.form


def _short(value: Any) -> str:
    if isinstance(value, list):
        value = " > ".join(map(str, value)) if all(isinstance(v, str) for v in value) else f"{len(value)} items"
    text = " ".join(str(value).split()) if value is not None else "-"
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


#: The article fields the report shows, and the cleaned field each one's value is read from.
REPORT_FIELDS = {"title": "title", "published_at": "published_at", "source": "source", "author": "author",
                 "editor": "editor", "doc_number": "doc_number", "index_number": "index_number",
                 "column_path": "column_path", "body": "body_text", "attachments": "attachments",
                 "related": "related"}


@dataclass
class ProbeReport:
    """The probe's report: what it found, how, and the draft profile's selectors."""

    start_url: str
    fetch_base: str | None
    section_name: str
    section_url: str | None
    section_method: str | None
    columns_method: str | None
    columns: list[dict[str, Any]]
    article_url_pattern: str | None
    articles: list[dict[str, Any]]
    profile: dict[str, Any]
    notes: dict[str, str]
    missing: list[str]
    fetched: int
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _column_report(column: ColumnFinding) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "url": column.url, "error": column.error}
    if column.listing is not None:
        listing = column.listing
        pager = listing["pager"]
        page_2 = pager.rule.url(2, column.url) if pager.rule else None
        out.update(pager_form=pager_form(pager), pages=pager.total_pages, pages_exact=pager.exact,
                   pager_method=listing["methods"].get("pager"), entries=len(listing["entries"]),
                   entries_method=listing["methods"].get("entries"),
                   page_2=_path(page_2) if page_2 else None)
    return out


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _article_report(article: ArticleFinding, profile: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {"url": article.url, "column": article.column, "error": article.error, "fields": []}
    if article.fields is not None:
        cleaned = clean_article(dict(article.fields), profile)
        methods = article.fields["methods"]
        out["fields"] = [{"field": name, "method": methods.get(name), "value": cleaned.get(key)}
                         for name, key in REPORT_FIELDS.items() if name in methods or name in ("title", "body")]
    return out


def build_report(findings: ProbeFindings, profile: Profile, draft: Draft | None) -> ProbeReport:
    """The report of a probe: its findings read with ``profile``, and the ``draft`` derived from them."""
    bound = profile.bound(findings.section_url or findings.start_url)
    drafted = draft.profile if draft else None
    return ProbeReport(
        start_url=findings.start_url, fetch_base=findings.fetch_base, section_name=findings.section_name,
        section_url=findings.section_url, section_method=findings.section_method,
        columns_method=findings.columns_method,
        columns=[_column_report(c) for c in findings.columns],
        article_url_pattern=drafted.article_url_pattern if drafted else None,
        articles=[_article_report(a, bound) for a in findings.articles],
        profile=_selectors(drafted) if drafted else {}, notes=draft.notes if draft else {},
        missing=draft.missing if draft else [], fetched=len(findings.fetched), error=findings.error)


#: The draft profile's fields the report shows.
PROFILE_FIELDS = ("section_path", "column_link_css", "column_url_pattern", "listing_item_css", "listing_link_css",
                  "listing_date_css", "listing_title_css", "pager_link_css", "article_url_pattern", "title_css",
                  "info_css", "body_css", "breadcrumb_css", "attachment_css")


def _selectors(profile: Profile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}


def render_text(report: ProbeReport) -> str:
    """The report as an operator reads it."""
    lines = [f"probe of {report.start_url}" + (f" (fetched from {report.fetch_base})" if report.fetch_base else ""),
             f"  pages fetched: {report.fetched}"]
    if report.section_url:
        lines.append(f"section {report.section_name}: {report.section_url} (found by {report.section_method})")
    if report.columns:
        lines.append(f"columns ({len(report.columns)}, found by {report.columns_method}):")
    for c in report.columns:
        lines.append(f"  {c['name']}: {c['url']}")
        if c.get("error"):
            lines.append(f"    error: {c['error']}")
        elif "pages" in c:
            count = f"{c['pages']} pages" if c["pages_exact"] else f"at least {c['pages']} pages"
            lines.append(f"    pager: {c['pager_form']}, {count} (found by {c['pager_method']}); "
                         f"page 2: {c['page_2'] or '-'}")
            lines.append(f"    page 1: {c['entries']} entries (found by {c['entries_method']})")
    if report.article_url_pattern:
        lines.append(f"article URL pattern: {report.article_url_pattern}")
    for a in report.articles:
        lines.append(f"article {a['url']} ({a['column']})")
        if a.get("error"):
            lines.append(f"  error: {a['error']}")
        order = {name: i for i, name in enumerate(METHOD_ORDER)}
        for f in sorted(a["fields"], key=lambda f: order.get(f["field"], 99)):
            lines.append(f"  {f['field']:<13} {f['method'] or '-':<34} {_short(f['value'])}")
    if report.profile:
        lines.append("draft profile selectors:")
        lines += [f"  {name:<20} {value!r}" for name, value in report.profile.items()]
    lines += [f"  not verified: {m}" for m in report.missing]
    if report.error:
        lines.append(f"stopped: {report.error}")
    return "\n".join(lines) + "\n"
