"""Small real HTTP servers on a free loopback port, for the crawls of broken sites: canned pages, errors,
a server that never answers, and a port where nothing listens."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

HTML = "text/html; charset=utf-8"


def page(title: str, body: str) -> str:
    """A minimal UTF-8 HTML page."""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>")


class CannedSite:
    """What the server answers: ``pages`` maps a path (with its query, if any) to ``(status, body)``; any other
    path answers ``default_status``.  ``hang`` makes every answer wait that many seconds first."""

    def __init__(self, pages: Mapping[str, tuple[int, str]] | None = None, *, default_status: int = 404,
                 hang: float = 0.0) -> None:
        self.pages = dict(pages or {})
        self.default_status = default_status
        self.hang = hang
        self.requests: list[str] = []

    def answer(self, path: str) -> tuple[int, bytes]:
        self.requests.append(path)
        if self.hang:
            time.sleep(self.hang)
        status, body = self.pages.get(path, (self.default_status, page("错误", f"<p>HTTP {self.default_status}</p>")))
        return status, body.encode("utf-8")


def _handler(site: CannedSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, body = site.answer(parts.path + (f"?{parts.query}" if parts.query else ""))
            try:
                self.send_response(status)
                self.send_header("Content-Type", HTML)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the crawler gave up waiting
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(site: CannedSite) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 on a free port; yields its base URL (``http://127.0.0.1:PORT``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A loopback port where nothing listens (bound once by the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StaticSite:
    """``pages`` (``"/path?query"`` → HTML text) served at ``base_url`` for as long as the context lasts, 404 for
    everything else; :attr:`requests` counts the paths (with their queries) asked for."""

    def __init__(self, pages: Mapping[str, str]) -> None:
        self.site = CannedSite({path: (200, html) for path, html in pages.items()})
        self.base_url = ""
        self._stack = ExitStack()

    @property
    def requests(self) -> Counter[str]:
        return Counter(self.site.requests)

    def __enter__(self) -> StaticSite:
        self.base_url = self._stack.enter_context(serve(self.site))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()
