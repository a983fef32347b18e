"""Related lists: the 相关附件 / 相关链接 / 相关解读 / 相关导读 lists of links a page prints with an article,
cut out of its body and turned into the article's ``related`` records (and, for documents, attachments).

A related-link record is ``{"kind", "title", "url"}``: the list's label (``None`` when it has none), the link's
title and its absolute URL.  The profile names the lists it knows (``related_css``); lists inside the body are
found by their label (rule ``related_blocks``).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from gdcac_crawler.extract.attachment_links import file_type, link_url
from gdcac_crawler.extract.dom import drop_tree, element_text, links_under
from gdcac_crawler.extract.rules import rule_on
from gdcac_crawler.extract.selector_index import select
from gdcac_crawler.extract.text import normalise_meta, normalise_space
from gdcac_crawler.extract.vocabulary import RELATED_LABEL_RE
from gdcac_crawler.profiles.base import Profile

#: What may stand between a list's label and its links, or between links, in a list made of nothing else.
_SEPARATORS_RE = re.compile(r"[\s:：|｜,，、;；.。·•\-—]+")


def _outside_links_text(el: etree._Element) -> str:
    """The text of ``el`` that is not inside a link (walked with a stack of its own, not by recursion: a
    deeply nested page must not exhaust Python's recursion limit)."""
    parts: list[str] = []
    # an element with whether it is inside a link, or a tail still to take (already known outside links)
    stack: list[tuple[etree._Element, bool] | str] = [(el, False)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, in_link = item
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        here = in_link or tag == "a"
        if tag is not None and node.text and not here:
            parts.append(node.text)
        for child in reversed(node):  # each child is taken before its tail, in document order
            if child.tail and not here:
                stack.append(child.tail)
            stack.append((child, here))
    return normalise_space("".join(parts))


def _only_label_and_links(el: etree._Element, label: str | None) -> bool:
    rest = _outside_links_text(el)
    if label and rest.startswith(label):
        rest = rest[len(label):]
    return not _SEPARATORS_RE.sub("", rest)


def _list_members(el: etree._Element, label: str, content: etree._Element) -> list[etree._Element]:
    """The elements of the related list that ``el`` (holding the label) opens: its largest ancestor under
    ``content`` that holds nothing but the label and links, then the link-only siblings that follow it."""
    head = el
    while True:
        parent = head.getparent()
        if parent is None or parent is content or not _only_label_and_links(parent, label):
            break
        head = parent
    members = [head]
    sibling = head.getnext()
    while sibling is not None and isinstance(sibling.tag, str) and _only_label_and_links(sibling, None):
        members.append(sibling)
        sibling = sibling.getnext()
    return members


def split_related_lists(content: etree._Element) -> list[tuple[str, list[etree._Element]]]:
    """Cut the 相关附件 / 相关链接 / 相关解读 / 相关导读 lists out of a body (rule ``related_blocks``).

    A list is an element whose own text starts with such a label and that holds nothing but the label and
    links (climbing to the largest such ancestor), plus the link-only siblings that follow it.  A list with
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
        members = _list_members(el, label, content)
        links = [a for member in members for a in links_under(member)]
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
        url = link_url(a, page_url)
        title = normalise_meta(a.get("title") or "") or element_text(a)
        if not url or not title or file_type(title, url) or RELATED_LABEL_RE.fullmatch(title.rstrip(":：")):
            continue
        out.append({"kind": label, "title": title, "url": url})
    return out


def profile_related(root: etree._Element, profile: Profile, page_url: str) -> list[dict[str, Any]]:
    """The related-link records of the lists the profile names (``related_css``), outermost lists only."""
    records: list[dict[str, Any]] = []
    seen: set[int] = set()
    if profile.related_css:
        for found in select(root, ", ".join(profile.related_css)):
            if id(found) in seen or any(id(a) in seen for a in found.iterancestors()):
                continue
            seen.add(id(found))
            m = RELATED_LABEL_RE.match(element_text(found))
            records += related_records(m.group(1) if m else None, list(found.iter("a")), page_url)
    return records
