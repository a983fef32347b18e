"""Resume: a crawl killed with SIGKILL (or stopped with SIGTERM) and started again with the same JOBDIR ends
with the same archive as an uninterrupted crawl — same article ids and content hashes, nothing doubled — and
`PRAGMA integrity_check` ok.

One mirror of its own (module-scoped), so that its request counts are this module's alone.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gdcac_crawler.resume import RUN_FILE, close_job, open_job
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.crawl import crawl_command, crawl_env

#: Slow enough to be stopped half-way: one request at a time, ~50 ms apart; small archive batches.
SLOW = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.05", "GDCAC_ARCHIVE_BATCH_SIZE": "7"}


@pytest.fixture(scope="module")
def rmirror() -> Iterator[MirrorProcess]:
    with MirrorProcess(SITE_DIR) as process:
        yield process


def command(mirror: MirrorProcess, db: Path, jobdir: Path | None = None, settings: dict[str, str] | None = None):
    extra = ["-s", "LOG_LEVEL=WARNING"]
    if jobdir is not None:
        extra += ["-s", f"JOBDIR={jobdir}"]
    return crawl_command(mirror.base_url, db, settings=settings, extra=tuple(extra))


def run(cmd) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=crawl_env(), capture_output=True, text=True, timeout=180)


def article_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def stop_when(process: subprocess.Popen, db: Path, at_least: int, sig: int, timeout: float = 60,
              linger: float = 0.0) -> int:
    """Send ``sig`` ``linger`` seconds after the archive holds ``at_least`` articles; the number it held then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = article_count(db)
        if n >= at_least or process.poll() is not None:
            break
        time.sleep(0.02)
    time.sleep(linger)  # let the crawl fetch a few more articles into the archive's unflushed batch
    assert process.poll() is None, "the crawl ended before it could be stopped: " + process.stderr.read()[-2000:]
    process.send_signal(sig)
    process.wait(timeout=60)
    return n


