"""Every fault of the mirror in one crawl, each on its own article, and the archive's rows afterwards.

Transient faults are retried with backoff and the article is archived once it comes through; permanent
failures are one ``pages`` row with their kind and reason; block and challenge pages are recorded as
blocked, never archived, and make the run unhealthy; oversized and non-HTML bodies are refused; nothing
crashes the run.  The README's fault matrix points here.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator

import pytest

from gdcac_crawler.downloadermiddlewares.retry import retry_after_seconds
from gdcac_crawler.extensions.health import ExitStatus
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest

EXIT_UNHEALTHY = ExitStatus.UNHEALTHY

MANIFEST = load_manifest()
#: Articles that are not the seed, in a fixed order: each fault gets its own.
ARTICLES = [a for a in MANIFEST["articles"] if not a["is_seed"]]

#: fault rule (without its path) → what the archive must show afterwards.
ARCHIVED_AFTER_RETRIES = [
    {"fault": "http_500", "times": 2},
    {"fault": "http_502", "times": 2},
    {"fault": "http_503", "times": 2},
    {"fault": "http_503_retry_after", "times": 1, "retry_after": 1},
    {"fault": "http_429", "times": 1, "retry_after": 1},
    {"fault": "slow", "times": 1, "delay": 4},
    {"fault": "reset", "times": 2},
    {"fault": "truncated", "times": 1},
    {"fault": "waf_block_200", "times": 1},  # the block clears after one try
]
ARCHIVED_DESPITE = [
    {"fault": "malformed_html"},
    {"fault": "wrong_charset_header"},
    {"fault": "gbk_page"},
]
BLOCKED = [
    {"fault": "waf_block_200"},
    {"fault": "maintenance_403"},
    {"fault": "challenge_412"},
    {"fault": "challenge_521"},
]
FAILED = [
    ({"fault": "not_found"}, "HTTP 404"),
    ({"fault": "redirect_loop"}, "redirect loop"),
    ({"fault": "redirect_offsite"}, "redirect off-site to https://example.invalid/"),
    ({"fault": "redirect_other_port"}, "redirect to another port"),
    ({"fault": "meta_refresh_offsite"}, "meta refresh off-site to https://example.invalid/"),
    ({"fault": "meta_refresh_self"}, "meta refresh loop back to"),
    ({"fault": "huge"}, "size"),
    ({"fault": "binary_as_html"}, "binary body"),
    ({"fault": "empty_200"}, "empty body"),
]

PLAN: list[tuple[dict, dict]] = []  # (article, rule)
for rule in [*ARCHIVED_AFTER_RETRIES, *ARCHIVED_DESPITE, *BLOCKED, *(r for r, _ in FAILED)]:
    PLAN.append((ARTICLES[len(PLAN)], rule))

SETTINGS = {
    "GDCAC_RETRY_BACKOFF": "0.05", "GDCAC_RETRY_MAX_BACKOFF": "2", "GDCAC_BLOCK_BACKOFF": "0.05",
    "GDCAC_BLOCK_RETRIES": "1", "GDCAC_BLOCK_MAX_DELAY": "0", "DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "3",
    "GDCAC_HEALTH_MAX_ERRORS": "1000", "LOG_LEVEL": "WARNING",
}


def article_for(rule: dict) -> dict:
    return next(a for a, r in PLAN if r is rule)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, crawl_mirror) -> Iterator[tuple[sqlite3.Connection, subprocess.CompletedProcess, dict]]:
    db = tmp_path_factory.mktemp("faults") / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{**rule, "path": article["path"]} for article, rule in PLAN], seed=7)
        result = crawl_mirror(mirror, db, "-a", "mode=full", settings=SETTINGS, timeout=300)
        injected = mirror.stats().get("faults", {})
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, result, injected
    conn.close()


def article_row(conn, article):
    return conn.execute("SELECT * FROM articles WHERE url = ?", [article["url"]]).fetchone()


def page_row(conn, article):
    return conn.execute("SELECT * FROM pages WHERE url LIKE ? ORDER BY fetched_at DESC",
                        ["%" + article["path"]]).fetchone()


def test_every_fault_was_injected(crawl) -> None:
    _, _, injected = crawl
    assert set(injected) == {rule["fault"] for _, rule in PLAN}


def test_the_run_completes_but_is_unhealthy_because_of_the_blocks(crawl) -> None:
    conn, result, _ = crawl
    assert result.returncode == EXIT_UNHEALTHY, result.stderr[-2000:]
    assert "block" in result.stderr.strip().splitlines()[-1].lower()
    assert "Traceback" not in result.stderr
    (finish_reason, healthy) = conn.execute("SELECT finish_reason, healthy FROM runs").fetchone()
    assert finish_reason == "finished" and healthy == 0


@pytest.mark.parametrize("rule", ARCHIVED_AFTER_RETRIES + ARCHIVED_DESPITE, ids=lambda r: r["fault"])
def test_transient_faults_end_in_the_article_archived_once(crawl, rule) -> None:
    conn, _, _ = crawl
    article = article_for(rule)
    row = article_row(conn, article)
    assert row is not None, f"{rule} lost {article['url']}"
    assert row["title"] == article["title"] and row["version"] == 1
    assert row["body_text"].split("\n") == article["body_paragraphs"]
    assert "\ufffd" not in row["body_text"]
    assert conn.execute("SELECT count(*) FROM articles WHERE url = ?", [article["url"]]).fetchone()[0] == 1
    assert page_row(conn, article)["status"] == 200


@pytest.mark.parametrize("rule", BLOCKED, ids=lambda r: r["fault"])
def test_block_and_challenge_pages_are_recorded_as_blocked_never_archived(crawl, rule) -> None:
    conn, _, _ = crawl
    article = article_for(rule)
    assert article_row(conn, article) is None
    page = page_row(conn, article)
    assert page["kind"] == "blocked" and page["error"] and page["sha256"]
    assert conn.execute("SELECT count(*) FROM articles WHERE title LIKE '%攻击行为%' OR title LIKE '%维护%'"
                        ).fetchone()[0] == 0


@pytest.mark.parametrize("rule, reason", FAILED, ids=lambda x: x["fault"] if isinstance(x, dict) else "")
def test_permanent_failures_are_one_row_with_their_reason(crawl, rule, reason) -> None:
    conn, _, _ = crawl
    article = article_for(rule)
    assert article_row(conn, article) is None
    rows = conn.execute("SELECT kind, error FROM pages WHERE url LIKE ?", ["%" + article["path"]]).fetchall()
    assert len(rows) == 1, rows
    assert rows[0]["kind"] == "error" and reason.lower() in rows[0]["error"].lower(), rows[0]["error"]


def test_no_offsite_page_was_fetched(crawl) -> None:
    conn, _, _ = crawl
    # not fetched, not even tried: no page row names the off-site host (a DNS failure would leave one)
    assert conn.execute("SELECT count(*) FROM pages WHERE url LIKE '%example.invalid%' "
                        "OR final_url LIKE '%example.invalid%'").fetchone()[0] == 0
    # nor the other port (nothing listens there: a followed redirect would leave a connection error's row)
    (url,) = conn.execute("SELECT url FROM pages WHERE error LIKE 'redirect to another port%'").fetchone()
    port = int(url.split("/")[2].rsplit(":", 1)[1])
    assert conn.execute("SELECT count(*) FROM pages WHERE url LIKE ? OR final_url LIKE ?",
                        [f"%:{port + 1}/%"] * 2).fetchone()[0] == 0


def test_every_article_without_a_fault_is_archived(crawl) -> None:
    conn, _, _ = crawl
    faulted = {a["url"] for a, _ in PLAN}
    archived = {r[0] for r in conn.execute("SELECT url FROM articles")}
    assert {a["url"] for a in MANIFEST["articles"]} - faulted <= archived


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"5") == 5.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_stats_count_blocks_retries_and_refusals(crawl) -> None:
    conn, _, _ = crawl
    stats = json.loads(conn.execute("SELECT stats FROM runs").fetchone()[0])
    assert stats.get("gdcac/retry/backoff", 0) >= 8
    assert sum(v for k, v in stats.items() if k.startswith("gdcac/blocked/") and k != "gdcac/blocked/max_delay") >= 5
    assert stats.get("gdcac/refused/binary") == 1 and stats.get("gdcac/refused/empty") == 1
