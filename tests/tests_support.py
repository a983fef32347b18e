"""Helpers shared by several test modules (not a test module)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from gdcac_crawler.extract.encoding import response_from_bytes
from gdcac_mirror import MirrorProcess

FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: ``(status, headers with lower-case names, body)`` of one HTTP answer.
Fetched = tuple[int, dict[str, str], bytes]


def load_case(case_dir: Path) -> tuple[HtmlResponse, dict]:
    """The saved response of the fixture case in ``case_dir``, decoded as the crawler decodes what it fetches,
    and the case's meta.json."""
    meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
    body = (case_dir / "page.html").read_bytes()
    return response_from_bytes(meta["url"], body, meta.get("headers") or {}), meta


def case_response(site: str, case: str) -> HtmlResponse:
    """The saved response of fixture case ``site/case``, decoded as the crawler decodes what it fetches."""
    return load_case(FIXTURES / site / case)[0]


def drc_case(case: str) -> HtmlResponse:
    return case_response("drc", case)


def http_fetch(mirror: MirrorProcess, path: str, headers: dict[str, str] | None = None, *, method: str = "GET",
               timeout: float = 10) -> Fetched:
    """One raw HTTP request to the mirror (the path is sent exactly as given, no Accept-Encoding added)."""
    parts = urlsplit(mirror.base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()
