"""Run health: each unhealthy condition turns the exit status of a real `scrapy crawl` non-zero, with the
reason as the last line on stderr; the assessment itself is a pure function of the stats.

One mirror of its own (module-scoped), so that its fault plans never reach the session's ``mirror``.
"""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gdcac_crawler.extensions.health import ExitStatus, HealthPolicy, assess, exit_status
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.crawl import crawl_command, crawl_env

EXIT_OK, EXIT_UNHEALTHY, EXIT_INCOMPLETE = ExitStatus.OK, ExitStatus.UNHEALTHY, ExitStatus.INCOMPLETE

#: The stats of a healthy full run of 60 articles.
HEALTHY = {
    "gdcac/listing/pages": 10, "gdcac/listing/entries": 62, "gdcac/article/requested": 60,
    "gdcac/archive/new": 60, "gdcac/fields/checked": 60, "gdcac/fields/source/empty": 4,
    "gdcac/fields/title/fallback": 2, "log_count/ERROR": 0, "finish_reason": "finished", "gdcac/run_id": "r1",
}


@pytest.fixture(scope="module")
def hmirror() -> Iterator[MirrorProcess]:
    with MirrorProcess(SITE_DIR) as process:
        yield process


@pytest.fixture
def faults(hmirror):
    def apply(rules):
        hmirror.set_faults(rules)
        return hmirror
    yield apply
    hmirror.clear_faults()


#: The crawls' arguments: no retries, so that each fault shows at once.
NO_RETRIES = ("-s", "LOG_LEVEL=WARNING", "-s", "RETRY_TIMES=0", "-s", "GDCAC_BLOCK_RETRIES=0",
              "-s", "GDCAC_BLOCK_MAX_DELAY=0")


def reason(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


def health_row(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT healthy, health, finish_reason FROM runs").fetchone()
    finally:
        conn.close()


# --- each condition, through a real crawl --------------------------------------------------------------------


def test_no_article_archived_while_listings_show_entries(faults, tmp_path, crawl_mirror) -> None:
    mirror = faults([{"kinds": ["article"], "fault": "not_found"}])
    result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES, "-s", "GDCAC_HEALTH_MAX_ERRORS=1000")
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert re.match(r"gdcac: run \S+ is unhealthy: no article archived: \d+ article pages requested, listings "
                    r"showed \d+ entries$", reason(result)), reason(result)
    healthy, health, finish = health_row(tmp_path / "a.sqlite")
    assert (healthy, finish) == (0, "finished") and health.startswith("no article archived")


def test_too_many_article_fetches_fail(faults, tmp_path, crawl_mirror) -> None:
    mirror = faults([{"kinds": ["article"], "fault": "http_500", "rate": 0.3}])
    mirror.reset_stats()
    result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES, "-s", "GDCAC_HEALTH_MAX_ERRORS=1000")
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    match = re.search(r"is unhealthy: (\d+) of (\d+) article fetches failed \((\d+)%, limit 10%\)$", reason(result))
    assert match, reason(result)
    failed, requested = int(match[1]), int(match[2])
    assert requested == load_manifest()["counts"]["articles"] and 0.1 * requested < failed < requested
    assert failed == mirror.stats()["faults"]["http_500"]  # every failed fetch counted, once


def test_challenge_pages(faults, tmp_path, crawl_mirror) -> None:
    mirror = faults([{"path": "/zcfg/gfxwj/index_2.html", "fault": "challenge_412"}])
    result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES)
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert re.search(r"is unhealthy: 1 block or challenge pages \(\w+ 1\)", reason(result)), reason(result)
    assert health_row(tmp_path / "a.sqlite")[0] == 0


def test_block_pages_served_with_200(faults, tmp_path, crawl_mirror) -> None:
    article = load_manifest()["articles"][5]["path"]
    mirror = faults([{"path": article, "fault": "waf_block_200"}])
    result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES)
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert "block or challenge pages" in reason(result), reason(result)
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM articles WHERE url LIKE ?", ["%" + article]).fetchone()[0] == 0
        assert conn.execute("SELECT pages_blocked FROM runs").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_field_from_a_fallback_too_often(hmirror, tmp_path, crawl_mirror) -> None:
    # a template change overnight: article titles are no longer <h1>, the profile's selectors miss them
    site = tmp_path / "site"
    shutil.copytree(SITE_DIR, site)
    for path in site.glob("zcfg/*/content/*.html"):
        path.write_bytes(path.read_bytes().replace(b"<h1", b"<h2").replace(b"</h1>", b"</h2>"))
    with MirrorProcess(site) as mirror:
        result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES)
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert re.search(r"title came from a fallback in \d+ of \d+ articles \(\d+%, limit 25%\)", reason(result)), \
        reason(result)


