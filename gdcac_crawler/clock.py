"""The one clock: UTC timestamps in the archive's format and run ids.

Every time the crawler records (``fetched_at``, run start and end, ``first_seen_at`` …) is UTC, ISO 8601 with
``Z``.  Publication times are different: they keep the site's own offset and come from :mod:`extract.dates`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utc_now(timespec: str = "milliseconds") -> str:
    """Now, UTC, ISO 8601 with ``Z``: ``2026-11-29T08:45:00.123Z`` (``timespec`` as :meth:`datetime.isoformat`)."""
    return datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def new_run_id() -> str:
    """A run id that sorts by start time and is unique across machines: ``20261129T084500Z-1a2b3c4d``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (``Z`` or an offset) as an aware datetime (naive means UTC); ``None`` if absent or
    unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
