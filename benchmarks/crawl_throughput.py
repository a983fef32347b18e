"""Throughput and peak memory of the full crawl against a no-op spider, on one generated mirror.

Builds a mirror of ``--articles`` articles (default 2,000) into a temporary directory, serves it on
127.0.0.1, then crawls it ``--rounds`` times each way, alternating: the full crawl (extract, clean,
validate, archive into a fresh SQLite file) and the no-op spider (the same walk, no processing).  Prints
responses per second (responses / crawl time from Scrapy's own start and finish stats), wall time and the
peak resident memory of each crawl process.  It measures; it asserts nothing.

    python benchmarks/crawl_throughput.py [--articles 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from _bench import machine, served_mirror

from gdcac_mirror.crawl import crawl_env

HERE = Path(__file__).resolve().parent


def crawl(mode: str, base_url: str, workdir: Path, n: int) -> dict:
    db = workdir / f"{mode}-{n}.sqlite"
    out = workdir / f"{mode}-{n}.json"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / "_crawl_once.py"), mode, base_url, str(db), str(out)],
                            env=crawl_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{mode} crawl failed with status {status}")
    stats = json.loads(out.read_text(encoding="utf-8"))
    responses = stats.get("response_received_count", 0)
    return {
        "mode": mode,
        "responses": responses,
        "items": stats.get("item_scraped_count", 0),
        "crawl_seconds": stats["elapsed_seconds"],
        "wall_seconds": wall,
        "rate": responses / stats["elapsed_seconds"],
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "new_articles": stats.get("gdcac/archive/new", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles in the generated mirror")
    parser.add_argument("--rounds", type=int, default=3, help="crawls of each kind (alternating)")
    args = parser.parse_args()

    with served_mirror(args.articles, "gdcac-bench-") as (work, manifest, built, mirror):
        n_articles = len(manifest["articles"])
        print(f"built a mirror of {n_articles} articles in {built:.1f} s")
        results: dict[str, list[dict]] = {"full": [], "noop": []}
        for i in range(args.rounds):
            for mode in ("noop", "full"):
                r = crawl(mode, mirror.base_url, work, i)
                results[mode].append(r)
                print(f"  round {i + 1} {mode:>4}: {r['responses']} responses in {r['crawl_seconds']:.1f} s "
                      f"= {r['rate']:.0f} responses/s, peak RSS {r['peak_rss_mb']:.0f} MB"
                      + (f", {r['new_articles']} articles archived" if mode == "full" else ""))

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    full, noop = median("full", "rate"), median("noop", "rate")
    print()
    print(f"date        {datetime.now(timezone.utc):%Y-%m-%d}")
    print(f"machine     {machine()}")
    print(f"mirror      {n_articles} articles, {results['full'][0]['responses']} responses per crawl")
    print(f"no-op       {noop:.0f} responses/s (median of {args.rounds}), peak RSS "
          f"{max(r['peak_rss_mb'] for r in results['noop']):.0f} MB")
    print(f"full crawl  {full:.0f} responses/s (median of {args.rounds}), peak RSS "
          f"{max(r['peak_rss_mb'] for r in results['full']):.0f} MB")
    print(f"ratio       {full / noop:.2f}x the no-op rate (target >= 0.80x)")


if __name__ == "__main__":
    main()
