"""Two crawls on one archive: the README's cron pair (an incremental run and a full walk) overlapping.

For each trial: a fresh archive; a full walk (``-a mode=full``) of a generated mirror whose article pages are
slowed by the mirror's ``slow`` fault, and, after a random offset, an incremental run of the same site served
unslowed by a second mirror process, both on the same archive.  The incremental run is given
``GDCAC_ARCHIVE_LOCK_TIMEOUT`` (``--lock-timeout``; the default, 600 s, lets it wait its turn; 0 refuses at
once); both flush every ``--batch-size`` items (5: many commits, so that the two writers meet).  Afterwards:
each process's exit status and last stderr line, runs left unfinished, runs unhealthy, the archive's articles
against the mirror's, ``PRAGMA integrity_check`` and how many ``database is locked`` errors the two logged.
A trial is *coherent* when both processes ended 0 with every article archived, or one was refused (exit 5,
no run row of its own) and the other ended 0 with every article archived — and no run row is left
unfinished.  Prints one line per trial and a summary; it measures, it asserts nothing.

    python benchmarks/archive_contention.py [--trials 18] [--articles 300] [--delay 0.3] [--max-offset 3]
                                            [--lock-timeout 600] [--batch-size 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

from _bench import machine, served_mirror

from gdcac_mirror import MirrorProcess
from gdcac_mirror.crawl import crawl_command, crawl_env


def start(base_url: str, db: Path, batch_size: int, *extra: str) -> subprocess.Popen[str]:
    settings = {"LOG_LEVEL": "ERROR", "GDCAC_ARCHIVE_BATCH_SIZE": str(batch_size)}
    cmd = crawl_command(base_url, db, settings=settings, extra=extra)
    return subprocess.Popen(cmd, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def last_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def archive_state(db: Path, expected: set[str]) -> dict:
    conn = sqlite3.connect(db)
    try:
        runs = conn.execute("SELECT mode, finished_at, healthy FROM runs").fetchall()
        urls = {r[0] for r in conn.execute("SELECT url FROM articles")}
        return {
            "runs": len(runs),
            "unfinished": sum(1 for _, finished, _ in runs if finished is None),
            "unhealthy": sum(1 for _, _, healthy in runs if healthy == 0),
            "missing": len(expected - urls),
            "removed": conn.execute("SELECT count(*) FROM articles WHERE removed_at IS NOT NULL").fetchone()[0],
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
        }
    except sqlite3.Error as exc:
        return {"error": str(exc)}
    finally:
        conn.close()


def outcome(codes: tuple[int, int], state: dict) -> str:
    """The trial in a few words: ``both archived``, ``one refused``, or what went wrong."""
    if "error" in state:
        return "no archive"
    clean = state["unfinished"] == 0 and state["missing"] == 0 and state["integrity"] == "ok"
    if codes == (0, 0) and clean and state["runs"] == 2:
        return "both archived"
    if sorted(codes) == [0, 5] and clean and state["runs"] == 1:
        return "one refused"
    if state["unfinished"]:
        return "a row left unfinished"
    if state["missing"]:
        return "articles missing"
    failed = sorted({code for code in codes if code not in (0, 5)})
    return f"exit {', '.join(map(str, failed))}" if failed else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=18)
    parser.add_argument("--articles", type=int, default=300, help="articles in the generated mirror")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds each article page of the full walk waits")
    parser.add_argument("--max-offset", type=float, default=3.0, help="the incremental run starts 0..this s later")
    parser.add_argument("--lock-timeout", default="600", help="GDCAC_ARCHIVE_LOCK_TIMEOUT of the incremental run")
    parser.add_argument("--batch-size", type=int, default=5,
                        help="GDCAC_ARCHIVE_BATCH_SIZE of both: small batches, many commits to contend")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    print(machine())
    with served_mirror(args.articles, "gdcac-contention-") as (work, manifest, _, slow):
        expected = {a["url"] for a in manifest["articles"]}
        slow.set_faults([{"fault": "slow", "delay": args.delay, "kinds": ["article"]}])
        with MirrorProcess(root=work / "site") as fast:
            for trial in range(1, args.trials + 1):
                db = work / f"t{trial}.sqlite"
                offset = rng.uniform(0, args.max_offset)
                started = time.perf_counter()
                full = start(slow.base_url, db, args.batch_size, "-a", "mode=full")
                time.sleep(offset)
                incremental = start(fast.base_url, db, args.batch_size,
                                    "-s", f"GDCAC_ARCHIVE_LOCK_TIMEOUT={args.lock_timeout}")
                _, inc_err = incremental.communicate(timeout=1800)
                _, full_err = full.communicate(timeout=1800)
                elapsed = time.perf_counter() - started
                codes = (full.returncode, incremental.returncode)
                state = archive_state(db, expected)
                state["locked_errors"] = (full_err + inc_err).count("database is locked")
                verdict = outcome(codes, state)
                outcomes[verdict] += 1
                print(f"trial {trial:2d}: offset {offset:.2f} s, {elapsed:5.1f} s: full {codes[0]}, incremental "
                      f"{codes[1]} -> {verdict}; {state}")
                for name, err, code in (("full", full_err, codes[0]), ("incremental", inc_err, codes[1])):
                    if code:
                        print(f"           {name}: {last_line(err)}")
    coherent = outcomes["both archived"] + outcomes["one refused"]
    print(f"{coherent} of {args.trials} trials coherent: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))


if __name__ == "__main__":
    main()
