"""Requests and wall time of an incremental run over an unchanged generated mirror, against a full run.

Builds a mirror of ``--articles`` articles (default 10,000) into a temporary directory, serves it on
127.0.0.1 and runs ``scrapy crawl gdcac`` against it, each into the same fresh archive:

1. a full run (``-a mode=full``) — the first capture of everything;
2. an incremental run (the default mode, default settings) over the unchanged mirror;
3. an incremental run that also revisits every archived article with a conditional GET
   (``GDCAC_REVISIT_BACKFILLED=True``): what the revisit window costs when it covers everything.

Requests are counted at the mirror server (every request it answered, robots.txt included); wall time is
the ``scrapy crawl`` process's, start to exit.  It measures; it asserts nothing.

    python benchmarks/incremental_requests.py [--articles 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from _bench import served_mirror

from gdcac_mirror import MirrorProcess
from gdcac_mirror.crawl import crawl_command, crawl_env


def crawl(mirror: MirrorProcess, db: Path, run_id: str, *args: str) -> dict:
    mirror.reset_stats()
    cmd = crawl_command(mirror.base_url, db, extra=("-a", f"run_id={run_id}", "-s", "LOG_LEVEL=WARNING", *args))
    started = time.perf_counter()
    result = subprocess.run(cmd, env=crawl_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{run_id}: scrapy crawl exited {result.returncode}\n{result.stderr[-3000:]}")
    stats = mirror.stats()
    conn = sqlite3.connect(db)
    try:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM runs WHERE id = ?", [run_id]).fetchone())
    finally:
        conn.close()
    by_kind = {"listing": 0, "article": 0, "robots": 0, "files": 0}
    for path, n in stats["by_path"].items():
        if "/content/" in path:
            kind = "article"
        elif path == "/robots.txt":
            kind = "robots"
        elif path.endswith((".html", "/")):
            kind = "listing"
        else:
            kind = "files"  # images and attachments (the attachments pipeline)
        by_kind[kind] += n
    return {"run": run_id, "requests": stats["requests"], "wall": wall, "by_kind": by_kind, "row": row}


def describe(r: dict) -> str:
    row = r["row"]
    k = r["by_kind"]
    return (f"{r['requests']:>6} requests ({k['listing']} section/listing pages, {k['article']} article pages, "
            f"{k['files']} files, {k['robots']} robots.txt) in {r['wall']:.1f} s; "
            f"new {row['articles_new']}, unchanged {row['articles_unchanged']}, "
            f"not modified {row['articles_not_modified']}, listing pages {row['listing_pages']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000, help="articles in the generated mirror")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.python_implementation()} "
          f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with served_mirror(args.articles, "gdcac-bench-incremental-") as (work, manifest, built, mirror):
        columns = len(manifest["columns"])
        print(f"built a mirror of {len(manifest['articles'])} articles, {columns} columns, "
              f"{manifest['counts']['listing_pages']} listing pages in {built:.1f} s")
        db = work / "archive.sqlite"
        full = crawl(mirror, db, "full", "-a", "mode=full")
        print(f"full run:                     {describe(full)}")
        inc = crawl(mirror, db, "incremental")
        print(f"incremental run (unchanged):  {describe(inc)}")
        revisit = crawl(mirror, db, "revisit-all", "-s", "GDCAC_REVISIT_BACKFILLED=True",
                        "-s", "GDCAC_REVISIT_DAYS=7")
        print(f"incremental + revisit all:    {describe(revisit)}")
    share = inc["requests"] / full["requests"]
    print(f"incremental / full: {inc['requests']} / {full['requests']} requests = {100 * share:.2f} % "
          f"(target < 2 %, O(columns): {columns} columns + robots.txt + the section page = {columns + 2}); "
          f"wall {inc['wall']:.1f} s / {full['wall']:.1f} s")


if __name__ == "__main__":
    main()
