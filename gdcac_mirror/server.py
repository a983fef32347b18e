"""Serve a built mirror over real HTTP with twisted.web.

:class:`MirrorResource` answers every request from a site directory: ``.html`` as ``text/html;
charset=utf-8``, other files by extension, a directory path with its ``index.html``; a strong ``ETag`` (the
sha256 of the bytes) and a deterministic ``Last-Modified`` (an article's ``PubDate`` meta tag, else a fixed
date), with 304 answers to ``If-None-Match`` / ``If-Modified-Since``; 404 with a small HTML page for anything
else.  A file listed in the mirror's ``_headers.json`` (written by the build: the legacy-encoded pages, e.g.
``text/html; charset=gb2312`` or a bare ``text/html``) is served with the headers listed there instead.
A request with a query string ``?page=N`` for a listing that has query pages (the second rendering's, written
under ``_query/<path>/page=N.html`` by :mod:`gdcac_mirror.build_cagd`) answers with that page (404 past the
last one; ``page=1`` is the file itself); any other query string is ignored, as a static server does.
Paths are decoded and checked segment by segment and then resolved: nothing outside the root is ever served
(nor the manifests, nor ``_headers.json``, nor the state-2 overlay directory as such).

The resource has a **state** (1: the site as built; 2: its second state, :mod:`gdcac_mirror.states`)
and an optional **fault plan** (:mod:`gdcac_mirror.faults`), both switchable while it runs.  Control
endpoints (never counted, never faulted, not part of the site):

- ``GET /__mirror__/stats``: ``{"requests": n, "by_path": {path: n}}``, plus ``"faults": {fault: n}`` once a
  fault has been injected; ``POST /__mirror__/reset`` clears these counts;
- ``GET /__mirror__/state``: ``{"state": 1, "available": [1, 2]}``; ``POST /__mirror__/state`` with body
  ``1`` or ``2`` (or ``{"state": 2}``) switches;
- ``GET /__mirror__/faults``: the plan; ``POST /__mirror__/faults`` with a JSON plan replaces it (and
  restarts its per-path request counts); ``DELETE /__mirror__/faults`` clears it.

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
from typing import Any, Literal
from urllib.parse import parse_qs, unquote_to_bytes

from twisted.web import http, resource, server

from gdcac_mirror import faults
from gdcac_mirror.build import HEADERS_NAME, MANIFEST_NAME, http_date
from gdcac_mirror.content import BEIJING, FIXED_LAST_MODIFIED
from gdcac_mirror.reactor import installed_reactor
from gdcac_mirror.responses import (
    BAD_REQUEST_HTML,
    CONTENT_TYPES,
    DEFAULT_CONTENT_TYPE,
    HTML_UTF8,
    NOT_FOUND_HTML,
    Response,
    json_response,
    not_found,
    send,
)
from gdcac_mirror.states import STATE2_DIR, STATE2_MANIFEST_NAME, StateOverlay
from gdcac_mirror.urls_cagd import QUERY_DIR

CONTROL_PREFIX = "/__mirror__/"
HIDDEN_TOP = frozenset({MANIFEST_NAME, STATE2_MANIFEST_NAME, STATE2_DIR, HEADERS_NAME, QUERY_DIR})
"""Top-level names of a built mirror that are not part of the site."""
_PUBDATE_RE = re.compile(rb'<meta name="PubDate" content="(\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?)"')

__all__ = ["BAD_REQUEST_HTML", "CONTENT_TYPES", "CONTROL_PREFIX", "NOT_FOUND_HTML", "BadPath", "Entry",
           "MirrorResource", "QuietSite", "load_file_headers", "serve"]


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


def load_file_headers(root: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """The per-file response headers of the mirror in ``root`` (its ``_headers.json``; none if absent)."""
    sidecar = Path(root) / HEADERS_NAME
    if not sidecar.is_file():
        return {}
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    return {str(path): {str(k): str(v) for k, v in headers.items()} for path, headers in data.items()}


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

    def __init__(self, root: str | os.PathLike[str], *, state: int = 1,
                 fault_plan: faults.FaultPlan | None = None) -> None:
        super().__init__()
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(str(self.root))
        self.overlay = StateOverlay.load(self.root)
        self.file_headers = load_file_headers(self.root)
        """Root-relative path -> response headers that replace the defaults (``Content-Type``) or add to them."""
        self.requests: Counter[str] = Counter()
        self.fault_counts: Counter[str] = Counter()
        self.fault_plan = fault_plan
        self.state = 1
        self.set_state(state)
        self._cache: dict[Path, Entry] = {}

    # -- state and faults ---------------------------------------------------------------------------

    @property
    def states(self) -> list[int]:
        """The states this mirror can serve."""
        return [1, 2] if self.overlay is not None else [1]

    def set_state(self, state: int) -> None:
        """Serve state ``state`` from now on (``ValueError`` if this mirror has no such state)."""
        if state not in self.states:
            raise ValueError(f"state {state!r} is not available (available: {self.states})")
        self.state = state

    # -- resolving ----------------------------------------------------------------------------------

    def resolve(self, raw_path: bytes, query: str = "") -> tuple[Path, datetime | None, str] | None:
        """The file that ``raw_path`` (with the query string ``query``) names in the current state, with its
        ``Last-Modified`` override (for files the state changed) and its root-relative site path
        (``/zcfg/index.html``), or ``None``.  Raises :class:`BadPath`."""
        segments = split_path(raw_path)
        if any(seg in (".", "..") or seg.startswith(".") for seg in segments):
            return None
        if segments and segments[0] in HIDDEN_TOP:
            return None  # the build's manifests and the overlay are not part of the site
        candidate = self.root.joinpath(*segments)
        if candidate.is_dir():
            segments = [*segments, "index.html"]
            candidate = candidate / "index.html"
        last_modified: datetime | None = None
        site_path = "/" + "/".join(segments)
        if query:
            paged = self.query_page(site_path, query)
            if paged is not False:
                return None if paged is None else (paged, None, site_path)
        if self.state == 2 and self.overlay is not None:
            action, overlay_file, last_modified = self.overlay.lookup(site_path)
            if action == "removed":
                return None
            if overlay_file is not None:
                candidate = overlay_file
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.root and self.root not in real.parents:
            return None
        return (real, last_modified, site_path) if real.is_file() else None

    def query_page(self, site_path: str, query: str) -> Path | Literal[False] | None:
        """The file of a query-string listing page (``?page=N``, written under ``_query/``), ``None`` when
        ``site_path`` is a query-paged listing that has no such page (404), or ``False`` when the query does not
        choose a page here (the file at ``site_path`` answers, as a static server ignores a query)."""
        pages = self.root / QUERY_DIR / site_path.lstrip("/")
        values = parse_qs(query).get("page")
        if not values or not pages.is_dir():
            return False
        value = values[-1]
        if value == "1":
            return False
        target = pages / f"page={value}.html"
        return target if value.isdigit() and target.is_file() else None

    def entry(self, path: Path) -> tuple[Entry, bytes | None]:
        """The metadata of ``path`` (sha256 and Last-Modified, cached while its mtime and size stay the same),
        with its bytes if they had to be read for it (else ``None``: read them only to send them)."""
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached, None
        data = path.read_bytes()
        suffix = path.suffix.lower()
        entry = Entry(path=path, etag=f'"{hashlib.sha256(data).hexdigest()}"',
                      last_modified=last_modified_of(data, suffix),
                      content_type=CONTENT_TYPES.get(suffix, DEFAULT_CONTENT_TYPE), size=len(data), stamp=stamp)
        self._cache[path] = entry
        return entry, data

    # -- responding ---------------------------------------------------------------------------------

    @staticmethod
    def not_modified(request: server.Request, etag: str, last_modified: datetime) -> bool:
        """Whether the client's validators match (If-None-Match wins over If-Modified-Since)."""
        inm = request.getHeader("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
        ims = request.getHeader("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None or since.tzinfo is None:
                return False
            return last_modified.replace(microsecond=0) <= since
        return False

    def normal_response(self, request: server.Request) -> Response:
        """The answer of the mirror in its current state, without faults."""
        if request.method not in (b"GET", b"HEAD"):
            return Response(405, headers={"Allow": "GET, HEAD"})
        try:
            found = self.resolve(request.path or b"/", _query_string(request))
        except BadPath:
            return Response(400, BAD_REQUEST_HTML, HTML_UTF8)
        if found is None:
            return not_found()
        target, override, site_path = found
        entry, data = self.entry(target)
        last_modified = override or entry.last_modified
        headers = {"ETag": entry.etag, "Last-Modified": http_date(last_modified)}
        content_type = entry.content_type
        for name, value in self.file_headers.get(site_path, {}).items():
            if name.lower() == "content-type":
                content_type = value
            else:
                headers[name] = value
        if self.not_modified(request, entry.etag, last_modified):
            return Response(304, headers=headers)
        return Response(200, target.read_bytes() if data is None else data, content_type, headers)

    def page_at(self, site_path: str) -> Response:
        """The answer for another site path (a ``GET`` with no conditional headers), for faults that answer
        one page with another (e.g. ``repeat_last_page``)."""
        try:
            found = self.resolve(site_path.encode("utf-8"))
        except BadPath:
            found = None
        if found is None:
            return not_found()
        target, _, site_path = found
        entry, data = self.entry(target)
        content_type = entry.content_type
        for name, value in self.file_headers.get(site_path, {}).items():
            if name.lower() == "content-type":
                content_type = value
        return Response(200, target.read_bytes() if data is None else data, content_type)

    def render(self, request: server.Request) -> int:
        path_key = (request.path or b"/").decode("utf-8", "replace")
        if path_key.startswith(CONTROL_PREFIX):
            return send(request, self._control(request, path_key[len(CONTROL_PREFIX):]))
        self.requests[path_key] += 1
        decision = self.fault_plan.decide(path_key) if self.fault_plan is not None else None
        if decision is not None:
            self.fault_counts[decision.rule.fault] += 1
            return faults.inject(decision, request, lambda: self.normal_response(request), self.page_at)
        return send(request, self.normal_response(request))

    # -- control endpoints --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The request counts (and the fault counts, once there are any)."""
        out: dict[str, Any] = {"requests": sum(self.requests.values()), "by_path": dict(sorted(self.requests.items()))}
        if self.fault_counts:
            out["faults"] = dict(sorted(self.fault_counts.items()))
        return out

    def faults_json(self) -> dict[str, Any]:
        """The fault plan (``{"seed": 0, "rules": []}`` when there is none) and the injected counts."""
        plan = self.fault_plan.to_json() if self.fault_plan is not None else {"seed": 0, "rules": []}
        return {**plan, "injected": dict(sorted(self.fault_counts.items()))}

    def _control(self, request: server.Request, name: str) -> Response:
        method = request.method
        if name == "stats" and method in (b"GET", b"HEAD"):
            return _json(self.stats())
        if name == "reset" and method == b"POST":
            self.requests.clear()
            self.fault_counts.clear()
            return _json({"requests": 0, "by_path": {}})
        if name == "state":
            if method in (b"GET", b"HEAD"):
                return _json({"state": self.state, "available": self.states})
            if method == b"POST":
                return self._post_state(request.content.read() if request.content else b"")
        if name == "faults":
            if method in (b"GET", b"HEAD"):
                return _json(self.faults_json())
            if method == b"POST":
                return self._post_faults(request.content.read() if request.content else b"")
            if method == b"DELETE":
                self.fault_plan = None
                return _json(self.faults_json())
        return not_found()

    def _post_state(self, body: bytes) -> Response:
        try:
            value = json.loads(body.decode("utf-8") or "null")
            if isinstance(value, dict):
                value = value.get("state")
            if isinstance(value, str):
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            return _json({"error": 'send the state as "1" or "2"'}, 400)
        try:
            self.set_state(value)
        except ValueError as exc:
            return _json({"error": str(exc), "available": self.states}, 409)
        return _json({"state": self.state, "available": self.states})

    def _post_faults(self, body: bytes) -> Response:
        try:
            self.fault_plan = faults.FaultPlan.from_json(json.loads(body.decode("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:  # FaultConfigError and JSONDecodeError are ValueErrors
            return _json({"error": str(exc)}, 400)
        return _json(self.faults_json())


def _query_string(request: server.Request) -> str:
    """The request's query string, decoded (empty when it has none or it is not UTF-8)."""
    _, _, query = (request.uri or b"").partition(b"?")
    try:
        return query.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _json(obj: Any, status: int = 200) -> Response:
    return json_response(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"), status)


class QuietSite(server.Site):
    """A twisted.web Site that keeps no access log."""

    noisy = False

    def log(self, request: http.Request) -> None:
        pass


def serve(root: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0, *, state: int = 1,
          fault_plan: faults.FaultPlan | None = None) -> None:
    """Serve ``root`` on ``host:port`` (0: a free port) in ``state`` with ``fault_plan``, print
    ``serving http://HOST:PORT/`` and run until SIGTERM or SIGINT."""
    reactor = installed_reactor()  # only now: importing this module installs no reactor
    site = QuietSite(MirrorResource(root, state=state, fault_plan=fault_plan))
    listening = reactor.listenTCP(port, site, interface=host)
    actual = listening.getHost().port
    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(f"serving http://{shown}:{actual}/\n")
    sys.stdout.flush()
    reactor.run()
