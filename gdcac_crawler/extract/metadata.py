"""The metadata an article page prints around its body: the government meta tags, the info rows and their
labelled lines (``来源：``, ``作者：``, ``文号：`` …), and the breadcrumbs that give its column path.

Readers of one page each (pure, on lxml elements); the resolvers of :mod:`~gdcac_crawler.extract.resolvers`
decide which of them fills a field.
"""

from __future__ import annotations

from lxml import etree

from gdcac_crawler.extract import fallback
from gdcac_crawler.extract.dom import meta_text, raw_text_nodes, text_nodes
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import normalise_meta
from gdcac_crawler.extract.vocabulary import CRUMB_LABEL_RE, LABELS, NEXT_LABEL_RE
from gdcac_crawler.profiles.base import Profile

#: The meta tags of Chinese government sites (the national site standard), kept on every article.
GOV_META = (
    "SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnDescription", "ColumnKeywords", "ColumnType",
    "ArticleTitle", "PubDate", "ContentSource", "Keywords", "Description", "Author", "Url", "Image",
)
_META_KEYS = {k.lower(): k for k in GOV_META}


def meta_tags(root: etree._Element) -> dict[str, str]:
    """The government meta tags the page carries (``SiteName``, ``PubDate``, ``ContentSource``, ...)."""
    found: dict[str, str] = {}
    for el in root.iter("meta"):  # what //meta[@name][@content] finds, without an XPath evaluation
        name, content = el.get("name"), el.get("content")
        if name is None or content is None:
            continue
        key = _META_KEYS.get(name.lower())
        if key and key not in found:
            found[key] = normalise_meta(content) or ""
    return found


def first_text(root: etree._Element, css_list: tuple[str, ...]) -> tuple[str | None, str | None]:
    """``(text, css)``: the first element's metadata text that the first of ``css_list`` to find any gives."""
    for css in css_list:
        for el in select(root, css):
            text = meta_text(el)
            if text:
                return text, css
    return None, None


def info_lines(root: etree._Element, profile: Profile) -> list[str]:
    """The text lines of the profile's info rows (the first of ``info_css`` that finds any)."""
    for css in profile.info_css:
        found = select(root, css)
        if found:
            return [normalise_meta(t) or "" for el in found for t in raw_text_nodes(el)]
    return []


def labelled_value(lines: list[str], field: str) -> tuple[str | None, str | None]:
    """``(value, raw)`` of the first line that labels ``field`` (see
    :data:`~gdcac_crawler.extract.vocabulary.LABELS`): the value cut before the next label; a label standing
    alone takes the next line as its value (tables print them in two cells).  ``raw`` is the line from the
    label on."""
    pattern = LABELS[field]
    for i, line in enumerate(lines):
        m = pattern.search(line)
        if not m:
            continue
        raw = line[m.start(1):]
        value = NEXT_LABEL_RE.sub("", line[m.end():]).strip()
        if not value and i + 1 < len(lines) and not any(p.search(lines[i + 1]) for p in LABELS.values()):
            value = NEXT_LABEL_RE.sub("", lines[i + 1]).strip()
            raw = f"{raw}{value}"
        value = value.strip("（）() ")
        if value:
            return normalise_meta(value), raw
    return None, None


def breadcrumbs(root: etree._Element, profile: Profile) -> list[list[str]]:
    """Every breadcrumb printed on the page, each as its list of names after 首页."""
    crumbs = []
    for el in select(root, ", ".join(profile.breadcrumb_css)):
        names = fallback.trail_names(" ".join(text_nodes(el)), CRUMB_LABEL_RE)
        if names:
            crumbs.append(names)
    return crumbs


def column_path(crumbs: list[list[str]]) -> list[str]:
    """One column path from the page's breadcrumbs, however many times the page prints them."""
    path: list[str] = []
    for crumb in crumbs:
        for name in crumb:
            if name not in path:
                path.append(name)
    return path
