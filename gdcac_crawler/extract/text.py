"""Text from HTML, and the cleaning rules that keep boilerplate out of archived bodies.

Two halves, both pure:

* :func:`html_blocks` turns a body container into blocks in reading order: one text block per paragraph,
  heading, list item or table row (cells joined by `` | ``), and one image block per ``<img>``;
* :func:`clean_body_lines` decides which extracted lines are boilerplate — the site header, breadcrumbs,
  font-size, share and print widgets, footers, and image file names — and returns the body without them.
  Widget phrases are removed only as whole lines at the body's edges, so the same words inside prose stay.

Every rule has a name in :data:`RULES` (the cleaning catalogue).  :func:`rules_disabled` switches rules off
for the code it wraps: the tests prove each rule by running it on a saved page with and without it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import cssselect
import cssselect.parser
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

#: The cleaning catalogue: every rule by name, with what it does.  Each has a test on a saved page that
#: fails with the rule switched off (tests/test_extract_cleaning.py).
RULES: dict[str, str] = {
    "breadcrumb": "breadcrumb lines (当前位置 / 您所在的位置 / 首页 > … > …), printed once or more, before the body",
    "site_header": "the site header's lines (the profile's header_lines) at the body's edges",
    "site_footer": "footer lines (主办单位, 版权所有, 网站标识码, ICP …) at the body's edges",
    "font_size_widget": "【字体：大 中 小】 / 【字号：大 中 小】 / 字体：[大][中][小] as whole lines at the edges",
    "page_widgets": "分享到 / 打印本页 / 关闭窗口 / 扫一扫在手机打开当前页 as whole lines at the edges (kept in prose)",
    "related_blocks": "相关附件 / 相关链接 / 相关解读 / 相关导读 blocks moved out of the body into attachments and related",
    "filename_images": "images whose alt is a file name become image records with captions; the name leaves the text",
    "double_escaped_entities": "entities left by double escaping (&amp;ldquo; shows &ldquo;) decoded",
    "metadata_spaces": "zero-width, no-break and ideographic spaces normalised in metadata (title, source, labels)",
    "empty_paragraphs": "paragraphs with no text (&nbsp;, <br>) dropped",
    "paragraph_lines": "the body's structure: one paragraph, heading or list item per line, <br> a line break",
    "table_rows": "tables kept readable: one row per line, cells joined by ' | '",
    "editor_line": "a closing （责任编辑：…） line leaves the body (the name goes to the editor field)",
}
_DISABLED: ContextVar[frozenset[str]] = ContextVar("gdcac_disabled_rules", default=frozenset())


def rule_on(name: str) -> bool:
    """Whether the cleaning rule ``name`` is in force (all are, unless :func:`rules_disabled` says not)."""
    return name not in _DISABLED.get()


@contextmanager
def rules_disabled(*names: str) -> Iterator[None]:
    """Switch the named cleaning rules off for the code in the ``with`` block (for tests and debugging)."""
    unknown = set(names) - set(RULES)
    if unknown:
        raise KeyError(f"no cleaning rule named {', '.join(sorted(unknown))}")
    token = _DISABLED.set(_DISABLED.get() | frozenset(names))
    try:
        yield
    finally:
        _DISABLED.reset(token)


#: Whole lines that are breadcrumbs, wherever they stand before the body: labelled, or a bare trail of
#: names from the home page (``首页 > 政策法规 > 政策解读``).
BREADCRUMB_RE = re.compile(r"^(?:当前位置|您所在的位置|您现在的位置|所在位置|当前所在位置)\s*[:：]")
BARE_CRUMB_RE = re.compile(r"^(?:首页|网站首页|主页)\s*(?:[>›»＞→]\s*[^>›»＞→]{1,30}\s*){1,6}$")
FONT_WIDGET_RE = re.compile(
    r"^【?\s*(?:字体|字号)\s*[:：]?\s*[\[【(（]?\s*大\s*[\]】)）]?\s*[\[【(（]?\s*中\s*[\]】)）]?\s*"
    r"[\[【(（]?\s*小\s*[\]】)）]?\s*】?$")
#: The words a widget line is made of; a line made of nothing else (and separators) is a widget line.
_WIDGET_WORDS = (
    "扫一扫在手机上打开当前页", "扫一扫在手机打开当前页", "分享到", "分享", "打印本页", "打印文档", "打印此页", "打印",
    "关闭窗口", "关闭本页", "关闭", "返回顶部", "收藏本页", "收藏", "微信", "微博", "新浪微博", "腾讯微博", "QQ空间",
    "QQ好友", "QQ", "朋友圈", "人人网", "豆瓣", "复制链接", "更多",
)
_WIDGET_LINE_RE = re.compile(
    r"^(?:[\s【】\[\]|｜:：,，、()（）+]*(?:" + "|".join(map(re.escape, _WIDGET_WORDS)) + r"))+[\s【】\[\]|｜:：,，、()（）+]*$"
)
#: Labels of the blocks that list attachments or related links (moved out of the body into fields).
RELATED_LABEL_RE = re.compile(r"^(相关附件|附件下载|相关链接|相关解读|相关导读|相关文章|相关阅读|相关新闻|附件)\s*[:：]?")
#: A related-links label standing alone on a line (its links moved out of the body).
_RELATED_LABEL_LINE_RE = re.compile(r"^(?:相关附件|相关链接|相关解读|相关导读|相关文章)\s*[:：]?$")


#: What makes :func:`normalise_space` differ from ``" ".join(text.split())``: zero-width marks, and the white
#: space that ``str.split`` splits on but :data:`_WS_RE` does not collapse.
_SPLIT_DIFFERS_RE = re.compile("[\x1c-\x1f\x85\u1680\u2000\u2001\u2004-\u2008\u200a-\u200d\u2028\u2029\u202f"
                               "\u205f\u2060\ufeff]")


def normalise_space(text: str) -> str:
    """Collapse runs of white space (no-break and ideographic spaces included) and strip zero-width marks."""
    if _SPLIT_DIFFERS_RE.search(text) is None:
        return " ".join(text.split())  # the same, for text without those (nearly all): one C pass, no regex
    return _WS_RE.sub(" ", _ZW_RE.sub("", text)).strip()


def normalise_meta(text: str | None) -> str | None:
    """A metadata value (title, source, author, labels) with zero-width marks gone and no-break, ideographic
    and other white space collapsed to one space (rule ``metadata_spaces``); ``None`` stays ``None``."""
    if text is None:
        return None
    if not rule_on("metadata_spaces"):
        return text.strip(" \t\r\n")
    return normalise_space(text)


def decode_entities(text: str) -> str:
    """Decode entities left in text by double escaping (``&amp;ldquo;`` in the source shows ``&ldquo;``)."""
    if "&" not in text or not _ENTITY_RE.search(text) or not rule_on("double_escaped_entities"):
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


def raw_text_nodes(el: etree._Element) -> list[str]:
    """The text nodes under ``el`` that hold more than white space, trimmed of ASCII white space only (for
    metadata, which :func:`normalise_meta` normalises under its rule)."""
    return [t.strip(" \t\r\n") for t in _texts(el) if t.strip()]


def text_nodes(el: etree._Element) -> list[str]:
    """The non-blank text nodes under ``el`` (scripts and styles excepted), each normalised."""
    return [t for t in (normalise_space(x) for x in _texts(el)) if t]


def link_title(a: etree._Element) -> str:
    """A link's title: its ``title`` attribute, else its text, normalised."""
    return normalise_space(a.get("title") or " ".join(text_nodes(a)))


