"""The body walk: a body container's paragraphs in reading order.

One text paragraph per paragraph, heading, list item or table row (cells joined by `` | ``), and one image
paragraph per ``<img>``.  Text accumulates until a line-breaking element (or ``<br>``, rule ``paragraph_lines``)
ends a line; a centred or heading element passes that down to the lines inside it.  The rules
``paragraph_lines``, ``table_rows`` and ``empty_paragraphs`` of the cleaning catalogue shape the walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from gdcac_crawler.extract.dom import HEADING_TAGS, LINE_BREAKING_TAGS, SKIP_TAGS, iter_texts, text_content
from gdcac_crawler.extract.rules import rule_on
from gdcac_crawler.extract.text import normalise_space

_CENTER_RE = re.compile(r"text-align\s*:\s*center", re.I)


@dataclass
class Paragraph:
    """One paragraph of a body in reading order: text, or an image."""

    text: str = ""
    """The paragraph's text (empty for an image)."""
    image: dict | None = None
    """For an image: ``{"src", "alt"}`` as written in the page."""
    centred: bool = False
    """Whether the paragraph is centred (captions usually are)."""
    heading: bool = False
    """Whether the paragraph is a heading element."""


def paragraphs(el: etree._Element) -> list[Paragraph]:
    """The paragraphs of a body container, in reading order (one walk of the container)."""
    walk = _Walk()
    walk.run(el)
    walk.flush(False, False)
    return walk.found


class _LineEnd(NamedTuple):
    """The walk's task at the end of a line-breaking element: end its line."""

    tag: str
    centred: bool
    heading: bool
    before: int
    """How many paragraphs were found when the element began."""


_Task = str | tuple[etree._Element, bool, bool] | _LineEnd
"""What the walk's stack holds: a tail text to take, an element (centred, heading) to walk, a line's end."""


def _plain(el: etree._Element, special: frozenset[str]) -> bool:
    """Whether nothing under ``el`` needs more than its text taken: then its subtree's text is taken whole
    (lxml's text serialisation, in C) instead of element by element."""
    for node in el.iterdescendants():
        tag = node.tag
        if isinstance(tag, str):
            if tag.lower() in special:
                return False
        elif tag is not etree.Comment and tag is not etree.ProcessingInstruction:
            return False
    return True


class _Walk:
    """The state of one walk: the paragraphs found, and the text of the line being read."""

    __slots__ = ("found", "lines", "parts", "rows", "special")

    def __init__(self) -> None:
        self.lines = rule_on("paragraph_lines")  # off: the body runs together
        self.rows = rule_on("table_rows")  # a table row is one line, cells joined by " | "
        # The elements the walk does more with than take their text.
        self.special = (SKIP_TAGS | {"br", "img"} | ({"tr"} if self.rows else frozenset())
                        | (LINE_BREAKING_TAGS if self.lines else frozenset()))
        self.found: list[Paragraph] = []
        self.parts: list[str] = []

    def flush(self, centred: bool, heading: bool) -> bool:
        """End the line being read; whether it held text (and became a paragraph)."""
        parts = self.parts
        if not parts:  # a line-breaking element that starts right after another ends
            return False
        text = normalise_space("".join(parts))
        parts.clear()
        if text:
            self.found.append(Paragraph(text=text, centred=centred, heading=heading))
            return True
        return False

    def run(self, top: etree._Element) -> None:
        """Walk the elements under ``top`` in reading order, with a stack of its own rather than by recursion:
        a body of thousands of nested elements (Word's unclosed ``<font>`` and ``<span>``) must not exhaust
        Python's recursion limit."""
        parts = self.parts
        if top.text:
            parts.append(top.text)
        stack: list[_Task] = []
        _push_children(stack, top, False, False)
        while stack:
            task = stack.pop()
            if isinstance(task, str):
                parts.append(task)
            elif isinstance(task, _LineEnd):
                self.end_line(task)
            else:
                self.element(*task, stack)

    def element(self, el: etree._Element, centred: bool, heading: bool, stack: list[_Task]) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return
        if tag == "br":
            if self.lines:
                self.flush(centred, heading)
            return
        if tag == "img":
            self.flush(centred, heading)
            self.found.append(Paragraph(image={"src": el.get("src") or "", "alt": el.get("alt") or ""},
                                        centred=centred))
            return
        if tag == "tr" and self.rows:
            self.flush(centred, heading)
            self.row(el)
            return
        if self.lines and tag in LINE_BREAKING_TAGS:
            self.line(el, tag, centred, heading, stack)
        else:
            self.contents(el, centred, heading, stack)

    def row(self, el: etree._Element) -> None:
        cells = [normalise_space(" ".join(iter_texts(c))) for c in el if isinstance(c.tag, str)
                 and c.tag.lower() in ("td", "th")]
        row = " | ".join(cells)
        if row.strip(" |"):
            self.found.append(Paragraph(text=row))

    def line(self, el: etree._Element, tag: str, centred: bool, heading: bool, stack: list[_Task]) -> None:
        """A line-breaking element: the lines inside it, centred or headings as it is (its end is a task on
        the stack, under its contents)."""
        self.flush(centred, heading)
        if not centred:
            centred = (bool(_CENTER_RE.search(el.get("style") or "")) or (el.get("align") or "").lower() == "center"
                       or tag == "center")
        heading = heading or tag in HEADING_TAGS
        stack.append(_LineEnd(tag, centred, heading, len(self.found)))
        self.contents(el, centred, heading, stack)

    def end_line(self, end: _LineEnd) -> None:
        if not self.flush(end.centred, end.heading) and end.tag == "p" and len(self.found) == end.before:
            # an empty paragraph (&nbsp;, <br>): kept as an empty line for the empty_paragraphs rule
            self.found.append(Paragraph(text="", centred=end.centred))

    def contents(self, el: etree._Element, centred: bool, heading: bool, stack: list[_Task]) -> None:
        parts = self.parts
        if not len(el):
            if el.text:
                parts.append(el.text)
        elif _plain(el, self.special):
            parts.append(text_content(el))  # its text and its descendants' text and tails, comments' excepted
        else:
            if el.text:
                parts.append(el.text)
            _push_children(stack, el, centred, heading)


def _push_children(stack: list[_Task], el: etree._Element, centred: bool, heading: bool) -> None:
    """Push ``el``'s children, each above its tail, so that they are taken in document order."""
    for child in reversed(el):
        if child.tail:
            stack.append(child.tail)
        stack.append((child, centred, heading))
