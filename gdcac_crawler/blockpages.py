"""Block and challenge pages and junk answers, recognised by their shape as well as by status.

Government portals answer crawlers with pages that are not what was asked for: a WAF block page served
with HTTP 200 (Knownsec 创宇盾: 您的IP最近有可疑的攻击行为), a 403 maintenance page (系统正在维护中),
JavaScript challenges (瑞数: HTTP 412 with an inline ``$_ts`` script; 加速乐: HTTP 521 setting the
``__jsl_clearance`` cookie by script), empty bodies and binary files labelled text/html.  None of them may
reach the archive as an article — and no article may be taken for one: a real article titled 创宇盾… or a
short notice that says 系统正在维护中 is still an article.

So a page is a block page only when several signals agree (:func:`block_signals`, :data:`BLOCK_SCORE`):

* **what it says it is** — at least one is needed: a vendor's challenge script (``$_ts``, ``__jsl_clearance``,
  a cookie-then-reload script), a vendor's markup (Knownsec's ``ks-waf-error.png``, 云锁's ``yunsuologo``,
  安全狗's ``safedogsite`` images…), or a block or maintenance phrase;
* **its status** — 403, 412, 521 (and 503 for maintenance) are block answers;
* **its shape** — a block page is short, has no paragraph of prose, no way on (no links), no assets of the
  site's template (stylesheets, images), and often echoes the client's IP address or an incident id; an
  article page has a body of prose, the site's navigation, and a publication date.

A phrase alone is worth less than the threshold, so an article that merely names the vendor or the phrase is
never a block page, whatever its length.  These functions are pure: bytes and headers in, a verdict out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: Phrases of block and maintenance pages (regular expressions on the page's text), each with its kind.
BLOCK_PHRASES: tuple[tuple[str, str], ...] = (
    (r"可疑的攻击行为|疑似黑客攻击|创宇盾|知道创宇云安全|网站防火墙|安全狗|云锁", "waf_block"),
    (r"访问被(?:拦截|阻断)|已被\S{0,10}拦截|不合法参数|非法请求|请求被拒绝", "waf_block"),
    (r"系统正在维护|网站维护中|系统维护中|正在升级维护", "maintenance"),
)
_PHRASE_RES = tuple((re.compile(pattern), kind) for pattern, kind in BLOCK_PHRASES)
#: Vendors' markup of block pages (in tags, attributes and URLs, not in the text): ``(pattern, name)``.
VENDOR_MARKUP: tuple[tuple[bytes, str], ...] = (
    (rb"/ks[-_]waf[-_]error\.png", "Knownsec KS-WAF image"),
    (rb"class=[\"']?yunsuologo", "云锁 logo"),
    (rb"safedogsite/|404\.safedog\.cn", "安全狗 images"),
    (rb"waf\.tencent(?:-cloud)?\.com/50\dpage", "Tencent WAF page"),
    (rb"errors\.aliyun\.com|aliyun_waf_", "Aliyun WAF markup"),
    (rb"static\.jiasule\.com/static/js/http_error\.js|notice-jiasule", "加速乐 error page"),
    (rb"zhuji\.360\.cn/guard/firewall|safe\.webscan\.360\.cn/stopattack", "360 网站卫士 page"),
)
_VENDOR_RES = tuple((re.compile(pattern, re.I), name) for pattern, name in VENDOR_MARKUP)
_SCRIPT_RE = re.compile(rb"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)
_TS_RE = re.compile(rb"\$_ts\s*=|\$_ts\.(?:nsd|cd)\b")
_JSL_RE = re.compile(rb"__jsl_clearance")
_COOKIE_RELOAD_RE = re.compile(rb"document\.cookie\s*=.{0,400}location\.(?:href|reload|replace)", re.S)
_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)
_HIDDEN_RE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_BLOCK_TAG_RE = re.compile(r"<(?:/?(?:p|div|br|li|ul|ol|dl|dd|dt|td|th|tr|table|tbody|h[1-6]|section|article|header|"
                           r"footer|nav|center|form|title|head|body|html|main|aside|pre|blockquote)|hr)\b[^>]*>", re.I)
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_LINK_RE = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?(?!#|javascript:)[^\s\"'>]", re.I)
_ASSET_RE = re.compile(r"<link\b[^>]*\bstylesheet|<img\b", re.I)
_DATE_RE = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*[01]?\d\s*[-/.月]\s*[0-3]?\d")
_IP_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_INCIDENT_RE = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{16,}(?![0-9A-Za-z])")
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
#: HTTP statuses of block and challenge answers (maintenance 403, 瑞数 412, 加速乐 521).
BLOCK_STATUSES = (403, 412, 521)
#: How many bytes of a page are looked at: a block page is far shorter.
HEAD_BYTES = 65536
#: A block page shows at most this many characters of text.
SHORT_CHARS = 600
#: A paragraph of at least this many characters is prose: an article's body, never a block page's message.
PROSE_CHARS = 120
#: A page with at least this many links has the site's navigation around it.
FURNITURE_LINKS = 5
#: The score a page needs to be a block page; a phrase alone (2) never reaches it.
BLOCK_SCORE = 5


@dataclass(frozen=True)
class Verdict:
    """Why an answer is not a page to archive."""

    kind: str
    """``waf_block``, ``maintenance``, ``challenge`` (blocks: the site refuses us for now), or ``empty``,
    ``binary``, ``not_html`` (refusals: the answer is not a page)."""
    reason: str
    """One line for the pages row and the log."""

    @property
    def blocked(self) -> bool:
        """Whether the site is refusing the crawler (back off and mark the run unhealthy)."""
        return self.kind in ("waf_block", "maintenance", "challenge")


@dataclass(frozen=True)
class PageShape:
    """What a page looks like, whatever it says: how much text, the longest paragraph, links, assets."""

    title: str
    text: str
    """The visible text, one block (paragraph, cell, heading) per line."""
    longest: int
    """Characters of the longest block."""
    links: int
    assets: int
    """Stylesheets and images of the site's template."""

    @property
    def chars(self) -> int:
        return len(self.text) - self.text.count("\n")


