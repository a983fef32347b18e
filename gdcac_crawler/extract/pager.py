"""A listing page's pager, in every form seen on government sites, read from the page alone.

Forms (:attr:`~gdcac_crawler.extract.results.Pager.form`), and what each tells:

``createPageHTML``
    ``createPageHTML(total, current, "index", "html")`` (also with a leading element id): the page count and
    the URL rule ``index_N.html``.  nfw-cms numbers its pages from 1 (``index_2`` is page 2, ``current`` is
    the page number); TRS from 0 (``index_1`` is page 2, ``current`` is 0 on the first page).  The arguments
    may be literals or variables (``var countPage = 34``, ``Number("34")``, ``Math.ceil(1071/20)``).
``countPage``
    TRS's inline pager: ``var countPage = 34`` / ``var countPage = Number("34")`` with ``var currentPage = 0``.
``query``
    Links whose URLs differ by a page parameter: ``?page=N``, ``index.html?page=N``, ``pageNo``, ``p``,
    ``curPage`` …
``static-links``
    Numbered links whose URLs differ by a number in the file name: ``index_N.html``, ``list_N.shtml``.
``next-link``
    Only text links: 下一页 / 下页 / 后页 / ``>`` and 尾页 / 末页 / 最后一页.
``none``
    No pager at all: the spider probes ``index_1`` then ``index_2``.

The URL rule (:class:`~gdcac_crawler.extract.results.PageRule`) comes from the links when they show one, else
from the script.  Its offset — whether ``index_1`` is page 2 (TRS) or ``index_2`` is (nfw-cms) — comes from the
evidence: a numbered link's text against the number in its URL (``<a href="index_1.html">2</a>``: offset -1),
else the next link against this page's number, else the script's ``current`` argument on a known page (0 on
the first page: TRS; 1: nfw-cms).  With no evidence the offset stays unknown and the spider probes.

The stated page count is only a lower bound — platforms cap their pagers (nfw-cms at 20 pages) — unless the
script gives ``Math.ceil(TOTAL/PER)`` (:attr:`~gdcac_crawler.extract.results.Pager.exact`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from gdcac_crawler.extract.discovery import Link
from gdcac_crawler.extract.results import Pager, PageRule

__all__ = ["PagerReading", "number_slot", "read_pager"]

#: Query parameters that carry a page number (compared lower-cased).
PAGE_PARAMS = frozenset({"page", "pageno", "pagenum", "pagenumber", "pageindex", "pageidx", "page_no", "p", "pn", "pg",
                         "curpage", "currentpage", "cpage", "cur", "pagecurrent"})
_QUERY_SLOT_RE = re.compile(r"[?&]([A-Za-z_]+)=(\d{1,5})(?=&|$)")
_FILE_SLOT_RE = re.compile(r"[_-](\d{1,5})(\.[A-Za-z]{2,6})$")
_SEGMENT_SLOT_RE = re.compile(r"/page/(\d{1,5})/?$")

_NUMBER_RE = re.compile(r"^[\[【(（]?\s*第?\s*(\d{1,5})\s*页?\s*[\]】)）]?$")
_NEXT_RE = re.compile(r"^(?:下一页|下页|后页|下一頁|next)\s*[>›»＞]?$|^[>›＞]$", re.I)
_LAST_RE = re.compile(r"^(?:尾页|末页|最后一页|最末页|last)\s*[>›»＞]*$|^(?:>>|»|>\|)$", re.I)
_FIRST_RE = re.compile(r"^(?:首页|第一页|first)$|^(?:<<|«)$", re.I)
_PREV_RE = re.compile(r"^(?:上一页|上页|前页|prev)\s*$|^[<‹＜]$", re.I)

_SCRIPTS = etree.XPath("//script[not(@src)]/text()")
_LINE_COMMENT_RE = re.compile(r"^\s*//.*$", re.M)
_BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_VAR_RE = re.compile(r"\bvar\s+(\w+)\s*=\s*(?:(?:Number|parseInt)\s*\(\s*)?[\"']?(\d+)[\"']?\s*\)?\s*(?=[;,/\s]|$)")
_CEIL_RE = re.compile(r"Math\.ceil\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CEIL_VAR_RE = re.compile(r"\bvar\s+(\w+)\s*=\s*Math\.ceil\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CREATE_RE = re.compile(r"(?<![\w.])(?<!function )createPageHTML\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_NUMBER_CALL_RE = re.compile(r"^(?:Number|parseInt)\s*\(\s*[\"']?(\d+)[\"']?\s*\)$")


def number_slot(url: str) -> tuple[str, str, int, str] | None:
    """Where a page number sits in ``url``: ``(prefix, suffix, number, kind)`` with ``kind`` ``query``
    (a page parameter: ``?page=3``) or ``path`` (``index_3.html``, ``list-3.shtml``, ``/page/3/``)."""
    url = url.split("#", 1)[0]
    for m in _QUERY_SLOT_RE.finditer(url):
        if m.group(1).lower() in PAGE_PARAMS:
            return url[:m.start(2)], url[m.end(2):], int(m.group(2)), "query"
    base, sep, query = url.partition("?")
    for regex in (_FILE_SLOT_RE, _SEGMENT_SLOT_RE):
        if found := regex.search(base):
            return base[:found.start(1)], base[found.end(1):] + sep + query, int(found.group(1)), "path"
    return None


def _folder(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[0] + "/"


def _on_origin(url: str, page_url: str) -> str:
    """``url`` moved to ``page_url``'s scheme and host (a pager's links may name the live host while the page
    was fetched from a mirror): the links of one pager then share one URL rule."""
    parts, page = urlsplit(url), urlsplit(page_url)
    return f"{page.scheme}://{page.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def _label(text: str) -> tuple[str, int | None] | None:
    text = text.replace("\xa0", " ").strip()
    if m := _NUMBER_RE.match(text):
        return "number", int(m.group(1))
    for kind, regex in (("next", _NEXT_RE), ("last", _LAST_RE), ("first", _FIRST_RE), ("prev", _PREV_RE)):
        if regex.match(text):
            return kind, None
    return None


@dataclass(frozen=True)
class _Labelled:
    kind: str
    """``number``, ``next``, ``last``, ``first`` or ``prev``."""
    shown: int | None
    """The number a numbered link shows."""
    url: str
    slot: tuple[str, str, int, str] | None


@dataclass(frozen=True)
class _Script:
    form: str | None = None
    pages: int | None = None
    total_items: int | None = None
    per_page: int | None = None
    current: int | None = None
    prefix: str = "index"
    ext: str | None = None


def _script(root: etree._Element) -> _Script:
    """What the inline scripts say: the createPageHTML call or the countPage variables, resolved."""
    text = " ".join(_SCRIPTS(root))
    text = _LINE_COMMENT_RE.sub("", _BLOCK_COMMENT_RE.sub("", text))
    ceil = _CEIL_RE.search(text)
    total_items, per_page = (int(ceil.group(1)), int(ceil.group(2))) if ceil else (None, None)
    variables: dict[str, int] = {}
    for m in _VAR_RE.finditer(text):
        variables.setdefault(m.group(1), int(m.group(2)))
    ceil_vars = {m.group(1) for m in _CEIL_VAR_RE.finditer(text)}

    def value(arg: str) -> int | None:
        arg = arg.strip()
        if arg.isdigit():
            return int(arg)
        if m := _NUMBER_CALL_RE.match(arg):
            return int(m.group(1))
        return variables.get(arg) if arg not in ceil_vars else None

    for m in _CREATE_RE.finditer(text):
        args = [a.strip() for a in m.group(1).split(",")]
        if len(args) >= 5 and args[0][:1] in "\"'":
            args = args[1:]  # createPageHTML('page_div', count, current, 'index', 'html', records)
        if len(args) < 2:
            continue
        prefix = args[2].strip("\"' ") if len(args) > 2 else "index"
        ext = args[3].strip("\"' ") if len(args) > 3 else None
        return _Script("createPageHTML", value(args[0]), total_items, per_page, value(args[1]), prefix or "index",
                       ext or None)
    if "countPage" in variables:
        return _Script("countPage", variables["countPage"], total_items, per_page, variables.get("currentPage"))
    return _Script(None, None, total_items, per_page)


def _script_rule(script: _Script, page_url: str, page_no: int | None) -> PageRule | None:
    """The ``index_N`` rule a pager script implies, with its offset when the ``current`` argument tells it."""
    if script.form is None:
        return None
    parts = urlsplit(page_url)
    name = parts.path.rsplit("/", 1)[1]
    ext = script.ext or (name.rsplit(".", 1)[1] if "." in name else "html")
    prefix = f"{parts.scheme}://{parts.netloc}{_folder(page_url)}{script.prefix}_"
    first_page = name in ("", f"{script.prefix}.{ext}")
    number = 1 if first_page else page_no
    offset = None
    if script.current is not None and number is not None:
        if script.current == number - 1:
            offset = -1  # TRS: current counts from 0 (index_1 is page 2)
        elif script.current == number:
            offset = 0  # nfw-cms: current is the page number (index_2 is page 2)
    return PageRule(prefix, f".{ext}", offset)


@dataclass(frozen=True)
class PagerReading:
    """A page's :class:`~gdcac_crawler.extract.results.Pager` and the URLs of its pager links (which are never
    listing entries)."""

    pager: Pager
    links: frozenset[str]
    from_links: bool
    """Whether the pager's links (not only its script) gave page numbers."""


