"""Text from HTML, and the cleaning rules that keep boilerplate out of archived bodies.

Two halves, both pure:

* :func:`html_blocks` turns a body container into blocks in reading order: one text block per paragraph,
  heading, list item or table row (cells joined by `` | ``), and one image block per ``<img>``;
* :func:`clean_body_lines` decides which extracted lines are boilerplate — the site header, breadcrumbs,
  font-size, share and print widgets, footers, and image file names — and returns the body without them.
  Widget phrases are removed only as whole lines at the body's edges, so the same words inside prose stay.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from cssselect import HTMLTranslator
from lxml import etree
from lxml import html as lxml_html

BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table thead tbody tfoot tr section article aside blockquote "
    "pre center figure figcaption header footer nav form hr address main details summary caption".split()
)
SKIP_TAGS = frozenset("script style noscript template iframe object embed button input select textarea".split())
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())

_WS_RE = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u2009\u3000]+")
_ZW_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{2,6}|#x[0-9A-Fa-f]{2,5});")
_CENTER_RE = re.compile(r"text-align\s*:\s*center", re.I)
_TRANSLATOR = HTMLTranslator()
_FILENAME_RE = re.compile(r"^[^\s/\\]{1,120}\.(?:png|jpe?g|gif|bmp|webp|tiff?|svg)$", re.I)

#: Whole lines that are breadcrumbs, wherever they stand before the body.
BREADCRUMB_RE = re.compile(r"^(?:当前位置|您所在的位置|您现在的位置|所在位置)\s*[:：]")
#: Whole lines that are page widgets: font size, share, print, close, QR code.
WIDGET_RES = (
    re.compile(r"^【?\s*(?:字体|字号)\s*[:：]?\s*[\[【]?\s*大\s*[\]】]?\s*[\[【]?\s*中\s*[\]】]?\s*[\[【]?\s*小\s*[\]】]?\s*】?$"),
    re.compile(r"^(?:分享到|分享)\s*[:：]?.{0,20}$"),
    re.compile(r"^[【\[]?\s*(?:打印本页|打印文档|打印|关闭窗口|关闭本页|关闭|返回顶部|收藏)\s*[】\]]?"
               r"(?:\s*[|｜]?\s*[【\[]?\s*(?:打印本页|打印文档|打印|关闭窗口|关闭本页|关闭|返回顶部|收藏)\s*[】\]]?)*$"),
    re.compile(r"^扫一扫在手机(?:上)?打开当前页$"),
    re.compile(r"^(?:相关附件|相关链接|相关解读|相关导读|相关文章)\s*[:：]?$"),
)


def normalise_space(text: str) -> str:
    """Collapse runs of white space (no-break and ideographic spaces included) and strip zero-width marks."""
    return _WS_RE.sub(" ", _ZW_RE.sub("", text)).strip()


def decode_entities(text: str) -> str:
    """Decode entities left in text by double escaping (``&amp;ldquo;`` in the source shows ``&ldquo;``)."""
    if "&" not in text or not _ENTITY_RE.search(text):
        return text
    return html.unescape(text)


def is_file_name(text: str) -> bool:
    """Whether a line is an image file name (as CMSs print an image's ``alt``), e.g. ``微信图片_2022.png``."""
    return _FILENAME_RE.match(text) is not None


@dataclass
class Block:
    """One block of a body in reading order: text, or an image."""

    text: str = ""
    """The block's text (empty for an image)."""
    image: dict | None = None
    """For an image block: ``{"src", "alt"}`` as written in the page."""
    centred: bool = False
    """Whether the block is centred (captions usually are)."""
    heading: bool = False
    """Whether the block is a heading element."""


@dataclass
class _Walker:
    blocks: list[Block] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    centred: list[bool] = field(default_factory=lambda: [False])
    heading: bool = False

    def flush(self) -> None:
        text = normalise_space("".join(self.parts))
        self.parts.clear()
        if text:
            self.blocks.append(Block(text=text, centred=self.centred[-1], heading=self.heading))

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment or processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            self.flush()
            self.blocks.append(Block(image={"src": el.get("src") or "", "alt": el.get("alt") or ""},
                                     centred=self.centred[-1]))
            return
        if tag == "tr":
            self.flush()
            cells = [normalise_space(" ".join(_texts(c))) for c in el if isinstance(c.tag, str)
                     and c.tag.lower() in ("td", "th")]
            row = " | ".join(c for c in cells)
            if row.strip(" |"):
                self.blocks.append(Block(text=row))
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
            self.centred.append(self.centred[-1] or bool(_CENTER_RE.search(el.get("style") or ""))
                                or (el.get("align") or "").lower() == "center" or tag == "center")
            was_heading = self.heading
            self.heading = self.heading or tag in HEADING_TAGS
        if el.text:
            self.parts.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.parts.append(child.tail)
        if block:
            self.flush()
            self.centred.pop()
            self.heading = was_heading


def _texts(el: etree._Element) -> Iterable[str]:
    """Text nodes under ``el``, scripts and styles excepted."""
    for node in el.iter():
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        if tag in SKIP_TAGS:
            if node is not el and node.tail:
                yield node.tail
            continue
        if tag is not None and node.text:
            yield node.text
        if node is not el and node.tail:
            yield node.tail


def text_nodes(el: etree._Element) -> list[str]:
    """The non-blank text nodes under ``el`` (scripts and styles excepted), each normalised."""
    return [t for t in (normalise_space(x) for x in _texts(el)) if t]


def html_blocks(el: etree._Element) -> list[Block]:
    """The blocks of a body container, in reading order."""
    walker = _Walker()
    if el.text:
        walker.parts.append(el.text)
    for child in el:
        walker.walk(child)
        if child.tail:
            walker.parts.append(child.tail)
    walker.flush()
    return walker.blocks


def boilerplate_line(line: str, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = ()) -> bool:
    """Whether a whole line is page furniture rather than article text."""
    if BREADCRUMB_RE.match(line) or any(r.match(line) for r in WIDGET_RES):
        return True
    if line in header_lines:
        return True
    return any(line.startswith(m) for m in footer_markers)


def clean_body_lines(lines: list[str], *, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = (),
                     image_names: Iterable[str] = ()) -> list[str]:
    """The body's lines with boilerplate removed.

    * entities left by double escaping are decoded and white space normalised; empty lines go;
    * lines equal to an image's file name (or shaped like one) go wherever they stand;
    * header, breadcrumb, widget and footer lines go only from the leading and trailing runs of the body:
      the same words inside the article's prose are kept.
    """
    names = {n for n in image_names if n}
    out = []
    for raw in lines:
        line = normalise_space(decode_entities(raw))
        if not line or line in names or is_file_name(line):
            continue
        out.append(line)
    header = tuple(header_lines)
    footer = tuple(footer_markers)
    start, end = 0, len(out)
    while start < end and boilerplate_line(out[start], header, footer):
        start += 1
    while end > start and boilerplate_line(out[end - 1], header, footer):
        end -= 1
    return out[start:end]


def drop_html_blocks(body_html: str, dropped: set[str]) -> str:
    """Remove from ``body_html`` the text-only blocks whose whole text is one of the ``dropped`` lines."""
    if not body_html or not dropped:
        return body_html
    fragment = lxml_html.fragment_fromstring(body_html, create_parent="div")
    for el in list(fragment.iter()):
        if el is fragment or not isinstance(el.tag, str) or el.tag.lower() not in BLOCK_TAGS:
            continue
        if el.find(".//img") is not None:
            continue
        if normalise_space(decode_entities(el.text_content())) in dropped:
            parent = el.getparent()
            if parent is not None:
                if el.tail:
                    prev = el.getprevious()
                    if prev is not None:
                        prev.tail = (prev.tail or "") + el.tail
                    else:
                        parent.text = (parent.text or "") + el.tail
                parent.remove(el)
    inner = (fragment.text or "") + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in fragment
    )
    return inner.strip()


@lru_cache(maxsize=512)
def _compiled(css: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(css))


def select(el: etree._Element, css: str) -> list[etree._Element]:
    """The elements under ``el`` (itself included) matching the CSS selector ``css``.

    Selectors are compiled to XPath once and cached: extraction runs them on every page.
    """
    return _compiled(css)(el)
