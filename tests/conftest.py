"""Shared pytest fixtures.  No test reaches the internet: HTTP goes to the mirror on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gdcac_mirror import SITE_DIR, MirrorProcess


@pytest.fixture(scope="session")
def mirror() -> Iterator[MirrorProcess]:
    """The committed standard mirror served over HTTP on a free loopback port for the whole session."""
    process = MirrorProcess(SITE_DIR)
    process.start()
    try:
        yield process
    finally:
        process.stop()
