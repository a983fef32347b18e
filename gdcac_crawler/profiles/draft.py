"""A draft profile from what ``gdcac probe`` saw on a portal: the selectors that find each field.

Where the probe's profile (``generic`` by default) had no selector and a fallback found a field, the element
the fallback found is located on the page and a stable selector for it is derived and verified
(:mod:`gdcac_crawler.extract.selectors`), across every page of its kind.  Then the whole draft is checked the
way a crawl would use it: each probed page is extracted again with the draft and its fallbacks switched off,
and a field's selectors are kept only when they give the same values as the probe saw
(:func:`verify_draft`).  Pure: pages in, a :class:`Draft` out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from gdcac_crawler.extract import fallback
from gdcac_crawler.extract.article import extract_article
from gdcac_crawler.extract.cleaning import clean_article
from gdcac_crawler.extract.dates import listed_date, parse_date
from gdcac_crawler.extract.discovery import page_links
from gdcac_crawler.extract.dom import element_text, meta_text, parse_html
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.extract.metadata import meta_tags
from gdcac_crawler.extract.pager import read_pager
from gdcac_crawler.extract.resolvers import ArticlePage, resolve_body
from gdcac_crawler.extract.results import ArticleFields, ListingPage
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.selectors import (
    Case,
    Judge,
    candidates,
    common_ancestor,
    compounds,
    cover,
    exact,
    first_is,
    items_candidates,
    url_pattern,
)
from gdcac_crawler.extract.text import normalise_meta
from gdcac_crawler.extract.vocabulary import SOURCE_LABEL_RE
from gdcac_crawler.items import ListingEntry
from gdcac_crawler.profiles.base import Profile

__all__ = ["Draft", "ProbedArticle", "ProbedListing", "ProbedSite", "draft_profile", "verify_draft"]

#: Document links by extension, of their ``href`` or of the file name in their ``title`` (a link whose file is
#: missing keeps its name there): the draft's attachment selector when no probed article showed attachments.
DOCUMENT_LINKS_CSS = ", ".join(f'a[{attr}$=".{ext}"]' for attr in ("href", "title")
                               for ext in ("pdf", "doc", "docx", "xls", "xlsx", "wps", "ofd", "zip", "rar"))


@dataclass
class ProbedListing:
    """The first listing page of one column, as the probe fetched and read it."""

    name: str
    url: str
    """The column's canonical (live) URL."""
    html: str
    listing: ListingPage


@dataclass
class ProbedArticle:
    """One article page, as the probe fetched and read it."""

    url: str
    column: str | None
    html: str
    fields: ArticleFields


@dataclass
class ProbedSite:
    """Everything the probe read that a draft is derived from."""

    profile: Profile
    """The profile the probe read the pages with, bound to the live site."""
    section_name: str
    section_url: str
    section_html: str
    columns: list[tuple[str, str]]
    listings: list[ProbedListing] = field(default_factory=list)
    articles: list[ProbedArticle] = field(default_factory=list)


@dataclass
class Draft:
    """A drafted profile, a note per field on how it was found, and what could not be derived."""

    profile: Profile
    notes: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    """Fields the draft found no verified selector for (a crawl with it would fall back for these)."""


# --- helpers ---------------------------------------------------------------------------------------------


def _cover_note(cases: Sequence[Case], judge: Judge = exact) -> tuple[tuple[str, ...], str]:
    chosen, covered = cover(cases, judge)
    return chosen, f"verified on {covered} of {len(cases)} probed pages"


def _anchor_for(root: etree._Element, base: str, url: str, canonical: Callable[[str], str]) -> Any:
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href and canonical(urljoin(base, href)) == url:
            return a
    return None


def _entry_url(profile: Profile, base: str) -> Callable[[str], str]:
    """How a listing entry's URL is written: canonical when same-site, else as linked."""
    return lambda u: profile.canonical(u) if profile.is_same_site(u, base) else u


def _child_of(ancestor: etree._Element, el: etree._Element) -> etree._Element:
    """The child of ``ancestor`` that holds ``el``."""
    while el.getparent() is not ancestor:
        el = el.getparent()
    return el


def _element_of(node: Any) -> etree._Element:
    """The element a text node stands in (a tail's element is its element's parent)."""
    parent = node.getparent()
    return parent if node.is_text or node.is_attribute else parent.getparent()


def _contains(ancestor: etree._Element, el: etree._Element) -> bool:
    return ancestor is el or any(a is ancestor for a in el.iterancestors())


# --- section: the column links ---------------------------------------------------------------------------