def test_errors_over_the_limit(faults, tmp_path, crawl_mirror) -> None:
    paths = [a["path"] for a in load_manifest()["articles"][:3]]
    mirror = faults([{"path": p, "fault": "http_500"} for p in paths])
    result = crawl_mirror(mirror, tmp_path / "a.sqlite", *NO_RETRIES, "-s", "GDCAC_HEALTH_MAX_ERRORS=2")
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert re.search(r"\b3 errors \(failed pages and ERROR log lines; limit 2\)$", reason(result)), reason(result)
    # the same run under the default limit (10) is healthy
    result = crawl_mirror(mirror, tmp_path / "b.sqlite", *NO_RETRIES)
    assert result.returncode == EXIT_OK, result.stderr[-2000:]


def test_a_run_that_did_not_finish(hmirror, tmp_path, crawl_mirror) -> None:
    hmirror.clear_faults()
    result = crawl_mirror(hmirror, tmp_path / "a.sqlite", *NO_RETRIES, "-s", "CLOSESPIDER_PAGECOUNT=3")
    assert result.returncode == EXIT_INCOMPLETE, result.stderr[-2000:]
    assert "did not finish (closespider_pagecount)" in reason(result)


def test_bad_spider_argument_is_scrapys_exit_1(hmirror, tmp_path, crawl_mirror) -> None:
    result = crawl_mirror(hmirror, tmp_path / "a.sqlite", "-a", "mode=sometimes", timeout=120)
    assert result.returncode == 1 and "mode must be one of incremental, full" in result.stderr


# --- the assessment, on stats ------------------------------------------------------------------------------


def test_healthy_stats_are_healthy() -> None:
    assert assess(HEALTHY) == []
    assert exit_status({**HEALTHY, "gdcac/health/status": "healthy"}) == (EXIT_OK, None)


def test_an_unchanged_incremental_run_is_healthy() -> None:
    # every entry is an article archived before: recognised, nothing to fetch
    stats = {"gdcac/listing/pages": 3, "gdcac/listing/entries": 24, "gdcac/incremental/known_entries": 24,
             "finish_reason": "finished"}
    assert assess(stats) == []
    # the same listings where nothing is recognised (every entry off-site, or not an article page)
    assert assess({**stats, "gdcac/incremental/known_entries": 0}) == [
        "no article archived or recognised: listings showed 24 entries, none of them a same-site article"]


@pytest.mark.parametrize("change, expected", [
    ({"gdcac/section/no_columns": 1, "gdcac/listing/pages": 0, "gdcac/listing/entries": 0},
     "the section page showed no columns"),
    ({"gdcac/listing/entries": 0}, "10 listing pages showed no entries"),
    ({"gdcac/archive/new": 0, "gdcac/archive/failed": 0},
     "no article archived: 60 article pages requested, listings showed 62 entries"),
    ({"gdcac/blocked/waf": 2, "gdcac/blocked/challenge": 1}, "3 block or challenge pages (challenge 1, waf 2)"),
    ({"gdcac/archive/blocked": 1}, "1 block or challenge pages"),
    ({"gdcac/error/http_412": 1}, "1 block or challenge pages (http_412 1)"),
    ({"gdcac/fields/body_text/fallback": 16}, "body_text came from a fallback in 16 of 60 articles (27%, limit 25%)"),
    ({"gdcac/fields/published_at/empty": 30}, "published_at was empty in 30 of 60 articles (50%, limit 25%)"),
    ({"gdcac/archive/failed": 8, "log_count/ERROR": 3}, "11 errors (failed pages and ERROR log lines; limit 10)"),
    ({"gdcac/archive/failed": 11, "log_count/ERROR": 11, "retry/max_reached": 11},
     "11 errors (failed pages and ERROR log lines; limit 10)"),
    ({"gdcac/section/not_found": 1, "gdcac/section/not_found_on": "http://h/", "gdcac/listing/pages": 0,
      "gdcac/listing/entries": 0}, "the section was not found by its name on the home page http://h/"),
    ({"gdcac/column/all_failed": 2, "gdcac/column/all_failed_names": ["法律法规", "规范性文件"]},
     "every listing page of 2 columns failed (法律法规, 规范性文件)"),
    ({"gdcac/article/failed": 7}, "7 of 60 article fetches failed (12%, limit 10%)"),
])
def test_each_condition(change, expected) -> None:
    assert assess({**HEALTHY, **change}) == [expected]


