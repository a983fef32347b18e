"""The offline mirror of www.gdcac.gov.cn's 政策法规 section, and a way to run it for tests and benchmarks.

- :data:`SITE_DIR`: the committed standard mirror (built by ``python -m gdcac_crawler.mirror build``);
- :func:`load_manifest`: a built mirror's ``manifest.json``, the truth to compare a crawl against;
- :class:`MirrorProcess`: the mirror served over HTTP on loopback by a subprocess
  (``python -m gdcac_crawler.mirror serve``), as a context manager.

Building lives in :mod:`gdcac_crawler.mirror.build`, serving in :mod:`gdcac_crawler.mirror.server`; this
module imports neither, so importing it stays cheap and installs no Twisted reactor.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["SITE_DIR", "load_manifest", "MirrorProcess", "MirrorError"]

SITE_DIR = Path(__file__).resolve().parent / "site"
"""The committed standard mirror."""
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent


def load_manifest(root: str | os.PathLike[str] = SITE_DIR) -> dict[str, Any]:
    """The manifest of the mirror built in ``root`` (default: the committed standard mirror)."""
    return json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))


class MirrorError(RuntimeError):
    """The mirror server did not start (the message carries its stderr)."""


class MirrorProcess:
    """The mirror served over HTTP by a subprocess, for as long as the context lasts.

    >>> with MirrorProcess() as mirror:              # doctest: +SKIP
    ...     urllib.request.urlopen(mirror.base_url + "/zcfg/").status
    200
    """

    def __init__(self, root: str | os.PathLike[str] = SITE_DIR, *, host: str = "127.0.0.1", port: int = 0,
                 timeout: float = 20.0) -> None:
        self.root = Path(root)
        self.host = host
        self.port = port
        self.timeout = timeout
        self.base_url = ""
        """``http://127.0.0.1:PORT`` (no trailing slash) once started."""
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> MirrorProcess:
        """Start the server and wait (up to ``timeout`` seconds) for its ``serving …`` line."""
        if self.process is not None:
            raise MirrorError("mirror already started")
        if not (self.root / "index.html").is_file():
            raise MirrorError(f"not a built mirror (no index.html): {self.root}")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr = tempfile.TemporaryFile()
        cmd = [sys.executable, "-m", "gdcac_crawler.mirror", "serve", "--root", str(self.root),
               "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
                                        env=env)
        try:
            line = self._read_line(self.process, self.timeout)
        except MirrorError:
            self.stop()
            raise
        prefix = "serving "
        if not line.startswith(prefix):
            self.stop()
            raise MirrorError(f"unexpected first line from the mirror server: {line!r}")
        self.base_url = line[len(prefix):].strip().rstrip("/")
        return self

    def _read_line(self, process: subprocess.Popen[bytes], timeout: float) -> str:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MirrorError(f"mirror server did not start within {timeout:g} s; stderr:\n"
                                      f"{self._stderr_text()}")
                if sel.select(left):
                    chunk = os.read(process.stdout.fileno(), 4096)
                    if not chunk:
                        process.wait(timeout=5)
                        raise MirrorError(f"mirror server exited with status {process.returncode}; stderr:\n"
                                          f"{self._stderr_text()}")
                    buf += chunk
        return buf.split(b"\n", 1)[0].decode("utf-8", "replace")

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Terminate the server (SIGTERM), wait, and kill it if it does not go."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> MirrorProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- helpers ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The mirror's URL for a root-relative ``path`` (or a canonical ``https://www.gdcac.gov.cn/…`` URL)."""
        if path.startswith("https://www.gdcac.gov.cn"):
            path = path[len("https://www.gdcac.gov.cn"):] or "/"
        return self.base_url + path

    def stats(self) -> dict[str, Any]:
        """The server's request counts: ``{"requests": total, "by_path": {path: count}}``."""
        with urllib.request.urlopen(self.base_url + "/__mirror__/stats", timeout=10) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def reset_stats(self) -> None:
        """Clear the server's request counts."""
        req = urllib.request.Request(self.base_url + "/__mirror__/reset", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
