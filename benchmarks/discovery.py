"""What finding the way costs, and how fast a broken site is reported: on both mirror renderings and on
broken loopback sites.

For each rendering of the committed mirror (``nfw``: the provincial platform's; ``cagd``: the second,
reached only by name from the home page), one full ``scrapy crawl gdcac`` into a fresh archive: wall time,
requests the mirror answered (and how many of them were discovery's own: the home page, the profile's
section path that is not there, end-of-column probes), articles archived and how many match the manifest
exactly (title, published, source, body), the exit status and the discovery stats; then an incremental
run over the unchanged mirror and its requests.  Then ``gdcac probe``
of the cagd rendering with ``--write-profile`` and a crawl with the draft.  Then each broken site (nothing
listening, every page 404, a server that never answers): the seconds until ``scrapy crawl`` exits 3, and
the reason line.  It measures; it asserts nothing.

    python benchmarks/discovery.py
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gdcac_mirror import MirrorProcess, load_manifest
from gdcac_mirror.crawl import run_crawl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.sites import CannedSite, free_port, serve  # noqa: E402  (a loopback server of the tests)

QUICK = {"RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "2", "ROBOTSTXT_OBEY": "False", "LOG_LEVEL": "WARNING"}


def exact(db: Path, rendering: str) -> tuple[int, int]:
    """(articles archived, articles equal to the manifest in title, published, source and body)."""
    conn = sqlite3.connect(db)
    rows = {r[0]: r[1:] for r in conn.execute("SELECT url, title, published_at, source, body_text FROM articles")}
    conn.close()
    same = sum(rows.get(a["url"]) == (a["title"], a["published"], a["source"], "\n".join(a["body_paragraphs"]))
               for a in load_manifest(rendering=rendering)["articles"])
    return len(rows), same


def run_stats(db: Path) -> dict:
    """The stats of the first run in ``db``."""
    conn = sqlite3.connect(db)
    stats = json.loads(conn.execute("SELECT stats FROM runs ORDER BY started_at LIMIT 1").fetchone()[0])
    conn.close()
    return stats


def crawl_rendering(rendering: str, tmp: Path, *extra: str, spider: str = "gdcac", label: str = "") -> None:
    db = tmp / f"{rendering}{label}.sqlite"
    with MirrorProcess(rendering=rendering) as mirror:
        started = time.perf_counter()
        result = run_crawl(mirror.base_url, db, spider=spider, settings={"LOG_LEVEL": "WARNING"},
                           extra=("-a", "mode=full", *extra))
        wall = time.perf_counter() - started
        requests = mirror.stats()
        mirror.reset_stats()
        again = run_crawl(mirror.base_url, db, spider=spider, settings={"LOG_LEVEL": "WARNING"},
                          extra=("-a", "mode=incremental", *extra))
        incremental = mirror.stats()["requests"]
    stats = run_stats(db)
    archived, same = exact(db, rendering)
    discovery = {k.removeprefix("gdcac/discovery/"): v for k, v in sorted(stats.items())
                 if k.startswith("gdcac/discovery/")}
    probes = sum(v for k, v in stats.items() if k.startswith("gdcac/listing/end_probe"))
    fallbacks = sum(v for k, v in stats.items() if k.startswith("gdcac/fallback/"))
    by_path = requests["by_path"]
    overhead = by_path.get("/zcfg/", 0) + by_path.get("/", 0) if discovery.get("start") == "home" else 0
    print(f"{rendering}{label}: {wall:.1f} s, {requests['requests']} requests ({overhead} to find the section, "
          f"{probes} end-of-column probes), {archived} articles archived, {same} exact, "
          f"{fallbacks} fallback fields, exit {result.returncode}")
    print(f"  discovery: {discovery}")
    if result.returncode:
        print(f"  {result.stderr.strip().splitlines()[-1]}")
    print(f"  then an incremental run over the unchanged mirror: {incremental} requests, exit {again.returncode}")


def probe_and_draft(tmp: Path) -> None:
    draft = tmp / "cagd_draft.py"
    with MirrorProcess(rendering="cagd") as mirror:
        started = time.perf_counter()
        probe = subprocess.run([sys.executable, "-m", "gdcac_crawler.cli", "probe", "https://www.cagd.gov.cn/",
                                "--base-url", mirror.base_url, "--delay", "0", "--write-profile", str(draft)],
                               capture_output=True, text=True)
        wall = time.perf_counter() - started
        requests = mirror.stats()["requests"]
    print(f"probe of cagd: {wall:.1f} s, {requests} requests, exit {probe.returncode}")
    crawl_rendering("cagd", tmp, "-a", f"profile={draft}", spider="portal", label=" with the drafted profile")


def broken(tmp: Path) -> None:
    cases = [("nothing listening", None, lambda: f"http://127.0.0.1:{free_port()}"),
             ("every page 404", CannedSite(), None),
             ("never answers", CannedSite(hang=6), None)]
    for name, site, url in cases:
        db = tmp / f"broken-{len(name)}.sqlite"
        if site is None:
            started = time.perf_counter()
            result = run_crawl(url(), db, settings=QUICK)
        else:
            with serve(site) as base:
                started = time.perf_counter()
                result = run_crawl(base, db, settings=QUICK)
        wall = time.perf_counter() - started
        print(f"{name}: exit {result.returncode} after {wall:.1f} s: {result.stderr.strip().splitlines()[-1]}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for rendering in ("nfw", "cagd"):
            crawl_rendering(rendering, Path(tmp))
        probe_and_draft(Path(tmp))
        broken(Path(tmp))


if __name__ == "__main__":
    main()