def column_pattern(paths: Sequence[str]) -> str | None:
    """A regex on URL paths matching every column's path: the segments they share, ``[^/]+`` where they
    differ, a last ``index.html`` optional (``^/zcfg/[^/]+/(?:index\\.html)?$``); else the shared end of the
    paths (:func:`~gdcac_crawler.extract.selectors.url_pattern`)."""
    split = [p.split("/")[1:] for p in paths]
    if not split or len({len(s) for s in split}) != 1:
        return url_pattern(paths)
    parts = []
    for seg in zip(*split, strict=True):
        parts.append(_literal(seg[0]) if len(set(seg)) == 1 else "[^/]+")
    last = parts[-1]
    if last.startswith("index\\.") or last == "":
        parts[-1] = f"(?:{last})?" if last else ""
    return "^/" + "/".join(parts) + "$"


def _literal(segment: str) -> str:
    return re.escape(segment).replace("\\-", "-")


def _column_selectors(site: ProbedSite, profile: Profile) -> tuple[Profile, dict[str, str]]:
    root = parse_html(site.section_html)
    live = [profile.canonical(url) for _, url in site.columns]
    pattern = column_pattern([urlsplit(u).path for u in live]) or profile.column_url_pattern
    anchors = [_anchor_for(root, site.section_url, u, profile.canonical) for u in live]
    holder = _named_holder(common_ancestor([a for a in anchors if a is not None]))
    notes = {"column_url_pattern": f"generalised from the {len(live)} column URLs found"}
    if holder is None:
        return replace(profile, column_url_pattern=pattern), notes
    for css in candidates(holder):
        trial = replace(profile, column_link_css=f"{css} a", column_url_pattern=pattern, fallbacks=False)
        if _same_columns(extract_section(_Page(site.section_html, site.section_url), trial)["columns"],
                         site.columns, profile):
            notes["column_link_css"] = (f"the links of the element holding every column link; verified on the "
                                        f"section page ({len(live)} columns)")
            return replace(profile, column_link_css=f"{css} a", column_url_pattern=pattern), notes
    return replace(profile, column_url_pattern=pattern), notes


def _same_columns(found: list[tuple[str, str]], expected: list[tuple[str, str]], profile: Profile) -> bool:
    return [(n, profile.canonical(u)) for n, u in found] == [(n, profile.canonical(u)) for n, u in expected]


@dataclass
class _Page:
    """HTML text with the URL it was read at: what the extraction functions accept as a response."""

    text: str
    url: str

    @property
    def selector(self) -> Selector:
        return Selector(text=self.text)


# --- listings: entries, dates, the column's name, the pager ----------------------------------------------


def _listing_cases(listings: Sequence[ProbedListing], profile: Profile) -> list[tuple[Case, list[Any]]]:
    """Per listing page: the case for its item selector, and the entries' items."""
    out = []
    for probed in listings:
        root = parse_html(probed.html)
        entries: list[ListingEntry] = probed.listing["entries"]
        key = _entry_url(profile, probed.url)
        anchors = [_anchor_for(root, probed.url, e.url, key) for e in entries]
        anchors = [a for a in anchors if a is not None]
        holder = common_ancestor(anchors)
        if len(anchors) < 2 or holder is None:
            continue
        items = [_child_of(holder, a) for a in anchors]
        out.append((Case(root, items, items_candidates(items)), entries))
    return out


def _date_css(cases: list[tuple[Case, list[Any]]]) -> tuple[str, ...]:
    """Inside an item, the element printing its date (the first entry of each page)."""
    date_cases = []
    for case, entries in cases:
        item, day = case.targets[0], entries[0].listed_date
        for node in item.xpath(".//text()"):
            if day and listed_date(str(node)) == day:
                el = _element_of(node)
                date_cases.append(Case(item, [el], compounds(el)))
                break
    return cover(date_cases, first_is)[0] if date_cases else ()


def _title_css(listings: Sequence[ProbedListing]) -> tuple[tuple[str, ...], str]:
    cases = []
    for probed in listings:
        root = parse_html(probed.html)
        named = [el for el in root.iter(etree.Element) if str(el.tag) not in ("title", "a", "option")
                 and not any(str(a.tag) == "a" for a in el.iterancestors()) and element_text(el) == probed.name]
        if named:
            cases.append(Case(root, [named[-1]], [c for el in named for c in candidates(el)]))
    return _cover_note(cases)


