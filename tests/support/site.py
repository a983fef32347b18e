"""A small hand-written site served over HTTP on a free loopback port, for crawls of a site that is not the
mirror: pages by path and query, 404 for everything else, and the requests it answered."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class StaticSite:
    """``pages`` (``"/path?query"`` → HTML text) served on ``127.0.0.1`` at a free port, as a context manager;
    :attr:`requests` counts the paths (with their queries) asked for."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = {path: html.encode("utf-8") for path, html in pages.items()}
        self.requests: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests[self.path] += 1
                body = site.pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                body = body if body is not None else b"<html><body>404 Not Found</body></html>"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
