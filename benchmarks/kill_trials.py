"""Crash safety: SIGKILL a crawl at random points, resume it with the same JOBDIR, check the archive.

For each trial: a fresh archive and JOBDIR; ``scrapy crawl gdcac`` against a generated mirror is killed with
SIGKILL after a random delay, then restarted with the same JOBDIR (killed again at random, up to
``--kills`` times), then left to finish.  After the last run the archive must pass ``PRAGMA
integrity_check``, hold every same-site article of the mirror exactly once, and hold no half-written
article (every row has its title, body and content hash, and its page row and raw body).  Prints one line
per trial and a summary; it measures, it asserts nothing.

    python benchmarks/kill_trials.py [--trials 10] [--articles 300] [--kills 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from _bench import served_mirror

from gdcac_mirror.crawl import crawl_command, crawl_env


def run_crawl(base_url: str, db: Path, jobdir: Path, kill_after: float | None) -> str:
    """One crawl process; killed with SIGKILL after ``kill_after`` seconds if it is still running."""
    cmd = crawl_command(base_url, db, extra=("-s", f"JOBDIR={jobdir}", "-s", "LOG_LEVEL=ERROR"))
    proc = subprocess.Popen(cmd, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        return f"finished ({proc.returncode})" + (f": {err.decode()[-300:]}" if proc.returncode else "")
    try:
        proc.wait(timeout=kill_after)
        return f"finished before the kill ({proc.returncode})"
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return f"killed at {kill_after:.2f} s"


def check(db: Path, expected: set[str]) -> dict:
    conn = sqlite3.connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        urls = [r[0] for r in conn.execute("SELECT url FROM articles")]
        half = conn.execute(
            "SELECT count(*) FROM articles a WHERE a.title IS NULL OR a.body_text IS NULL OR a.content_hash IS NULL "
            "OR NOT EXISTS (SELECT 1 FROM pages p JOIN page_bodies b ON b.sha256 = p.sha256 "
            "WHERE p.article_id = a.id)").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM article_versions").fetchone()[0]
    finally:
        conn.close()
    return {
        "integrity": integrity,
        "articles": len(urls),
        "duplicates": len(urls) - len(set(urls)),
        "missing": len(expected - set(urls)),
        "unexpected": len(set(urls) - expected),
        "half_written": half,
        "extra_versions": versions - len(set(urls)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--articles", type=int, default=300, help="articles in the generated mirror")
    parser.add_argument("--kills", type=int, default=2, help="kills per trial before the crawl may finish")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ok = 0
    with served_mirror(args.articles, "gdcac-kill-") as (work, manifest, _, mirror):
        expected = {a["url"] for a in manifest["articles"]}
        started = time.perf_counter()
        run_crawl(mirror.base_url, work / "timing.sqlite", work / "timing-job", None)
        full_time = time.perf_counter() - started
        print(f"mirror of {len(expected)} articles; an uninterrupted crawl takes {full_time:.1f} s")
        for trial in range(1, args.trials + 1):
            db, jobdir = work / f"t{trial}.sqlite", work / f"t{trial}-job"
            events = [run_crawl(mirror.base_url, db, jobdir, rng.uniform(0.3, full_time * 0.9))
                      for _ in range(args.kills)]
            events.append(run_crawl(mirror.base_url, db, jobdir, None))
            result = check(db, expected)
            good = (result["integrity"] == "ok" and result["duplicates"] == 0 and result["missing"] == 0
                    and result["unexpected"] == 0 and result["half_written"] == 0)
            ok += good
            print(f"trial {trial:2d}: {'ok  ' if good else 'FAIL'} {'; '.join(events)} -> {result}")
    print(f"{ok} of {args.trials} trials complete with nothing lost, doubled or half-written")
    sys.exit(0)


if __name__ == "__main__":
    main()