def test_fields_with_the_same_count_share_one_reason() -> None:
    drifted = {**HEALTHY, "gdcac/fields/title/fallback": 60, "gdcac/fields/body_text/fallback": 60,
               "gdcac/fields/source/fallback": 20}
    assert assess(drifted) == ["title, body_text came from a fallback in 60 of 60 articles (100%, limit 25%)",
                               "source came from a fallback in 20 of 60 articles (33%, limit 25%)"]


def test_an_unfetchable_start_is_the_one_reason() -> None:
    stats = {"gdcac/start/error": "http://127.0.0.1:9/: ConnectionRefusedError: Connection was refused",
             "gdcac/archive/failed": 2, "finish_reason": "finished"}
    assert assess(stats) == [
        "the start page could not be fetched: http://127.0.0.1:9/: ConnectionRefusedError: Connection was refused"]


def test_failed_article_share_is_held_to_its_limit() -> None:
    stats = {**HEALTHY, "gdcac/article/failed": 6}  # 10% of 60: at the limit, not over it
    assert assess(stats) == []
    assert assess(stats, HealthPolicy(max_failed_article_rate=0.05)) == [
        "6 of 60 article fetches failed (10%, limit 5%)"]


def test_rates_wait_for_enough_articles() -> None:
    few = {**HEALTHY, "gdcac/fields/checked": 3, "gdcac/fields/title/fallback": 3, "gdcac/fields/source/empty": 0}
    assert assess(few) == []
    assert assess(few, HealthPolicy(min_articles=3)) == [
        "title came from a fallback in 3 of 3 articles (100%, limit 25%)"]


def test_an_interrupted_run_is_not_blamed_for_articles_it_never_got_to() -> None:
    stopped = {**HEALTHY, "gdcac/archive/new": 0, "finish_reason": "shutdown"}
    assert assess(stopped) == [] and assess(stopped, finish_reason="finished") != []


def test_exit_statuses() -> None:
    unhealthy = {**HEALTHY, "gdcac/health/status": "unhealthy", "gdcac/health/reason": "x; y"}
    assert exit_status(unhealthy) == (EXIT_UNHEALTHY, "gdcac: run r1 is unhealthy: x; y")
    code, line = exit_status({**unhealthy, "finish_reason": "shutdown"})
    assert code == EXIT_UNHEALTHY and line.endswith("(and it did not finish: shutdown)")
    code, line = exit_status({**HEALTHY, "gdcac/health/status": "healthy", "finish_reason": "shutdown"})
    assert code == EXIT_INCOMPLETE and "same JOBDIR" in line


def test_a_second_interrupt_forces_the_shutdown_exits_4_and_the_row_says_so(faults, tmp_path) -> None:
    mirror = faults([{"kinds": ["article"], "fault": "slow", "delay": 30}])  # every article hangs
    db = tmp_path / "a.sqlite"
    mirror.reset_stats()
    proc = subprocess.Popen(crawl_command(mirror.base_url, db, extra=NO_RETRIES), env=crawl_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any("/content/" in p for p in mirror.stats()["by_path"]):  # article requests are in flight
            assert proc.poll() is None and time.monotonic() < deadline, "the crawl never reached an article"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)  # graceful: waits for the hanging articles …
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)  # … forced
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_INCOMPLETE, stderr[-2000:]
    assert re.search(r"run \S+ did not finish \(shutdown_forced\)", stderr.strip().splitlines()[-1]), stderr[-2000:]
    conn = sqlite3.connect(db)
    try:
        finish_reason, finished_at, listing_pages = conn.execute(
            "SELECT finish_reason, finished_at, listing_pages FROM runs").fetchone()
    finally:
        conn.close()
    assert finish_reason == "shutdown_forced" and finished_at is not None
    assert listing_pages > 0  # the listing pages fetched before the interrupt were flushed, not lost