def _pager_css(listings: Sequence[ProbedListing], profile: Profile) -> tuple[tuple[str, ...], str]:
    cases = []
    for probed in listings:
        root = parse_html(probed.html)
        links = page_links(root, probed.url)
        # the links to other pages (links to page 1 are also found in menus and breadcrumbs)
        urls = {_path(u) for u in read_pager(links, root, probed.url, page_no=1).links} - {_path(probed.url)}
        holder = _named_holder(common_ancestor([link.element for link in links if _path(link.url) in urls]))
        if holder is not None:
            cases.append(Case(root, [holder], candidates(holder)))
    chosen, note = _cover_note(cases)
    return tuple(f"{css} a" for css in chosen), note


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _named_holder(el: etree._Element | None) -> etree._Element | None:
    """``el``, or its nearest ancestor with an id or a class when it has neither or is a link or list item
    (the holder of a pager's or a menu's links is named by the element that has a name)."""
    for _ in range(4):
        if el is None or (str(el.tag) not in ("a", "li") and len(compounds(el)) > 1):
            return el
        el = el.getparent()
    return el


def _listing_selectors(site: ProbedSite, profile: Profile) -> tuple[Profile, dict[str, str]]:
    cases = _listing_cases(site.listings, profile)
    items, items_note = _cover_note([c for c, _ in cases])
    dates = _date_css(cases)
    titles, titles_note = _title_css(site.listings)
    pager, pager_note = _pager_css(site.listings, profile)
    notes = {"listing_item_css": f"the entries' common items; {items_note}",
             "listing_date_css": "the element printing each entry's date",
             "listing_title_css": f"the element printing the column's name; {titles_note}",
             "pager_link_css": f"the links of the element holding the pager's page links; {pager_note}"}
    profile = replace(profile, listing_item_css=", ".join(items), listing_link_css="a",
                      listing_date_css=", ".join(dates), listing_title_css=", ".join(titles),
                      pager_link_css=", ".join(pager))
    return profile, notes


# --- articles --------------------------------------------------------------------------------------------


@dataclass
class _ArticleDom:
    """An article page parsed once, with the elements the probe's extraction read its fields from."""

    root: etree._Element
    title: etree._Element | None
    body: etree._Element | None
    info: etree._Element | None
    crumbs: list[etree._Element]
    attachments: list[etree._Element]


def _title_element(root: etree._Element, title: str | None) -> etree._Element | None:
    """The element that prints the title (a heading rather than its wrapper when both do)."""
    body = root.find("body")
    if not title or body is None:
        return None
    found = [el for el in body.iter(etree.Element) if meta_text(el) == title]
    headings = [el for el in found if str(el.tag) in ("h1", "h2", "h3", "h4", "h5", "h6")]
    return (headings or found or [None])[0]


def _info_element(body: etree._Element | None, published_at: str | None) -> etree._Element | None:
    """The element holding the source line and the date line printed before the body."""
    if body is None:
        return None
    nodes = fallback.preamble_nodes(body)
    lines = [normalise_meta(str(n)) or "" for n in nodes]
    day = (published_at or "")[:10]
    held = [_element_of(n) for n, line in zip(nodes, lines, strict=True)
            if SOURCE_LABEL_RE.match(line) or (day and (parse_date(line)[0] or "")[:10] == day)]
    holder = common_ancestor(held[-2:]) if held else None
    return None if holder is None or _contains(holder, body) else holder


def _is_attachment_link(a: etree._Element, page_url: str, attachments: Sequence[dict[str, Any]]) -> bool:
    """Whether link ``a`` is one of the extracted ``attachments``: the same URL, or, for an attachment with
    no URL (an empty ``href``), the same name."""
    href = (a.get("href") or "").strip()
    if href:
        return any(att.get("url") == urljoin(page_url, href) for att in attachments)
    names = {a.get("alt"), a.get("title"), "".join(a.itertext()).strip()}
    return any(att.get("url") is None and att.get("name") in names for att in attachments)


def _article_dom(probed: ArticleFields | Any, html: str, profile: Profile, url: str) -> _ArticleDom:
    root = parse_html(html)
    fields = probed
    body = resolve_body(ArticlePage(root, profile, url, meta_tags(root)), fields["title"]).value
    crumbs = [el for el, _ in fallback.breadcrumb_elements(root)]
    links = [a for a in root.iter("a") if _is_attachment_link(a, url, fields["attachments"])]
    return _ArticleDom(root, _title_element(root, fields["title"]), body,
                       _info_element(body, fields["published_at"]), crumbs, links)


def _subset(root: etree._Element, css: str, targets: Sequence[etree._Element]) -> bool | None:
    found = select(root, css)
    if not found:
        return None
    return all(any(el is t for t in targets) for el in found)