def _offset(in_family: Sequence[_Labelled], current: int | None) -> int | None:
    """How the numbers in the page URLs relate to the page numbers (URL number minus page number): by the
    numbered links (the most common difference), else by the next or previous link from the current page."""
    votes = Counter(item.slot[2] - item.shown for item in in_family
                    if item.kind == "number" and item.slot is not None and item.shown is not None)
    if votes:
        return votes.most_common(1)[0][0]
    if current is None:
        return None
    for item in in_family:
        if item.slot is not None and item.kind == "next":
            return item.slot[2] - (current + 1)
        if item.slot is not None and item.kind == "prev" and current > 2:
            return item.slot[2] - (current - 1)
    return None


def _form(script_form: str | None, has_family: bool, kind: str | None, in_family: Sequence[_Labelled],
          labelled: Sequence[_Labelled], next_url: str | None) -> str:
    """The pager's form, for the stats and the probe's report."""
    if script_form is not None:
        return script_form
    if has_family and any(item.kind == "number" for item in in_family):
        return "query" if kind == "query" else "static-links"
    if has_family and kind == "query":
        return "query"
    if next_url is not None or any(item.kind == "last" for item in labelled):
        return "next-link"
    return "none"


def read_pager(links: Sequence[Link], root: etree._Element, page_url: str, *,
               page_no: int | None = None) -> PagerReading:
    """The pager of the listing page at ``page_url`` from its ``links`` (the profile's pager links, or every
    link of the page) and its inline scripts; ``page_no`` is the page's number when the walk knows it."""
    folder = _folder(page_url)
    labelled: list[_Labelled] = []
    for link in links:
        label = _label(link.text)
        if label is None or _folder(link.url) != folder:
            continue
        url = _on_origin(link.url, page_url)
        labelled.append(_Labelled(label[0], label[1], url, number_slot(url)))
    families: Counter[tuple[str, str]] = Counter()
    for item in labelled:
        if item.slot is not None:
            families[(item.slot[0], item.slot[1])] += 2 if item.kind == "number" else 1
    family = families.most_common(1)[0][0] if families else None
    kind = None
    in_family = []
    for item in labelled:
        if item.slot is not None and (item.slot[0], item.slot[1]) == family:
            in_family.append(item)
            kind = item.slot[3]
    own = number_slot(_on_origin(page_url, page_url))
    own_in_family = own is not None and (own[0], own[1]) == family
    current = page_no if page_no is not None else (1 if not own_in_family else None)

    offset = _offset(in_family, current)

    script = _script(root)
    script_rule = _script_rule(script, page_url, page_no)
    rule: PageRule | None = None
    if family is not None:
        rule = PageRule(family[0], family[1], offset)
        if rule.offset is None and script_rule is not None and script_rule.offset is not None \
                and urlsplit(script_rule.prefix).path == urlsplit(family[0]).path:
            rule = rule.with_offset(script_rule.offset)
    elif script_rule is not None:
        rule = script_rule
    if current is None and own_in_family and own is not None and rule is not None and rule.offset is not None:
        current = own[2] - rule.offset

    linked: list[int] = []
    for item in labelled:
        if item.kind == "number" and item.shown is not None:
            linked.append(item.shown)
        elif item.slot is None and item.kind in ("first", "prev", "next", "last"):
            if item.kind == "first" or urlsplit(item.url).path.rsplit("/", 1)[1].split(".")[0] in ("", "index"):
                linked.append(1)
        elif rule is not None and (number := rule.number(item.url)) is not None and number >= 1:
            linked.append(number)

    here = _on_origin(page_url, page_url)
    nexts = [item.url for item in labelled if item.kind == "next" and item.url.split("#", 1)[0] != here]
    next_url = next((u for u in nexts if (s := number_slot(u)) and (s[0], s[1]) == family), nexts[0] if nexts else None)

    form = _form(script.form, family is not None, kind, in_family, labelled, next_url)
    pager = Pager(linked_pages=linked, script_pages=script.pages, total_items=script.total_items,
                  per_page=script.per_page, form=form, rule=rule, next_url=next_url, current=current)
    return PagerReading(pager, frozenset(item.url for item in labelled), bool(linked))
