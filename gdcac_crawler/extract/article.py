"""Article pages: from a response (or HTML text) to the raw fields of an :class:`~gdcac_crawler.items.ArticleItem`.

Pure functions: no engine, no database.  Each field is read with the profile's selectors first and the
government meta tags second; ``methods`` says which produced it.  Cleaning (boilerplate lines, entities,
source labels) is the clean pipeline's work: see :func:`clean_article`.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from parsel import Selector

from gdcac_crawler.extract import dates
from gdcac_crawler.extract.text import (
    Block,
    select,
    clean_body_lines,
    decode_entities,
    drop_html_blocks,
    html_blocks,
    is_file_name,
    normalise_space,
    text_nodes,
)
from gdcac_crawler.profiles.base import Profile

#: The meta tags of Chinese government sites (the national site standard), kept on every article.
GOV_META = (
    "SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnDescription", "ColumnKeywords", "ColumnType",
    "ArticleTitle", "PubDate", "ContentSource", "Keywords", "Description", "Author", "Url", "Image",
)
_META_KEYS = {k.lower(): k for k in GOV_META}

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx wps et dps ofd zip rar 7z txt csv rtf jpg jpeg png".split()
)
_SOURCE_LABEL_RE = re.compile(r"^(?:信息|文章|稿件)?来源\s*[:：]\s*")
_AUTHOR_LABEL_RE = re.compile(r"^(?:作者|责任编辑|编辑)\s*[:：]\s*")
_NEXT_LABEL_RE = re.compile(r"\s*(?:(?:发布)?(?:时间|日期)|作者|责任编辑|浏览次数|点击|字体|字号)\s*[:：].*$")
_CRUMB_SPLIT_RE = re.compile(r"\s*(?:>|›|»|＞|→|/)\s*")
_CRUMB_LABEL_RE = re.compile(r"^(?:当前位置|您所在的位置|您现在的位置|所在位置)\s*[:：]\s*")

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "span", "div", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "img", "a", "blockquote",
    "pre", "figure", "figcaption", "hr",
}
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt"}, "a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
}


def selector_for(response_or_text: Any) -> Selector:
    """A parsel Selector for a Scrapy response, a Selector, or HTML text."""
    if isinstance(response_or_text, Selector):
        return response_or_text
    if isinstance(response_or_text, str):
        return Selector(text=response_or_text)
    return response_or_text.selector


def root_of(response_or_text: Any) -> etree._Element:
    """The parsed document (an lxml element) of a response, a Selector, or HTML text; parsed once."""
    return selector_for(response_or_text).root


def _text(el: etree._Element) -> str:
    return normalise_space(" ".join(text_nodes(el)))


def _first_text(root: etree._Element, css_list: tuple[str, ...]) -> tuple[str | None, str | None]:
    for css in css_list:
        for el in select(root, css):
            text = _text(el)
            if text:
                return text, css
    return None, None


_META_XPATH = etree.XPath("//meta[@name][@content]")


def meta_tags(root: etree._Element) -> dict[str, str]:
    """The government meta tags the page carries (``SiteName``, ``PubDate``, ``ContentSource``, ...)."""
    found: dict[str, str] = {}
    for el in _META_XPATH(root):
        key = _META_KEYS.get(el.get("name", "").lower())
        if key and key not in found:
            found[key] = normalise_space(el.get("content", ""))
    return found


def breadcrumbs(root: etree._Element, profile: Profile) -> list[list[str]]:
    """Every breadcrumb printed on the page, each as its list of names after 首页."""
    crumbs = []
    for el in select(root, ", ".join(profile.breadcrumb_css)):
        text = _CRUMB_LABEL_RE.sub("", " ".join(text_nodes(el)))
        names = [n for n in (normalise_space(p) for p in _CRUMB_SPLIT_RE.split(text)) if n]
        if names and names[0] in ("首页", "网站首页", "主页"):
            names = names[1:]
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


def _info_lines(root: etree._Element, profile: Profile) -> list[str]:
    for css in profile.info_css:
        found = select(root, css)
        if found:
            return [t for el in found for t in text_nodes(el)]
    return []


def _body_node(root: etree._Element, profile: Profile) -> tuple[etree._Element | None, str | None]:
    for css in profile.body_css:
        found = select(root, css)
        if found:
            return found[0], css
    return None, None


def _without(body: etree._Element, css_list: tuple[str, ...]) -> etree._Element:
    """A copy of the body element with the excluded parts (attachments, related links) removed."""
    copy = deepcopy(body)
    copy.tail = None
    if css_list:
        for el in select(copy, ", ".join(css_list)):
            if el is not copy and el.getparent() is not None:
                el.drop_tree()
    return copy


def images_with_captions(blocks: list[Block], page_url: str) -> list[dict[str, Any]]:
    """Image records ``{"src", "alt", "caption"}``: the caption is the centred text block after the image
    (file-name lines in between are skipped)."""
    images = []
    for i, block in enumerate(blocks):
        if block.image is None:
            continue
        caption = None
        for nxt in blocks[i + 1:]:
            if nxt.image is not None:
                break
            if is_file_name(nxt.text) or nxt.text == block.image["alt"]:
                continue
            if nxt.centred and len(nxt.text) <= 200:
                caption = nxt.text
            break
        src = block.image["src"]
        images.append({
            "src": urljoin(page_url, src) if src else None,
            "alt": normalise_space(block.image["alt"]) or None,
            "caption": caption,
        })
    return images


def _file_type(name: str | None, url: str | None) -> str | None:
    for candidate in (name, urlsplit(url).path if url else None):
        if candidate and "." in candidate:
            ext = candidate.rsplit(".", 1)[1].lower().strip()
            if ext in ATTACHMENT_EXTENSIONS:
                return ext
    return None


def attachments(root: etree._Element, profile: Profile, page_url: str,
                body: etree._Element | None) -> list[dict[str, Any]]:
    """Attachment records ``{"url", "name", "type"}``: the profile's attachment links, and links in the body
    that point at documents.  The real file name is taken from ``alt`` when the CMS puts it there; the URL
    is ``None`` when the link's ``href`` is empty."""
    found: list[dict[str, Any]] = []
    seen = set()
    candidates = list(select(root, profile.attachment_css))
    if body is not None:
        candidates += [a for a in select(body, "a[href]") if _file_type(None, a.get("href"))]
    for a in candidates:
        href = (a.get("href") or "").strip()
        url = urljoin(page_url, href) if href and not href.lower().startswith(("javascript:", "#")) else None
        name = normalise_space(a.get("alt") or "") or _text(a) or None
        kind = _file_type(name, url)
        if kind is None:
            continue
        key = (url, name)
        if key in seen:
            continue
        seen.add(key)
        found.append({"url": url, "name": name, "type": kind})
    return found


