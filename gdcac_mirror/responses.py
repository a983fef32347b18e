"""What the mirror server sends: a plain :class:`Response` value and the one function that writes it.

Shared by :mod:`gdcac_mirror.server` (normal serving) and :mod:`gdcac_mirror.faults` (faults
that alter or replace a normal answer), so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from twisted.web import server

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
HTML_UTF8 = CONTENT_TYPES[".html"]
NOT_FOUND_HTML = ('<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>404 Not Found</title></head>'
                  "<body><h1>404 Not Found</h1><p>页面不存在 (the page does not exist).</p></body></html>\n"
                  ).encode()
BAD_REQUEST_HTML = (b'<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>400 Bad Request</title></head>'
                    b"<body><h1>400 Bad Request</h1></body></html>\n")


@dataclass(frozen=True)
class Response:
    """One complete HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers (``ETag``, ``Last-Modified``, ``Retry-After``, ``Location``, …)."""

    @property
    def is_html(self) -> bool:
        """Whether the body is an HTML page (what the page-altering faults transform)."""
        return self.status == 200 and (self.content_type or "").startswith("text/html")

    def without_validators(self) -> Response:
        """The same answer without ``ETag`` / ``Last-Modified`` (for bodies that are not the real page's)."""
        kept = {k: v for k, v in self.headers.items() if k.lower() not in ("etag", "last-modified")}
        return replace(self, headers=kept)


def send(request: server.Request, response: Response) -> int:
    """Write ``response`` to ``request`` and finish it (no body for HEAD and 304); returns ``NOT_DONE_YET``."""
    request.setResponseCode(response.status)
    for name, value in response.headers.items():
        request.setHeader(name, value)
    if response.status == 304:
        request.write(b"")
    else:
        if response.content_type:
            request.setHeader("Content-Type", response.content_type)
        request.setHeader("Content-Length", str(len(response.body)))
        request.write(response.body if request.method != b"HEAD" else b"")
    request.finish()
    return server.NOT_DONE_YET


def not_found() -> Response:
    """The mirror's 404 page."""
    return Response(404, NOT_FOUND_HTML, HTML_UTF8)


def json_response(body: bytes, status: int = 200) -> Response:
    """A JSON answer of the control endpoints (never cached)."""
    return Response(status, body, "application/json", {"Cache-Control": "no-store"})


__all__ = ["BAD_REQUEST_HTML", "CONTENT_TYPES", "DEFAULT_CONTENT_TYPE", "HTML_UTF8", "NOT_FOUND_HTML", "Response",
           "json_response", "not_found", "send"]