def html_blocks(el: etree._Element) -> list[Block]:
    """The blocks of a body container, in reading order.

    One walk of the container: text accumulates until a block element (or ``<br>``, rule ``paragraph_lines``)
    ends a line; a centred or heading block passes that down to the lines inside it.
    """
    lines = rule_on("paragraph_lines")  # off: the body runs together
    rows = rule_on("table_rows")  # a table row is one line, cells joined by " | "
    blocks: list[Block] = []
    parts: list[str] = []
    append = parts.append
    # The elements the walk does more with than take their text: under none of them, a subtree's text is
    # taken whole (lxml's itertext, in C) instead of element by element.
    special = SKIP_TAGS | {"br", "img"} | ({"tr"} if rows else frozenset()) | (BLOCK_TAGS if lines else frozenset())

    def plain(el: etree._Element) -> bool:
        for node in el.iterdescendants():
            tag = node.tag
            if isinstance(tag, str):
                if tag.lower() in special:
                    return False
            elif tag is not etree.Comment and tag is not etree.ProcessingInstruction:
                return False
        return True

    def flush(centred: bool, heading: bool) -> bool:
        if not parts:  # a block that starts right after another ends
            return False
        text = normalise_space("".join(parts))
        parts.clear()
        if text:
            blocks.append(Block(text=text, centred=centred, heading=heading))
            return True
        return False

    def walk(el: etree._Element, centred: bool, heading: bool) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment or processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return
        if tag == "br":
            if lines:
                flush(centred, heading)
            return
        if tag == "img":
            flush(centred, heading)
            blocks.append(Block(image={"src": el.get("src") or "", "alt": el.get("alt") or ""}, centred=centred))
            return
        if tag == "tr" and rows:
            flush(centred, heading)
            cells = [normalise_space(" ".join(_texts(c))) for c in el if isinstance(c.tag, str)
                     and c.tag.lower() in ("td", "th")]
            row = " | ".join(cells)
            if row.strip(" |"):
                blocks.append(Block(text=row))
            return
        block = lines and tag in BLOCK_TAGS
        if block:
            flush(centred, heading)
            if not centred:
                centred = (bool(_CENTER_RE.search(el.get("style") or "")) or (el.get("align") or "").lower() == "center"
                           or tag == "center")
            heading = heading or tag in HEADING_TAGS
            before = len(blocks)
        if not len(el):
            if el.text:
                append(el.text)
        elif plain(el):
            append(text_content(el))  # its text and its descendants' text and tails, comments' excepted
        else:
            if el.text:
                append(el.text)
            for child in el:
                walk(child, centred, heading)
                tail = child.tail
                if tail:
                    append(tail)
        if block and not flush(centred, heading) and tag == "p" and len(blocks) == before:
            # an empty paragraph (&nbsp;, <br>): kept as an empty line for the empty_paragraphs rule
            blocks.append(Block(text="", centred=centred))

    if el.text:
        append(el.text)
    for child in el:
        walk(child, False, False)
        if child.tail:
            append(child.tail)
    flush(False, False)
    return blocks


