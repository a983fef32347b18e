"""One resolver per article field: each tries the profile's selectors, then the government meta tags and the
generic fallbacks (:mod:`~gdcac_crawler.extract.fallback`), in its field's order, and returns the value with
the method that found it (a :class:`~gdcac_crawler.extract.results.Resolved`).

Methods are ``profile:<css>`` (or ``profile:info``, ``profile:breadcrumb`` … for the profile's rows),
``meta:<tag>`` and ``fallback:<how>``; :func:`~gdcac_crawler.extract.article.extract_article` collects them
into the article's ``methods``.  A field's fallbacks run only where the profile allows them
(``Profile.fallbacks``), except the meta tags that a profile's own pages carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from lxml import etree

from gdcac_crawler.extract import fallback
from gdcac_crawler.extract.attachment_links import attachment_records, file_links, labelled_attachment_links
from gdcac_crawler.extract.body import BodyContent
from gdcac_crawler.extract.dates import parse_date
from gdcac_crawler.extract.metadata import breadcrumbs, column_path, first_text, labelled_value
from gdcac_crawler.extract.related import profile_related
from gdcac_crawler.extract.results import Resolved
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import normalise_meta
from gdcac_crawler.extract.vocabulary import DOC_NUMBER_RE, EDITOR_LINE_RE, SOURCE_LABEL_RE
from gdcac_crawler.profiles.base import Profile

#: ``(published_at, published_raw)``: the ISO time and the time as printed.
Published = tuple[str | None, str | None]


@dataclass(slots=True)
class ArticlePage:
    """What every resolver reads: the parsed page, its profile, its canonical URL and its meta tags."""

    root: etree._Element
    profile: Profile
    url: str
    meta: dict[str, str]


def resolve_title(page: ArticlePage) -> Resolved[str | None]:
    """The profile's title selectors, else the ``ArticleTitle`` meta tag, else the page's heading or
    ``<title>``."""
    title, css = first_text(page.root, page.profile.title_css)
    if title:
        return Resolved(title, f"profile:{css}")
    if page.meta.get("ArticleTitle"):
        return Resolved(page.meta["ArticleTitle"], "meta:ArticleTitle")
    if page.profile.fallbacks:
        title, how = fallback.title_from_page(page.root)
        if title:
            return Resolved(title, how)
    return Resolved(title)


def resolve_body(page: ArticlePage, title: str | None) -> Resolved[etree._Element | None]:
    """The body container: the first of the profile's body selectors that finds one, else the element
    densest in prose (which never holds the ``title``)."""
    for css in page.profile.body_css:
        found = select(page.root, css)
        if found:
            return Resolved(found[0], f"profile:{css}")
    if page.profile.fallbacks:
        body = fallback.density_body(page.root, title)
        if body is not None:
            return Resolved(body, "fallback:density")
    return Resolved(None)


def confirmed_body(page: ArticlePage, body: Resolved[etree._Element | None],
                   published_at: str | None) -> Resolved[etree._Element | None]:
    """The body, unless it was guessed by density on a page with no date anywhere and no ``ArticleTitle``:
    not an article page (a block, error or index page served with status 200), which a guessed body would
    archive as one."""
    if body.method == "fallback:density" and not published_at and not page.meta.get("ArticleTitle"):
        return Resolved(None)
    return body


def resolve_source(page: ArticlePage, info: list[str], preamble: list[str]) -> Resolved[str | None]:
    """The source line as printed (``source_raw``): the info rows' labelled line, else a labelled line before
    the body.  Where only the ``ContentSource`` meta tag names a source, the value stays ``None`` with that
    method: cleaning takes the source from the tag."""
    raw = next((line for line in info if SOURCE_LABEL_RE.match(line)), None)
    if raw:
        return Resolved(raw, "profile:info")
    value, raw = labelled_value(preamble, "source")
    if value:
        return Resolved(raw, "fallback:label")
    if page.meta.get("ContentSource"):
        return Resolved(None, "meta:ContentSource")
    return Resolved(None)


def resolve_published(page: ArticlePage, info: list[str], preamble: list[str]) -> Resolved[Published]:
    """The publish time: the first date of the info rows, else the ``PubDate`` meta tag, else the first
    labelled or timed date before the body."""
    tz = page.profile.timezone
    for line in info:
        iso, raw = parse_date(line, tz)
        if iso:
            return Resolved((iso, raw), "profile:info")
    if page.meta.get("PubDate"):
        iso, raw = parse_date(page.meta["PubDate"], tz)
        if iso:
            return Resolved((iso, raw), "meta:PubDate")
    if preamble:
        iso, raw = fallback.first_date(preamble, tz)
        if iso:
            return Resolved((iso, raw), "fallback:text")
    return Resolved((None, None))


def resolve_labelled(name: str, info: list[str], preamble: list[str]) -> Resolved[str | None]:
    """A labelled field (``editor``, ``doc_number``, ``index_number``): its labelled line in the info rows,
    else before the body."""
    value, _ = labelled_value(info, name)
    how = "profile:info"
    if not value and preamble:
        value, _ = labelled_value(preamble, name)
        how = "fallback:label"
    return Resolved(value, how if value else None)


def resolve_author(page: ArticlePage, info: list[str], preamble: list[str]) -> Resolved[str | None]:
    """The author: its labelled line (as :func:`resolve_labelled`), else the ``Author`` meta tag."""
    labelled = resolve_labelled("author", info, preamble)
    if not labelled.value and page.meta.get("Author"):
        return Resolved(page.meta["Author"], "meta:Author")
    return labelled


def doc_number_in_body(labelled: Resolved[str | None], lines: list[str]) -> Resolved[str | None]:
    """The document number where no label gave one: a line of the body's first ten shaped like 粤网信〔2022〕12号."""
    if labelled.value:
        return labelled
    for line in [line for line in lines if line][:10]:
        if DOC_NUMBER_RE.match(line):
            return Resolved(normalise_meta(line), "fallback:body-line")
    return labelled