def decode_head(body: bytes) -> str:
    """The first :data:`HEAD_BYTES` of a page as text: UTF-8 if they are, else GB18030 (the portals' two)."""
    head = body[:HEAD_BYTES]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3 and len(head) == HEAD_BYTES:  # a character cut at the end of the head
            return head[:error.start].decode("utf-8", "replace")
        return head.decode("gb18030", "replace")


def page_shape(body: bytes) -> PageShape:
    """The shape of a page's head (scripts, styles and comments are not text)."""
    page = decode_head(body)
    title = _TITLE_RE.search(page)
    visible = _HIDDEN_RE.sub(" ", page)
    blocks = (_SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub("", block))).strip()
              for block in _BLOCK_TAG_RE.split(visible))
    lines = [block for block in blocks if block]
    return PageShape(
        title=_SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub("", title.group(1)))).strip() if title else "",
        text="\n".join(lines), longest=max(map(len, lines), default=0),
        links=len(_LINK_RE.findall(visible)), assets=len(_ASSET_RE.findall(visible)),
    )


def _claims(status: int, head: bytes) -> tuple[list[tuple[int, str]], str | None]:
    """The signals of what a page says it is — challenge scripts, vendor markup — and the challenge's name."""
    scripts = b"\n".join(_SCRIPT_RE.findall(head))
    signals: list[tuple[int, str]] = []
    challenge = None
    if _TS_RE.search(scripts):
        signals.append((3, "瑞数 $_ts script"))
        challenge = "瑞数 JavaScript challenge"
    if _JSL_RE.search(scripts):
        signals.append((3, "加速乐 __jsl_clearance script"))
        challenge = "加速乐 JavaScript challenge"
    if challenge is None and len(head) < 4096 and _COOKIE_RELOAD_RE.search(scripts):
        signals.append((2, "cookie-setting reload script"))
        challenge = "JavaScript cookie challenge"
    for pattern, name in _VENDOR_RES:
        if pattern.search(head):
            signals.append((3, name))
            break
    return signals, challenge


def block_signals(status: int, body: bytes) -> tuple[int, list[str], str | None]:
    """``(score, signals, kind)`` of a page: the sum of the signals' weights, their names (a negative weight is
    shown as such), and the kind it would be (``None``: nothing claims it is a block page)."""
    head = body[:HEAD_BYTES]
    signals, challenge = _claims(status, head)
    kind = "challenge" if challenge else ("waf_block" if signals else None)
    shape = page_shape(head)
    for pattern, phrase_kind in _PHRASE_RES:
        found = pattern.search(shape.title) or pattern.search(shape.text)
        if found:
            signals.append((2, f"phrase {found.group(0)}"))
            kind = kind or phrase_kind
            break
    if kind is None:
        return 0, [], None
    if status in BLOCK_STATUSES or (status == 503 and kind == "maintenance"):
        signals.append((2, f"HTTP {status}"))
    signals.extend(_shape_signals(shape))
    return sum(weight for weight, _ in signals), [name if w > 0 else f"{name} ({w})" for w, name in signals], kind


def _shape_signals(shape: PageShape) -> list[tuple[int, str]]:
    """The signals of a page's shape: for a block page (short, no prose, no way on, self-contained, the
    client's IP or an incident id echoed) and against it (prose, the site's navigation, a date beside the title)."""
    signals: list[tuple[int, str]] = []
    if shape.longest >= PROSE_CHARS:
        signals.append((-4, "a paragraph of prose"))
    else:
        signals.append((1, "no prose"))
        if shape.chars <= SHORT_CHARS:
            signals.append((1, f"short ({shape.chars} characters)"))
    if shape.links >= FURNITURE_LINKS:
        signals.append((-2, f"{shape.links} links"))
    elif shape.links <= 1:
        signals.append((1, "no links"))
    if not shape.assets:
        signals.append((1, "no stylesheet or image"))
    if _IP_RE.search(shape.text):
        signals.append((1, "an IP address"))
    if _INCIDENT_RE.search(shape.text):
        signals.append((1, "an incident id"))
    if _DATE_RE.search(shape.text):
        signals.append((-2, "a date"))
    return signals


def detect_block(status: int, body: bytes) -> Verdict | None:
    """A block or challenge page, whatever its status; ``None`` for anything else (see the module's doc)."""
    score, signals, kind = block_signals(status, body)
    if kind is None or score < BLOCK_SCORE:
        return None
    what = {"challenge": "JavaScript challenge", "maintenance": "maintenance page"}.get(kind, "WAF block page")
    return Verdict(kind, f"{what} (HTTP {status}; score {score}: {', '.join(signals)})")


def detect_junk(content_type: str | None, body: bytes) -> Verdict | None:
    """An answer that is not an HTML page at all: empty, binary, or of another media type."""
    if not body.strip():
        return Verdict("empty", "empty body")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and media not in _HTML_TYPES:
        return Verdict("not_html", f"not an HTML page: Content-Type {media}")
    sample = body[:4096]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > len(sample) // 20:  # a stray NUL in a page's title is no binary body: a share of them is
        return Verdict("binary", f"binary body served as {media or 'no type'}")
    return None