def sanitise_html(fragment: str) -> str:
    """The body's HTML with only structural tags and safe attributes left (nh3 / ammonia)."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                     link_rel=None, strip_comments=True).strip()


def _inner_html(el: etree._Element) -> str:
    return (el.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in el)


def extract_article(response: Any, profile: Profile, *, url: str | None = None) -> dict[str, Any]:
    """The raw fields of an article page.

    ``url`` is the article's canonical URL (relative links resolve against it); by default the response's
    URL mapped to the live portal.  Returns a dict of :class:`~gdcac_crawler.items.ArticleItem` fields:
    title, published_raw, published_at, source_raw, column_path, body_lines, body_html, images,
    attachments, meta and methods.  Fields it cannot find are ``None`` or empty.
    """
    root = root_of(response)
    page_url = url or profile.canonical(getattr(response, "url", profile.base_url + "/"))
    methods: dict[str, str] = {}
    meta = meta_tags(root)

    title, css = _first_text(root, profile.title_css)
    if title:
        methods["title"] = f"profile:{css}"
    elif meta.get("ArticleTitle"):
        title, methods["title"] = meta["ArticleTitle"], "meta:ArticleTitle"

    info = _info_lines(root, profile)
    source_raw = next((line for line in info if _SOURCE_LABEL_RE.match(line)), None)
    if source_raw:
        methods["source"] = "profile:info"
    published_raw = published_at = None
    for line in info:
        iso, raw = dates.parse_date(line, profile.timezone)
        if iso:
            published_at, published_raw = iso, raw
            methods["published_at"] = "profile:info"
            break
    if not published_at and meta.get("PubDate"):
        published_at, published_raw = dates.parse_date(meta["PubDate"], profile.timezone)
        if published_at:
            methods["published_at"] = "meta:PubDate"
    author = next((_AUTHOR_LABEL_RE.sub("", line) for line in info if _AUTHOR_LABEL_RE.match(line)), None)

    crumbs = breadcrumbs(root, profile)
    if crumbs:
        methods["column_path"] = "profile:breadcrumb"

    body_lines: list[str] = []
    body_html = None
    images: list[dict[str, Any]] = []
    body, css = _body_node(root, profile)
    if body is not None:
        content = _without(body, profile.body_exclude_css)
        blocks = html_blocks(content)
        body_lines = [b.text for b in blocks if b.image is None]
        images = images_with_captions(blocks, page_url)
        for el in _LINKED_XPATH(content):
            attr = "src" if el.tag == "img" else "href"
            value = (el.get(attr) or "").strip()
            if value and not value.lower().startswith(("javascript:", "#", "data:")):
                el.set(attr, urljoin(page_url, value))
        body_html = sanitise_html(_inner_html(content))
        methods["body"] = f"profile:{css}"

    return {
        "url": page_url,
        "site": profile.name,
        "title": title,
        "published_raw": published_raw,
        "published_at": published_at,
        "source_raw": source_raw,
        "author": author,
        "column_path": column_path(crumbs),
        "body_lines": body_lines,
        "body_html": body_html,
        "images": images,
        "attachments": attachments(root, profile, page_url, body),
        "meta": meta,
        "methods": methods,
    }


_LINKED_XPATH = etree.XPath(".//img[@src] | .//a[@href]")


def clean_source(source_raw: str | None, meta: dict[str, str], profile: Profile) -> tuple[str | None, str | None]:
    """The source without its label, entities decoded; the meta tag ``ContentSource`` when the page shows no
    source line, unless its value is junk (an editor's account, the site's own name).  ``(source, method)``."""
    if source_raw:
        value = _NEXT_LABEL_RE.sub("", _SOURCE_LABEL_RE.sub("", normalise_space(decode_entities(source_raw))))
        value = value.strip()
        if value and not _is_junk_source(value, profile):
            return value, "profile:info"
    candidate = normalise_space(decode_entities(meta.get("ContentSource", "")))
    if candidate and not _is_junk_source(candidate, profile):
        return candidate, "meta:ContentSource"
    return None, None


def _is_junk_source(value: str, profile: Profile) -> bool:
    return any(re.search(pattern, value) for pattern in profile.junk_sources)


def clean_article(fields: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The cleaned fields of an article: body_text without boilerplate, decoded title and source.

    Takes and returns plain dicts (the clean pipeline applies it to items through ``ItemAdapter``).
    """
    out = dict(fields)
    methods = dict(out.get("methods") or {})
    if out.get("title"):
        out["title"] = normalise_space(decode_entities(out["title"]))
    source, method = clean_source(out.get("source_raw"), out.get("meta") or {}, profile)
    out["source"] = source
    if method:
        methods["source"] = method
    else:
        methods.pop("source", None)
    image_names = [img.get("alt") for img in out.get("images") or [] if img.get("alt")]
    lines = list(out.get("body_lines") or [])
    kept = clean_body_lines(lines, header_lines=profile.header_lines, footer_markers=profile.footer_markers,
                            image_names=image_names)
    out["body_text"] = "\n".join(kept) if kept else None
    dropped = {normalise_space(decode_entities(line)) for line in lines} - set(kept)
    out["body_html"] = drop_html_blocks(out.get("body_html") or "", dropped) or None
    out["methods"] = methods
    return out