def snapshot(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {
            "articles": conn.execute("SELECT id, url, content_hash, version FROM articles ORDER BY id").fetchall(),
            "versions": conn.execute("SELECT article_id, version, content_hash FROM article_versions "
                                     "ORDER BY article_id, version").fetchall(),
            "listings": conn.execute("SELECT listing_url, article_url, position FROM listings "
                                     "ORDER BY 1, 2").fetchall(),
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "runs": conn.execute("SELECT id, finish_reason, articles_new, articles_changed, articles_unchanged, "
                                 "listing_pages, resumes, healthy FROM runs").fetchall(),
            "stats": [json.loads(r[0] or "{}") for r in conn.execute("SELECT stats FROM runs")],
            "article_pages": conn.execute("SELECT count(*), count(DISTINCT article_id) FROM pages "
                                          "WHERE kind = 'article'").fetchone(),
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def uninterrupted(rmirror, tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("resume") / "uninterrupted.sqlite"
    result = run(command(rmirror, db))
    assert result.returncode == 0, result.stderr[-2000:]
    return snapshot(db)


def check_same_archive(resumed: dict, uninterrupted: dict) -> None:
    n = load_manifest()["counts"]["articles"]
    assert resumed["integrity"] == "ok"
    assert [(a[0], a[2], a[3]) for a in resumed["articles"]] == [(a[0], a[2], a[3]) for a in uninterrupted["articles"]]
    assert len(resumed["articles"]) == n and {a[3] for a in resumed["articles"]} == {1}
    assert resumed["versions"] == uninterrupted["versions"]  # one version each: nothing doubled
    assert resumed["listings"] == uninterrupted["listings"]
    assert resumed["article_pages"] == (n, n)
    (run_row,) = resumed["runs"]
    assert run_row[1:] == ("finished", n, 0, 0, uninterrupted["runs"][0][5], 1, 1)
    stats = resumed["stats"][0]
    assert stats.get("scheduler/enqueued/disk", 0) > 0 and "scheduler/unserializable" not in stats


def test_sigkill_then_resume_gives_the_same_archive(rmirror, uninterrupted, tmp_path) -> None:
    db, jobdir = tmp_path / "killed.sqlite", tmp_path / "job"
    rmirror.reset_stats()
    process = subprocess.Popen(command(rmirror, db, jobdir, SLOW), env=crawl_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    stop_when(process, db, 20, signal.SIGKILL, linger=0.25)
    assert process.returncode == -signal.SIGKILL
    n = load_manifest()["counts"]["articles"]
    state = json.loads((jobdir / RUN_FILE).read_text())
    assert state["state"] == "running"  # it never closed
    before = {a[1] for a in snapshot(db)["articles"]}
    assert 20 <= len(before) < n, len(before)
    first_segment = rmirror.stats()["by_path"]

    rmirror.reset_stats()
    result = run(command(rmirror, db, jobdir))
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = snapshot(db)
    check_same_archive(resumed, uninterrupted)
    assert resumed["runs"][0][0] == state["run_id"]  # the same run went on
    assert json.loads((jobdir / RUN_FILE).read_text())["state"] == "finished"
    # the restart fetched exactly the articles the archive did not hold when the first process died: those it
    # never reached and those it had fetched but not yet flushed (lost with the process, fetched again)
    articles = {a["path"] for a in load_manifest()["articles"]}
    archived = {"/" + url.split("/", 3)[3] for url in before}
    second_segment = {p for p in rmirror.stats()["by_path"] if "/content/" in p}
    assert second_segment == articles - archived
    lost = {p for p in first_segment if "/content/" in p} - archived
    print(f"killed after {len(archived)} archived articles; {len(lost)} fetched but unflushed, fetched again")


def test_sigterm_then_resume_continues_from_the_queue(rmirror, uninterrupted, tmp_path) -> None:
    db, jobdir = tmp_path / "paused.sqlite", tmp_path / "job"
    process = subprocess.Popen(command(rmirror, db, jobdir, SLOW), env=crawl_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    stop_when(process, db, 10, signal.SIGTERM)
    assert process.returncode == 4, process.stderr.read()[-2000:]  # did not finish: resume it
    assert json.loads((jobdir / RUN_FILE).read_text())["state"] == "paused"
    assert (jobdir / "requests.queue").is_dir()
    rmirror.reset_stats()
    result = run(command(rmirror, db, jobdir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/zcfg/" not in rmirror.stats()["by_path"]  # the walk went on from Scrapy's queue
    check_same_archive(snapshot(db), uninterrupted)


def test_a_finished_jobdir_starts_the_next_run_afresh(tmp_path) -> None:
    jobdir = tmp_path / "job"
    job, how = open_job(jobdir, run_id="r1", mode="incremental", started_at="t1")
    assert (how, job.run_id, job.state) == ("new", "r1", "running")
    (jobdir / "requests.seen").write_text("fingerprints of run r1\n")
    (jobdir / "requests.queue").mkdir()
    close_job(jobdir, job, finished=True, incomplete_pages=0)
    job, how = open_job(jobdir, run_id="r2", mode="incremental", started_at="t2")
    assert (how, job.run_id, job.segments) == ("new", "r2", 1)
    assert not (jobdir / "requests.seen").exists() and not (jobdir / "requests.queue").exists()
    # r2 dies (its file still says running): the next start restarts r2, Scrapy's files cleared, mode kept
    (jobdir / "requests.seen").write_text("fingerprints of run r2\n")
    job, how = open_job(jobdir, run_id="r3", mode="full", started_at="t3", requested_run_id=None)
    assert (how, job.run_id, job.mode, job.started_at, job.segments) == ("restarted", "r2", "incremental", "t2", 2)
    assert not (jobdir / "requests.seen").exists()
    # a clean pause keeps Scrapy's files for the resume
    close_job(jobdir, job, finished=False, incomplete_pages=1)
    (jobdir / "requests.seen").write_text("kept\n")
    job, how = open_job(jobdir, run_id="r4", mode="incremental", started_at="t4")
    assert (how, job.run_id, job.segments, job.incomplete_pages) == ("resumed", "r2", 3, 1)
    assert (jobdir / "requests.seen").read_text() == "kept\n"
