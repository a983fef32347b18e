"""Identity in the archive: the ids of articles and pages, the one id-or-URL resolver, and the content hash.

An article's id is derived from its canonical URL, a ``pages`` row's from its run and URL, so that every write is
an upsert keyed by an id anyone can compute again.  The content hash decides whether a fetched article is a new
version: it covers only the fields that make up the content, normalised so that whitespace noise is no change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any

__all__ = ["CONTENT_FIELDS", "article_id", "article_key", "as_dict", "content_hash", "fetch_dict", "page_id", "sha256"]

ARTICLE_ID_RE = re.compile(r"[0-9a-f]{16}")
"""What an article id looks like: 16 lower-case hex characters."""

CONTENT_FIELDS = ("title", "body_text", "published_at", "source", "attachments")
"""The article fields :func:`content_hash` covers: a change in any of them is a new version."""

_LINE_BREAK_RE = re.compile(r"\r\n?")


def sha256(data: bytes | str) -> str:
    """sha256 (hex) of ``data`` (a string as UTF-8)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def article_id(url: str) -> str:
    """The archive's id for an article: sha256 of its canonical URL (UTF-8), first 16 hex characters."""
    return sha256(url)[:16]


def page_id(run_id: str | None, url: str) -> str:
    """The id of a ``pages`` row: sha256 of ``run_id + "\\n" + url``, first 16 hex characters."""
    return sha256(f"{run_id or ''}\n{url}")[:16]


def article_key(id_or_url: str) -> str:
    """The article id that ``id_or_url`` names: itself when it looks like an id (16 hex characters), else the id
    of that URL.  Every read that takes "an article's id or URL" resolves it here."""
    return id_or_url if ARTICLE_ID_RE.fullmatch(id_or_url) else article_id(id_or_url)


def as_dict(item: Any) -> dict[str, Any]:
    """A plain dict of an item (dataclass, dict or anything ItemAdapter understands)."""
    if isinstance(item, dict):
        return item
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    from itemadapter import ItemAdapter  # local: only needed for exotic item types

    return dict(ItemAdapter(item).asdict())


def fetch_dict(fetch: Any) -> dict[str, Any] | None:
    """An item's fetch provenance (a :class:`~gdcac_crawler.items.Fetch` or a dict) as a dict; ``None`` stays."""
    if fetch is None:
        return None
    return as_dict(fetch)


def _normalise(value: Any) -> Any:
    """Strip whitespace at line ends (and leading/trailing blank lines) of every string, recursively."""
    if isinstance(value, str):
        lines = [line.rstrip() for line in _LINE_BREAK_RE.sub("\n", value).split("\n")]
        return "\n".join(lines).strip("\n")
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def content_hash(article: dict[str, Any] | Any) -> str:
    """sha256 (hex) of the article's content as it matters for versioning.

    Covers ``title``, ``body_text``, ``published_at``, ``source`` and ``attachments``, serialised as JSON
    with sorted keys and ``ensure_ascii=False``.  Whitespace at line ends, ``\\r\\n`` versus ``\\n`` and blank
    lines at the start or end of a field do not change the hash; a missing field equals ``None``, and missing
    or ``None`` attachments equal ``[]``.  Accepts a dict, an :class:`ArticleItem` or any item ItemAdapter
    understands.
    """
    data = as_dict(article)
    content = {name: _normalise(data.get(name)) for name in CONTENT_FIELDS}
    if content["attachments"] is None:
        content["attachments"] = []
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256(payload)
