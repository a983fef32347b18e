"""The archive's connection: opening the SQLite file (pragmas, WAL, read-only), chunked ``IN`` reads, JSON columns.

Every connection the archive makes goes through :func:`open_database`: a writer's runs in WAL mode (so readers
are never blocked by a crawl that is writing) with ``synchronous=NORMAL``; a reader's opens the file with
``mode=ro``, so that it cannot write even by mistake.  Both wait up to ten seconds for a lock and enforce
foreign keys.

Every write goes through :func:`write_transaction`, which takes the write lock up front (``BEGIN IMMEDIATE``).
A deferred ``BEGIN`` reads first and asks for the write lock at its first write; if another connection committed
meanwhile, SQLite refuses at once (``SQLITE_BUSY_SNAPSHOT``: its snapshot is stale), whatever the busy timeout —
the ``database is locked`` of two crawls on one archive.  ``BEGIN IMMEDIATE`` waits in the busy handler instead,
and is retried with backoff (:func:`retry_locked`) until the writer's patience (``GDCAC_ARCHIVE_WRITE_TIMEOUT``)
runs out; then :class:`ArchiveBusyError` says which archive and for how long.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from gdcac_crawler import default_settings

__all__ = ["IN_CHUNK", "ArchiveBusyError", "decode_columns", "from_json", "is_lock_error", "open_database",
           "retry_locked", "select_in", "to_json", "write_transaction"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
"""How long a statement waits for another connection's lock (``busy_timeout``)."""
RETRY_BACKOFF = 0.05
"""The first pause (seconds) between two attempts at a lock; doubled after each, up to :data:`RETRY_MAX_BACKOFF`."""
RETRY_MAX_BACKOFF = 2.0

IN_CHUNK = 500
"""How many values one ``IN (...)`` list holds (within SQLite's limit on parameters)."""


class ArchiveBusyError(sqlite3.OperationalError):
    """Another connection held the archive's write lock for longer than the writer would wait (``database is
    locked`` after every retry): nothing of this write was written."""


def is_lock_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's ``database is locked`` / ``busy`` (any extended code: snapshot, recovery)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def retry_locked(attempt: Callable[[], T], *, timeout: float, what: str) -> T:
    """``attempt()``, tried again with backoff (jittered, doubling from :data:`RETRY_BACKOFF`) while it fails
    with a lock error, for at most ``timeout`` seconds in all; then :class:`ArchiveBusyError` naming ``what``.
    Each attempt also waits in SQLite's busy handler; the retries cover the answers that do not (a stale
    snapshot, a WAL recovery in another process) and a busy timeout that ran out."""
    deadline = time.monotonic() + max(0.0, timeout)
    pause, attempts = RETRY_BACKOFF, 0
    while True:
        attempts += 1
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not is_lock_error(exc):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
                raise ArchiveBusyError(f"{what}: the archive was locked by another connection for more than "
                                       f"{timeout:g} s ({tries}; {exc})") from exc
            logger.debug("%s: %s; trying again in %.2f s", what, exc, min(pause, left))
            time.sleep(min(pause * random.uniform(0.5, 1.0), left))
            pause = min(pause * 2, RETRY_MAX_BACKOFF)


def _set_busy_timeout(conn: sqlite3.Connection, seconds: float) -> None:
    conn.execute(f"PRAGMA busy_timeout={max(1, int(seconds * 1000))}")


@contextmanager
def write_transaction(db: sqlite_utils.Database, *, timeout: float = default_settings.GDCAC_ARCHIVE_WRITE_TIMEOUT,
                      what: str = "archive write") -> Iterator[sqlite_utils.Database]:
    """One write transaction on ``db`` that holds the write lock from its start (``BEGIN IMMEDIATE``, waiting up
    to ``timeout`` seconds in all: :func:`retry_locked`), committed at the end of the block and rolled back if
    the block raises.  Inside an open transaction it is a savepoint of that one."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    deadline = time.monotonic() + max(0.0, timeout)

    def begin() -> None:
        # each attempt waits in the busy handler no longer than the patience left
        _set_busy_timeout(conn, min(BUSY_TIMEOUT_MS / 1000, max(0.001, deadline - time.monotonic())))
        conn.execute("BEGIN IMMEDIATE")

    try:
        retry_locked(begin, timeout=timeout, what=what)
    finally:
        _set_busy_timeout(conn, BUSY_TIMEOUT_MS / 1000)
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def open_database(path: Path, *, readonly: bool,
                  timeout: float = default_settings.GDCAC_ARCHIVE_WRITE_TIMEOUT) -> sqlite_utils.Database:
    """The archive at ``path`` as a :class:`sqlite_utils.Database`: read-only (``mode=ro``; the file must exist)
    or read-write in WAL mode.  The connection may be handed to another thread, never used by two at once.

    A writer's connection makes Python's implicit transactions ``BEGIN IMMEDIATE`` too, and its setup (switching
    a new file to WAL) is retried for up to ``timeout`` seconds while another process holds a lock."""
    busy = BUSY_TIMEOUT_MS / 1000
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=busy, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=busy, check_same_thread=False, isolation_level="IMMEDIATE")
    db = sqlite_utils.Database(conn)

    def setup() -> None:
        if not readonly:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys=ON")

    try:
        retry_locked(setup, timeout=timeout, what=f"archive {path}: opening")
    except BaseException:
        conn.close()
        raise
    return db


def select_in(
    db: sqlite_utils.Database, sql: str, values: list[Any], params: Iterable[Any] = (), *, dicts: bool = False
) -> Iterator[Any]:
    """Rows of ``sql``, whose ``{marks}`` stands for the placeholders of an ``IN (...)`` list, for every value in
    ``values`` (:data:`IN_CHUNK` at a time); ``params`` follow each list.  Tuples, or dicts with ``dicts``."""
    params = list(params)
    run = db.query if dicts else db.execute
    for i in range(0, len(values), IN_CHUNK):
        part = values[i : i + IN_CHUNK]
        yield from run(sql.format(marks=", ".join("?" for _ in part)), [*part, *params])


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(value: Any) -> str | None:
    """``value`` as the text of a JSON column (``ensure_ascii=False``: Chinese stays readable); ``None`` stays."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def from_json(value: Any) -> Any:
    """The value a JSON column holds; anything that is not JSON text comes back as it is."""
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_columns(row: dict[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """``row`` with its JSON ``columns`` decoded in place (and returned)."""
    for column in columns:
        row[column] = from_json(row.get(column))
    return row
