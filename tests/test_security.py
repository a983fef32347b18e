"""Security rules: robots.txt obeyed and recorded, no secret in the runs table or the log, SQL only by parameters."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from gdcac_crawler.archive import Archive, QueryError
from gdcac_mirror import SITE_DIR, MirrorProcess
from tests.factories import article


@pytest.fixture(scope="module")
def robots_mirror(tmp_path_factory):
    """The mirror with a robots.txt that disallows one column."""
    root = tmp_path_factory.mktemp("robots") / "site"
    shutil.copytree(SITE_DIR, root)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /zcfg/flfg/\n", encoding="utf-8")
    with MirrorProcess(root) as mirror:
        yield mirror


def test_robots_disallowed_column_is_recorded_and_never_fetched(robots_mirror, tmp_path, crawl_mirror) -> None:
    db = tmp_path / "a.sqlite"
    robots_mirror.reset_stats()
    result = crawl_mirror(robots_mirror, db, "-a", "mode=full", "-s", "GDCAC_API_PASSWORD=sekrit-123",
                          settings={"LOG_LEVEL": "INFO", "GDCAC_HEALTH_MAX_ERRORS": "100"}, timeout=180)
    fetched = robots_mirror.stats()["by_path"]
    assert not any(path.startswith("/zcfg/flfg/") for path in fetched)
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT kind, error FROM pages WHERE url LIKE '%/zcfg/flfg/%'").fetchall()
        assert rows == [("error", "IgnoreRequest: Forbidden by robots.txt (listing page)")]
        assert conn.execute("SELECT count(*) FROM articles WHERE url LIKE '%/zcfg/flfg/%'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
        # no secret in the runs table, whatever was passed on the command line
        runs = conn.execute("SELECT * FROM runs").fetchall()
        assert len(runs) == 1
        for row in runs:
            assert "sekrit-123" not in " ".join(str(v) for v in row)
    finally:
        conn.close()
    assert "Overridden settings" in result.stderr  # the log that would show it was written
    assert "sekrit-123" not in result.stderr and "sekrit-123" not in result.stdout


def test_search_input_reaches_sql_only_as_parameters(tmp_path) -> None:
    db = tmp_path / "a.sqlite"
    with Archive(db) as archive:
        # one article none of the queries names: a query turned into SQL (OR '1'='1, a bare %) would find it
        archive.add_article(article(1, "网信工作动态", "正文内容"))
        archive.flush()
        assert archive.search("网信")["total"] == 1
        for hostile in ("'; DROP TABLE articles; --", "%", "_", "\\", "网络' OR '1'='1", "NEAR(a b)"):
            result = archive.search(hostile)
            assert result["total"] == 0
        with pytest.raises(QueryError, match="unbalanced double quote"):
            archive.search('x" OR 1=1 --')
        assert archive.article_count() == 1  # the table is still there
