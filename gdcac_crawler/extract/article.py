"""Article pages: from a response (or HTML text) to the raw fields of an :class:`~gdcac_crawler.items.ArticleItem`.

Pure functions: no engine, no database.  Each field is read with the profile's selectors first; where they
find nothing, the government meta tags and the generic fallbacks (:mod:`gdcac_crawler.extract.fallback`)
fill it, and ``methods`` says which produced it (``profile:<css>``, ``meta:<tag>``, ``fallback:<how>``).
Cleaning (boilerplate lines, entities, source labels) is the clean pipeline's work: see :func:`clean_article`.

Cost: :func:`extract_article` parses the page once into plain lxml elements (:func:`article_root`), answers the
profile's selectors from a one-pass index of the ids and classes they name (``text.indexed``), reads everything
around the body first and then prunes the body in place (a page passed as a Selector is the caller's, so its body
is copied instead), and serialises the body's children in one call.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse

from gdcac_crawler.extract import dates, fallback
from gdcac_crawler.extract.text import (
    indexed,
    RELATED_LABEL_RE,
    Block,
    clean_normalised_lines,
    decode_entities,
    drop_html_blocks,
    drop_tree,
    html_blocks,
    is_file_name,
    normalise_meta,
    normalise_space,
    parse_html,
    raw_text_nodes,
    rule_on,
    select,
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
_SOURCE_LABEL_RE = re.compile(r"^(?:信息|文章|稿件|新闻)?来\s*源\s*[:：]\s*|^稿源\s*[:：]\s*")
_AUTHOR_LABEL_RE = re.compile(r"^(?:作者|责任编辑|编辑)\s*[:：]\s*")
_NEXT_LABEL_RE = re.compile(
    r"\s*(?:(?:发布)?(?:时间|日期)|作\s*者|责任编辑|责编|编辑|浏览次数|阅读次数|点击(?:数|量)?|字体|字号|"
    r"(?:信息|文章)?来\s*源|索\s*引\s*号|文\s*号|发文字号|发布机构|分\s*类|主\s*题\s*词)\s*[:：].*$")
_CRUMB_LABEL_RE = re.compile(r"^(?:当前位置|您所在的位置|您现在的位置|所在位置|当前所在位置)\s*[:：]\s*")

#: Labelled metadata lines: field → the label that starts its value (anywhere in a line, after a space).
LABELS: dict[str, re.Pattern[str]] = {
    "source": re.compile(r"(?:^|\s)((?:信息|文章|稿件|新闻)?来\s*源|稿源)\s*[:：]\s*"),
    "author": re.compile(r"(?:^|\s)(作\s*者|撰\s*稿|记\s*者)\s*[:：]\s*"),
    "editor": re.compile(r"(?:^|\s|[（(])(责任编辑|责编|编\s*辑)\s*[:：]\s*"),
    "doc_number": re.compile(r"(?:^|\s)(文\s*号|发文字号|发文文号|文件编号)\s*[:：]\s*"),
    "index_number": re.compile(r"(?:^|\s)(索\s*引\s*号)\s*[:：]\s*"),
}
#: A document number alone on a line, as official documents print it under their title: 粤网信〔2022〕12号.
DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fa5A-Za-z]{1,16}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号$")
#: An editor's line at the end of a body: （责任编辑：张三）.
EDITOR_LINE_RE = re.compile(r"^[（(【\[]?\s*(?:责任编辑|责编|编辑)\s*[:：]\s*([^（）()【】\[\]]{1,30}?)\s*[）)】\]]?$")
#: Source values that are never a source, on any portal (a profile adds its own in ``junk_sources``).
GENERIC_JUNK_SOURCES = (r"^(?:本网|本站|本网站|网站|管理员|系统管理员|admin|null|none|未知|无|暂无|原创)$",)

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


def article_root(response_or_text: Any) -> etree._Element:
    """The document of an article page (see :func:`_parsed`)."""
    return _parsed(response_or_text)[0]


_XML_DECLARATION_RE = re.compile(r"[\s\ufeff]*<\?xml\s")


def _parsed(response_or_text: Any) -> tuple[etree._Element, bool]:
    """``(root, own)``: the document of an article page, and whether it was parsed for this call alone.

    An HTML response's text (and HTML text) is parsed by :func:`~gdcac_crawler.extract.text.parse_html` — the
    tree ``response.selector`` would build, in plain lxml elements, which the extraction's many element visits
    read faster.  A Selector's document, and the one Scrapy's selector builds for any other response (XML, or
    text that parsel reads as XML), belong to the caller: ``own`` is false.
    """
    if isinstance(response_or_text, Selector):
        return response_or_text.root, False
    if isinstance(response_or_text, str):
        text = response_or_text
        if text.lstrip()[:1] in ("{", "[") or _XML_DECLARATION_RE.match(text):  # parsel may read JSON or XML
            return Selector(text=text).root, True
        return parse_html(text), True
    if isinstance(response_or_text, HtmlResponse):
        return parse_html(response_or_text.text), True
    return response_or_text.selector.root, False


def _selectors(profile: Profile) -> tuple[str, ...]:
    """The selectors extraction asks of a whole page with ``profile`` (what its index records)."""
    return (*profile.title_css, *profile.body_css, *profile.info_css, ", ".join(profile.breadcrumb_css),
            ", ".join(profile.related_css), profile.attachment_css, ", ".join(profile.body_exclude_css))


def _text(el: etree._Element) -> str:
    return normalise_space(" ".join(text_nodes(el)))


def _meta_text(el: etree._Element) -> str:
    """An element's text as a metadata value: its text nodes joined by spaces, then :func:`normalise_meta`."""
    return normalise_meta(" ".join(raw_text_nodes(el))) or ""


