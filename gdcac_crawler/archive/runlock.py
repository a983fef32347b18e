"""The run lock of an archive: one crawl at a time writes to an archive, and a second one is told which holds it.

Two crawls on one archive — the incremental run every six hours and the weekly full walk that takes hours —
would otherwise interleave their batches: each writer decides an article's next version from what it read
when the item arrived, so two of them could number two versions alike, and a full walk marks as removed what
no listing of *its* walk showed.  So a crawl holds the archive for its whole run: an exclusive advisory
``flock(2)`` on the file ``<archive>.lock`` beside the SQLite file (``archive/gdcac.sqlite.lock``), which
the kernel releases when the process ends however it ends (SIGKILL, OOM, power loss): a lock never outlives
its holder, unlike a row in the archive, which would need a staleness rule.  The holder writes who it is
(pid, host, run id, mode, since when) into the file, and a crawl that finds it held names the holder in its
refusal.  ``fcntl.flock`` directly rather than the ``filelock`` package: the holder's description lives in
the lock file, which ``filelock`` manages as its own; where ``flock`` is missing ``filelock`` falls back to a
soft lock that a killed holder leaves behind; and the standard library is enough.  The lock is the one
``flock -n archive/gdcac.sqlite.lock …`` takes in a shell, so a script can share it.

Only crawls take it (:class:`~gdcac_crawler.pipelines.archive.ArchivePipeline`); other writers (``gdcac
migrate``) rely on the write transactions alone (:func:`~gdcac_crawler.archive.connection.write_transaction`).
Advisory locks work on local file systems; on NFS ``flock`` may be emulated or absent.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["ArchiveHeld", "RunLock", "lock_path"]


class ArchiveHeld(Exception):
    """Another crawl holds the archive's run lock (the message names it and how long this one waited)."""


def lock_path(archive: str | os.PathLike[str]) -> Path:
    """The run lock file of the archive at ``archive``: its name plus ``.lock``, beside it."""
    path = Path(archive)
    return path.with_name(path.name + ".lock")


class RunLock:
    """The run lock of the archive at ``archive`` (not taken until :meth:`try_acquire` succeeds)."""

    def __init__(self, archive: str | os.PathLike[str]) -> None:
        self.archive = Path(archive)
        self.path = lock_path(archive)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this instance holds the lock."""
        return self._fd is not None

    def try_acquire(self, holder: dict[str, Any]) -> bool:
        """Take the lock if nobody holds it, and write ``holder`` (with this pid and host) into the file; whether
        it was taken."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), **holder}, ensure_ascii=False)
        os.ftruncate(fd, 0)
        os.pwrite(fd, (text + "\n").encode("utf-8"), 0)
        return True

    def holder(self) -> dict[str, Any]:
        """Who the file says holds (or last held) the lock: ``{}`` if it says nothing readable."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def describe_holder(self) -> str:
        """The holder in words: ``run 20261204T023001Z-1a2b3c4d (full, pid 4242 on host, since …)``."""
        h = self.holder()
        if not h:
            return "another process"
        details = [str(h[k]) for k in ("mode", "spider") if h.get(k)]
        if h.get("pid"):
            details.append(f"pid {h['pid']}" + (f" on {h['host']}" if h.get("host") else ""))
        if h.get("since"):
            details.append(f"since {h['since']}")
        name = f"run {h['run_id']}" if h.get("run_id") else "another process"
        return name + (f" ({', '.join(details)})" if details else "")

    def refusal(self, waited: float) -> ArchiveHeld:
        """The error of a crawl that found the lock held for ``waited`` seconds (0: it did not wait)."""
        how = f"gave up after waiting {waited:g} s" if waited else "refused at once"
        return ArchiveHeld(f"the archive {self.archive} is held by another crawl, {self.describe_holder()}; "
                           f"{how} (GDCAC_ARCHIVE_LOCK_TIMEOUT)")

    def release(self) -> None:
        """Let the lock go (the file stays: removing it would let two processes lock two different files)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
