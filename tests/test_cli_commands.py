"""The analysts' commands through click's runner: search, export, stats, show, serve, migrate."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from gdcac_crawler import cli as cli_module
from gdcac_crawler.archive import Archive, article_id, migrations
from gdcac_crawler.cli import main
from tests.factories import URL, article, start

SEARCH_KEYS = {"rank", "score", "id", "url", "title", "published_at", "column", "source", "site", "snippet"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Four articles in two columns, one of them changed by a second run."""
    path = tmp_path / "archive.sqlite"
    with Archive(path) as archive:
        start(archive)
        archive.add_article(article(1, "关于加强网络安全工作的通知", "各单位要落实网络安全责任制。数据安全同样重要。",
                                    published="2024-03-05T10:00:00+08:00"))  # fmt: skip
        archive.add_article(article(2, "数据安全管理办法解读", "办法明确了数据处理者的网络安全义务。",
                                    published="2023-11-20T09:30:00+08:00", column="法律法规",
                                    source="国家互联网信息办公室"))  # fmt: skip
        archive.add_article(article(3, "个人信息保护", "个人信息 保护 的要点。", published="2024-01-02T08:00:00+08:00"))
        archive.add_article(article(4, "会议纪要", "讨论了年度预算。", published="2022-06-22T10:08:00+08:00"))
        archive.finish_run("r1", finished_at="2024-05-06T08:00:00Z", finish_reason="finished",
                           counts={"new": 4}, stats={})  # fmt: skip
        start(archive, "r2", at="2024-06-01T00:00:00Z")
        archive.add_article(article(4, "会议纪要(修订)", "讨论了年度预算和网络安全。", at="2024-06-01T00:00:00Z",
                                    run_id="r2", published="2022-06-22T10:08:00+08:00"))  # fmt: skip
        archive.finish_run("r2", finished_at="2024-06-01T00:10:00Z", finish_reason="finished",
                           counts={"changed": 1}, stats={})  # fmt: skip
    return path


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, fragment: str) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0], lines[0]


# -- search -------------------------------------------------------------------------------------------------


def test_search_table(db) -> None:
    result = run("search", "网络安全", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 articles match 网络安全"
    assert "  1. 2024-03-05  政策解读" in lines[1] and "关于加强网络安全工作的通知" in lines[1]  # title match first
    assert "[网络安全]" in lines[2] and lines[3].strip() == URL.format(1)


def test_search_jsonl_and_csv(db) -> None:
    result = run("search", "网络安全", "--db", db, "--format", "jsonl", "--limit", "2")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 2 and set(rows[0]) == SEARCH_KEYS
    assert rows[0]["id"] == article_id(URL.format(1)) and rows[0]["column"] == "政策解读"
    assert rows[0]["published_at"] == "2024-03-05T10:00:00+08:00" and "[网络安全]" in rows[0]["snippet"]
    result = run("search", "数据 安全", "--db", db, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert set(table[0]) == SEARCH_KEYS and {r["url"] for r in table} == {URL.format(1), URL.format(2)}


def test_search_filters_and_phrases(db) -> None:
    def urls(*args: str) -> set[str]:
        result = run("search", *args, "--db", db, "--format", "jsonl")
        assert result.exit_code == 0, result.output
        return {json.loads(line)["url"] for line in result.output.splitlines()}

    assert urls("网络安全", "--since", "2024-01-01") == {URL.format(1)}
    assert urls("网络安全", "--until", "2023") == {URL.format(2), URL.format(4)}
    assert urls("网络安全", "--column", "法律法规") == {URL.format(2)}
    assert urls("网络安全", "--source", "互联网信息") == {URL.format(2)}
    assert urls("网络安全", "--site", "gdcac") == {URL.format(n) for n in (1, 2, 4)}
    assert urls('"个人信息 保护"') == {URL.format(3)} and urls('"信息 保护 的"') == {URL.format(3)}
    assert urls("信息保护") == {URL.format(3)}  # in the title
    assert urls("预算和网络") == {URL.format(4)} and urls("讨论了年度预算。") == set()  # only the current version
    assert urls("不存在的词") == set()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["search", "网络", "--since", "2024-13-01"], "bad since date '2024-13-01'"),
        (["search", "网络", "--until", "yesterday"], "bad until date 'yesterday'"),
        (["search", '"网络'], "unbalanced double quote"),
        (["search", "   "], "empty query"),
        (["search", '""'], "empty phrase"),
        (["export", "--query", '"网络', "--format", "jsonl"], "unbalanced double quote"),
        (["export", "--since", "2024-02-30"], "bad since date"),
        (["show", "0000000000000000"], "no article 0000000000000000"),
    ],
)
def test_errors_are_one_line(db, args, fragment) -> None:
    assert_one_line_error(run(*args, "--db", db), fragment)