def boilerplate_line(line: str, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = (),
                     phrases: Iterable[str] = ()) -> bool:
    """Whether a whole line is page furniture rather than article text (each kind subject to its rule)."""
    if rule_on("breadcrumb") and (BREADCRUMB_RE.match(line) or BARE_CRUMB_RE.match(line)):
        return True
    if rule_on("font_size_widget") and FONT_WIDGET_RE.match(line):
        return True
    if rule_on("page_widgets") and (_WIDGET_LINE_RE.match(line) or _RELATED_LABEL_LINE_RE.match(line)
                                    or line in phrases):
        return True
    if rule_on("site_header") and line in header_lines:
        return True
    return rule_on("site_footer") and any(line.startswith(m) for m in footer_markers)


def clean_body_lines(lines: list[str], *, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = (),
                     image_names: Iterable[str] = (), phrases: Iterable[str] = ()) -> list[str]:
    """The body's lines with boilerplate removed.

    * entities left by double escaping are decoded and white space normalised; empty lines go;
    * lines equal to an image's file name (or shaped like one) go wherever they stand;
    * header, breadcrumb, widget and footer lines (and the profile's own boilerplate ``phrases``) go only
      from the leading and trailing runs of the body: the same words inside the article's prose are kept.
    """
    return clean_normalised_lines([normalise_space(decode_entities(raw)) for raw in lines], header_lines=header_lines,
                                  footer_markers=footer_markers, image_names=image_names, phrases=phrases)


