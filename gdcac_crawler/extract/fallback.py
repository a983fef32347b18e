"""The generic fallback: what fills a field, a column list, a listing or a pager when a profile's rules find
nothing — on a portal whose template changed overnight, or on one that has no profile (``generic``).

Articles
    * body: a **text-density** extractor (:func:`density_body`): one bottom-up pass over the document counts,
      for every element, the characters of text, of link text and of Chinese punctuation beneath it; the
      element whose non-link text is largest once weighted by how little of it is links wins, and the choice
      descends into a child that holds most of its text (so the title and date rows above a body stay out);
    * title, time, source, column: the **government meta tags** (``ArticleTitle``, ``PubDate``,
      ``ContentSource``, ``ColumnName``) and the page's own text: the heading that the ``<title>`` repeats,
      labelled lines (``来源：``, ``发布时间：``, ``索引号：``, ``文号：`` …) in the lines before the body, a
      breadcrumb found by its label or by its ``首页 > …`` shape.
Listings
    * entries: the largest group of **dated links** — sibling items each holding one link and a date
      (:func:`dated_link_entries`); :mod:`gdcac_crawler.extract.discovery` finds the columns of a section's
      navigation and the article-shaped links, :mod:`gdcac_crawler.extract.pager` every form of pager.

Everything here is pure and works on lxml elements (parsed once per page).  Which method produced a field
is recorded in the item's ``methods`` as ``fallback:<how>`` or ``meta:<tag>``; the spider counts each under
``gdcac/fallback/<field>``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from gdcac_crawler.extract.dates import listed_date, parse_date
from gdcac_crawler.extract.dom import SKIP_TAGS, link_title, text_content, text_nodes
from gdcac_crawler.extract.text import normalise_meta, normalise_space
from gdcac_crawler.extract.vocabulary import (
    CRUMB_ARROW_RE,
    CRUMB_LABEL_LOOSE_RE,
    CRUMB_SPLIT_RE,
    DATE_LABEL_RE,
    FURNITURE_CLASS_RE,
    HOME_NAMES,
)

__all__ = [
    "breadcrumb_elements", "breadcrumb_trails", "dated_link_entries", "density_body", "first_date", "is_fallback",
    "preamble_lines", "preamble_nodes", "title_from_page", "trail_names",
]

_PUNCT = frozenset("，。；：！？、“”《》（）,.;:!?")
_TITLE_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6", "div", "p", "span", "td", "strong", "b", "font"])
_CANDIDATE_TAGS = frozenset(["div", "td", "article", "section", "main", "dd", "li", "form", "center", "font",
                             "span", "p", "table", "tbody"])


def is_fallback(method: str | None) -> bool:
    """Whether a ``methods`` value says a field came from a fallback (anything but the profile's selectors)."""
    return bool(method and not method.startswith("profile:"))


def _chars(text: str | None) -> int:
    if not text:
        return 0
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


def _punct(text: str | None) -> int:
    if not text:
        return 0
    return sum(1 for ch in text if ch in _PUNCT)


# ---------------------------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------------------------


def density_body(root: etree._Element, title: str | None = None) -> etree._Element | None:
    """The element that holds the article's text, by text density; ``None`` on a page with no prose.

    Per element: ``T`` characters of text, ``L`` of them inside links, ``P`` Chinese punctuation marks outside
    links.  Score ``(T - L) · ((T - L) / T)³ · log2(2 + P)``: much text, few links, prose-like.  A body never
    holds its own title: when the best element contains the heading that prints ``title``, the best of its
    descendants without it is taken instead (if it scores at least a third as well).  From there the choice
    moves into a child holding at least 80 % of its non-link text, so it ends on the body container rather
    than on the wrapper that also holds the date row and the share bar.
    """
    density = _Density(root)
    scores = density.scores()
    best = max(range(len(scores)), key=scores.__getitem__, default=None)
    if best is None or not scores[best]:
        return None
    if title:
        holders = density.title_holders(title)
        if holders[best]:
            best = density.best_without_title(best, scores, holders)
    return density.elements[density.descend(best)]


class _Density:
    """The text counts of every element of one page, summed bottom-up in one pass: characters of text
    (``text``), of link text (``link``), Chinese punctuation outside links (``punct``)."""

    def __init__(self, root: etree._Element) -> None:
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        index = {el: i for i, el in enumerate(elements)}
        n = len(elements)
        text = [0] * n
        link = [0] * n
        punct = [0] * n
        in_link = [False] * n
        skipped = [False] * n
        parents: list[int | None] = [None] * n
        for i, el in enumerate(elements):
            parent = el.getparent()
            p = index.get(parent) if parent is not None else None
            parents[i] = p
            tag = el.tag.lower()
            skipped[i] = tag in SKIP_TAGS or (p is not None and skipped[p])
            in_link[i] = tag == "a" or (p is not None and in_link[p])
        for i in range(n - 1, -1, -1):
            el = elements[i]
            if not skipped[i]:
                own = el.text
                t = _chars(own)
                text[i] += t
                if in_link[i]:
                    link[i] += t
                else:
                    punct[i] += _punct(own)
            p = parents[i]
            if p is None:
                continue
            if not skipped[p]:
                tail = el.tail
                t = _chars(tail)
                text[p] += t
                if in_link[p]:
                    link[p] += t
                else:
                    punct[p] += _punct(tail)
            text[p] += text[i]
            link[p] += link[i]
            punct[p] += punct[i]
        self.elements, self.index, self.skipped = elements, index, skipped
        self.text, self.link, self.punct = text, link, punct

    def scores(self) -> list[float]:
        """Every element's score (0 for those that are no candidate)."""
        text, link, punct, skipped = self.text, self.link, self.punct, self.skipped
        scores = [0.0] * len(self.elements)
        for i, el in enumerate(self.elements):
            if skipped[i] or el.tag.lower() not in _CANDIDATE_TAGS:
                continue
            t = text[i]
            own = t - link[i]
            if own < 40:
                continue
            ratio = own / t
            score = own * ratio ** 3 * math.log2(2 + punct[i])
            if FURNITURE_CLASS_RE.search((el.get("class") or "") + " " + (el.get("id") or "")):
                score *= 0.5
            scores[i] = score
        return scores

    def title_holders(self, title: str) -> list[bool]:
        """Per element, whether it holds the heading that prints ``title``."""
        elements, index, text, skipped = self.elements, self.index, self.text, self.skipped
        holders = [False] * len(elements)
        size = _chars(title)
        for i, el in enumerate(elements):
            if (size <= text[i] <= size + 8 and not skipped[i] and el.tag.lower() in _TITLE_TAGS
                    and normalise_space(" ".join(text_nodes(el))) == title):
                node: etree._Element | None = el
                while node is not None:
                    j = index.get(node)
                    if j is None or holders[j]:
                        break
                    holders[j] = True
                    node = node.getparent()
        return holders

    def best_without_title(self, best: int, scores: list[float], holders: list[bool]) -> int:
        """The best-scoring descendant of ``best`` that does not hold the title, if it scores at least a third
        as well; else ``best``."""
        elements = self.elements
        inner = [i for i in range(best + 1, len(elements)) if scores[i] and not holders[i]
                 and any(a is elements[best] for a in elements[i].iterancestors())]
        if inner:
            alt = max(inner, key=lambda i: scores[i])
            if scores[alt] >= scores[best] / 3:
                return alt
        return best

    def descend(self, best: int) -> int:
        """From ``best`` into the first child holding at least 80 % of its non-link text, while there is one."""
        elements, index, text, link, skipped = self.elements, self.index, self.text, self.link, self.skipped
        while True:
            own = text[best] - link[best]
            nxt = None
            for child in elements[best]:
                c = index.get(child) if isinstance(child.tag, str) else None
                if c is None or skipped[c]:
                    continue
                if text[c] - link[c] >= 0.8 * own and child.tag.lower() in _CANDIDATE_TAGS:
                    nxt = c
                    break
            if nxt is None:
                return best
            best = nxt


_TITLE_SPLIT_RE = re.compile(r"\s*(?:[-_|｜—–]+|--)\s*")
_HEADING_XPATH = etree.XPath("//h1 | //h2 | //h3 | //h4 | //*[contains(@class, 'title')]")
_TITLE_XPATH = etree.XPath("//title")


def title_from_page(root: etree._Element) -> tuple[str | None, str | None]:
    """``(title, method)`` from the page itself: the heading that the ``<title>`` repeats, else the longest
    part of the ``<title>`` (sites print ``站名 - 标题`` or ``标题_站名``)."""
    title_el = _TITLE_XPATH(root)
    page_title = normalise_meta(" ".join(t for t in title_el[0].itertext())) if title_el else ""
    best = None
    for el in _HEADING_XPATH(root):
        text = normalise_meta(" ".join(t.strip(" \t\r\n") for t in el.itertext() if t.strip())) or ""
        if 4 <= len(text) <= 200 and page_title and text in page_title and (best is None or len(text) > len(best)):
            best = text
    if best:
        return best, "fallback:heading"
    if page_title:
        parts = [p for p in _TITLE_SPLIT_RE.split(page_title) if p]
        if parts:
            return max(parts, key=len), "fallback:title-tag"
    return None, None


def _document_lines(root: etree._Element, stop: etree._Element | None) -> list[str]:
    """Text nodes of the document in order, up to (not into) ``stop``; scripts, styles and heads skipped.

    Walked with a stack of its own, not by recursion: a page of thousands of nested elements (Word's unclosed
    ``<font>`` and ``<span>``) must not exhaust Python's recursion limit."""
    lines: list[str] = []
    body = root.find("body")
    start = body if body is not None else root

    def add(text: str | None) -> None:
        if text and text.strip():
            line = normalise_meta(text)
            if line:
                lines.append(line)

    stack: list[tuple[etree._Element, bool]] = [(start, False)]  # (element, its end reached)
    while stack:
        el, ended = stack.pop()
        if ended:
            if el is not start:
                add(el.tail)
            continue
        if el is stop:
            break
        stack.append((el, True))
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if tag is not None and tag not in SKIP_TAGS:
            add(el.text)
            stack.extend((child, False) for child in reversed(el))
    return lines


_PRECEDING_TEXT = etree.XPath("preceding::text()")
_NOT_TEXT = SKIP_TAGS | {"title", "head", "option"}


def preamble_nodes(body: etree._Element, limit: int = 60) -> list[Any]:
    """The last ``limit`` text nodes before the body that each hold a line of text, in document order: lxml's
    text results, each knowing the element it stands in (``getparent()``)."""
    found: list[Any] = []
    for node in reversed(_PRECEDING_TEXT(body)):
        if node.strip():
            parent = node.getparent()
            if node.is_text and parent is not None and str(parent.tag).lower() in _NOT_TEXT:
                continue
            if normalise_meta(str(node)):
                found.append(node)
                if len(found) >= limit:
                    break
    found.reverse()
    return found


def preamble_lines(root: etree._Element, body: etree._Element | None, limit: int = 60) -> list[str]:
    """The last ``limit`` text lines before the body (where the title, source, time and the labelled
    metadata of an article stand); the whole page's when no body is known."""
    if body is None:
        return _document_lines(root, None)[-limit:]
    return [normalise_meta(str(node)) or "" for node in preamble_nodes(body, limit)]


#: The elements a breadcrumb may be printed in.
_CRUMB_CANDIDATES_XPATH = etree.XPath("//div | //p | //span | //td | //li | //nav | //ol | //ul")


def trail_names(text: str, label: re.Pattern[str] = CRUMB_LABEL_LOOSE_RE) -> list[str]:
    """A breadcrumb's names after 首页, from its text: ``label`` cut from its start, split at the separators."""
    names = [n for n in (normalise_space(p) for p in CRUMB_SPLIT_RE.split(label.sub("", text))) if n]
    return names[1:] if names and names[0] in HOME_NAMES else names


def breadcrumb_trails(root: etree._Element) -> list[list[str]]:
    """Breadcrumbs found by their shape: an element whose text starts with 当前位置 / 您所在的位置, or a short
    run of ``首页 > A > B`` links; each as its names after 首页."""
    return [names for _, names in breadcrumb_elements(root)]


def breadcrumb_elements(root: etree._Element) -> list[tuple[etree._Element, list[str]]]:
    """``[(element, names)]``: the elements :func:`breadcrumb_trails` reads its breadcrumbs from, with
    their names after 首页 (for whoever derives a selector for them)."""
    found: list[tuple[etree._Element, list[str]]] = []
    seen: set[etree._Element] = set()
    for el in _CRUMB_CANDIDATES_XPATH(root):
        own = (el.text or "").strip()
        if not (own and CRUMB_LABEL_LOOSE_RE.match(own)):
            first = el.find("a")
            if first is None or len(el) > 16 or normalise_space(text_content(first)) not in HOME_NAMES:
                continue
        parts = text_nodes(el)
        if not parts:
            continue
        text = " ".join(parts)
        if len(text) > 120:
            continue
        labelled = CRUMB_LABEL_LOOSE_RE.match(text)
        links = el.findall(".//a")
        if not labelled and not (links and normalise_space(text_content(links[0])) in HOME_NAMES
                                 and len(links) >= 2 and CRUMB_ARROW_RE.search(text)):
            continue
        if any(a in seen for a in el.iterancestors()):
            continue
        seen.add(el)
        names = trail_names(text)
        if names:
            found.append((el, names))
    return found


# ---------------------------------------------------------------------------------------------------------
# Listings and section pages
# ---------------------------------------------------------------------------------------------------------

_LINKS_XPATH = etree.XPath("//a[@href]")
_ITEM_TAGS = ("li", "tr", "dd", "dt", "p", "div", "td", "span")


def _href(a: etree._Element) -> str | None:
    href = (a.get("href") or "").strip()
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:", "tel:")):
        return None
    return href


def dated_link_entries(root: etree._Element, base: str) -> list[tuple[str, str, str | None]]:
    """Lists of dated links: ``[(url, title, listed_date)]`` of the largest group of sibling items that each
    hold one link and print a date outside it (``[2026-09-24]``, ``2026年9月24日``); ``[]`` when no group of
    at least two exists.  An item is the link's nearest ancestor (up to three levels) that holds a date and
    no other link."""
    groups: dict[etree._Element, list[tuple[str, str, str | None]]] = defaultdict(list)
    for a in _LINKS_XPATH(root):
        href = _href(a)
        if href is None:
            continue
        title_text = " ".join(text_nodes(a))
        item, day = a, None
        for _ in range(3):
            item = item.getparent()
            if item is None or item.tag in ("body", "html") or len(item.findall(".//a[@href]")) > 1:
                break
            rest = " ".join(t for t in text_nodes(item) if t not in title_text)
            if rest:
                day = listed_date(rest)
                if day:
                    break
        if day is None or item is None:
            continue
        parent = item.getparent()
        if parent is None:
            continue
        groups[parent].append((urljoin(base, href), link_title(a), day))
    if not groups:
        return []
    best = max(groups.values(), key=len)
    return best if len(best) >= 2 else []


_TIME_OF_DAY_RE = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}")


def first_date(lines: Iterable[str], tz: str) -> tuple[str | None, str | None]:
    """The first date among ``lines`` that carries a time-of-day or a date label, else the first date."""
    first: tuple[str | None, str | None] = (None, None)
    for line in lines:
        iso, raw = parse_date(line, tz)
        if not iso:
            continue
        if DATE_LABEL_RE.search(line) or _TIME_OF_DAY_RE.search(raw or ""):
            return iso, raw
        if first[0] is None:
            first = (iso, raw)
    return first