@pytest.mark.parametrize("command", [["search", "网络"], ["export"], ["stats"], ["show", "x"], ["serve"], ["migrate"]])
def test_no_archive_is_one_line(tmp_path, command) -> None:
    assert_one_line_error(run(*command, "--db", tmp_path / "none.sqlite"), "no archive at")


def test_a_file_that_is_no_archive_is_one_line(tmp_path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    assert_one_line_error(run("search", "网络", "--db", junk), "is not a gdcac archive")
    empty = tmp_path / "empty.sqlite"
    sqlite_utils.Database(empty)["other"].insert({"a": 1})
    assert_one_line_error(run("stats", "--db", empty), "is not a gdcac archive")


def test_an_archive_from_before_search_asks_for_migrate(tmp_path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m002_search")
    db["articles"].insert({"id": article_id(URL.format(1)), "url": URL.format(1), "title": "旧的网络文章",
                           "body_text": "正文", "content_hash": "x", "version": 1})  # fmt: skip
    db.close()
    assert_one_line_error(run("search", "网络", "--db", path), "gdcac migrate --db")
    result = run("migrate", "--db", path)
    assert result.exit_code == 0 and "applied m002_search" in result.output, result.output
    assert run("search", "网络", "--db", path, "--format", "jsonl").output.count("\n") == 1
    result = run("migrate", "--db", path, "--reindex")
    assert "up to date" in result.output and "search index rebuilt: 1 articles" in result.output
    before = run("search", "网络", "--db", path, "--format", "jsonl").output
    result = run("migrate", "--db", path, "--optimize", "--promote-df", "1")
    assert result.exit_code == 0 and "search postings: " in result.output, result.output
    assert " in at least 1 of 1 articles" in result.output
    assert run("search", "网络", "--db", path, "--format", "jsonl").output == before


# -- export -------------------------------------------------------------------------------------------------


def test_export_csv_and_jsonl(db, tmp_path) -> None:
    result = run("export", "--db", db)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["url"] for r in rows] == [URL.format(n) for n in (4, 2, 3, 1)]  # oldest first
    assert rows[0]["title"] == "会议纪要(修订)" and rows[0]["version"] == "2"
    assert json.loads(rows[0]["column_path"]) == ["政策法规", "政策解读"]  # JSON text in CSV
    out = tmp_path / "hits.jsonl"
    result = run("export", "--db", db, "--query", "网络安全", "--format", "jsonl", "-o", out, "--column", "政策解读")
    assert result.exit_code == 0 and "2 articles written to" in result.stderr
    hits = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(h["rank"], h["url"]) for h in hits] == [(1, URL.format(1)), (2, URL.format(4))]
    assert hits[0]["column_path"] == ["政策法规", "政策解读"] and hits[0]["score"] > hits[1]["score"]