def _article_selectors(site: ProbedSite, profile: Profile) -> tuple[Profile, dict[str, str]]:
    doms = [_article_dom(a.fields, a.html, profile, a.url) for a in site.articles]

    def cases(pick: Callable[[_ArticleDom], Any]) -> list[Case]:
        return [Case(d.root, [el], candidates(el)) for d in doms if (el := pick(d)) is not None]

    title, title_note = _cover_note(cases(lambda d: d.title), first_is)
    body, body_note = _cover_note(cases(lambda d: d.body), first_is)
    info, info_note = _cover_note(cases(lambda d: d.info))
    crumb_cases = [Case(d.root, d.crumbs, [c for el in d.crumbs for c in candidates(el)]) for d in doms if d.crumbs]
    crumbs, crumbs_note = _cover_note(crumb_cases, _subset)
    notes = {"title_css": f"the heading printing the title; {title_note}",
             "body_css": f"the element densest in prose; {body_note}",
             "info_css": f"the element holding the source and date lines; {info_note}",
             "breadcrumb_css": f"the breadcrumbs found by their shape; {crumbs_note}"}
    attachment_css, notes["attachment_css"] = _attachment_css(doms)
    return replace(profile, title_css=title, body_css=body, info_css=info, breadcrumb_css=crumbs,
                   attachment_css=attachment_css), notes


def _attachment_css(doms: Sequence[_ArticleDom]) -> tuple[str, str]:
    cases = [Case(d.root, d.attachments, [c for a in d.attachments for c in candidates(a)])
             for d in doms if d.attachments]
    chosen, covered = cover(cases, _subset) if cases else ((), 0)
    if chosen and covered == len(cases):
        return ", ".join(chosen), f"the attachment links seen in {covered} probed articles"
    return DOCUMENT_LINKS_CSS, ("no probed article showed attachments: links to document files by extension "
                                "(review against an article that has some)")


# --- the draft -------------------------------------------------------------------------------------------


def draft_profile(site: ProbedSite, *, name: str) -> Draft:
    """The draft profile of the probed site: the probe's profile with the derived selectors, verified."""
    base = replace(site.profile, name=name)
    path = urlsplit(site.section_url).path
    section_path = path.removesuffix("index.html") if path.endswith("/index.html") else path
    profile = replace(base, section_path=section_path, section_name=site.section_name)
    notes = {"section_path": f"the section page found ({site.section_url})"}
    for step in (_column_selectors, _listing_selectors, _article_selectors):
        profile, found = step(site, profile)
        notes.update(found)
    pattern = url_pattern(sorted({urlsplit(e.url).path for p in site.listings for e in p.listing["entries"]
                                  if not e.offsite}))
    if pattern:
        profile = replace(profile, article_url_pattern=pattern)
        notes["article_url_pattern"] = "generalised from the same-site entries of the columns' first pages"
    draft = Draft(profile, notes)
    return verify_draft(draft, site)


def _article_values(fields: ArticleFields, profile: Profile) -> dict[str, Any]:
    cleaned = clean_article(dict(fields), profile)
    return {"title": cleaned["title"], "published_at": cleaned["published_at"], "source": cleaned["source"],
            "column_path": cleaned["column_path"], "body": cleaned["body_text"]}


#: A field of an article's ``methods`` and the profile fields whose selectors produce it.
_ARTICLE_FIELDS = {"title": ("title_css",), "published_at": ("info_css",), "source": ("info_css",),
                   "column_path": ("breadcrumb_css",), "body": ("body_css",)}


def verify_draft(draft: Draft, site: ProbedSite) -> Draft:
    """The draft with every selector checked as a crawl would use it (its fallbacks switched off): each
    probed article gives the same title, time, source, column path and body text as the probe saw.  A field
    that does not is listed in ``missing`` with what differed."""
    strict = replace(draft.profile, fallbacks=False)
    for probed in site.articles:
        again = extract_article(probed.html, strict, url=probed.url)
        seen, now = _article_values(probed.fields, site.profile), _article_values(again, strict)
        for name, profile_fields in _ARTICLE_FIELDS.items():
            method = again["methods"].get(name)
            if seen[name] and (now[name] != seen[name] or not (method or "").startswith("profile:")):
                label = f"{name} ({', '.join(profile_fields)}) on {probed.url}"
                if label not in draft.missing:
                    draft.missing.append(label)
    for probed_listing in site.listings:
        again_listing = extract_listing(_Page(probed_listing.html, probed_listing.url), strict)
        if [e.url for e in again_listing["entries"]] != [e.url for e in probed_listing.listing["entries"]]:
            draft.missing.append(f"entries (listing_item_css) on {probed_listing.url}")
    return draft
