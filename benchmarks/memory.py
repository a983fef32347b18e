"""Peak memory of a full crawl: a generated mirror of 1,000 and of 20,000 articles, and 50 pages of 7 MB.

Each crawl is ``benchmarks/_crawl_once.py full`` (``scrapy crawl gdcac`` as operators run it, 16 concurrent
requests, no delay) in its own process; its peak resident set is the one that process reports itself
(``VmHWM``): ``wait4``'s ``ru_maxrss`` would keep the peak of this process, whose image the crawl was forked
from, and this process holds the mirror it just built.  The big pages are the mirror's ``huge`` fault (a 200
HTML article page of ``--big-size`` bytes, under ``DOWNLOAD_MAXSIZE``) on ``--big-pages`` of the shipped
mirror's articles.  Targets: growth of at most 10 % from the 1,000- to the 20,000-article mirror, and under
500 MB for the big pages.  It measures; it asserts nothing.

    python benchmarks/memory.py [--small 1000] [--large 20000] [--big-pages 50] [--big-size 7000000]
                                [--only small,large,big] [SETTING=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _bench import machine, served_mirror

from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.crawl import crawl_env

HERE = Path(__file__).resolve().parent


def crawl(base_url: str, workdir: Path, name: str, settings: list[str]) -> dict:
    """One full crawl in a subprocess: its peak RSS (MB), wall time and a few of its stats."""
    db, out = workdir / f"{name}.sqlite", workdir / f"{name}.json"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / "_crawl_once.py"), "full", base_url, str(db), str(out),
                             *settings], env=crawl_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the {name} crawl failed with status {status}")
    stats = json.loads(out.read_text(encoding="utf-8"))
    # The crawl's own high-water mark (VmHWM), not wait4's ru_maxrss: that one keeps the peak of the image the
    # child was forked from — this process, which may have just built a 20,000-article mirror in memory.
    own = stats.get("peak_rss_kb")
    return {"name": name, "peak_rss_mb": (own if own else usage.ru_maxrss) / 1024, "wall_seconds": wall,
            "responses": stats.get("response_received_count", 0),
            "response_bytes": stats.get("downloader/response_bytes", 0),
            "archived": stats.get("gdcac/archive/new", 0), "archive_mb": db.stat().st_size / 1e6}


def generated(articles: int, settings: list[str]) -> dict:
    with served_mirror(articles, "gdcac-memory-") as (work, manifest, built, mirror):
        print(f"built a mirror of {len(manifest['articles'])} articles in {built:.0f} s", flush=True)
        return crawl(mirror.base_url, work, f"mirror-{articles}", settings)


def big_pages(pages: int, size: int, settings: list[str]) -> dict:
    paths = [a["path"] for a in load_manifest()["articles"]][:pages]
    with tempfile.TemporaryDirectory(prefix="gdcac-memory-") as tmp, MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"fault": "huge", "path": path, "size": size} for path in paths])
        result = crawl(mirror.base_url, Path(tmp), f"big-{pages}x{size}", settings)
        result["big_pages"] = len(paths)
        return result


def show(r: dict) -> None:
    print(f"  {r['name']}: peak RSS {r['peak_rss_mb']:.0f} MB, {r['responses']} responses "
          f"({r['response_bytes'] / 1e6:.0f} MB), {r['archived']} articles archived, archive {r['archive_mb']:.0f} MB, "
          f"{r['wall_seconds']:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="articles of the small generated mirror")
    parser.add_argument("--large", type=int, default=20000, help="articles of the large generated mirror")
    parser.add_argument("--big-pages", type=int, default=50, help="pages of --big-size bytes")
    parser.add_argument("--big-size", type=int, default=7_000_000, help="bytes of each big page")
    parser.add_argument("--only", default="small,large,big", help="which crawls: small, large, big")
    parser.add_argument("settings", nargs="*", help="SETTING=VALUE for every crawl")
    args = parser.parse_args()
    only = set(args.only.split(","))
    results: dict[str, dict] = {}
    if "small" in only:
        show(results.setdefault("small", generated(args.small, args.settings)))
    if "large" in only:
        show(results.setdefault("large", generated(args.large, args.settings)))
    if "big" in only:
        if args.big_pages > len(load_manifest()["articles"]):
            raise SystemExit(f"the shipped mirror has only {len(load_manifest()['articles'])} articles")
        show(results.setdefault("big", big_pages(args.big_pages, args.big_size, args.settings)))
    print()
    print(f"date      {datetime.now(UTC):%Y-%m-%d}")
    print(f"machine   {machine()}")
    if args.settings:
        print(f"settings  {' '.join(args.settings)}")
    if "small" in results and "large" in results:
        small, large = results["small"]["peak_rss_mb"], results["large"]["peak_rss_mb"]
        print(f"growth    {small:.0f} MB -> {large:.0f} MB: {100 * (large / small - 1):+.1f} % (target <= +10 %)")
    if "big" in results:
        print(f"big pages {results['big']['peak_rss_mb']:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