def _first_text(root: etree._Element, css_list: tuple[str, ...]) -> tuple[str | None, str | None]:
    for css in css_list:
        for el in select(root, css):
            text = _meta_text(el)
            if text:
                return text, css
    return None, None


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


def breadcrumbs(root: etree._Element, profile: Profile) -> list[list[str]]:
    """Every breadcrumb printed on the page, each as its list of names after 首页."""
    crumbs = []
    for el in select(root, ", ".join(profile.breadcrumb_css)):
        names = fallback.trail_names(" ".join(text_nodes(el)), _CRUMB_LABEL_RE)
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
            return [normalise_meta(t) or "" for el in found for t in raw_text_nodes(el)]
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
                drop_tree(el)
    return copy


def _pruned(root: etree._Element, body: etree._Element, css_list: tuple[str, ...]) -> etree._Element:
    """The body element itself with the excluded parts removed: for a page parsed for this extraction alone,
    which nothing reads after its body (copying it, as :func:`_without` does, costs more than the rest of the
    pruning).  The excluded parts are looked up on the whole (indexed) page, then kept if under the body."""
    if css_list:
        for el in select(root, ", ".join(css_list)):
            if el is body or not any(a is body for a in el.iterancestors()):
                continue
            if el.getparent() is not None:
                drop_tree(el)
    return body


def labelled_value(lines: list[str], field: str) -> tuple[str | None, str | None]:
    """``(value, raw)`` of the first line that labels ``field`` (see :data:`LABELS`): the value cut before the
    next label; a label standing alone takes the next line as its value (tables print them in two cells).
    ``raw`` is the line from the label on."""
    pattern = LABELS[field]
    for i, line in enumerate(lines):
        m = pattern.search(line)
        if not m:
            continue
        raw = line[m.start(1):]
        value = _NEXT_LABEL_RE.sub("", line[m.end():]).strip()
        if not value and i + 1 < len(lines) and not any(p.search(lines[i + 1]) for p in LABELS.values()):
            value = _NEXT_LABEL_RE.sub("", lines[i + 1]).strip()
            raw = f"{raw}{value}"
        value = value.strip("（）() ")
        if value:
            return normalise_meta(value), raw
    return None, None


def images_with_captions(blocks: list[Block], page_url: str) -> list[dict[str, Any]]:
    """Image records ``{"src", "alt", "caption"}``: the caption is the centred text block after the image
    (file-name lines and empty paragraphs in between are skipped)."""
    images = []
    for i, block in enumerate(blocks):
        if block.image is None:
            continue
        caption = None
        for nxt in blocks[i + 1:]:
            if nxt.image is not None:
                break
            if not nxt.text or is_file_name(nxt.text) or nxt.text == block.image["alt"]:
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


