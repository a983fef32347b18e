"""Serve a built mirror over real HTTP with twisted.web.

:class:`MirrorResource` answers every request from a site directory: ``.html`` as ``text/html;
charset=utf-8``, other files by extension, a directory path with its ``index.html``; a strong ``ETag`` (the
sha256 of the bytes) and a deterministic ``Last-Modified`` (an article's ``PubDate`` meta tag, else a fixed
date), with 304 answers to ``If-None-Match`` / ``If-Modified-Since``; 404 with a small HTML page for anything
else.  Paths are decoded and checked segment by segment and then resolved: nothing outside the root is ever
served.  Requests are counted per path; ``GET /__mirror__/stats`` returns the counts as JSON and
``POST /__mirror__/reset`` clears them (neither is counted nor part of the site).

Files are read lazily, on their first request, so a mirror of 10,000 articles starts at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes

from twisted.web import resource, server

from gdcac_crawler.mirror.build import MANIFEST_NAME, http_date
from gdcac_crawler.mirror.content import BEIJING, FIXED_LAST_MODIFIED

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
CONTROL_PREFIX = "/__mirror__/"
NOT_FOUND_HTML = ('<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>404 Not Found</title></head>'
                  "<body><h1>404 Not Found</h1><p>页面不存在 (the page does not exist).</p></body></html>\n"
                  ).encode("utf-8")
BAD_REQUEST_HTML = ('<!DOCTYPE html>\n<html><head><meta charset="UTF-8"><title>400 Bad Request</title></head>'
                    "<body><h1>400 Bad Request</h1></body></html>\n").encode("utf-8")
_PUBDATE_RE = re.compile(rb'<meta name="PubDate" content="(\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?)"')


class BadPath(ValueError):
    """A request path that cannot name a file (bad encoding, NUL, backslash)."""


@dataclass(frozen=True)
class Entry:
    """What the server knows about one file."""

    path: Path
    etag: str
    last_modified: datetime
    content_type: str
    size: int
    stamp: tuple[int, int]
    """(mtime_ns, size) when it was read: a changed file is read again."""


def last_modified_of(data: bytes, suffix: str) -> datetime:
    """An article's publish time (its ``PubDate`` meta tag, Beijing time), else the fixed date."""
    if suffix in (".html", ".htm"):
        m = _PUBDATE_RE.search(data, 0, 8192)
        if m:
            text = m.group(1).decode("ascii")
            fmt = "%Y-%m-%d %H:%M:%S" if len(text) > 16 else "%Y-%m-%d %H:%M"
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
    return FIXED_LAST_MODIFIED


def split_path(raw: bytes) -> list[str]:
    """The segments of a raw request path, percent-decoded; raises :class:`BadPath` for paths that cannot
    name a file and returns ``[".."]``-containing lists unchanged so the caller can refuse them."""
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded or b"\\" in decoded:
        raise BadPath("NUL or backslash in path")
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadPath("path is not UTF-8") from exc
    return [seg for seg in text.split("/") if seg != ""]