def clean_normalised_lines(lines: list[str], *, header_lines: Iterable[str], footer_markers: Iterable[str],
                           image_names: Iterable[str], phrases: Iterable[str]) -> list[str]:
    """:func:`clean_body_lines` of lines already decoded and normalised."""
    drop_files = rule_on("filename_images")
    names = {n for n in image_names if n} if drop_files else set()
    drop_empty = rule_on("empty_paragraphs")
    out = []
    for line in lines:
        if not line:
            if drop_empty:
                continue
        elif line in names or (drop_files and is_file_name(line)):
            continue
        out.append(line)
    header = tuple(header_lines)
    footer = tuple(footer_markers)
    extra = frozenset(phrases)
    start, end = 0, len(out)
    while start < end and boilerplate_line(out[start], header, footer, extra):
        start += 1
    while end > start and boilerplate_line(out[end - 1], header, footer, extra):
        end -= 1
    return out[start:end]


def parse_html(text: str) -> etree._Element:
    """The document of an HTML page's text, parsed exactly as parsel (hence ``response.selector``) parses it —
    the same libxml2 parser and options on the same bytes — but into plain lxml elements: ``lxml.html``'s
    element classes are looked up in Python for every element the code touches, which costs more than the
    parse itself on a small page.  Use :func:`drop_tree` and :func:`text_content` for what those classes add.
    """
    body = text.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body, parser=parser)
    if root is None:  # nothing but white space or a comment
        root = etree.fromstring(b"<html/>", parser=parser)
    return root


