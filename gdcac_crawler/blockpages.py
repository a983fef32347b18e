"""Block and challenge pages and junk answers, recognised by content as well as by status.

Government portals answer crawlers with pages that are not what was asked for: a WAF block page served
with HTTP 200 (Knownsec 创宇盾: 您的IP最近有可疑的攻击行为), a 403 maintenance page (系统正在维护中),
JavaScript challenges (瑞数: HTTP 412 with an inline ``$_ts`` script; 加速乐: HTTP 521 setting the
``__jsl_clearance`` cookie by script), empty bodies and binary files labelled text/html.  None of them may
reach the archive as an article.  These functions are pure: bytes and headers in, a verdict out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Phrases of block pages, each with the kind it signals.  Matched in UTF-8 and in GBK bytes.
BLOCK_PHRASES: tuple[tuple[str, str], ...] = (
    ("您的IP最近有可疑的攻击行为", "waf_block"),
    ("创宇盾", "waf_block"),
    ("知道创宇云安全", "waf_block"),
    ("访问被拦截", "waf_block"),
    ("系统正在维护中", "maintenance"),
    ("网站维护中", "maintenance"),
)
_PHRASE_BYTES = tuple(
    (phrase.encode(encoding), kind) for phrase, kind in BLOCK_PHRASES for encoding in ("utf-8", "gb18030")
)
_TS_RE = re.compile(rb"\$_ts\s*=|\$_ts\.(?:nsd|cd)\b")
_JSL_RE = re.compile(rb"__jsl_clearance")
_COOKIE_RELOAD_RE = re.compile(rb"document\.cookie\s*=.{0,400}location\.(?:href|reload|replace)", re.S)
_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title>", re.S | re.I)
_INVISIBLE_RE = re.compile(rb"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>|\s+", re.S | re.I)
#: Block pages carry a few lines of text; a page with more text needs the phrase in its title.
FEW_CHARS = 1200
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
#: HTTP statuses of block and challenge answers (maintenance 403, 瑞数 412, 加速乐 521).
BLOCK_STATUSES = (403, 412, 521)


def _visible_chars(body: bytes) -> int:
    """About how many characters of text a page shows (bytes of UTF-8 text / 3 for CJK, roughly)."""
    return len(_INVISIBLE_RE.sub(b"", body)) // 2


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


def detect_block(status: int, body: bytes) -> Verdict | None:
    """A block or challenge page, whatever its status; ``None`` for anything else."""
    head = body[:65536]
    if status == 412 and _TS_RE.search(head):
        return Verdict("challenge", "瑞数 JavaScript challenge (HTTP 412 with a $_ts script)")
    if _JSL_RE.search(head) and (status == 521 or _COOKIE_RELOAD_RE.search(head)):
        return Verdict("challenge", f"加速乐 JavaScript challenge (HTTP {status} setting __jsl_clearance)")
    title = _TITLE_RE.search(head)
    for phrase, kind in _PHRASE_BYTES:
        # A phrase counts in the title, or in a page with little text: an article that merely mentions
        # 创宇盾 (a security vendor) is still an article.
        if phrase in head and ((title and phrase in title.group(1)) or _visible_chars(head) <= FEW_CHARS):
            what = "WAF block page" if kind == "waf_block" else "maintenance page"
            return Verdict(kind, f"{what} (HTTP {status}: {phrase.decode('utf-8', 'replace')[:20]})")
    if len(head) < 4096 and _COOKIE_RELOAD_RE.search(head) and b"<p" not in head.lower():
        return Verdict("challenge", f"JavaScript cookie challenge (HTTP {status})")
    return None


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