def test_export_parquet(db, tmp_path) -> None:
    import pyarrow.parquet as pq  # in the test extra, so this never skips
    out = tmp_path / "articles.parquet"
    result = run("export", "--db", db, "--format", "parquet", "-o", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 4 and table.schema.field("version").type == "int64"
    assert sorted(table.column("title").to_pylist())[0] == "个人信息保护"
    out = tmp_path / "hits.parquet"
    assert run("export", "--db", db, "-q", "数据安全", "--format", "parquet", "-o", out).exit_code == 0
    assert pq.read_table(out).column("rank").to_pylist() == [1, 2]
    assert_one_line_error(run("export", "--db", db, "--format", "parquet"), "needs a file")


def test_export_parquet_without_pyarrow_says_so(db, tmp_path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    result = run("export", "--db", db, "--format", "parquet", "-o", tmp_path / "x.parquet")
    assert_one_line_error(result, "Parquet export needs pyarrow")
    assert not (tmp_path / "x.parquet").exists()


# -- stats and show -----------------------------------------------------------------------------------------


def test_stats(db) -> None:
    result = run("stats", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0].startswith(f"archive {db}: 4 articles (0 removed), 5 versions")
    assert "政策解读     2024-03         1" in out and "法律法规     2023-11         1" in out
    assert "r1" in out and "r2" in out
    assert "last run r2:" in out and "article pages: 1" in out
    data = json.loads(run("stats", "--db", db, "--format", "json").output)
    assert data["counts"]["articles"] == 4 and data["search_index"]["in_step"] is True
    assert {"column_name": "政策解读", "month": "2024-01", "articles": 1} in data["by_column_month"]
    assert data["last_run"]["id"] == "r2"
    assert "search postings: none yet (no token is in 5000 articles)" in out
    assert data["search_index"]["postings"] == {"tokens": 0, "promote_df": 5000, "optimized_docs": None,
                                                "segments": 0}  # fmt: skip


def test_stats_shows_the_postings_once_made(tmp_path) -> None:
    path = tmp_path / "p.sqlite"
    with Archive(path) as archive:
        start(archive)
        for n in range(12):
            archive.add_article(article(n, "网络安全", "正文网络"))
        archive.optimize_search(min_df=10)
    out = run("stats", "--db", path).output
    assert "search postings: " in out and " tokens in at least 10 articles, optimised at 12 articles, 1 segments" in out


def test_stats_reads_health_columns_when_present(db) -> None:
    sdb = sqlite_utils.Database(db)
    for name, kind in (("healthy", int), ("health", str)):
        if name not in sdb["runs"].columns_dict:
            sdb["runs"].add_column(name, kind)
    sdb["runs"].update("r2", {"healthy": 0, "health": "parsed no article while listings were non-empty"})
    sdb.close()
    result = run("stats", "--db", db)
    assert "last run r2: UNHEALTHY: parsed no article while listings were non-empty" in result.output


def test_show_by_id_and_url(db) -> None:
    result = run("show", article_id(URL.format(4)), "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"url          {URL.format(4)}" in out and "title        会议纪要(修订)" in out
    assert "column       政策法规 > 政策解读" in out
    assert "  v1  2024-05-06T07:08:09Z  run r1" in out and "  v2  2024-06-01T00:00:00Z  run r2" in out
    assert "2024-05-06T07:08:09Z  run r1  article  HTTP 200" in out and "run r2  article  HTTP 200" in out
    assert out.rstrip().endswith("讨论了年度预算和网络安全。")
    data = json.loads(run("show", URL.format(4), "--db", db, "--format", "json").output)
    assert data["article"]["id"] == article_id(URL.format(4)) and len(data["versions"]) == 2
    assert [p["run_id"] for p in data["pages"]] == ["r1", "r2"] and data["listings"] == []


# -- serve, help --------------------------------------------------------------------------------------------


def test_serve_binds_loopback_read_only(db, monkeypatch) -> None:
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw, app=app))
    result = run("serve", "--db", db, "--port", "8123")
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    assert "read-only at http://127.0.0.1:8123/archive" in result.stderr


def test_every_command_has_help_with_an_example() -> None:
    for name in ("search", "export", "stats", "show", "serve", "migrate", "summary", "demo"):
        result = run(name, "--help")
        assert result.exit_code == 0 and "Example" in result.output, name
        assert "--db" in result.output, name


def test_load_metadata_renames_the_database(tmp_path) -> None:
    meta = cli_module.load_metadata(None, "demo")
    assert "demo" in meta["databases"] and "gdcac" not in meta["databases"]
    assert "/demo/search" in meta["description_html"]
    bad = tmp_path / "bad.yml"
    bad.write_text("a: [", encoding="utf-8")
    with pytest.raises(Exception, match="not valid YAML"):
        cli_module.load_metadata(bad, "x")
