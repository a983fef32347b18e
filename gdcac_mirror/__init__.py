"""The offline mirror of the Guangdong Cyberspace Administration portal's 政策法规 section, and a way to run it for tests and benchmarks.

The same generated content comes in two **renderings** (:data:`RENDERINGS`), each built into its own
committed directory with a manifest of the same schema:

- ``nfw`` (:data:`SITE_DIR`, ``gdcac_mirror/site/``): in the image of Guangdong's shared site platform
  (nfw-cms): ``/zcfg/{column}/index_N.html`` listings with a ``createPageHTML`` pager, articles at
  ``/zcfg/{column}/content/post_N.html`` (:mod:`gdcac_mirror.templates`); it has a second state;
- ``cagd`` (:data:`SITE_CAGD_DIR`, ``gdcac_mirror/site_cagd/``): designed independently, on the URL scheme of
  the portal's public links: the section reached by name from the home page's navigation
  (``/col/col1234/index.html``), its columns beside it (``/col/col1301/index.html`` …), query-string
  (``?page=N``) and text-link (首页 上一页 下一页 尾页, 0-based ``index_1.html``) pagers, articles at
  ``/v/YYYY/MM/NNNN.html``, uploads under ``/u/cms/www/``, other markup throughout, one column in GBK under a
  UTF-8 header, no ``/zcfg/`` path (:mod:`gdcac_mirror.urls_cagd`, :mod:`gdcac_mirror.templates_cagd`,
  :mod:`gdcac_mirror.build_cagd`); it has no second state.

- :func:`rendering_dir`: a rendering's committed directory (built by ``python -m gdcac_mirror build
  [--rendering cagd]``);
- :func:`load_manifest`: a built mirror's ``manifest.json`` (or, ``state=2``, ``manifest_state2.json``), the
  truth to compare a crawl against;
- :class:`MirrorProcess`: the mirror served over HTTP on loopback by a subprocess
  (``python -m gdcac_mirror serve``), as a context manager, with run-time switches for the mirror's
  state (:meth:`MirrorProcess.set_state`) and for fault injection (:meth:`MirrorProcess.set_faults`).

Building lives in :mod:`gdcac_mirror.build` (the second state in :mod:`gdcac_mirror.states`, the second
rendering in :mod:`gdcac_mirror.build_cagd`), serving in :mod:`gdcac_mirror.server` (faults in
:mod:`gdcac_mirror.faults`); this module imports none of them, so importing it stays cheap and installs no
Twisted reactor.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from gdcac_mirror.content import BASE_URL, PAGE_ORIGIN

__all__ = ["RENDERINGS", "SITE_CAGD_DIR", "SITE_DIR", "MirrorError", "MirrorProcess", "load_manifest",
           "rendering_dir"]

SITE_DIR = Path(__file__).resolve().parent / "site"
"""The committed standard mirror (rendering ``nfw``)."""
SITE_CAGD_DIR = Path(__file__).resolve().parent / "site_cagd"
"""The committed standard mirror in the second rendering, ``cagd``."""
RENDERINGS: dict[str, Path] = {"nfw": SITE_DIR, "cagd": SITE_CAGD_DIR}
"""Rendering name -> its committed directory; ``nfw`` is the default."""
SINGLE_STATE = frozenset({"cagd"})
"""The renderings built without a second state."""
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def rendering_dir(rendering: str = "nfw", state: int = 1) -> Path:
    """The committed directory of ``rendering`` (``ValueError`` for an unknown rendering, or for ``state`` 2 of
    a rendering that has none)."""
    if rendering not in RENDERINGS:
        raise ValueError(f"no rendering {rendering!r}: the mirror has {', '.join(RENDERINGS)}")
    if state != 1 and rendering in SINGLE_STATE:
        raise ValueError(f"rendering {rendering} has no state {state}: it is built in state 1 only")
    return RENDERINGS[rendering]


def load_manifest(root: str | os.PathLike[str] | None = None, state: int = 1, *,
                  rendering: str = "nfw") -> dict[str, Any]:
    """The manifest of the mirror built in ``root`` (default: the committed directory of ``rendering``) in
    ``state``: 1, ``manifest.json``; 2, ``manifest_state2.json`` (the same schema plus ``changes`` and
    ``overlay``)."""
    if state not in (1, 2):
        raise ValueError(f"no state {state!r}: the mirror has states 1 and 2")
    root = rendering_dir(rendering, state) if root is None else root
    name = "manifest.json" if state == 1 else "manifest_state2.json"
    return json.loads((Path(root) / name).read_text(encoding="utf-8"))


class MirrorError(RuntimeError):
    """The mirror server did not start (the message carries its stderr)."""


class MirrorProcess:
    """The mirror served over HTTP by a subprocess, for as long as the context lasts.

    >>> with MirrorProcess() as mirror:              # doctest: +SKIP
    ...     urllib.request.urlopen(mirror.base_url + "/zcfg/").status
    200
    >>> with MirrorProcess(rendering="cagd") as mirror:  # doctest: +SKIP
    ...     urllib.request.urlopen(mirror.base_url + "/col/col1234/index.html").status
    200
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 timeout: float = 20.0, state: int = 1, faults_file: str | os.PathLike[str] | None = None,
                 rendering: str = "nfw") -> None:
        default_root = rendering_dir(rendering, state)  # refuses an unknown rendering, or a state it lacks
        self.root = default_root if root is None else Path(root)
        self.rendering = rendering
        """Which rendering (its committed directory is the default ``root``)."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self.initial_state = state
        """The state the server starts in (``serve --state``)."""
        self.faults_file = faults_file
        """A JSON fault plan the server starts with (``serve --faults``), if any."""
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
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (it lives until stop() closes it)
        cmd = [sys.executable, "-m", "gdcac_mirror", "serve", "--root", str(self.root),
               "--host", self.host, "--port", str(self.port), "--state", str(self.initial_state)]
        if self.faults_file is not None:
            cmd += ["--faults", str(self.faults_file)]
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
        """The mirror's URL for a root-relative ``path`` (or a URL on the live origin or the pages' host)."""
        for origin in (BASE_URL, PAGE_ORIGIN):
            if path.startswith(origin):
                path = path[len(origin):] or "/"
        return self.base_url + path

    def stats(self) -> dict[str, Any]:
        """The server's request counts: ``{"requests": total, "by_path": {path: count}}``, plus
        ``"faults": {fault: count}`` once a fault has been injected."""
        with urllib.request.urlopen(self.base_url + "/__mirror__/stats", timeout=10) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def reset_stats(self) -> None:
        """Clear the server's request counts (and its fault counts)."""
        self.control("POST", "reset", b"")

    def control(self, method: str, name: str, body: bytes | None = None) -> Any:
        """Call control endpoint ``/__mirror__/NAME``; its JSON answer (``MirrorError`` on an error status)."""
        req = urllib.request.Request(f"{self.base_url}/__mirror__/{name}", data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise MirrorError(f"{method} /__mirror__/{name}: HTTP {exc.code}: {detail}") from None

    # -- state --------------------------------------------------------------------------------------

    def get_state(self) -> int:
        """The state the server serves now (1 or 2)."""
        return int(self.control("GET", "state")["state"])

    def set_state(self, state: int) -> None:
        """Serve ``state`` (1: the site as built; 2: its second state, see ``manifest_state2.json``) from the
        next request on."""
        self.control("POST", "state", str(int(state)).encode("ascii"))

    # -- faults -------------------------------------------------------------------------------------

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
        """Replace the server's fault plan (see :mod:`gdcac_mirror.faults`) and restart its per-path
        request counts; returns the plan as the server holds it."""
        body = json.dumps({"seed": seed, "rules": rules}, ensure_ascii=False).encode("utf-8")
        return dict(self.control("POST", "faults", body))

    def get_faults(self) -> dict[str, Any]:
        """The server's fault plan and how many times each fault was injected."""
        return dict(self.control("GET", "faults"))

    def clear_faults(self) -> None:
        """Serve normally again."""
        self.control("DELETE", "faults")