def _plainly_not_a_file(url: str) -> bool:
    """Whether ``urlsplit(url).path`` surely ends in no attachment extension, told without splitting the URL:
    its path is the end of the URL before ``?`` and ``#``, so a last dot there is the path's last dot.  (Only
    for URLs that ``urlsplit`` takes as they stand: ASCII, no brackets, no tabs or line breaks.)"""
    if not url.isascii() or "[" in url or "]" in url or "\t" in url or "\r" in url or "\n" in url:
        return False
    head = url.split("#", 1)[0].split("?", 1)[0]
    return "." not in head or head.rsplit(".", 1)[1].lower().strip() not in ATTACHMENT_EXTENSIONS


def _file_type(name: str | None, url: str | None) -> str | None:
    if name is None and url and _plainly_not_a_file(url):
        return None
    for candidate in (name, urlsplit(url).path if url else None):
        if candidate and "." in candidate:
            ext = candidate.rsplit(".", 1)[1].lower().strip()
            if ext in ATTACHMENT_EXTENSIONS:
                return ext
    return None


def _link_url(a: etree._Element, page_url: str) -> str | None:
    href = (a.get("href") or "").strip()
    if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
        return None
    return urljoin(page_url, href)


def _links(el: etree._Element) -> list[etree._Element]:
    """The ``a[href]`` under ``el`` (itself included), in document order."""
    return [a for a in el.iter("a") if a.get("href") is not None]


def attachment_records(links: list[etree._Element], page_url: str) -> list[dict[str, Any]]:
    """Attachment records ``{"url", "name", "type"}`` of those ``links`` that point at documents.  The real
    file name is taken from ``alt`` when the CMS puts it there, else the link text, else ``title``; the URL is
    ``None`` when the link's ``href`` is empty."""
    found: list[dict[str, Any]] = []
    seen = set()
    for a in links:
        url = _link_url(a, page_url)
        name = normalise_meta(a.get("alt") or "") or _text(a) or normalise_meta(a.get("title") or "") or None
        kind = _file_type(name, url)
        if kind is None:
            continue
        key = (url, name)
        if key in seen:
            continue
        seen.add(key)
        found.append({"url": url, "name": name, "type": kind})
    return found


def _outside_links_text(el: etree._Element) -> str:
    """The text of ``el`` that is not inside a link."""
    parts: list[str] = []

    def walk(node: etree._Element, in_link: bool) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        here = in_link or tag == "a"
        if tag is not None and node.text and not here:
            parts.append(node.text)
        for child in node:
            walk(child, here)
            if child.tail and not here:
                parts.append(child.tail)

    walk(el, False)
    return normalise_space("".join(parts))


_SEPARATORS_RE = re.compile(r"[\s:：|｜,，、;；.。·•\-—]+")


def _only_label_and_links(el: etree._Element, label: str | None) -> bool:
    rest = _outside_links_text(el)
    if label and rest.startswith(label):
        rest = rest[len(label):]
    return not _SEPARATORS_RE.sub("", rest)


def split_related_blocks(content: etree._Element) -> list[tuple[str, list[etree._Element]]]:
    """Cut the 相关附件 / 相关链接 / 相关解读 / 相关导读 blocks out of a body (rule ``related_blocks``).

    A block is an element whose own text starts with such a label and that holds nothing but the label and
    links (climbing to the largest such ancestor), plus the link-only siblings that follow it.  A block with
    no link stays (``附件`` above an appendix's title is prose).  Returns ``[(label, links)]``."""
    if not rule_on("related_blocks"):
        return []
    found: list[tuple[str, list[etree._Element]]] = []
    removed: set[int] = set()
    for el in list(content.iter()):
        own = el.text
        if not own or ("相关" not in own and "附件" not in own):
            continue
        if el is content or not isinstance(el.tag, str) or id(el) in removed:
            continue
        if any(id(a) in removed for a in el.iterancestors()):
            continue
        m = RELATED_LABEL_RE.match(normalise_space(own))
        if not m:
            continue
        label = m.group(1)
        if not _only_label_and_links(el, label):
            continue
        block = el
        while True:
            parent = block.getparent()
            if parent is None or parent is content or not _only_label_and_links(parent, label):
                break
            block = parent
        members = [block]
        sibling = block.getnext()
        while sibling is not None and isinstance(sibling.tag, str) and _only_label_and_links(sibling, None):
            members.append(sibling)
            sibling = sibling.getnext()
        links = [a for member in members for a in member.iter("a") if a.get("href") is not None]
        if not links:
            continue
        for member in members:
            removed.add(id(member))
            if member.getparent() is not None:
                drop_tree(member)
        found.append((label, links))
    return found


