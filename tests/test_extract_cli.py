"""``gdcac extract``: one JSON object keyed by the archive's article columns; ``--profile auto`` picks the
profile by the URL's host and falls back to ``generic``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from gdcac_crawler.archive import Archive
from gdcac_crawler.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DRC_URL = "https://drc.gd.gov.cn/ywtz/content/post_4960402.html"


def run(*args: str) -> dict:
    result = CliRunner().invoke(main, ["extract", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def expected(case: str) -> dict:
    return json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))


def test_auto_picks_drc_by_host() -> None:
    out = run("--profile", "auto", "--url", DRC_URL, str(FIXTURES / "drc/article_ywtz_real/page.html"))
    assert out == expected("drc/article_ywtz_real")


def test_auto_falls_back_to_generic_for_an_unknown_host() -> None:
    url = "https://www.portal.example/zwgk/tzgg/202206/t20220622_123456.html"
    out = run("--url", url, str(FIXTURES / "generic/article_trs_furniture/page.html"))
    assert out == expected("generic/article_trs_furniture")
    assert out["methods"]["body"] == "fallback:density"


def test_an_explicit_profile_and_a_listing() -> None:
    out = run("--profile", "generic", "--kind", "listing", "--url", "https://drc.gd.gov.cn/ywtz/index.html",
              str(FIXTURES / "drc/listing_ywtz_real/page.html"))
    assert len(out["entries"]) == 20 and out["methods"]["entries"] == "fallback:dated-links"


def test_gbk_page_with_its_header(tmp_path) -> None:
    page = FIXTURES / "gdcac/article_gbk_header_says_utf8/page.html"
    url = "https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2107282.html"
    out = run("--url", url, "--content-type", "text/html; charset=utf-8", str(page))
    assert out == expected("gdcac/article_seed")


def test_article_keys_are_archive_column_names(tmp_path) -> None:
    Archive(tmp_path / "a.sqlite").close()
    columns = {r[1] for r in sqlite3.connect(tmp_path / "a.sqlite").execute("PRAGMA table_info(articles)")}
    out = run("--url", DRC_URL, str(FIXTURES / "drc/article_ywtz_real/page.html"))
    assert set(out) <= columns
    assert {"title", "published_at", "source", "body_text", "images", "attachments", "related", "methods"} <= set(out)


def test_profile_needing_a_url_or_unknown_is_one_clear_line() -> None:
    result = CliRunner().invoke(main, ["extract", "--profile", "nope", "--url", DRC_URL,
                                       str(FIXTURES / "drc/article_ywtz_real/page.html")])
    assert result.exit_code != 0 and "no portal profile named 'nope'" in result.output
