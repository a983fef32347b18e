"""Two crawls, and other writers, on one archive: real processes on real SQLite files.

- write transactions take the write lock up front and wait (with retries) for another process's lock, and give
  up with a clear error after their timeout;
- concurrent writers and concurrent migrations of a new or older archive all succeed, each migration once;
- the run lock (``<archive>.lock``): held by a crawl, named in a refusal, released when its holder dies;
- two ``scrapy crawl`` processes on one archive (one slowed by the mirror's ``slow`` fault so that they
  overlap): the second waits its turn and both archive everything, or refuses at once with its reason and
  exit status 5, leaving no run row and its JOBDIR as it was;
- a flush that another process blocks past the write timeout: recovered by a later batch, or, at the end,
  the run unhealthy with the reason and nothing counted as archived that is not.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from gdcac_crawler.archive import Archive, ArchiveBusyError, RunLock, migrations
from gdcac_crawler.archive.connection import write_transaction
from gdcac_crawler.archive.runlock import lock_path
from gdcac_crawler.extensions.health import ARCHIVE_REFUSED, ExitStatus, assess, exit_status
from gdcac_crawler.resume import RUN_FILE, open_job, undo_open
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.crawl import crawl_command, crawl_env

ARTICLES = load_manifest()["counts"]["articles"]

# -- helpers ------------------------------------------------------------------------------------------------

HOLD_WRITE_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("COMMIT")
""")


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the archive's write lock for ``seconds`` (returned once it holds it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, str(db), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


CHURN = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("CREATE TABLE IF NOT EXISTS churn (n INTEGER)")
    print("churning", flush=True)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO churn VALUES (1)")
        conn.execute("COMMIT")
        time.sleep(0.002)
