"""Text as extraction keeps it: white space collapsed, zero-width marks gone, double-escaped entities decoded.

Pure functions on strings.  :func:`normalise_meta` and :func:`decode_entities` apply the cleaning rules
``metadata_spaces`` and ``double_escaped_entities`` of the catalogue (:mod:`~gdcac_crawler.extract.rules`).
"""

from __future__ import annotations

import html
import re

from gdcac_crawler.extract.rules import rule_on

_WS_RE = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u2009\u3000]+")
#: Zero-width marks, and the C0 control characters (NUL, BEL, ESC…) that are no text and that XML and many
#: tools refuse: dropped from every text field.
_DROPPED_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f]")
_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{2,6}|#x[0-9A-Fa-f]{2,5});")
_FILENAME_RE = re.compile(r"^[^\s/\\]{1,120}\.(?:png|jpe?g|gif|bmp|webp|tiff?|svg)$", re.I)

#: What makes :func:`normalise_space` differ from ``" ".join(text.split())``: zero-width marks, control
#: characters, and the white space that ``str.split`` splits on but :data:`_WS_RE` does not collapse.
_SPLIT_DIFFERS_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\x85\u1680\u2000\u2001\u2004-\u2008\u200a-\u200d"
                               "\u2028\u2029\u202f\u205f\u2060\ufeff]")


def normalise_space(text: str) -> str:
    """Collapse runs of white space (no-break and ideographic spaces included) and drop zero-width marks and
    control characters (a NUL in a title must not refuse the article)."""
    if _SPLIT_DIFFERS_RE.search(text) is None:
        return " ".join(text.split())  # the same, for text without those (nearly all): one C pass, no regex
    return _WS_RE.sub(" ", _DROPPED_RE.sub("", text)).strip()


def normalise_meta(text: str | None) -> str | None:
    """A metadata value (title, source, author, labels) with zero-width marks gone and no-break, ideographic
    and other white space collapsed to one space (rule ``metadata_spaces``); ``None`` stays ``None``."""
    if text is None:
        return None
    if not rule_on("metadata_spaces"):
        return _DROPPED_RE.sub("", text).strip(" \t\r\n")
    return normalise_space(text)


def decode_entities(text: str) -> str:
    """Decode entities left in text by double escaping (``&amp;ldquo;`` in the source shows ``&ldquo;``)."""
    if "&" not in text or not _ENTITY_RE.search(text) or not rule_on("double_escaped_entities"):
        return text
    return html.unescape(text)


def is_file_name(text: str) -> bool:
    """Whether a line is an image file name (as CMSs print an image's ``alt``), e.g. ``微信图片_2022.png``."""
    return _FILENAME_RE.match(text) is not None
