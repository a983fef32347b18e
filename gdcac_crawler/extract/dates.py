"""Publish dates as Chinese government pages print them, parsed to ISO 8601 with the site's offset.

Forms understood: ``2022-06-22 10:08``, ``2022-06-22 10:08:31``, ``2022/06/22``, ``2022.06.22``,
``2022年06月22日 10:08``, ``2022年6月22日``, ``2022年06月22日10时08分``, bracketed listing dates ``[2022-06-22]``,
labelled or bare (``时间：``, ``发布时间：``, ``日期：``, ``发布日期：``), full-width digits, ISO 8601 with an offset
(``2022-06-22T02:08:00Z`` in a meta tag, converted to the site's offset), and Unix timestamps (seconds or
milliseconds, as text or as a number, as JSON APIs give them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?|\s*分)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2}(?!\d))?)?"
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／", "0123456789:-/")
_EPOCH_RE = re.compile(r"^\s*(\d{10}|\d{13})\s*$")


@lru_cache(maxsize=64)
def _offset(tz: str) -> timezone:
    sign = -1 if tz.startswith("-") else 1
    hours, minutes = tz.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def parse_date(text: str | None, tz: str = "+08:00") -> tuple[str | None, str | None]:
    """Find the first date in ``text``: ``(iso, raw)``.

    ``iso`` is ISO 8601 with ``tz`` (``2022-06-22T10:08:00+08:00``; midnight when the page gives no time);
    ``raw`` is the date as printed, label and brackets stripped.  ``(None, None)`` when there is no date or
    the numbers are not a real date.
    """
    if text is None or text == "":
        return None, None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(int(text))
    original = str(text)
    text = original.translate(_FULLWIDTH)  # one character for one: spans in text are spans in original
    epoch = _EPOCH_RE.match(text)
    if epoch:
        value = int(epoch.group(1))
        if len(epoch.group(1)) == 13:
            value //= 1000
        moment = datetime.fromtimestamp(value, _offset(tz))
        return moment.isoformat(), epoch.group(1)
    m = _DATE_RE.search(text)
    if not m:
        return None, None
    zone = _offset(tz)
    if m["tz"]:
        zone = UTC if m["tz"] == "Z" else _offset(m["tz"][:3] + ":" + m["tz"][-2:])
    try:
        moment = datetime(
            int(m["y"]), int(m["m"]), int(m["d"]),
            int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None, None
    return moment.astimezone(_offset(tz)).isoformat(), original[m.start():m.end()].strip()


def listed_date(text: str | None) -> str | None:
    """A listing's printed date (``[2022-06-22]``) as ``YYYY-MM-DD``, or ``None``."""
    iso, _ = parse_date(text)
    return iso[:10] if iso else None