""")


@pytest.fixture
def churn(tmp_path) -> Iterator[Callable[[Path], None]]:
    """``churn(db)``: another process that commits a small transaction to ``db`` every 2 ms until the test
    ends — what a second crawl's flushes do to a transaction that reads before it writes."""
    procs: list[subprocess.Popen[str]] = []

    def start(db: Path) -> None:
        proc = subprocess.Popen([sys.executable, "-c", CHURN, str(db)], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "churning"

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def in_processes(script: str, *args: str, n: int) -> list[subprocess.CompletedProcess[str]]:
    """``script`` run by ``n`` processes that start its body at the same moment (a shared start time, after
    their imports)."""
    start = f"{time.time() + 3:.3f}"
    procs = [subprocess.Popen([sys.executable, "-c", script, start, str(i), *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(n)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture
def slow_mirror() -> Iterator[MirrorProcess]:
    """A mirror of its own whose article pages answer after one second: a full walk of it takes ~10 s."""
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"fault": "slow", "delay": 1.0, "kinds": ["article"]}])
        yield mirror


def start_crawl(base_url: str, db: Path, log: Path, *extra: str, **settings: str) -> subprocess.Popen[str]:
    cmd = crawl_command(base_url, db, settings={"LOG_FILE": str(log), **settings}, extra=extra)
    return subprocess.Popen(cmd, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def run_row_exists(db: Path) -> bool:
    try:
        return bool(rows(db, "SELECT count(*) FROM runs")[0][0])
    except sqlite3.OperationalError:  # no archive, or no runs table yet
        return False


# -- write transactions -------------------------------------------------------------------------------------


def test_a_write_waits_for_another_process_lock_then_writes(tmp_path) -> None:
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    holder = hold_write_lock(db, 1.5)
    with Archive(db, write_timeout=30) as archive:
        started = time.monotonic()
        archive.start_run("r1", spider="gdcac", site="gdcac", mode="full", started_at="2026-01-01T00:00:00Z",
                          settings={}, crawler_version="t")
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited >= 1.0  # it waited for the other process's transaction ...
    assert rows(db, "SELECT id, mode FROM runs") == [("r1", "full")]  # ... and then wrote


def test_a_transaction_that_reads_first_is_not_refused_while_another_process_commits(tmp_path, churn) -> None:
    """A deferred ``BEGIN`` that reads, then writes after another process committed, fails at once
    (``database is locked``, a stale snapshot) whatever the busy timeout; a write transaction does not."""
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    churn(db)
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM churn").fetchone()
    time.sleep(0.05)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        conn.execute("INSERT INTO runs (id) VALUES ('deferred')")
    conn.execute("ROLLBACK")
    conn.close()
    with Archive(db) as archive:
        for i in range(20):
            with write_transaction(archive.db, timeout=30):
                archive.db.execute("SELECT count(*) FROM churn").fetchone()
                time.sleep(0.01)
                archive.db.execute("INSERT INTO runs (id) VALUES (?)", [f"immediate-{i}"])
    assert rows(db, "SELECT count(*) FROM runs") == [(20,)]


def test_a_write_gives_up_after_its_timeout_with_a_clear_error(tmp_path) -> None:
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    holder = hold_write_lock(db, 8)
    try:
        with Archive(db, write_timeout=1) as archive:
            started = time.monotonic()
            with pytest.raises(ArchiveBusyError, match=r"starting run r1: the archive was locked by another "
                                                       r"connection for more than 1 s"):
                archive.start_run("r1", spider="gdcac", site="gdcac", mode="full", started_at="x", settings={},
                                  crawler_version="t")
            assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert rows(db, "SELECT count(*) FROM runs") == [(0,)]


WRITER = textwrap.dedent("""
    import sys, time
    from gdcac_crawler.archive import Archive
    start, me, db = float(sys.argv[1]), sys.argv[2], sys.argv[3]
    time.sleep(max(0, start - time.time()))
    with Archive(db, batch_size=5) as archive:
        archive.start_run(f"run-{me}", spider="gdcac", site="gdcac", mode="full", started_at="x", settings={},
                          crawler_version="t")
        for i in range(150):
            url = f"https://www.gdcac.gov.cn/zcfg/zcjd/list_{me}_{i}.html"
            fetch = {"run_id": f"run-{me}", "url": url, "status": 200, "fetched_at": "2026-01-01T00:00:00Z",
                     "kind": "listing", "body": f"<html>{me} {i}</html>"}
            archive.add_listing({"url": url, "site": "gdcac", "column": "c", "page_no": i, "fetch": fetch,
                                 "entries": [{"url": f"https://www.gdcac.gov.cn/a/{me}/{i}.html", "position": 1}]})
""")


def test_concurrent_writers_all_write_everything(tmp_path) -> None:
    """Four processes flushing batches of five into one archive at once: no ``database is locked``."""
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    results = in_processes(WRITER, str(db), n=4)
    assert [r.returncode for r in results] == [0] * 4, [r.stderr[-1500:] for r in results]
    assert rows(db, "SELECT count(*) FROM pages") == [(600,)]
    assert rows(db, "SELECT count(*) FROM listings") == [(600,)]


MIGRATOR = textwrap.dedent("""
    import sys, time
    from gdcac_crawler.archive import Archive
    start, me, db = float(sys.argv[1]), sys.argv[2], sys.argv[3]
    time.sleep(max(0, start - time.time()))
    Archive(db).close()
""")


@pytest.mark.parametrize("archive", ["new", "older"])
def test_migrations_under_contention_apply_once(tmp_path, churn, archive) -> None:
    """Five processes open a missing archive at the same moment; or an archive made before m020 (whose
    migrations read a table's columns before they alter it) while another process keeps committing."""
    db = tmp_path / "a.sqlite"
    if archive == "older":
        with sqlite_utils.Database(db) as older:
            older.execute("PRAGMA journal_mode=WAL")
            migrations.apply(older, stop_before="m020_incremental_runs")
        churn(db)
    results = in_processes(MIGRATOR, str(db), n=5)
    assert [r.returncode for r in results] == [0] * 5, [r.stderr[-1500:] for r in results]
    applied = [name for (name,) in rows(db, "SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]
    assert rows(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('search_postings', 'attachment_files')") \
        == [(2,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


# -- the run lock -------------------------------------------------------------------------------------------

HOLD_RUN_LOCK = textwrap.dedent("""
    import sys, time
    from gdcac_crawler.archive import RunLock
    lock = RunLock(sys.argv[1])
    assert lock.try_acquire({"run_id": "run-A", "mode": "full", "since": "2026-12-06T02:30:00Z"})
    print("held", flush=True)
    time.sleep(60)
""")


def test_the_run_lock_names_its_holder_and_dies_with_it(tmp_path) -> None:
    db = tmp_path / "a.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN_LOCK, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = RunLock(db)
        assert lock.path == tmp_path / "a.sqlite.lock"
        assert not lock.try_acquire({"run_id": "run-B"})
        assert str(lock.refusal(0)) == (
            f"the archive {db} is held by another crawl, run run-A (full, pid {holder.pid} on {os.uname().nodename}, "
            "since 2026-12-06T02:30:00Z); refused at once (GDCAC_ARCHIVE_LOCK_TIMEOUT)")
        os.kill(holder.pid, signal.SIGKILL)  # however the holder ends, the kernel releases its lock
        holder.wait()
        assert lock.try_acquire({"run_id": "run-B"})
        assert json.loads(lock_path(db).read_text())["run_id"] == "run-B"
        lock.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_refused_run_leaves_its_jobdir_as_it_found_it(tmp_path) -> None:
    job, how = open_job(tmp_path, run_id="r1", mode="full", started_at="t1")
    undo_open(tmp_path, job, how)  # refused: the next start is a new run
    assert open_job(tmp_path, run_id="r2", mode="full", started_at="t2")[0].run_id == "r2"
    run_file = tmp_path / RUN_FILE
    run_file.write_text(json.dumps({"run_id": "r2", "mode": "full", "started_at": "t2", "state": "paused",
                                    "segments": 2}))
    job, how = open_job(tmp_path, run_id="r3", mode="full", started_at="t3")
    assert (job.run_id, how, job.segments) == ("r2", "resumed", 3)
    undo_open(tmp_path, job, how)  # refused: still the paused run, its segments uncounted
    assert json.loads(run_file.read_text()) == {"run_id": "r2", "mode": "full", "started_at": "t2",
                                                      "state": "paused", "segments": 2, "incomplete_pages": 0,
                                                      "stopped_walks": {}}


# -- two crawls on one archive ------------------------------------------------------------------------------


def test_two_crawls_on_one_archive_one_refused_at_once_one_waiting_its_turn(tmp_path, mirror, slow_mirror) -> None:
    """A slowed full walk holds the archive; an incremental run with GDCAC_ARCHIVE_LOCK_TIMEOUT=0 is refused at
    once (exit 5, one ``Error:`` line naming the holder, no run row, its JOBDIR untouched); one with a wait
    starts once the full walk has ended; both of those archive everything."""
    db = tmp_path / "gdcac.sqlite"
    full = start_crawl(slow_mirror.base_url, db, tmp_path / "full.log", "-a", "mode=full")
    wait_for(lambda: run_row_exists(db), what="the full walk's run row")
    full_id = rows(db, "SELECT id FROM runs")[0][0]
    refused = start_crawl(mirror.base_url, db, tmp_path / "refused.log", "-s", f"JOBDIR={tmp_path / 'job'}",
                          GDCAC_ARCHIVE_LOCK_TIMEOUT="0")
    _, refused_err = refused.communicate(timeout=120)
    waiting = start_crawl(mirror.base_url, db, tmp_path / "waiting.log", GDCAC_ARCHIVE_LOCK_TIMEOUT="120")
    _, waiting_err = waiting.communicate(timeout=180)
    _, full_err = full.communicate(timeout=180)

    assert full.returncode == ExitStatus.OK, full_err[-2000:]
    assert refused.returncode == ExitStatus.ARCHIVE_BUSY == 5
    last = refused_err.strip().splitlines()[-1]
    assert last.startswith("Error: run ") and " refused: the archive " in last
    assert f"held by another crawl, run {full_id} (full, gdcac, pid {full.pid}" in last
    assert "Traceback" not in refused_err
    job = json.loads((tmp_path / "job" / RUN_FILE).read_text())
    assert job["state"] == "finished"  # the next start with that JOBDIR is a new run
    assert waiting.returncode == ExitStatus.OK, waiting_err[-2000:]
    assert "is held by run " + full_id in (tmp_path / "waiting.log").read_text()  # it said why it waited

    runs = rows(db, "SELECT id, mode, finish_reason, healthy, started_at, finished_at FROM runs ORDER BY started_at")
    assert [(r[1], r[2], r[3]) for r in runs] == [("full", "finished", 1), ("incremental", "finished", 1)]
    assert job["run_id"] not in [r[0] for r in runs]  # the refused run left no row at all
    waiting_id, full_finished = runs[1][0], runs[0][5]
    first_fetch = rows(db, "SELECT min(fetched_at) FROM pages WHERE run_id = ?", waiting_id)[0][0]
    assert first_fetch >= full_finished  # it fetched nothing before the full walk had ended
    assert rows(db, "SELECT count(*) FROM articles") == [(ARTICLES,)]
    assert rows(db, "SELECT count(*) FROM articles WHERE removed_at IS NOT NULL") == [(0,)]
    assert not [r for r in rows(db, "SELECT finished_at FROM runs") if r[0] is None]


# -- flushes another process blocks ---------------------------------------------------------------------------


def hold_lock_while(db: Path, start: Callable[[], bool], stop: Callable[[float], bool],
                    timeout: float = 90) -> threading.Thread:
    """A thread of this (test) process — another process for the crawl — that takes the archive's write lock
    once ``start()`` is true and holds it until ``stop(seconds held)`` is."""

    def hold() -> None:
        wait_for(start, timeout, "the moment to take the lock")
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        taken = time.monotonic()
        try:
            wait_for(lambda: stop(time.monotonic() - taken), timeout, "the moment to let the lock go")
        finally:
            conn.execute("COMMIT")
            conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


def test_a_flush_blocked_for_a_while_is_written_with_a_later_batch(tmp_path, slow_mirror) -> None:
    db = tmp_path / "gdcac.sqlite"
    log = tmp_path / "crawl.log"
    crawl = start_crawl(slow_mirror.base_url, db, log, "-a", "mode=full", GDCAC_ARCHIVE_BATCH_SIZE="5",
                        GDCAC_ARCHIVE_WRITE_TIMEOUT="0.5")
    holder = hold_lock_while(
        db, lambda: bool(run_row_exists(db) and rows(db, "SELECT count(*) FROM articles")[0][0]),
        lambda held: held > 3)
    _, err = crawl.communicate(timeout=180)
    holder.join(timeout=10)
    assert crawl.returncode == ExitStatus.OK, err[-2000:]
    assert "items stay buffered" in log.read_text()  # a flush did meet the lock
    assert rows(db, "SELECT count(*) FROM articles") == [(ARTICLES,)]
    (stats,) = rows(db, "SELECT stats FROM runs")[0]
    assert json.loads(stats)["gdcac/archive/flush_retries"] >= 1


def test_a_flush_that_fails_for_good_makes_the_run_unhealthy(tmp_path, slow_mirror) -> None:
    """Every item waits for the last flush (batch larger than the crawl); another process holds the write lock
    from the run's start until that flush has failed: the run's row says unhealthy and why, exit status 3,
    and it counts no article as archived since the archive holds none."""
    db = tmp_path / "gdcac.sqlite"
    log = tmp_path / "crawl.log"
    crawl = start_crawl(slow_mirror.base_url, db, log, "-a", "mode=full", GDCAC_ARCHIVE_BATCH_SIZE="1000",
                        GDCAC_ARCHIVE_WRITE_TIMEOUT="1")
    holder = hold_lock_while(db, lambda: run_row_exists(db),
                             lambda _: log.exists() and "could not be written to the archive" in log.read_text())
    _, err = crawl.communicate(timeout=180)
    holder.join(timeout=10)
    assert crawl.returncode == ExitStatus.UNHEALTHY, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert " is unhealthy: " in last and " items could not be written to the archive (" in last
    assert "Traceback" not in err
    healthy, health, finish, new, finished_at = rows(
        db, "SELECT healthy, health, finish_reason, articles_new, finished_at FROM runs")[0]
    assert (healthy, finish, finished_at is not None) == (0, "finished", True)
    assert "items could not be written to the archive" in health
    assert rows(db, "SELECT count(*) FROM articles") == [(0,)] and new == 0  # nothing claimed that is not there
    (stats,) = rows(db, "SELECT stats FROM runs")[0]
    assert json.loads(stats).get("gdcac/archive/new", 0) == 0
    assert "no article archived" in health  # what the listings showed was not archived, and the verdict says so


# -- the verdicts -------------------------------------------------------------------------------------------


def test_unwritten_items_and_a_refusal_are_verdicts() -> None:
    stats = {"gdcac/listing/pages": 10, "gdcac/listing/entries": 66, "gdcac/article/requested": 66,
             "gdcac/archive/new": 66, "finish_reason": "finished", "gdcac/run_id": "r1",
             "gdcac/archive/unwritten": 133, "gdcac/archive/write_error": "database is locked"}
    assert assess(stats) == ["133 items could not be written to the archive (database is locked)"]
    refused = {"gdcac/run_id": "r2", "finish_reason": ARCHIVE_REFUSED,
               "gdcac/archive/refused": "the archive a.sqlite is held by another crawl, run r1"}
    assert assess(refused) == ["refused: the archive a.sqlite is held by another crawl, run r1"]
    assert exit_status({**refused, "gdcac/health/status": "unhealthy"}) == (
        ExitStatus.ARCHIVE_BUSY, "Error: run r2 refused: the archive a.sqlite is held by another crawl, run r1")
