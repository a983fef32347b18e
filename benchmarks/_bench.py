"""Helpers shared by the benchmark scripts (not a benchmark): the machine line and a served generated mirror."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gdcac_mirror import MirrorProcess
from gdcac_mirror.build import build_site


def machine() -> str:
    """``x86_64, 8 cores, Python 3.12.3, Linux 6.8.0``: what the results were measured on."""
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


@contextmanager
def served_mirror(articles: int, prefix: str) -> Iterator[tuple[Path, dict, float, MirrorProcess]]:
    """A mirror of about ``articles`` articles built into a temporary directory and served on 127.0.0.1:
    ``(work directory, manifest, seconds the build took, the running mirror)``; all removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        manifest = build_site(work / "site", scale=articles)
        built = time.perf_counter() - started
        with MirrorProcess(root=work / "site") as mirror:
            yield work, manifest, built, mirror
