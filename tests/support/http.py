"""Raw HTTP requests to a served mirror, for the tests that check exactly what it answers."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from gdcac_mirror import MirrorProcess

#: ``(status, headers with lower-case names, body)`` of one HTTP answer.
Fetched = tuple[int, dict[str, str], bytes]


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
