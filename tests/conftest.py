"""Shared pytest fixtures.  No test reaches the internet: HTTP goes to the mirror on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Protocol

import pytest

from gdcac_mirror import SITE_DIR, MirrorProcess
from gdcac_mirror.crawl import run_crawl


@pytest.fixture(scope="session")
def mirror() -> Iterator[MirrorProcess]:
    """The committed standard mirror served over HTTP on a free loopback port for the whole session."""
    process = MirrorProcess(SITE_DIR)
    process.start()
    try:
        yield process
    finally:
        process.stop()


class CrawlMirror(Protocol):
    def __call__(self, mirror: MirrorProcess, db: str | os.PathLike, *extra: str, spider: str = "gdcac",
                 settings: dict[str, str] | None = None, timeout: float = 180,
                 check: bool = False) -> subprocess.CompletedProcess: ...


def _crawl_mirror(mirror: MirrorProcess, db: str | os.PathLike, *extra: str, spider: str = "gdcac",
                  settings: dict[str, str] | None = None, timeout: float = 180,
                  check: bool = False) -> subprocess.CompletedProcess:
    result = run_crawl(mirror.base_url, db, spider=spider, settings=settings, extra=extra, timeout=timeout)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="session")
def crawl_mirror() -> CrawlMirror:
    """``crawl_mirror(mirror, db, *extra, spider="gdcac", settings=None, timeout=180, check=False)``: run
    ``scrapy crawl SPIDER`` against the served ``mirror`` into the archive ``db`` in a subprocess, to the end
    (:func:`gdcac_mirror.crawl.run_crawl`: the mirror's settings, then ``settings``, then the ``extra``
    arguments), and return the finished process, its output captured; with ``check``, assert that it exited
    with status 0 (the end of its stderr as the message)."""
    return _crawl_mirror
