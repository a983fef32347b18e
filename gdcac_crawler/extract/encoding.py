"""Which encoding a page's bytes are really in, whatever its HTTP header and meta tag say.

Chinese government pages come in UTF-8, GBK, GB2312 and GB18030; the HTTP ``charset`` and the page's own
``<meta charset>`` are often missing, stale or at odds with each other (a server-wide ``charset=utf-8`` in
front of a GBK page gives silent mojibake: U+FFFD everywhere).  :func:`choose_encoding` tries, in order,

1. the header's charset, 2. the meta tag's charset (read with w3lib's ``html_body_declared_encoding``),
3. ``utf-8`` and 4. ``gb18030`` (the superset of GBK and GB2312, so one decoder serves all three)

and takes the first that decodes the body **strictly** (no undecodable byte, hence no U+FFFD).  Declared
names are normalised first: ``gb2312``, ``gbk``, ``cp936`` → ``gb18030``; ``latin-1``, ``ascii`` → ``cp1252``
(as browsers and w3lib do).  A single-byte western charset declared in front of a page whose bytes are
valid UTF-8 or GB18030 is tried after those two: it would decode any bytes "successfully" into mojibake.
When nothing decodes cleanly the candidate with the fewest U+FFFD wins, and the choice says so.

:func:`fix_response` applies the choice to a Scrapy response (``response.replace(encoding=...)``); the downloader
middleware :class:`gdcac_crawler.downloadermiddlewares.encoding.EncodingMiddleware` runs it on every fetched page,
and :func:`response_from_bytes` builds a response from saved bytes the same way (fixtures, ``gdcac extract``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import HtmlResponse, TextResponse
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

__all__ = ["EncodingChoice", "choose_encoding", "declared_encoding", "fix_response", "header_charset",
           "meta_charset", "normalise_encoding", "response_from_bytes"]

_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "euc-cn": "gb18030", "csgb2312": "gb18030", "windows-936": "gb18030", "gb18030": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "latin-1": "cp1252", "latin1": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "windows-1252": "cp1252", "cp1252": "cp1252",
    "big5": "big5hkscs",
}
#: Single-byte charsets that decode any bytes: never trusted over a clean UTF-8 or GB18030 reading.
_PERMISSIVE = frozenset({"cp1252", "latin_1", "iso8859-15", "cp1251", "koi8-r"})
FALLBACKS = ("utf-8", "gb18030")
"""What is tried after the declared charsets."""


#: Python codecs that decode bytes to text but are no charset of a web page: escapes, IDNA, UTF-7 (which HTML
#: forbids), the codec that refuses everything and the one that maps bytes as given.
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7", "undefined",
                           "charmap", "unicode-internal", "mbcs", "oem"})


def normalise_encoding(name: str | bytes | None) -> str | None:
    """The Python codec for a declared charset name (``GB2312`` → ``gb18030``); ``None`` if unknown or no
    charset a page can be written in: ``base64``, ``rot13``, ``zlib``, ``hex`` (codecs that do not decode bytes
    to text) and :data:`_NOT_CHARSETS` (``unicode_escape`` and the like)."""
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    key = name.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:  # _is_text_encoding: set on every CodecInfo
        return None
    return _ALIASES.get(info.name, info.name)


def _scrapy_reading(name: str | None) -> str | None:
    """The codec Scrapy decodes with for a declared charset (w3lib's ``resolve_encoding``: any codec, even
    ``unicode_escape`` or ``base64``)."""
    return resolve_encoding(name) if name else None


def header_charset(headers: Any) -> str | None:
    """The charset of a ``Content-Type`` header (from Scrapy ``Headers``, a dict, or the header's value),
    as written (lower-cased), or ``None``."""
    if headers is None:
        return None
    value: str | bytes | None
    if isinstance(headers, (str, bytes)):
        value = headers
    else:
        value = headers.get("Content-Type") or headers.get(b"Content-Type") or headers.get("content-type")
        if isinstance(value, list):
            value = value[0] if value else None
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    m = _CHARSET_RE.search(value)
    return m.group(1).lower() if m else None


_META_CHARSET_RE = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def meta_charset(body: bytes) -> str | None:
    """The charset the page declares in its own ``<meta>`` in its first 4 KiB, as written (lower-cased):
    ``<meta charset=…>`` or ``<meta http-equiv="Content-Type" content="…; charset=…">``; w3lib's reading
    (``html_body_declared_encoding``, which gives normalised names) where that finds nothing."""
    m = _META_CHARSET_RE.search(body[:4096])
    if m:
        return m.group(1).decode("ascii", "replace").lower()
    found = html_body_declared_encoding(body)
    return found.lower() if found else None


@dataclass
class EncodingChoice:
    """What was declared and what was used to decode a body."""

    used: str
    """The codec the body decodes with (``utf-8``, ``gb18030``, ...)."""
    header: str | None = None
    """The charset the HTTP header declared, as written."""
    meta: str | None = None
    """The charset the page's meta tag declared, as written."""
    clean: bool = True
    """True when the body decodes with ``used`` without a single undecodable byte (no U+FFFD)."""
    tried: list[str] = field(default_factory=list)
    """The codecs tried, in order, up to the one used."""

    @property
    def declared(self) -> str | None:
        """What the page declared: the header's charset, else the meta tag's."""
        return self.header or self.meta

    @property
    def agrees(self) -> bool:
        """Whether the used codec is what the page declared (after normalising names)."""
        return normalise_encoding(self.declared) == self.used if self.declared else False


def _has_high_bytes(body: bytes) -> bool:
    return not body.isascii()


def choose_encoding(body: bytes, header: str | None = None, meta: str | None = None, *,
                    read_meta: bool = True) -> EncodingChoice:
    """The encoding of ``body``: see the module's docstring for the order of candidates.

    ``header`` is the HTTP header's charset; ``meta`` the meta tag's (read from the body when not given and
    ``read_meta``).
    """
    if meta is None and read_meta:
        meta = meta_charset(body)
    declared = [normalise_encoding(header), normalise_encoding(meta)]
    candidates: list[str] = []
    for name in [*declared, *FALLBACKS]:
        if name and name not in candidates:
            candidates.append(name)
    if _has_high_bytes(body):
        # a permissive single-byte charset "decodes" anything: try it only after UTF-8 and GB18030
        candidates = [c for c in candidates if c not in _PERMISSIVE] + [c for c in candidates if c in _PERMISSIVE]
    tried: list[str] = []
    best: tuple[int, str] | None = None
    for name in candidates:
        tried.append(name)
        try:
            body.decode(name)
        except UnicodeDecodeError:
            bad = body.decode(name, "replace").count("\ufffd")
            if best is None or bad < best[0]:
                best = (bad, name)
            continue
        except LookupError:
            continue
        return EncodingChoice(used=name, header=header, meta=meta, clean=True, tried=tried)
    used = best[1] if best else "utf-8"
    return EncodingChoice(used=used, header=header, meta=meta, clean=False, tried=tried)


def declared_encoding(response: Any) -> str | None:
    """What a response declared: its header's charset, else its meta tag's (``None`` for non-HTML)."""
    found = header_charset(getattr(response, "headers", None))
    if found:
        return found
    if isinstance(response, TextResponse):
        return meta_charset(response.body)
    return None


def fix_response(response: Any) -> tuple[Any, EncodingChoice | None]:
    """``(response, choice)``: a text response re-made with the encoding :func:`choose_encoding` picks (the
    same object when Scrapy already picked it); other responses pass through with ``None``."""
    if not isinstance(response, TextResponse) or not response.body:
        return response, None
    choice = choose_encoding(response.body, header_charset(response.headers))
    # Scrapy decodes with the header's charset, else the meta tag's; only when the page declares neither does
    # it guess (charset_normalizer, costly). Re-make the response only when Scrapy's reading would differ.
    scrapy_reads = _scrapy_reading(choice.header) or _scrapy_reading(choice.meta)
    if scrapy_reads != choice.used:
        response = response.replace(encoding=choice.used)
    return response, choice


def response_from_bytes(url: str, body: bytes, headers: Mapping[str, Any] | None = None,
                        status: int = 200) -> HtmlResponse:
    """An ``HtmlResponse`` of saved bytes, decoded as the crawler would decode them when they were fetched."""
    response = HtmlResponse(url=url, body=body, headers=dict(headers or {}), status=status)
    fixed, _ = fix_response(response)
    return fixed