def editor_in_body(labelled: Resolved[str | None], lines: list[str]) -> Resolved[str | None]:
    """The editor where no label gave one: a closing （责任编辑：…） line among the body's last eight."""
    if labelled.value:
        return labelled
    for line in reversed([line for line in lines if line][-8:]):
        m = EDITOR_LINE_RE.match(line)
        if m:
            return Resolved(normalise_meta(m.group(1)), "fallback:body-line")
    return labelled


def resolve_column_path(page: ArticlePage) -> Resolved[list[str]]:
    """The column path: the profile's breadcrumbs, else breadcrumbs found by their shape, else the
    ``ColumnName`` meta tag."""
    crumbs = breadcrumbs(page.root, page.profile)
    if crumbs:
        return Resolved(column_path(crumbs), "profile:breadcrumb")
    if page.profile.fallbacks:
        crumbs = fallback.breadcrumb_trails(page.root)
        if crumbs:
            return Resolved(column_path(crumbs), "fallback:breadcrumb")
        if page.meta.get("ColumnName"):
            return Resolved(column_path([[page.meta["ColumnName"]]]), "meta:ColumnName")
    return Resolved(column_path(crumbs))


class LinksAround(NamedTuple):
    """The related links and attachments read around and under the body before it is pruned."""

    related: list[dict[str, Any]]
    """The related-link records of the profile's related lists."""
    listed: list[dict[str, Any]]
    """The attachment records of the profile's attachment links."""
    in_body: list[dict[str, Any]]
    """Documents the body links to that the profile's attachment links do not list."""
    labelled: list[dict[str, Any]]
    """Documents of the page's blocks headed by an attachment label (``附件：``), for the fallbacks."""
    near: list[dict[str, Any]]
    """Documents the body's parent links to (a fallback's last resort)."""


def links_around(page: ArticlePage, body: etree._Element | None) -> LinksAround:
    """The links around and under ``body``, read before the body is pruned (in place, when the page is the
    extraction's own)."""
    related = profile_related(page.root, page.profile, page.url)
    listed = attachment_records(list(select(page.root, page.profile.attachment_css)), page.url)
    in_body: list[dict[str, Any]] = []
    labelled: list[dict[str, Any]] = []
    near: list[dict[str, Any]] = []
    if body is not None:
        in_body = [a for a in attachment_records(file_links(body), page.url) if a not in listed]
        parent = body.getparent()
        if page.profile.fallbacks:
            labelled = attachment_records(labelled_attachment_links(page.root), page.url)
            if parent is not None:
                near = attachment_records(file_links(parent), page.url)
    return LinksAround(related, listed, in_body, labelled, near)


def resolve_attachments(around: LinksAround, content: BodyContent, page_url: str) -> Resolved[list[dict[str, Any]]]:
    """The attachments: the profile's attachment links, then the body's document links, then the documents of
    the related lists cut from the body; with none of those, the links of a block labelled 附件, else the
    documents the body's parent links to."""
    found = list(around.listed)
    method = "profile:attachment_css" if found else None
    if around.in_body:
        found += around.in_body
        method = method or "fallback:body-links"
    from_lists = [a for a in attachment_records(content.list_links, page_url) if a not in found]
    if from_lists:
        found += from_lists
        method = method or "fallback:related-block"
    if not found and around.labelled:
        return Resolved(around.labelled, "fallback:labelled-block")
    if not found and around.near:
        return Resolved(around.near, "fallback:links")
    return Resolved(found, method)


def resolve_related(around: LinksAround, content: BodyContent) -> Resolved[list[dict[str, Any]]]:
    """The related links: the profile's related lists, then the related lists cut from the body (which then
    name the method)."""
    related = around.related + content.list_related
    if not related:
        return Resolved(related)
    return Resolved(related, "profile:related_css" if not content.list_links else "fallback:related-block")