def drop_tree(el: etree._Element) -> None:
    """Remove ``el`` and its subtree from its parent, keeping its tail text (``lxml.html``'s ``drop_tree``)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def text_content(el: etree._Element) -> str:
    """All the text under ``el``, tails included, comments excepted (``lxml.html``'s ``text_content``): libxml2
    gathers it in one call, several times faster than joining ``itertext()``."""
    return etree.tostring(el, method="text", encoding="unicode", with_tail=False)


_FULL_HTML_RE = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_META_CONTENT_TYPE_RE = re.compile(r'<meta http-equiv="Content-Type"[^>]*>')


def drop_html_blocks(body_html: str, dropped: set[str]) -> str:
    """Remove from ``body_html`` the text-only blocks whose whole text is one of the ``dropped`` lines."""
    if not body_html or not dropped:
        return body_html
    if _FULL_HTML_RE.match(body_html):
        return _drop_html_blocks_lxml_html(body_html, dropped)
    # What lxml.html's fragment_fromstring(create_parent="div") parses, in plain lxml elements (see
    # parse_html): the fragment wrapped in <html><body>, the body standing in for the created <div>.
    doc = etree.fromstring(f"<html><body>{body_html}</body></html>", etree.HTMLParser())
    bodies = [child for child in doc if child.tag == "body"]
    if len(bodies) != 1 or bodies[0].attrib:
        return _drop_html_blocks_lxml_html(body_html, dropped)
    fragment = bodies[0]
    for el in list(fragment.iter(*BLOCK_TAGS)):
        if el is fragment:
            continue
        if normalise_space(decode_entities(text_content(el))) not in dropped or el.getparent() is None:
            continue
        if next(el.iter("img"), None) is None:
            drop_tree(el)  # keeps its tail text
    text = fragment.text if fragment.text and fragment.text.strip() else ""
    fragment.text = None
    inner = etree.tostring(fragment, method="html", encoding="unicode")
    if not (inner.startswith("<body>") and inner.endswith("</body>")):
        return _drop_html_blocks_lxml_html(body_html, dropped)
    inner = inner[len("<body>"):-len("</body>")]
    if "<meta" in inner:
        inner = _META_CONTENT_TYPE_RE.sub("", inner)
    return (text + inner).strip()


def _drop_html_blocks_lxml_html(body_html: str, dropped: set[str]) -> str:
    fragment = lxml_html.fragment_fromstring(body_html, create_parent="div")
    for el in list(fragment.iter()):
        if el is fragment or not isinstance(el.tag, str) or el.tag.lower() not in BLOCK_TAGS:
            continue
        if el.find(".//img") is not None:
            continue
        if el.getparent() is not None and normalise_space(decode_entities(el.text_content())) in dropped:
            el.drop_tree()  # keeps its tail text
    inner = (fragment.text or "") + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in fragment
    )
    return inner.strip()


@lru_cache(maxsize=512)
def _compiled(css: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(css))


#: A compound selector as ``(tag, id, classes)``: ``h1.title`` → ``("h1", None, ("title",))``.
_Compound = tuple[str | None, str | None, tuple[str, ...]]


def _compound(tree: object) -> _Compound | None:
    id_, classes = None, []
    while True:
        if isinstance(tree, cssselect.parser.Class):
            classes.append(tree.class_name)
            tree = tree.selector
        elif isinstance(tree, cssselect.parser.Hash) and id_ is None:
            id_ = tree.id
            tree = tree.selector
        elif isinstance(tree, cssselect.parser.Element) and tree.namespace is None:
            tag = None if tree.element in (None, "*") else tree.element.lower()
            break
        else:
            return None
    if tag is None and id_ is None and not classes:
        return None
    return tag, id_, tuple(classes)


@lru_cache(maxsize=512)
def _simple_parts(css: str) -> tuple[tuple[_Compound, ...], ...] | None:
    """``css`` per comma-separated part as its compound selectors (``(tag, id, classes)``), one, or two joined
    by a descendant combinator, when every part is that simple (``h1.title``, ``#content1``, ``div.a.b``,
    ``.fjlis a``), else ``None``: such selectors can be answered from an element index."""
    try:
        selectors = cssselect.parse(css)
    except cssselect.SelectorError:
        return None
    parts = []
    for selector in selectors:
        if selector.pseudo_element:
            return None
        tree = selector.parsed_tree
        if isinstance(tree, cssselect.parser.CombinedSelector):
            if tree.combinator != " ":
                return None
            chain = (_compound(tree.selector), _compound(tree.subselector))
        else:
            chain = (_compound(tree),)
        if any(c is None for c in chain):
            return None
        parts.append(chain)
    return tuple(parts)


@lru_cache(maxsize=128)
def _wanted(css_list: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The ids and classes that the simple selectors among ``css_list`` look up first."""
    ids: set[str] = set()
    classes: set[str] = set()
    for css in css_list:
        for chain in (_simple_parts(css) or ()) if css else ():
            _, ident, names = chain[0]
            if ident is not None:
                ids.add(ident)
            elif names:
                classes.add(names[0])
    return frozenset(ids), frozenset(classes)


def _matches(el: etree._Element, compound: _Compound) -> bool:
    tag, ident, classes = compound
    if tag is not None and el.tag != tag:
        return False
    if ident is not None and el.get("id") != ident:
        return False
    return not classes or set(classes) <= set((el.get("class") or "").split())


class _Index:
    """The elements of one parsed page that carry the ids and classes a profile's selectors ask for, with
    their positions in document order, found in a single pass.

    An XPath evaluation visits the whole page whatever it finds (tens to hundreds of microseconds); extraction
    asks a page a dozen questions, most of them ``#id``, ``tag.class`` or ``.class tag``, which the index
    answers by lookup.  ``wanted`` (ids, classes) limits what is recorded; ``None`` records every id and class.
    A selector that needs anything not recorded is not answered here (``None``): XPath answers it.
    """

    def __init__(self, root: etree._Element,
                 wanted: tuple[frozenset[str], frozenset[str]] | None = None) -> None:
        self.root = root
        self.wanted = wanted
        self.position: dict[etree._Element, int] = {}
        self.by_id: dict[str, list[etree._Element]] = {}
        self.by_class: dict[str, list[etree._Element]] = {}
        if wanted is not None and not (wanted[0] or wanted[1]):
            return  # nothing to look up (the generic profile has no selectors)
        ids, names = wanted if wanted is not None else (None, None)
        position, by_id, by_class = self.position, self.by_id, self.by_class
        for n, el in enumerate(root.iter(etree.Element)):
            ident = el.get("id")
            if ident and (ids is None or ident in ids):
                by_id.setdefault(ident, []).append(el)
                position[el] = n
            classes = el.get("class")
            if classes:
                for token in set(classes.split()):
                    if names is None or token in names:
                        by_class.setdefault(token, []).append(el)
                        position[el] = n

    def _first(self, compound: _Compound) -> list[etree._Element] | None:
        _, ident, classes = compound
        if ident is not None:
            if self.wanted is not None and ident not in self.wanted[0]:
                return None
            candidates = self.by_id.get(ident, [])
        elif classes:
            if self.wanted is not None and classes[0] not in self.wanted[1]:
                return None
            candidates = self.by_class.get(classes[0], [])
        else:
            return None
        return [el for el in candidates if _matches(el, compound)]

    def select(self, css: str) -> list[etree._Element] | None:
        """The matches of a simple selector in document order; ``None`` when the index cannot answer it."""
        parts = _simple_parts(css)
        if parts is None:
            return None
        if len(parts) == 1 and len(parts[0]) == 1 and parts[0][0][1] is None and not parts[0][0][2]:
            return list(self.root.iter(parts[0][0][0]))  # a bare tag: libxml2 walks the tree for it
        found: dict[int, etree._Element] = {}
        for chain in parts:
            first = self._first(chain[0])
            if first is None:
                return None
            if len(chain) == 1:
                if len(parts) == 1:
                    return first
                for el in first:
                    found[self.position[el]] = el
                continue
            # ``A B``: the B elements under each A; a subtree's elements hold consecutive positions, so the
            # k-th element of A's own walk stands at A's position + k.
            inner = chain[1]
            for ancestor in first:
                start = self.position[ancestor]
                for k, el in enumerate(ancestor.iter(etree.Element)):
                    if k and _matches(el, inner):
                        found[start + k] = el
        return [found[n] for n in sorted(found)]


_INDEX: ContextVar[_Index | None] = ContextVar("gdcac_select_index", default=None)


@contextmanager
def indexed(root: etree._Element, css: Iterable[str] | None = None) -> Iterator[None]:
    """Within the block, :func:`select` on ``root`` answers simple selectors from an index of the page.

    ``css`` names the selectors the block will ask (a profile's), so that only their ids and classes are
    recorded; ``None`` records all.  The page must not change inside the block (the index would go stale);
    copies of its parts may.
    """
    wanted = None if css is None else _wanted(tuple(css))
    token = _INDEX.set(_Index(root, wanted))
    try:
        yield
    finally:
        _INDEX.reset(token)


def select(el: etree._Element, css: str) -> list[etree._Element]:
    """The elements under ``el`` (itself included) matching the CSS selector ``css`` (none for ``""``).

    Selectors are compiled to XPath once and cached: extraction runs them on every page.  Inside
    :func:`indexed`, simple selectors on the indexed page are answered from its index instead.
    """
    if not css:
        return []
    index = _INDEX.get()
    if index is not None and el is index.root:
        found = index.select(css)
        if found is not None:
            return found
    return _compiled(css)(el)
