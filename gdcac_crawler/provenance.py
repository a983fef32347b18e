"""Fetch provenance: what the crawler records about every HTTP answer, and what it sends back to the site.

:func:`fetch_record` turns a response into the :class:`~gdcac_crawler.items.Fetch` a ``pages`` row is made
of (URL asked for and URL that answered, status, headers, the body's sha256, the encoding used);
:func:`conditional_headers` turns the validators an earlier answer gave (``etag``, ``last_modified``) into a
conditional GET.  The spider, the attachments pipeline and the downloader middlewares all read headers through
:func:`header_text`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from scrapy.http import Response, TextResponse

from gdcac_crawler.clock import utc_now
from gdcac_crawler.extract.encoding import declared_encoding
from gdcac_crawler.items import Fetch, PageKind


def header_text(headers: Any, name: str) -> str | None:
    """The header ``name`` of a Scrapy ``Headers`` as text (Latin-1, as HTTP sends it); ``None`` when it is
    absent or empty."""
    value = headers.get(name)
    return (value.decode("latin-1") or None) if value else None


def conditional_headers(validators: Mapping[str, Any]) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` from the ``etag`` / ``last_modified`` an earlier answer gave."""
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def fetch_record(response: Response, run_id: str, kind: PageKind, *, error: str | None = None) -> Fetch:
    """The provenance of a response: URL, status, headers, the body's sha256, the encoding used."""
    headers = response.headers
    body = response.body
    requested = response.request.meta.get("redirect_urls", [response.url])[0] if response.request else response.url
    return Fetch(
        run_id=run_id,
        url=requested,
        final_url=response.url,
        status=response.status,
        fetched_at=utc_now(),
        kind=kind,
        content_type=header_text(headers, "Content-Type"),
        declared_encoding=declared_encoding(response),  # the header's charset, else the page's meta tag
        encoding=response.encoding if isinstance(response, TextResponse) else None,
        etag=header_text(headers, "ETag"),
        last_modified=header_text(headers, "Last-Modified"),
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        body=body,
        error=error,
    )
