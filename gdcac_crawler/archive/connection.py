"""The archive's connection: opening the SQLite file (pragmas, WAL, read-only), chunked ``IN`` reads, JSON columns.

Every connection the archive makes goes through :func:`open_database`: a writer's runs in WAL mode (so readers
are never blocked by a crawl that is writing) with ``synchronous=NORMAL``; a reader's opens the file with
``mode=ro``, so that it cannot write even by mistake.  Both wait up to ten seconds for a lock and enforce
foreign keys.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

__all__ = ["IN_CHUNK", "decode_columns", "from_json", "open_database", "select_in", "to_json"]

BUSY_TIMEOUT_MS = 10_000
"""How long a statement waits for another connection's lock (``busy_timeout``)."""

IN_CHUNK = 500
"""How many values one ``IN (...)`` list holds (within SQLite's limit on parameters)."""


def open_database(path: Path, *, readonly: bool) -> sqlite_utils.Database:
    """The archive at ``path`` as a :class:`sqlite_utils.Database`: read-only (``mode=ro``; the file must exist)
    or read-write in WAL mode.  The connection may be handed to another thread, never used by two at once."""
    timeout = BUSY_TIMEOUT_MS / 1000
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    if not readonly:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys=ON")
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