def related_records(label: str | None, links: list[etree._Element], page_url: str) -> list[dict[str, Any]]:
    """Related-link records ``{"kind", "title", "url"}`` (links that do not point at documents)."""
    out = []
    for a in links:
        url = _link_url(a, page_url)
        title = normalise_meta(a.get("title") or "") or _text(a)
        if not url or not title or _file_type(title, url) or RELATED_LABEL_RE.fullmatch(title.rstrip(":：")):
            continue
        out.append({"kind": label, "title": title, "url": url})
    return out


def _profile_related(root: etree._Element, profile: Profile, page_url: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    seen: set[int] = set()
    if profile.related_css:
        for block in select(root, ", ".join(profile.related_css)):
            if id(block) in seen or any(id(a) in seen for a in block.iterancestors()):
                continue
            seen.add(id(block))
            m = RELATED_LABEL_RE.match(_text(block))
            records += related_records(m.group(1) if m else None, list(block.iter("a")), page_url)
    return records


def sanitise_html(fragment: str) -> str:
    """The body's HTML with only structural tags and safe attributes left (nh3 / ammonia)."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                     link_rel=None, strip_comments=True).strip()


def _inner_html(el: etree._Element) -> str:
    """The element's own text as it stands, then its children serialised as HTML (with their tails)."""
    if not isinstance(el.tag, str) or el.tag.lower() in ("script", "style"):  # its tails are written raw
        return (el.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in el)
    # The children in one call rather than one each: the element, stripped to a bare <div>, serialised whole.
    text, tag, attrib = el.text, el.tag, dict(el.attrib)
    el.text = None
    el.attrib.clear()
    el.tag = "div"
    try:
        html = etree.tostring(el, encoding="unicode", method="html", with_tail=False)
    finally:
        el.text, el.tag = text, tag
        el.attrib.update(attrib)
    return (text or "") + html[len("<div>"):-len("</div>")]


#: The order of ``methods`` keys (stable output for reviewed golden files).
METHOD_ORDER = ("title", "source", "published_at", "author", "editor", "doc_number", "index_number",
                "column_path", "body", "attachments", "related")


def extract_article(response: Any, profile: Profile, *, url: str | None = None) -> dict[str, Any]:
    """The raw fields of an article page.

    ``url`` is the article's canonical URL (relative links resolve against it); by default the response's
    URL mapped to the live portal.  Returns a dict of :class:`~gdcac_crawler.items.ArticleItem` fields:
    title, published_raw, published_at, source_raw, author, editor, doc_number, index_number, column_path,
    body_lines, body_html, images, attachments, related, meta and methods.  Fields it cannot find are
    ``None`` or empty.
    """
    profile = profile.bound(url or getattr(response, "url", "") or "http://localhost/")
    root, own = _parsed(response)
    with indexed(root, _selectors(profile)):
        # a page parsed for this call alone has its body pruned in place rather than copied
        return _extract_article(root, response, profile, url, owned=own)


def _extract_article(root: etree._Element, response: Any, profile: Profile, url: str | None,
                     owned: bool) -> dict[str, Any]:
    page_url = url or profile.canonical(getattr(response, "url", profile.base_url + "/"))
    use_fallbacks = profile.fallbacks
    methods: dict[str, str] = {}
    meta = meta_tags(root)

    title, css = _first_text(root, profile.title_css)
    if title:
        methods["title"] = f"profile:{css}"
    elif meta.get("ArticleTitle"):
        title, methods["title"] = meta["ArticleTitle"], "meta:ArticleTitle"
    elif use_fallbacks:
        title, how = fallback.title_from_page(root)
        if title:
            methods["title"] = how

    body, css = _body_node(root, profile)
    if body is not None:
        methods["body"] = f"profile:{css}"
    elif use_fallbacks:
        body = fallback.density_body(root, title)
        if body is not None:
            methods["body"] = "fallback:density"

    info = _info_lines(root, profile)
    # The lines before the body, read only where the profile's info rows are missing (a drifted template, or
    # the generic profile): a profile that finds its info rows takes its metadata from them alone.
    preamble = fallback.preamble_lines(root, body) if (use_fallbacks and not info) else []

    source_raw = next((line for line in info if _SOURCE_LABEL_RE.match(line)), None)
    if source_raw:
        methods["source"] = "profile:info"
    else:
        value, raw = labelled_value(preamble, "source")
        if value:
            source_raw, methods["source"] = raw, "fallback:label"
        elif meta.get("ContentSource"):
            methods["source"] = "meta:ContentSource"

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
    if not published_at and preamble:
        published_at, published_raw = fallback.first_date(preamble, profile.timezone)
        if published_at:
            methods["published_at"] = "fallback:text"

    if methods.get("body") == "fallback:density" and not published_at and not meta.get("ArticleTitle"):
        # No date anywhere and no ArticleTitle: not an article page (a block, error or index page served with
        # status 200); a body guessed by density would archive it as one.
        body = None
        methods.pop("body")

    labelled: dict[str, str | None] = {}
    for name in ("author", "editor", "doc_number", "index_number"):
        value, _ = labelled_value(info, name)
        how = "profile:info"
        if not value and preamble:
            value, _ = labelled_value(preamble, name)
            how = "fallback:label"
        if value:
            methods[name] = how
        labelled[name] = value
    if not labelled["author"] and meta.get("Author"):
        labelled["author"], methods["author"] = meta["Author"], "meta:Author"

    crumbs = breadcrumbs(root, profile)
    if crumbs:
        methods["column_path"] = "profile:breadcrumb"
    elif use_fallbacks:
        crumbs = fallback.breadcrumb_trails(root)
        if crumbs:
            methods["column_path"] = "fallback:breadcrumb"
        elif meta.get("ColumnName"):
            crumbs = [[meta["ColumnName"]]]
            methods["column_path"] = "meta:ColumnName"

    related = _profile_related(root, profile, page_url)
    # Everything read from the page around and under the body is read before the body is pruned (in place,
    # when the page is this call's own).
    found = attachment_records(list(select(root, profile.attachment_css)), page_url)
    in_body: list[dict[str, Any]] = []
    near: list[dict[str, Any]] = []
    if body is not None:
        in_body = [a for a in attachment_records(
            [a for a in _links(body) if _file_type(None, a.get("href"))], page_url) if a not in found]
        if use_fallbacks and body.getparent() is not None:
            near = attachment_records(
                [a for a in _links(body.getparent()) if _file_type(None, a.get("href"))], page_url)

    body_lines: list[str] = []
    body_html = None
    images: list[dict[str, Any]] = []
    block_links: list[etree._Element] = []
    if body is not None:
        if owned:
            content = _pruned(root, body, profile.body_exclude_css)
        else:
            content = _without(body, profile.body_exclude_css)
        for label, links in split_related_blocks(content):
            block_links += links
            related += related_records(label, links, page_url)
        blocks = html_blocks(content)
        body_lines = [b.text for b in blocks if b.image is None]
        images = images_with_captions(blocks, page_url)
        for el in content.iter("img", "a"):  # .//img[@src] | .//a[@href]
            attr = "src" if el.tag == "img" else "href"
            value = el.get(attr)
            if el is content or value is None:
                continue
            value = value.strip()
            if value and not value.lower().startswith(("javascript:", "#", "data:")):
                el.set(attr, urljoin(page_url, value))
        body_html = sanitise_html(_inner_html(content))
        texts = [line for line in body_lines if line]
        if not labelled["doc_number"]:
            for line in texts[:10]:
                if DOC_NUMBER_RE.match(line):
                    labelled["doc_number"], methods["doc_number"] = normalise_meta(line), "fallback:body-line"
                    break
        if not labelled["editor"]:
            for line in reversed(texts[-8:]):
                m = EDITOR_LINE_RE.match(line)
                if m:
                    labelled["editor"], methods["editor"] = normalise_meta(m.group(1)), "fallback:body-line"
                    break

    if found:
        methods["attachments"] = "profile:attachment_css"
    if in_body:
        found += in_body
        methods.setdefault("attachments", "fallback:body-links")
    from_blocks = [a for a in attachment_records(block_links, page_url) if a not in found]
    if from_blocks:
        found += from_blocks
        methods.setdefault("attachments", "fallback:related-block")
    if not found and near:
        found = near
        methods["attachments"] = "fallback:links"
    if related:
        methods["related"] = "profile:related_css" if not block_links else "fallback:related-block"

    methods = {key: methods[key] for key in METHOD_ORDER if key in methods}
    return {
        "url": page_url,
        "site": profile.name,
        "title": title,
        "published_raw": published_raw,
        "published_at": published_at,
        "source_raw": source_raw,
        "author": labelled["author"],
        "editor": labelled["editor"],
        "doc_number": labelled["doc_number"],
        "index_number": labelled["index_number"],
        "column_path": column_path(crumbs),
        "body_lines": body_lines,
        "body_html": body_html,
        "images": images,
        "attachments": found,
        "related": related,
        "meta": meta,
        "methods": methods,
    }


def clean_source(source_raw: str | None, meta: dict[str, str], profile: Profile) -> tuple[str | None, str | None]:
    """The source without its label, entities decoded; the meta tag ``ContentSource`` when the page shows no
    source line, unless its value is junk (an editor's account, the site's own name).  ``(source, method)``."""
    if source_raw:
        value = _NEXT_LABEL_RE.sub("", _SOURCE_LABEL_RE.sub("", normalise_meta(decode_entities(source_raw)) or ""))
        value = value.strip()
        if value and not _is_junk_source(value, profile, meta):
            return value, "profile:info"
    candidate = normalise_meta(decode_entities(meta.get("ContentSource", ""))) or ""
    if candidate and not _is_junk_source(candidate, profile, meta):
        return candidate, "meta:ContentSource"
    return None, None


def _is_junk_source(value: str, profile: Profile, meta: dict[str, str] | None = None) -> bool:
    """Whether a source value says nothing: an editor's account name, the site's own name (its profile's
    patterns, or the page's ``SiteName``), or a placeholder such as 本网."""
    if meta and meta.get("SiteName") and value == meta["SiteName"]:
        return True
    return any(re.search(pattern, value, re.I) for pattern in (*profile.junk_sources, *GENERIC_JUNK_SOURCES))


def clean_article(fields: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The cleaned fields of an article: body_text without boilerplate, decoded title and source.

    Takes and returns plain dicts (the clean pipeline applies it to items through ``ItemAdapter``).
    """
    out = dict(fields)
    methods = dict(out.get("methods") or {})
    if out.get("title"):
        out["title"] = normalise_meta(decode_entities(out["title"]))
    source, method = clean_source(out.get("source_raw"), out.get("meta") or {}, profile)
    out["source"] = source
    if method:
        previous = methods.get("source")
        methods["source"] = previous if (method == "profile:info" and previous) else method
    else:
        methods.pop("source", None)
    image_names = [img.get("alt") for img in out.get("images") or [] if img.get("alt")]
    lines = [normalise_space(decode_entities(line)) for line in out.get("body_lines") or []]
    kept = clean_normalised_lines(lines, header_lines=profile.header_lines, footer_markers=profile.footer_markers,
                                  image_names=image_names, phrases=profile.boilerplate_phrases)
    if kept and rule_on("editor_line") and EDITOR_LINE_RE.match(kept[-1]):
        kept = kept[:-1]
    out["body_text"] = "\n".join(kept) if kept else None
    dropped = set(lines) - set(kept) - {""}
    out["body_html"] = drop_html_blocks(out.get("body_html") or "", dropped) or None
    out["methods"] = methods
    return out
