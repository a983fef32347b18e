"""Fault injection for the mirror server: the hostile answers a government portal gives, on demand.

A :class:`FaultPlan` is a seed and an ordered list of :class:`FaultRule`.  For every request of a site path
(control paths under ``/__mirror__/`` are never faulted) the plan counts the request (``nth``: 1 for the first
request of that path since the plan was set) and picks the first rule that

- matches the path: ``path`` (exact, root-relative; a URL on the live origin or the pages' host is
  accepted), ``prefix``, and ``kinds`` (see :func:`page_kind`); a rule with none of them matches every path;
- is still within ``times`` (the rule only applies to the first ``times`` requests of a path);
- fires under its ``rate``: ``draw(seed, rule index, path, nth) < rate``, a hash, so the same requests in the
  same order meet the same faults under the same seed.

The chosen fault is one function of :data:`FAULTS` taking a :class:`FaultContext`.  JSON form, as
``POST /__mirror__/faults`` and ``serve --faults FILE`` take it::

    {"seed": 1, "rules": [
        {"path": "/zcfg/zcjd/content/post_2107282.html", "fault": "http_503", "times": 2},
        {"rate": 0.1, "fault": "reset", "kinds": ["article"]}]}

Parameters some faults take: ``retry_after`` (seconds, http_500/502/503/429), ``delay`` (seconds, slow),
``mode`` (``self`` or ``pair``, redirect_loop;
``vendor``, ``intercepted`` or ``notice``, alarming_title), ``size`` (bytes, huge and binary_as_html).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from twisted.web import server

from gdcac_mirror.content import BASE_URL, PAGE_ORIGIN
from gdcac_mirror.reactor import installed_reactor
from gdcac_mirror.responses import HTML_UTF8, Response, not_found, send

CANONICAL = (BASE_URL, PAGE_ORIGIN)
"""Origins a fault rule's path may be given on (the live identity, the pages' own host)."""
KINDS = ("root", "section", "listing", "article", "file", "robots", "other")
DEFAULT_RETRY_AFTER = 5
DEFAULT_DELAY = 10.0
HUGE_SIZE = 20 * 1024 * 1024
BINARY_SIZE = 64 * 1024
OFFSITE_ORIGIN = "https://example.invalid"
FIXED_EVENT_TIME = "2025-01-06 12:00:00"
_CHUNK = 64 * 1024


class FaultConfigError(ValueError):
    """A fault configuration that cannot be used (the message says why)."""


# --- classification and matching ------------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("root", re.compile(r"/(index\.html?)?")),
    ("section", re.compile(r"/zcfg/?(index\.html?)?")),
    ("listing", re.compile(r"/zcfg/[^/]+/?(index(_\d+)?\.html?)?")),
    ("article", re.compile(r"/zcfg/[^/]+/content/m?post_\d+\.html?")),
    ("file", re.compile(r"/(img|attachment)/.+")),
    ("robots", re.compile(r"/robots\.txt")),
)


def page_kind(path: str) -> str:
    """What a root-relative request path names: one of :data:`KINDS`."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.fullmatch(path):
            return kind
    return "other"


