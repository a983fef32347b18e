"""Run one crawl in this process and write its Scrapy stats as JSON (a helper of crawl_throughput.py).

``python benchmarks/_crawl_once.py {full|noop} BASE_URL DB STATS_JSON [SETTING=VALUE ...]``

``full`` is ``scrapy crawl gdcac`` as operators run it (extract, clean, validate, archive); ``noop`` is the same
spider walking the same pages — section, listings, articles — with article extraction and every pipeline
switched off, so the difference between the two is what processing and archiving cost.
"""

from __future__ import annotations

import json
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_mirror.crawl import MIRROR_SETTINGS


class NoopSpider(GdcacSpider):
    """The gdcac walk with no article processing: articles are fetched and dropped on the floor."""

    name = "gdcac-noop"

    def parse_article(self, response, **kwargs):
        return iter(())


def peak_rss_kb() -> int | None:
    """This process's own peak resident set since it started the crawl's program (``VmHWM``: reset by exec,
    unlike ``ru_maxrss``, which keeps the high-water mark of the forked parent's image)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main(argv: list[str]) -> None:
    mode, base_url, db, out, *extra = argv
    settings = get_project_settings()
    settings.setdict({
        **MIRROR_SETTINGS,  # the same lifting of politeness as `gdcac demo`, then more concurrency
        "GDCAC_ARCHIVE_PATH": db,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "LOG_LEVEL": "WARNING",
    }, priority="cmdline")
    for pair in extra:
        key, _, value = pair.partition("=")
        settings.set(key, value, priority="cmdline")
    if mode == "noop":
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
        settings.set("GDCAC_HEALTH_ENABLED", False, priority="cmdline")  # it archives nothing, by design
    spider = {"full": GdcacSpider, "noop": NoopSpider}[mode]
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, base_url=base_url)
    process.start()
    stats = crawler.stats.get_stats()
    result = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
    result["elapsed_seconds"] = (stats["finish_time"] - stats["start_time"]).total_seconds()
    result["peak_rss_kb"] = peak_rss_kb()
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
