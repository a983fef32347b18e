"""Memory of the search index's optimisation alone, the step that makes a large archive's crawl peak: an archive
of ``--articles`` generated articles (search_latency.py's generator) is built in one process, then
``Archive.optimize_search`` runs in a fresh one, which prints its result and its peak resident set (with
``--heap``, also the Python heap's peak by tracemalloc, whose own bookkeeping then swells the resident set).
It measures; it asserts nothing.

    python benchmarks/optimize_memory.py [--articles 20000] [--heap]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent


def optimise(path: str, heap: bool) -> None:
    from gdcac_crawler.archive import Archive

    with Archive(path) as archive:
        opened = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        if heap:
            tracemalloc.start()
        started = time.perf_counter()
        result = archive.optimize_search()
        peak = f", Python heap peak {tracemalloc.get_traced_memory()[1] // 2**20} MB (tracemalloc)" if heap else ""
        print(f"optimize_search: {result}, {time.perf_counter() - started:.0f} s; resident {opened} MB after "
              f"opening{peak}, peak resident {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--heap", action="store_true", help="also trace the Python heap's peak")
    parser.add_argument("--optimise", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.optimise:
        optimise(args.optimise, args.heap)
        return
    sys.path.insert(0, str(HERE))
    import search_latency

    with tempfile.TemporaryDirectory(prefix="gdcac-optimize-") as tmp:
        db = Path(tmp) / "archive.sqlite"
        seconds, _ = search_latency.build(db, args.articles, 1)
        print(f"built {args.articles:,} articles in {seconds:.0f} s", flush=True)
        subprocess.run([sys.executable, __file__, "--optimise", str(db), *(["--heap"] if args.heap else [])],
                       check=True)


if __name__ == "__main__":
    main()
