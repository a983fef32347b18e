"""``scrapy crawl`` of the crawler against a served mirror, in a subprocess: for ``gdcac demo``, the tests and
the benchmarks.

- :data:`MIRROR_SETTINGS`: the settings that lift the live site's politeness for a crawl of the mirror;
- :func:`crawl_command`: the command line that crawls the portal at a base URL (the mirror's) into an archive;
- :func:`crawl_env`: the environment it runs in;
- :func:`run_crawl`: that command run to the end, its exit status and (by default) its output captured.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

__all__ = ["MIRROR_SETTINGS", "crawl_command", "crawl_env", "run_crawl"]

#: The settings that lift the live site's politeness for a crawl of the mirror on loopback.
MIRROR_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def crawl_command(base_url: str, db: str | os.PathLike, *, spider: str = "gdcac",
                  settings: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    """The ``scrapy crawl`` command line that crawls the portal at ``base_url`` into ``db``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}",
           "-s", f"GDCAC_ARCHIVE_PATH={db}"]
    for key, value in {**MIRROR_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


def crawl_env() -> dict[str, str]:
    """The environment for ``scrapy crawl``: the project's settings, wherever it runs from."""
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "gdcac_crawler.settings"}


def run_crawl(base_url: str, db: str | os.PathLike, *, capture: bool = True, timeout: float | None = None,
              **command: Any) -> subprocess.CompletedProcess:
    """Run :func:`crawl_command` to the end in a subprocess (its output captured as text unless ``capture``
    is false); the result carries the exit status.  ``command`` takes ``spider``, ``settings``, ``extra``."""
    return subprocess.run(crawl_command(base_url, db, **command), env=crawl_env(), capture_output=capture,
                          text=True, timeout=timeout)