def draw(seed: int, index: int, path: str, nth: int) -> float:
    """A uniform number in [0, 1) fixed by (seed, rule index, path, nth request of the path)."""
    digest = hashlib.sha256(f"{seed}\x00{index}\x00{path}\x00{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _local(path: str) -> str:
    for origin in CANONICAL:
        if path.startswith(origin):
            path = path[len(origin):] or "/"
    if not path.startswith("/"):
        raise FaultConfigError(f"a rule's path must be root-relative: {path!r}")
    return path


_PARAMS: dict[str, tuple[str, ...]] = {
    "http_500": ("retry_after",), "http_502": ("retry_after",), "http_503": ("retry_after",),
    "http_503_retry_after": ("retry_after",), "http_429": ("retry_after",), "slow": ("delay",),
    "redirect_loop": ("mode",), "alarming_title": ("mode",), "huge": ("size",), "binary_as_html": ("size",),
}
_MATCH_KEYS = ("fault", "path", "prefix", "kinds", "rate", "times")


@dataclass(frozen=True)
class FaultRule:
    """One rule of a :class:`FaultPlan`."""

    fault: str
    path: str | None = None
    prefix: str | None = None
    kinds: tuple[str, ...] | None = None
    rate: float = 1.0
    times: int | None = None
    retry_after: int | None = None
    delay: float | None = None
    mode: str | None = None
    size: int | None = None

    @classmethod
    def from_json(cls, obj: Any) -> FaultRule:
        """A rule from its JSON object; raises :class:`FaultConfigError` for anything unusable."""
        if not isinstance(obj, dict):
            raise FaultConfigError(f"a rule must be an object: {obj!r}")
        fault = obj.get("fault")
        if fault not in FAULTS:
            raise FaultConfigError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        allowed = set(_MATCH_KEYS) | set(_PARAMS.get(fault, ()))
        extra = sorted(set(obj) - allowed)
        if extra:
            raise FaultConfigError(f"fault {fault} does not take {', '.join(extra)}")
        path = obj.get("path")
        prefix = obj.get("prefix")
        for name, value in (("path", path), ("prefix", prefix)):
            if value is not None and not isinstance(value, str):
                raise FaultConfigError(f"{name} must be a string")
        kinds = obj.get("kinds")
        if kinds is not None:
            if isinstance(kinds, str):
                kinds = [kinds]
            if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
                raise FaultConfigError(f"kinds must be a non-empty list of {', '.join(KINDS)}")
            kinds = tuple(kinds)
        rate = obj.get("rate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise FaultConfigError(f"rate must be a number in [0, 1]: {rate!r}")
        times = _non_negative_int(obj, "times", minimum=1)
        retry_after = _non_negative_int(obj, "retry_after")
        size = _non_negative_int(obj, "size")
        delay = obj.get("delay")
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
            raise FaultConfigError(f"delay must be a non-negative number of seconds: {delay!r}")
        mode = obj.get("mode")
        modes = tuple(ALARMING_TITLES) if fault == "alarming_title" else ("self", "pair")
        if mode is not None and mode not in modes:
            raise FaultConfigError(f"mode must be one of {', '.join(modes)}")
        return cls(fault=fault, path=_local(path) if path else None, prefix=_local(prefix) if prefix else None,
                   kinds=kinds, rate=float(rate), times=times, retry_after=retry_after,
                   delay=None if delay is None else float(delay), mode=mode, size=size)

    def to_json(self) -> dict[str, Any]:
        """The rule's JSON object (only the keys that are set)."""
        out: dict[str, Any] = {"fault": self.fault, "rate": self.rate}
        for name in ("path", "prefix", "times", "retry_after", "delay", "mode", "size"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.kinds is not None:
            out["kinds"] = list(self.kinds)
        return out

    def matches(self, path: str, kind: str) -> bool:
        """Whether the rule concerns ``path`` (of kind ``kind``), whatever its rate and times."""
        if self.path is not None and path != self.path:
            return False
        if self.prefix is not None and not path.startswith(self.prefix):
            return False
        return self.kinds is None or kind in self.kinds


def _non_negative_int(obj: dict[str, Any], name: str, minimum: int = 0) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultConfigError(f"{name} must be an integer >= {minimum}: {value!r}")
    return value


@dataclass(frozen=True)
class Decision:
    """A fault chosen for one request."""

    rule: FaultRule
    index: int
    """The rule's position in the plan."""
    path: str
    nth: int
    """Which request of ``path`` this is (1-based, since the plan was set)."""
    seed: int

    def rng(self) -> random.Random:
        """A generator fixed by this decision (for the faults' deterministic filler)."""
        return random.Random(f"{self.seed}|{self.index}|{self.path}|{self.nth}")


@dataclass
class FaultPlan:
    """A seed and rules, with the per-path request counts that ``times`` and ``rate`` depend on."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    seen: Counter[str] = field(default_factory=Counter)
    """Requests per path since the plan was set."""

    @classmethod
    def from_json(cls, obj: Any) -> FaultPlan:
        """A plan from ``{"seed": N, "rules": [...]}`` (a bare list of rules is taken with seed 0)."""
        if isinstance(obj, list):
            obj = {"rules": obj}
        if not isinstance(obj, dict):
            raise FaultConfigError('faults must be an object {"seed": N, "rules": [...]}')
        extra = sorted(set(obj) - {"seed", "rules"})
        if extra:
            raise FaultConfigError(f"unknown keys: {', '.join(extra)}")
        seed = obj.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultConfigError(f"seed must be an integer: {seed!r}")
        rules = obj.get("rules", [])
        if not isinstance(rules, list):
            raise FaultConfigError("rules must be a list")
        return cls([FaultRule.from_json(r) for r in rules], seed)

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [r.to_json() for r in self.rules]}

    def decide(self, path: str) -> Decision | None:
        """Count this request of ``path`` and return the fault it meets, if any."""
        self.seen[path] += 1
        nth = self.seen[path]
        kind = page_kind(path)
        for index, rule in enumerate(self.rules):
            if not rule.matches(path, kind):
                continue
            if rule.times is not None and nth > rule.times:
                continue
            if rule.rate >= 1.0 or draw(self.seed, index, path, nth) < rule.rate:
                return Decision(rule, index, path, nth, self.seed)
        return None


# --- injecting -----------------------------------------------------------------------------------------


@dataclass
class FaultContext:
    """What a fault function gets: the request, the decision, and the answer the mirror would give."""

    request: server.Request
    decision: Decision
    normal: Callable[[], Response]
    """Computes the normal answer (state and conditional headers applied)."""
    page_at: Callable[[str], Response] = lambda path: not_found()
    """The mirror's answer for another site path (``/zcfg/zcjd/index.html``)."""

    @property
    def rule(self) -> FaultRule:
        return self.decision.rule


def _error_page(status: int, reason: str, text: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>{status} {reason}</title></head>'
            f"<body><center><h1>{status} {reason}</h1></center><hr><center>{text}</center></body></html>\n"
            ).encode()


def _http_error(ctx: FaultContext, status: int, reason: str, text: str, retry_after: int | None) -> int:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return send(ctx.request, Response(status, _error_page(status, reason, text), HTML_UTF8, headers))


def http_500(ctx: FaultContext) -> int:
    """500 Internal Server Error (``Retry-After`` only if the rule gives ``retry_after``)."""
    return _http_error(ctx, 500, "Internal Server Error", "nginx", ctx.rule.retry_after)


def http_502(ctx: FaultContext) -> int:
    """502 Bad Gateway from the front proxy."""
    return _http_error(ctx, 502, "Bad Gateway", "nginx", ctx.rule.retry_after)


def http_503(ctx: FaultContext) -> int:
    """503 Service Unavailable, without ``Retry-After`` unless the rule gives ``retry_after``."""
    return _http_error(ctx, 503, "Service Temporarily Unavailable", "nginx", ctx.rule.retry_after)


def http_503_retry_after(ctx: FaultContext) -> int:
    """503 with ``Retry-After`` (the rule's ``retry_after``, default 5 s)."""
    retry = ctx.rule.retry_after if ctx.rule.retry_after is not None else DEFAULT_RETRY_AFTER
    return _http_error(ctx, 503, "Service Temporarily Unavailable", "nginx", retry)


def http_429(ctx: FaultContext) -> int:
    """429 Too Many Requests with ``Retry-After`` (the rule's ``retry_after``, default 5 s)."""
    retry = ctx.rule.retry_after if ctx.rule.retry_after is not None else DEFAULT_RETRY_AFTER
    return _http_error(ctx, 429, "Too Many Requests", "请求过于频繁，请稍后再试。", retry)


def slow(ctx: FaultContext) -> int:
    """The normal answer, sent after ``delay`` seconds (default 10) by ``reactor.callLater``; dropped if the
    client goes away first."""
    response = ctx.normal()
    delay = ctx.rule.delay if ctx.rule.delay is not None else DEFAULT_DELAY
    call = installed_reactor().callLater(delay, send, ctx.request, response)

    def gone(_: object) -> None:
        if call.active():
            call.cancel()

    ctx.request.notifyFinish().addErrback(gone)
    return server.NOT_DONE_YET


def _transport(request: server.Request) -> Any:
    return request.channel.transport


def reset(ctx: FaultContext) -> int:
    """Abort the TCP connection before answering (``abortConnection``: the client sees a reset)."""
    _transport(ctx.request).abortConnection()
    return server.NOT_DONE_YET


def truncated(ctx: FaultContext) -> int:
    """The normal page's headers with its full ``Content-Length``, half of its body, then the connection
    closed."""
    response = ctx.normal()
    body = response.body
    request = ctx.request
    request.setResponseCode(response.status)
    for name, value in response.without_validators().headers.items():
        request.setHeader(name, value)
    if response.content_type:
        request.setHeader("Content-Type", response.content_type)
    request.setHeader("Content-Length", str(max(len(body), 2)))
    request.write(body[: len(body) // 2])
    _transport(request).loseConnection()
    return server.NOT_DONE_YET


WAF_BLOCK_HTML = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>您的IP最近有可疑的攻击行为</title>
<style>
body{{margin:0;padding:0;background:#f3f5f8;font-family:"Microsoft YaHei","PingFang SC",Arial,sans-serif;color:#333}}
.kscdn-wrap{{width:760px;margin:90px auto 0;background:#fff;border-top:4px solid #e54b4b;
  box-shadow:0 2px 8px rgba(0,0,0,.08)}}
.kscdn-head{{padding:28px 40px 0;font-size:13px;color:#999}}
.kscdn-title{{padding:18px 40px 0;font-size:24px;color:#e54b4b}}
.kscdn-info{{padding:16px 40px 30px;font-size:14px;line-height:28px;color:#666}}
.kscdn-info span{{color:#333}}
.kscdn-foot{{padding:14px 40px;border-top:1px solid #eee;font-size:12px;color:#aaa}}
</style>
</head>
<body>
<div class="kscdn-wrap" id="kscdn-block">
    <div class="kscdn-head">创宇盾 · 网站安全防护</div>
    <div class="kscdn-title">创宇盾提示您：您的IP最近有可疑的攻击行为，请稍后重试</div>
    <div class="kscdn-info">
        <p>当前访问疑似黑客攻击，已被创宇盾拦截。</p>
        <p>您的IP：<span id="kscdn-ip">{ip}</span></p>
        <p>拦截时间：<span>{time}</span></p>
        <p>事件ID：<span id="kscdn-event">{event}</span></p>
        <p>如果您是网站管理员，请登录创宇盾控制台查看拦截日志；如有误拦截，请将事件ID提供给技术支持。</p>
    </div>
    <div class="kscdn-foot">本网站由知道创宇云安全提供安全防护</div>
</div>
</body>
</html>
"""


def _client_ip(request: server.Request) -> str:
    address = request.getClientAddress()
    return getattr(address, "host", "127.0.0.1")


def waf_block_200(ctx: FaultContext) -> int:
    """A Knownsec 创宇盾 block page with status **200** (not an article: must never be archived as one)."""
    event = f"{ctx.decision.rng().getrandbits(128):032x}"
    body = WAF_BLOCK_HTML.format(ip=_client_ip(ctx.request), time=FIXED_EVENT_TIME, event=event).encode("utf-8")
    return send(ctx.request, Response(200, body, HTML_UTF8, {"Cache-Control": "no-cache"}))


MAINTENANCE_HTML = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>系统正在维护中</title>
<style>body{background:#fff;font-family:"Microsoft YaHei",Arial;text-align:center}.wh{margin-top:120px}
.wh h1{font-size:26px;color:#c00}.wh p{font-size:15px;color:#666}</style>
</head>
<body>
<div class="wh">
    <h1>系统正在维护中</h1>
    <p>系统正在维护中，请稍后访问。给您带来的不便，敬请谅解！</p>
    <p>广东省互联网信息办公室</p>
</div>
</body>
</html>
"""


def maintenance_403(ctx: FaultContext) -> int:
    """403 with a 系统正在维护中 page."""
    return send(ctx.request, Response(403, MAINTENANCE_HTML.encode("utf-8"), HTML_UTF8))


def _token(rng: random.Random, n: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
           ) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def challenge_412(ctx: FaultContext) -> int:
    """412 with a 瑞数-style page: a ``meta[r=m]`` blob, an inline ``$_ts`` script and an external loader
    script, plus the vendor's ``…S`` cookie."""
    rng = ctx.decision.rng()
    cookie = _token(rng, 14) + "80S"
    nsd, cd = rng.randrange(10000, 99999), _token(rng, 320)
    ts = f"$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd={nsd};$_ts.cd=\"{cd}\";"
    loader = f"/{_token(rng, 12)}/{_token(rng, 2)}.{_token(rng, 8)}.{rng.getrandbits(28):07x}.js"
    body = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="Pragma" content="no-cache">
<meta http-equiv="Cache-Control" content="no-store, must-revalidate">
<meta http-equiv="Expires" content="0">
<meta id="{_token(rng, 22)}" content="{_token(rng, 240)}" r='m'>
<script type="text/javascript" r='m'>{ts}if($_ts.lcd)$_ts.lcd();</script>
<script type="text/javascript" charset="utf-8" src="{loader}" r='m'></script>
</head>
<body>
</body>
</html>
"""
    headers = {"Set-Cookie": f"{cookie}={_token(rng, 96)}; Path=/; expires=Fri, 03 Jan 2035 04:00:00 GMT; HttpOnly"}
    return send(ctx.request, Response(412, body.encode("utf-8"), "text/html", headers))


def challenge_521(ctx: FaultContext) -> int:
    """521 with a 加速乐-style script that sets the ``__jsl_clearance_s`` cookie and reloads, plus the
    vendor's ``__jsluid_s`` cookie."""
    rng = ctx.decision.rng()
    stamp = f"1736136000.{rng.randrange(1000):03d}"
    clearance = _token(rng, 28, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%")
    body = (f"<script>document.cookie=('__jsl_clearance_s=')+('{stamp}')+('|0|')+('{clearance}')+('%3D')"
            "+(';max-age=3600;path=/');location.href=location.pathname+location.search</script>")
    headers = {"Set-Cookie": f"__jsluid_s={rng.getrandbits(128):032x}; max-age=31536000; path=/; HttpOnly"}
    return send(ctx.request, Response(521, body.encode("utf-8"), "text/html", headers))


def _origin(request: server.Request) -> str:
    host = request.getHeader("host")
    if not host:
        addr = request.getHost()
        host = f"{addr.host}:{addr.port}"
    return f"http://{host}"


def _redirect(ctx: FaultContext, location: str) -> int:
    body = _error_page(302, "Found", f'<a href="{location}">{location}</a>')
    return send(ctx.request, Response(302, body, HTML_UTF8, {"Location": location}))


def redirect_loop(ctx: FaultContext) -> int:
    """302 back to the same URL (``mode: self``, the default) or A → A?loop=b → A (``mode: pair``)."""
    here = _origin(ctx.request) + ctx.decision.path
    if ctx.rule.mode == "pair":
        query = parse_qs((ctx.request.uri or b"").partition(b"?")[2].decode("latin-1"))
        return _redirect(ctx, here if query.get("loop") == ["b"] else here + "?loop=b")
    return _redirect(ctx, here)


def redirect_offsite(ctx: FaultContext) -> int:
    """302 to the same path on ``https://example.invalid`` (a crawler must not follow it)."""
    return _redirect(ctx, OFFSITE_ORIGIN + ctx.decision.path)


def not_found_fault(ctx: FaultContext) -> int:
    """404 (for a path that exists, e.g. a listed article)."""
    return send(ctx.request, not_found())


def _page_codec(body: bytes) -> str:
    """The codec of a mirror page's bytes: UTF-8, else GB18030 (the legacy pages are GBK or GB18030)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _reencoded(ctx: FaultContext, content_type: str) -> int:
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    body = response.body
    if _page_codec(body) == "utf-8":  # a legacy page is already GBK / GB18030: sent as it is
        body = body.decode("utf-8").encode("gbk", "xmlcharrefreplace")
    return send(ctx.request, Response(200, body, content_type))


def wrong_charset_header(ctx: FaultContext) -> int:
    """The page re-encoded as GBK while the header (and the meta tag) still say UTF-8."""
    return _reencoded(ctx, "text/html; charset=utf-8")


def gbk_page(ctx: FaultContext) -> int:
    """The page re-encoded as GBK, the header declaring ``charset=gb2312`` while the meta tag says UTF-8 (some
    pages hold GBK-only characters, e.g. the seed article's 勠: a strict GB2312 decoder fails on them)."""
    return _reencoded(ctx, "text/html; charset=gb2312")


def malformed_html(ctx: FaultContext) -> int:
    """The page with its ``</p>``, ``</li>`` and ``</span>`` end tags dropped, an unclosed ``<div>`` and
    ``<font>`` before the body text, and ``</html>`` twice."""
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    codec = _page_codec(response.body)
    text = response.body.decode(codec)
    for tag in ("</p>", "</li>", "</span>"):
        text = text.replace(tag, "")
    text = text.replace("<!--正文s-->", '<!--正文s-->\n<div class="clear"><font color="#333">', 1)
    text = text.rstrip("\n") + "\n</html>\n"
    # in the page's own encoding, with its own Content-Type (a legacy page stays legacy)
    return send(ctx.request, Response(200, text.encode(codec), response.content_type or HTML_UTF8))


class _GeneratedHTML:
    """A read-only file of exactly ``size`` bytes of HTML, made chunk by chunk (nothing held but one chunk)."""

    def __init__(self, size: int) -> None:
        head = ('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8">\n<title>广东省互联网信息办公室 - 政策解读'
                '</title>\n</head>\n<body>\n<div id="content1" class="article-content">\n').encode()
        self.tail = b"</div>\n</body>\n</html>\n"
        unit = "<p>这是一个超大页面的填充段落，用于检验爬虫对超大响应的处理。</p>\n".encode()
        self.fill_unit = unit * max(1, _CHUNK // len(unit))
        self.head = head
        self.size = size
        self.pos = 0
        fill = max(0, size - len(head) - len(self.tail))
        self.fill_end = len(head) + fill - fill % len(unit)
        """Whole units up to here, then spaces, then the tail."""

    def _pieces(self, start: int, n: int) -> Iterator[bytes]:
        end = min(self.size, start + n)
        pos = start
        while pos < end:
            if pos < len(self.head):
                piece = self.head[pos:end]
            elif pos < self.fill_end:
                offset = (pos - len(self.head)) % len(self.fill_unit)
                piece = self.fill_unit[offset:offset + min(end, self.fill_end) - pos]
            elif pos < self.size - len(self.tail):
                piece = b" " * (min(end, self.size - len(self.tail)) - pos)
            else:
                t = pos - (self.size - len(self.tail))
                piece = self.tail[t:t + end - pos]
            yield piece
            pos += len(piece)

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.size - self.pos
        data = b"".join(self._pieces(self.pos, n))
        self.pos += len(data)
        return data

    def close(self) -> None:
        self.pos = self.size


def huge(ctx: FaultContext) -> int:
    """A 200 HTML page of ``size`` bytes (default 20 MiB), streamed in 64 KiB chunks by a pull producer."""
    size = ctx.rule.size if ctx.rule.size is not None else HUGE_SIZE
    request = ctx.request
    request.setResponseCode(200)
    request.setHeader("Content-Type", HTML_UTF8)
    request.setHeader("Content-Length", str(size))
    if request.method == b"HEAD":
        request.write(b"")
        request.finish()
        return server.NOT_DONE_YET
    from twisted.web import static  # imported here: importing it warns of deprecations elsewhere in the module

    static.NoRangeStaticProducer(request, _GeneratedHTML(size)).start()
    return server.NOT_DONE_YET


def binary_as_html(ctx: FaultContext) -> int:
    """``size`` (default 64 KiB) deterministic random bytes served as ``text/html``."""
    size = ctx.rule.size if ctx.rule.size is not None else BINARY_SIZE
    body = ctx.decision.rng().randbytes(size)
    return send(ctx.request, Response(200, body, "text/html"))


def empty_200(ctx: FaultContext) -> int:
    """200 ``text/html`` with an empty body."""
    return send(ctx.request, Response(200, b"", HTML_UTF8))


def _meta_refresh(ctx: FaultContext, target: str) -> int:
    body = ('<!DOCTYPE html>\n<html><head><meta charset="UTF-8">'
            f'<meta http-equiv="refresh" content="0;url={target}"><title>页面跳转</title></head>'
            f'<body><p>页面已迁移，正在跳转到 <a href="{target}">{target}</a></p></body></html>\n').encode()
    return send(ctx.request, Response(200, body, HTML_UTF8))


def meta_refresh_offsite(ctx: FaultContext) -> int:
    """200 with ``<meta http-equiv="refresh" content="0;url=…">`` to the same path on ``https://example.invalid``
    (a redirect in the page: a crawler must refuse it as it refuses a 302 off the site)."""
    return _meta_refresh(ctx, OFFSITE_ORIGIN + ctx.decision.path)


def meta_refresh_self(ctx: FaultContext) -> int:
    """200 with a meta refresh back to the page itself (a loop)."""
    return _meta_refresh(ctx, _origin(ctx.request) + ctx.decision.path)


def redirect_other_port(ctx: FaultContext) -> int:
    """302 to the same path on the same host, one port up (another server: another site)."""
    scheme, _, hostport = _origin(ctx.request).partition("://")
    host, _, port = hostport.rpartition(":")
    return _redirect(ctx, f"{scheme}://{host}:{int(port or 80) + 1}{ctx.decision.path}")


# --- crawler traps and parser bombs ----------------------------------------------------------------------

_LISTING_PATH_RE = re.compile(r"(?P<folder>/[^/]+/[^/]+/)index(?:_(?P<n>\d+))?\.html?")
_TOTAL_RE = re.compile(r"Math\.ceil\((\d+)/(\d+)\)")
_NEXT_RE = re.compile(r'<li><a class="next" href="[^"]*">下一页</a></li>')
_LAST_RE = re.compile(r'<li><a class="last"')
_POST_RE = re.compile(r"post_(\d+)\.html")
_BODY_OPEN_RE = re.compile(r'(<div[^>]*\bid="content1"[^>]*>)')
HUGE_TOTAL = 10_000_000
"""The item count ``huge_total`` and ``endless_pager`` pagers state."""
NESTING = 5000
"""Nesting levels of ``deep_nesting`` and ``unclosed_tags``."""


def _listing_page(path: str) -> tuple[str, int] | None:
    """``(folder, page number)`` of a listing page's path (``/zcfg/zcjd/index_3.html`` → ``/zcfg/zcjd/``, 3)."""
    match = _LISTING_PATH_RE.fullmatch(path)
    if match is None:
        return None
    return match["folder"], int(match["n"] or 1)


def _page_path(folder: str, n: int) -> str:
    return f"{folder}index.html" if n == 1 else f"{folder}index_{n}.html"


def _send_text(ctx: FaultContext, response: Response, text: str) -> int:
    """``text`` sent in the page's own encoding with its own Content-Type."""
    codec = _page_codec(response.body)
    return send(ctx.request, Response(200, text.encode(codec, "xmlcharrefreplace"), response.content_type or HTML_UTF8))


def _with_next_link(text: str, folder: str, n: int) -> str:
    """The page with one 下一页 link, to page ``n + 1``, whatever its pager said."""
    link = f'<li><a class="next" href="{_page_path(folder, n + 1)}">下一页</a></li>'
    text = _NEXT_RE.sub("", text)
    return _LAST_RE.sub(link + '\n<li><a class="last"', text, count=1)


def huge_total(ctx: FaultContext) -> int:
    """A listing page whose pager script states ``HUGE_TOTAL`` items (``Math.ceil(10000000/PER)``); the pages
    past the real last one stay missing (404)."""
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    text = response.body.decode(_page_codec(response.body))
    return _send_text(ctx, response, _TOTAL_RE.sub(lambda m: f"Math.ceil({HUGE_TOTAL}/{m[2]})", text))


def endless_pager(ctx: FaultContext) -> int:
    """Every ``index_N`` of a column answers: the column's first page with its article links made new for
    page N (``post_<id><N>``, which are missing), a 下一页 link to page N + 1 and a pager stating
    ``HUGE_TOTAL`` items (a crawler trap: the walk never meets an end)."""
    found = _listing_page(ctx.decision.path)
    first = ctx.page_at(_page_path(found[0], 1)) if found else ctx.normal()
    if found is None or not first.is_html:
        return send(ctx.request, ctx.normal())
    folder, n = found
    text = first.body.decode(_page_codec(first.body))
    text = _POST_RE.sub(lambda m: f"post_{m[1]}{n:06d}.html", text)
    text = _TOTAL_RE.sub(lambda m: f"Math.ceil({HUGE_TOTAL}/{m[2]})", text)
    return _send_text(ctx, first, _with_next_link(text, folder, n))


def repeat_last_page(ctx: FaultContext) -> int:
    """A CMS that answers every listing page number past the column's last with the last page, and whose
    pager always shows a 下一页 link and states only a capped page count (its script's item count is gone):
    the pager never says where the column ends."""
    found = _listing_page(ctx.decision.path)
    if found is None:
        return send(ctx.request, ctx.normal())
    folder, n = found
    response = ctx.normal()
    if response.status == 404:
        last = 1
        while ctx.page_at(_page_path(folder, last + 1)).status == 200 and last < n:
            last += 1
        response = ctx.page_at(_page_path(folder, last))
    if not response.is_html:
        return send(ctx.request, response)
    text = response.body.decode(_page_codec(response.body))
    text = re.sub(r"var totalPage = Math\.ceil\(\d+/\d+\);", "var totalPage = pages_limit;", text)
    return _send_text(ctx, response, _with_next_link(text, folder, n))


def _body_text(ctx: FaultContext, transform: Callable[[str], str]) -> int:
    """The page with ``transform`` applied to its text (in its own encoding)."""
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    return _send_text(ctx, response, transform(response.body.decode(_page_codec(response.body))))


def deep_nesting(ctx: FaultContext) -> int:
    """The article's body inside ``NESTING`` nested ``<div>`` (each closed), its text untouched."""
    def nest(text: str) -> str:
        text = _BODY_OPEN_RE.sub(lambda m: "<div>" * NESTING + m[1], text, count=1)
        return text.replace("<!--正文e-->", "</div>" * NESTING + "<!--正文e-->", 1)
    return _body_text(ctx, nest)


def unclosed_tags(ctx: FaultContext) -> int:
    """Word-exported HTML: ``NESTING`` ``<font>``/``<span>`` opened and never closed at the start of the
    article's body (each holding a character of white space)."""
    return _body_text(ctx, lambda text: _BODY_OPEN_RE.sub(
        lambda m: m[1] + '<font face="宋体"> <span style="font-size:16px"> ' * (NESTING // 2), text, count=1))


def charset_unicode_escape(ctx: FaultContext) -> int:
    """The page as it is, its header declaring ``charset=unicode_escape`` (a Python codec, no text encoding)."""
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    return send(ctx.request, Response(200, response.body, "text/html; charset=unicode_escape"))


def nul_in_title(ctx: FaultContext) -> int:
    """A NUL byte and other C0 control characters inside the article's title (its heading, ``<title>`` and
    ``ArticleTitle`` meta)."""
    def spoil(text: str) -> str:
        text = re.sub(r'(<meta name="ArticleTitle" content="[^"]{2})', "\\1\x00\x01", text, count=1)
        text = re.sub(r"(<title>[^<]{2})", "\\1\x00\x07", text, count=1)
        return re.sub(r'(<h1 class="title">[^<]{2})', "\\1\x00\x1b", text, count=1)
    return _body_text(ctx, spoil)


#: The titles :func:`alarming_title` gives an article, by ``mode``: the words of block pages in a real article.
ALARMING_TITLES = {
    "vendor": "创宇盾为全省政务网站提供安全防护：{title}",
    "intercepted": "一季度境外攻击访问被拦截逾万次：{title}",
    "notice": "关于门户网站系统正在维护中的通知",
}
#: The one paragraph a ``notice`` keeps: a short real notice, with the article's date and furniture around it.
NOTICE_TEXT = "因机房设备升级，本网站部分栏目系统正在维护中，维护期间信息更新可能延迟，敬请谅解。"
_BODY_REGION_RE = re.compile(r"(<!--正文s-->)(.*?)(<!--正文e-->)", re.S)
_PARAGRAPH_RE = re.compile(r"<p\b[^>]*>.*?</p>\s*", re.S)


def _as_notice(region: re.Match[str]) -> str:
    kept = []

    def keep_first(paragraph: re.Match[str]) -> str:
        if kept or "<strong>" in paragraph.group(0) or "<img" in paragraph.group(0):
            return ""
        kept.append(True)
        return f"<p>{NOTICE_TEXT}</p>\n"

    return region.group(1) + _PARAGRAPH_RE.sub(keep_first, region.group(2)) + region.group(3)


def alarming_title(ctx: FaultContext) -> int:
    """The article with a title that names a block page's words — 创宇盾 (``mode: vendor``, the default),
    访问被拦截 (``intercepted``) — or, ``mode: notice``, made a short notice: the title says 系统正在维护中
    and the body keeps one paragraph (:data:`NOTICE_TEXT`).  Real articles all: none is a block page."""
    response = ctx.normal()
    if not response.is_html:
        return send(ctx.request, response)
    codec = _page_codec(response.body)
    text = response.body.decode(codec)
    found = re.search(r'<meta name="ArticleTitle" content="([^"]*)"', text)
    mode = ctx.rule.mode or "vendor"
    if found and mode in ALARMING_TITLES:
        old = found.group(1)
        # the title where the page shows it (<title>, headline, meta), not where the body quotes it
        text = re.sub(rf'(?:(?<=[>"])|(?<=- )){re.escape(old)}(?=[<"])', ALARMING_TITLES[mode].format(title=old), text)
        if mode == "notice":
            text = _BODY_REGION_RE.sub(_as_notice, text, count=1)
    return send(ctx.request, Response(200, text.encode(codec), response.content_type or HTML_UTF8))


FaultFunction = Callable[[FaultContext], int]
FAULTS: dict[str, FaultFunction] = {
    "http_500": http_500,
    "http_502": http_502,
    "http_503": http_503,
    "http_503_retry_after": http_503_retry_after,
    "http_429": http_429,
    "slow": slow,
    "reset": reset,
    "truncated": truncated,
    "waf_block_200": waf_block_200,
    "maintenance_403": maintenance_403,
    "challenge_412": challenge_412,
    "challenge_521": challenge_521,
    "redirect_loop": redirect_loop,
    "redirect_offsite": redirect_offsite,
    "not_found": not_found_fault,
    "wrong_charset_header": wrong_charset_header,
    "gbk_page": gbk_page,
    "malformed_html": malformed_html,
    "huge": huge,
    "binary_as_html": binary_as_html,
    "empty_200": empty_200,
    "meta_refresh_offsite": meta_refresh_offsite,
    "meta_refresh_self": meta_refresh_self,
    "redirect_other_port": redirect_other_port,
    "huge_total": huge_total,
    "endless_pager": endless_pager,
    "repeat_last_page": repeat_last_page,
    "deep_nesting": deep_nesting,
    "unclosed_tags": unclosed_tags,
    "charset_unicode_escape": charset_unicode_escape,
    "nul_in_title": nul_in_title,
    "alarming_title": alarming_title,
}
"""Every fault by name."""


def inject(decision: Decision, request: server.Request, normal: Callable[[], Response],
           page_at: Callable[[str], Response] | None = None) -> int:
    """Answer ``request`` with the fault of ``decision`` (``page_at``: the mirror's answer for another path);
    returns ``NOT_DONE_YET``."""
    context = FaultContext(request, decision, normal) if page_at is None else FaultContext(request, decision,
                                                                                          normal, page_at)
    return FAULTS[decision.rule.fault](context)


__all__ = ["FAULTS", "KINDS", "Decision", "FaultConfigError", "FaultContext", "FaultPlan", "FaultRule", "draw",
           "inject", "page_kind"]