class MirrorResource(resource.Resource):
    """The whole mirror as one leaf resource."""

    isLeaf = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(str(self.root))
        self.requests: Counter[str] = Counter()
        self._cache: dict[Path, Entry] = {}

    # -- resolving ----------------------------------------------------------------------------------

    def resolve(self, raw_path: bytes) -> Path | None:
        """The file that ``raw_path`` names inside the root, or ``None``.  Raises :class:`BadPath`."""
        segments = split_path(raw_path)
        if any(seg in (".", "..") or seg.startswith(".") for seg in segments):
            return None
        if segments == [MANIFEST_NAME]:
            return None  # the build's manifest is not part of the site
        candidate = self.root.joinpath(*segments)
        if candidate.is_dir():
            candidate = candidate / "index.html"
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.root and self.root not in real.parents:
            return None
        return real if real.is_file() else None

    def entry(self, path: Path) -> tuple[Entry, bytes]:
        """Read ``path`` and its metadata (sha256 and Last-Modified cached while the file is unchanged)."""
        data = path.read_bytes()
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp and cached.size == len(data):
            return cached, data
        suffix = path.suffix.lower()
        entry = Entry(path=path, etag='"%s"' % hashlib.sha256(data).hexdigest(),
                      last_modified=last_modified_of(data, suffix),
                      content_type=CONTENT_TYPES.get(suffix, DEFAULT_CONTENT_TYPE), size=len(data), stamp=stamp)
        self._cache[path] = entry
        return entry, data

    # -- responding ---------------------------------------------------------------------------------

    @staticmethod
    def _finish(request: server.Request, code: int, body: bytes, content_type: str | None,
                headers: dict[str, str] | None = None) -> int:
        request.setResponseCode(code)
        for name, value in (headers or {}).items():
            request.setHeader(name, value)
        if code == 304:
            request.write(b"")
        else:
            if content_type:
                request.setHeader("Content-Type", content_type)
            request.setHeader("Content-Length", str(len(body)))
            request.write(body if request.method != b"HEAD" else b"")
        request.finish()
        return server.NOT_DONE_YET

    @staticmethod
    def not_modified(request: server.Request, entry: Entry) -> bool:
        """Whether the client's validators match (If-None-Match wins over If-Modified-Since)."""
        inm = request.getHeader("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or any(t.removeprefix("W/") == entry.etag for t in tags)
        ims = request.getHeader("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None or since.tzinfo is None:
                return False
            return entry.last_modified.replace(microsecond=0) <= since
        return False

    def _control(self, request: server.Request, path: str) -> int:
        if path == CONTROL_PREFIX + "stats" and request.method in (b"GET", b"HEAD"):
            body = json.dumps({"requests": sum(self.requests.values()), "by_path": dict(sorted(self.requests.items()))},
                              ensure_ascii=False, sort_keys=True).encode("utf-8")
            request.setHeader("Cache-Control", "no-store")
            return self._finish(request, 200, body, "application/json")
        if path == CONTROL_PREFIX + "reset" and request.method == b"POST":
            self.requests.clear()
            return self._finish(request, 200, b'{"requests": 0, "by_path": {}}', "application/json")
        return self._finish(request, 404, NOT_FOUND_HTML, CONTENT_TYPES[".html"])

    def render(self, request: server.Request) -> int:  # noqa: D102 (one handler for every method)
        raw = request.path or b"/"
        path_key = raw.decode("utf-8", "replace")
        if path_key.startswith(CONTROL_PREFIX):
            return self._control(request, path_key)
        self.requests[path_key] += 1
        if request.method not in (b"GET", b"HEAD"):
            return self._finish(request, 405, b"", None, {"Allow": "GET, HEAD"})
        try:
            target = self.resolve(raw)
        except BadPath:
            return self._finish(request, 400, BAD_REQUEST_HTML, CONTENT_TYPES[".html"])
        if target is None:
            return self._finish(request, 404, NOT_FOUND_HTML, CONTENT_TYPES[".html"])
        entry, data = self.entry(target)
        headers = {"ETag": entry.etag, "Last-Modified": http_date(entry.last_modified)}
        if self.not_modified(request, entry):
            return self._finish(request, 304, b"", None, headers)
        return self._finish(request, 200, data, entry.content_type, headers)


class QuietSite(server.Site):
    """A twisted.web Site that keeps no access log."""

    noisy = False

    def log(self, request: server.Request) -> None:  # noqa: D102
        pass


def serve(root: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve ``root`` on ``host:port`` (0: a free port), print ``serving http://HOST:PORT/`` and run until
    SIGTERM or SIGINT."""
    from twisted.internet import reactor  # imported here: importing this module installs no reactor

    site = QuietSite(MirrorResource(root))
    listening = reactor.listenTCP(port, site, interface=host)  # type: ignore[attr-defined]
    actual = listening.getHost().port
    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(f"serving http://{shown}:{actual}/\n")
    sys.stdout.flush()
    reactor.run()  # type: ignore[attr-defined]
