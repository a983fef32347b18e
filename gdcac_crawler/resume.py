"""Resuming a run from its ``JOBDIR``, also after the process was killed with SIGKILL.

Scrapy's own job state (``requests.queue/``, ``requests.seen``, ``spider.state``) is consistent only after a
clean shutdown: its queues write their bookkeeping when they close, and the duplicate filter appends
fingerprints through a buffer.  After SIGKILL the queue may look empty while ``requests.seen`` already holds
the pages that were in flight — a naive resume would skip them for good.  So the run keeps a small file of its
own, ``JOBDIR/gdcac-run.json`` (written atomically when the run starts and when it closes):

``{"run_id", "mode", "started_at", "state", "segments", "incomplete_pages", "stopped_walks"}``

and the spider reads it before Scrapy opens the job:

* no file, or ``state: finished`` — a new run: Scrapy's job files are cleared (so one ``JOBDIR`` serves every
  scheduled run and a finished run's duplicate filter never hides the next run's pages);
* ``state: paused`` — the last process closed cleanly (SIGINT/SIGTERM): the same run goes on from Scrapy's
  queue;
* ``state: running`` — the last process died (SIGKILL, OOM, power loss): the same run (same id, mode and
  start time) starts its walk again with Scrapy's job files cleared.  Nothing is lost, because what the
  archive durably holds decides what is still to do (articles this run already archived are not fetched
  again), and nothing is doubled, because every archive write is a keyed upsert.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

RUN_FILE = "gdcac-run.json"
"""The run's own state file inside ``JOBDIR``."""
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")
"""What Scrapy keeps in ``JOBDIR``; cleared when a run starts afresh or after an unclean end."""


@dataclass
class RunJob:
    """The run a ``JOBDIR`` holds."""

    run_id: str
    mode: str
    started_at: str
    state: str = "running"
    """``running`` (a process is at work, or died), ``paused`` (closed cleanly before the end), ``finished``."""
    segments: int = 1
    """How many processes have worked on the run (2 after one resume)."""
    incomplete_pages: int = 0
    """Section or listing pages of earlier segments that failed or showed nothing (they make a walk incomplete;
    kept across clean pauses only: after an unclean end the walk starts again)."""
    stopped_walks: dict[str, list[str]] = field(default_factory=dict)
    """Columns whose walk stopped before its end in earlier segments, by why (``page_cap``, ``repeat``), as
    the run's health names them (kept like ``incomplete_pages``)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON atomically and durably (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def clear_scrapy_job(jobdir: Path) -> bool:
    """Remove Scrapy's job files from ``jobdir`` (nothing else); whether there were any."""
    found = False
    for name in SCRAPY_JOB_FILES:
        target = jobdir / name
        if target.is_dir():
            shutil.rmtree(target)
            found = True
        elif target.exists():
            target.unlink()
            found = True
    return found


def open_job(jobdir: str | os.PathLike[str], *, run_id: str, mode: str, started_at: str,
             requested_run_id: str | None = None) -> tuple[RunJob, str]:
    """The run that ``jobdir`` continues or starts, and how: ``"new"``, ``"resumed"`` (clean pause) or
    ``"restarted"`` (after an unclean end).  ``run_id``, ``mode`` and ``started_at`` are used for a new run.
    Writes the run file with ``state: running`` before returning."""
    path = Path(jobdir)
    path.mkdir(parents=True, exist_ok=True)
    run_file = path / RUN_FILE
    previous: dict[str, Any] | None = None
    if run_file.is_file():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except ValueError:
            logger.warning("JOBDIR %s: unreadable %s; starting a new run", path, RUN_FILE)
    how = "new"
    if previous and previous.get("state") in ("paused", "running") and previous.get("run_id"):
        if requested_run_id and requested_run_id != previous["run_id"]:
            logger.warning("JOBDIR %s holds run %s; resuming it (run_id=%s ignored)", path, previous["run_id"],
                           requested_run_id)
        if previous.get("mode") and previous["mode"] != mode:
            logger.warning("JOBDIR %s holds a %s run; resuming it as such (mode=%s ignored)", path,
                           previous["mode"], mode)
        job = RunJob(run_id=previous["run_id"], mode=previous.get("mode") or mode,
                     started_at=previous.get("started_at") or started_at,
                     segments=int(previous.get("segments") or 1) + 1,
                     incomplete_pages=int(previous.get("incomplete_pages") or 0),
                     stopped_walks=dict(previous.get("stopped_walks") or {}))
        if previous["state"] == "paused":
            how = "resumed"
        else:
            how = "restarted"
            job.incomplete_pages = 0  # the walk starts again from the section page
            job.stopped_walks = {}
            clear_scrapy_job(path)
    else:
        job = RunJob(run_id=run_id, mode=mode, started_at=started_at)
        if clear_scrapy_job(path):
            logger.info("JOBDIR %s: the previous run had finished; starting run %s afresh", path, run_id)
    _write(run_file, job.to_json())
    return job, how


def undo_open(jobdir: str | os.PathLike[str], job: RunJob, how: str) -> None:
    """Put the run file back as it was before :func:`open_job` (``how`` as it returned), for a process that was
    refused before it did anything (another crawl held the archive): a new run is forgotten (the next start is
    new again), a paused or dead one stays as it was, its segments uncounted."""
    if how == "new":
        job.state = "finished"
    else:
        job.state = "paused" if how == "resumed" else "running"
        job.segments = max(1, job.segments - 1)
    _write(Path(jobdir) / RUN_FILE, job.to_json())


def close_job(jobdir: str | os.PathLike[str], job: RunJob, *, finished: bool, incomplete_pages: int,
              stopped_walks: dict[str, list[str]] | None = None) -> None:
    """Record how the process ended: ``finished`` (the next start is a new run) or ``paused``."""
    job.state = "finished" if finished else "paused"
    job.incomplete_pages = incomplete_pages
    if stopped_walks is not None:
        job.stopped_walks = stopped_walks
    _write(Path(jobdir) / RUN_FILE, job.to_json())
