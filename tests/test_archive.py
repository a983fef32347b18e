"""Tests of the SQLite archive: versioning, idempotence, batching, content-addressed bodies, schema docs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sqlite3
import zlib
from pathlib import Path

import pytest

from gdcac_crawler.archive import Archive, ArchiveReader, ArchiveWriter, article_id, content_hash
from gdcac_crawler.items import ArticleItem, Fetch, ListingEntry, ListingItem, PageFailure
from tests.factories import PAGE_BODY, make_fetch

README = Path(__file__).resolve().parents[1] / "archive" / "README.md"
TABLES = ("runs", "page_bodies", "pages", "articles", "article_versions", "listings")
ART_URL = "https://www.gdcac.gov.cn/gdcac/zwgk/zcjd/content/post_1.html"
LIST_URL = "https://www.gdcac.gov.cn/gdcac/zwgk/zcjd/index.html"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "archive.sqlite"


def make_article(run_id: str = "r1", *, at: str = "2024-05-06T07:08:09Z", body_text: str = "第一段。\n第二段。",
                 url: str = ART_URL, **kw) -> ArticleItem:  # fmt: skip
    raw = kw.pop("raw", None)
    return ArticleItem(
        url=url,
        site="gdcac",
        fetch=make_fetch(url, run_id=run_id, at=at, body=PAGE_BODY if raw is None else raw),
        title="关于网络安全的解读",
        published_raw="2024-05-06 15:08",
        published_at="2024-05-06T15:08:00+08:00",
        source_raw="来源:广东省委网信办",
        source="广东省委网信办",
        column_path=["政策法规", "政策解读"],
        body_lines=["第一段。", "第二段。"],
        body_text=body_text,
        body_html="<p>第一段。</p><p>第二段。</p>",
        images=[{"src": "https://www.gdcac.gov.cn/a.png", "alt": "", "caption": "图"}],
        attachments=[{"url": "https://www.gdcac.gov.cn/a.pdf", "name": "附件1", "type": "pdf"}],
        meta={"ArticleTitle": "关于网络安全的解读"},
        methods={"title": "profile"},
        listed_title="关于网络安全的解读",
        listed_date="2024-05-06",
        column="政策解读",
        **kw,
    )


def start(archive: Archive, run_id: str, at: str = "2024-05-06T07:00:00Z") -> None:
    archive.start_run(run_id, spider="gdcac", site="gdcac", mode="full", started_at=at,
                      settings={"DOWNLOAD_DELAY": 1}, crawler_version="0.1.0")  # fmt: skip


def count(path: Path, table: str) -> int:
    """Row count through a separate connection (what a reader sees)."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def counts(path: Path) -> dict[str, int]:
    return {t: count(path, t) for t in TABLES}


# -- identity and hashing -----------------------------------------------------------------------------------


def test_article_id_is_sha256_prefix_of_url():
    assert article_id(ART_URL) == hashlib.sha256(ART_URL.encode()).hexdigest()[:16]
    assert article_id(ART_URL) != article_id(ART_URL + "?x=1")


def test_content_hash_ignores_line_end_whitespace_only():
    base = dataclasses.asdict(make_article())
    same = dict(base, body_text="第一段。  \r\n第二段。\t\n", title=base["title"] + " ")
    assert content_hash(same) == content_hash(base)
    assert content_hash(make_article()) == content_hash(base)  # dataclass and dict agree
    assert content_hash(dict(base, body_text="第一段。\n第二段!")) != content_hash(base)
    assert content_hash(dict(base, body_text=" 第一段。\n第二段。")) != content_hash(base)  # leading space counts
    assert content_hash(dict(base, attachments=[])) != content_hash(base)
    assert content_hash(dict(base, source="别处")) != content_hash(base)
    assert content_hash(dict(base, published_at="2024-05-07T15:08:00+08:00")) != content_hash(base)
    # fields outside the content do not matter
    assert content_hash(dict(base, body_html="<p>x</p>", meta={}, column="其他")) == content_hash(base)


# -- versioning ---------------------------------------------------------------------------------------------


def test_new_article_is_version_1_with_one_version_row(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        assert archive.add_article(make_article()) == "new"
    with Archive(db_path, readonly=True) as archive:
        row = archive.get_article(ART_URL)
        assert row is not None
        assert archive.get_article(article_id(ART_URL))["url"] == ART_URL
        assert row["version"] == 1
        assert row["first_seen_at"] == row["last_seen_at"] == row["changed_at"] == "2024-05-06T07:08:09Z"
        assert row["first_run_id"] == row["last_run_id"] == "r1"
        assert row["column_path"] == ["政策法规", "政策解读"]
        assert row["attachments"][0]["name"] == "附件1"
        assert row["published_at"] == "2024-05-06T15:08:00+08:00"
        assert row["content_hash"] == content_hash(make_article())
        assert row["raw_sha256"] == make_fetch(ART_URL).sha256
        assert row["http_status"] == 200
        assert "body_lines" not in row
        versions = archive.article_versions(ART_URL)
        assert [(v["version"], v["run_id"], v["content_hash"]) for v in versions] == [(1, "r1", row["content_hash"])]
        assert archive.article_count() == 1
    # JSON keeps Chinese readable
    raw = sqlite3.connect(db_path).execute("SELECT column_path FROM articles").fetchone()[0]
    assert "政策解读" in raw


def test_same_content_again_is_unchanged(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        archive.add_article(make_article("r1", at="2024-05-06T07:08:09Z"))
    with Archive(db_path) as archive:
        start(archive, "r2", at="2024-05-07T07:00:00Z")
        # whitespace at line ends only: still the same content
        item = make_article("r2", at="2024-05-07T07:08:09Z", body_text="第一段。 \n第二段。\n")
        item.fetch.etag = '"abc"'
        assert archive.add_article(item) == "unchanged"
    with Archive(db_path, readonly=True) as archive:
        row = archive.get_article(ART_URL)
        assert row["version"] == 1
        assert row["last_seen_at"] == "2024-05-07T07:08:09Z"
        assert row["last_run_id"] == "r2"
        assert row["first_seen_at"] == row["changed_at"] == "2024-05-06T07:08:09Z"
        assert row["first_run_id"] == "r1"
        assert row["etag"] == '"abc"' and row["fetched_at"] == "2024-05-07T07:08:09Z"
        assert row["body_text"] == "第一段。\n第二段。"  # content columns not replaced
        assert len(archive.article_versions(ART_URL)) == 1
    assert count(db_path, "pages") == 2  # one fetch per run


def test_changed_body_is_version_2(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        assert archive.add_article(make_article("r1")) == "new"
    with Archive(db_path) as archive:
        start(archive, "r2", at="2024-05-07T07:00:00Z")
        changed = make_article("r2", at="2024-05-07T07:08:09Z", body_text="第一段。\n第二段（修订）。")
        assert archive.add_article(changed) == "changed"
    with Archive(db_path, readonly=True) as archive:
        row = archive.get_article(ART_URL)
        assert row["version"] == 2
        assert row["changed_at"] == "2024-05-07T07:08:09Z"
        assert row["first_seen_at"] == "2024-05-06T07:08:09Z" and row["first_run_id"] == "r1"
        assert row["last_run_id"] == "r2"
        assert row["body_text"] == "第一段。\n第二段（修订）。"
        assert row["content_hash"] == content_hash(changed)
        versions = archive.article_versions(ART_URL)
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[0]["body_text"] == "第一段。\n第二段。"
        assert versions[1]["body_text"] == "第一段。\n第二段（修订）。"
        assert versions[1]["run_id"] == "r2" and versions[1]["captured_at"] == "2024-05-07T07:08:09Z"


def test_status_is_right_while_article_sits_in_the_buffer(db_path):
    with Archive(db_path, batch_size=100) as archive:
        start(archive, "r1")
        assert archive.add_article(make_article("r1", at="2024-05-06T07:00:00Z")) == "new"
        assert archive.add_article(make_article("r1", at="2024-05-06T08:00:00Z")) == "unchanged"
        assert archive.add_article(make_article("r1", at="2024-05-06T09:00:00Z", body_text="新")) == "changed"
        assert count(db_path, "articles") == 0  # all still buffered
    with Archive(db_path, readonly=True) as archive:
        row = archive.get_article(ART_URL)
        assert row["version"] == 2 and row["last_seen_at"] == "2024-05-06T09:00:00Z"
        assert row["first_seen_at"] == "2024-05-06T07:00:00Z"
        assert len(archive.article_versions(ART_URL)) == 2


def test_accepts_plain_dicts(db_path):
    item = dataclasses.asdict(make_article())
    assert isinstance(item["fetch"], dict)
    with Archive(db_path) as archive:
        start(archive, "r1")
        assert archive.add_article(item) == "new"
        assert archive.add_article(make_article()) == "unchanged"
    assert counts(db_path)["articles"] == 1


def test_replaying_the_same_items_twice_gives_identical_rows(db_path):
    def crawl() -> list[str]:
        statuses = []
        with Archive(db_path, batch_size=2) as archive:
            for run, at, text in [("r1", "2024-05-06T07:08:09Z", "旧"), ("r2", "2024-05-07T07:08:09Z", "新")]:
                start(archive, run, at=at)
                listing = ListingItem(
                    url=LIST_URL, site="gdcac", column="政策解读", column_url=LIST_URL, page_no=1,
                    entries=[ListingEntry(ART_URL, "标题", "2024-05-06", 1)],
                    fetch=make_fetch(LIST_URL, run_id=run, at=at, kind="listing", body=b"listing"),
                )  # fmt: skip
                archive.add_listing(listing)
                statuses.append(archive.add_article(make_article(run, at=at, body_text=text)))
                archive.add_failure(PageFailure("gdcac", make_fetch(ART_URL + "x", run_id=run, at=at, kind="error",
                                                                    body=b"", status=500, error="HTTP 500")))  # fmt: skip
                archive.finish_run(run, finished_at=at, finish_reason="finished", counts={"new": 1}, stats={})
        return statuses

    def snapshot() -> dict[str, list[tuple]]:
        conn = sqlite3.connect(db_path)
        try:
            return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
        finally:
            conn.close()

    assert crawl() == ["new", "changed"]
    first = snapshot()
    assert crawl() == ["unchanged", "unchanged"]
    second = snapshot()
    assert {t: len(r) for t, r in second.items()} == {
        "runs": 2, "page_bodies": 3, "pages": 6, "articles": 1, "article_versions": 2, "listings": 1,
    }  # fmt: skip
    assert second == first


# -- batching -----------------------------------------------------------------------------------------------


def test_batching_hides_writes_until_batch_size_or_flush(db_path):
    archive = Archive(db_path, batch_size=3)
    start(archive, "r1")
    assert count(db_path, "runs") == 1  # start_run is written at once
    archive.add_article(make_article(url=ART_URL))
    archive.add_page(make_fetch(url="https://www.gdcac.gov.cn/gdcac/zwgk/", kind="section", body=b"section"), site="gdcac")
    assert counts(db_path) == {t: (1 if t == "runs" else 0) for t in TABLES}
    assert archive.pending == 2
    archive.add_article(make_article(url=ART_URL.replace("1", "2")))  # third write: flushed
    assert archive.pending == 0
    assert count(db_path, "articles") == 2 and count(db_path, "pages") == 3
    assert count(db_path, "article_versions") == 2 and count(db_path, "page_bodies") == 2

    archive.add_failure(PageFailure("gdcac", make_fetch(url=ART_URL + "3", kind="error", status=404, error="404")))
    assert count(db_path, "pages") == 3
    archive.flush()
    assert count(db_path, "pages") == 4
    archive.add_listing(ListingItem(LIST_URL, "gdcac", "政策解读", LIST_URL, 1,
                                    [ListingEntry(ART_URL, "t", None, 1)], make_fetch(url=LIST_URL, kind="listing")))  # fmt: skip
    assert count(db_path, "listings") == 0
    archive.close()
    assert count(db_path, "listings") == 1 and count(db_path, "pages") == 5


def test_the_buffer_is_flushed_by_bytes_before_batch_size_items(db_path):
    """A byte budget of 100,000: two articles of 30,000 characters of text wait; the fourth crosses the budget
    and is flushed with the others, long before batch_size (1,000) items — and small writes stay counted by
    items."""
    archive = Archive(db_path, batch_size=1000, batch_bytes=100_000)
    start(archive, "r1")
    big = "长" * 30_000
    for i in range(1, 4):
        archive.add_article(make_article(url=f"{ART_URL}?big={i}", body_text=big))
        assert archive.pending == i and count(db_path, "articles") == 0  # 30,000 × i characters: below the budget
    archive.add_article(make_article(url=f"{ART_URL}?big=4", body_text=big))  # 120,000 characters: over it
    assert archive.pending == 0 and count(db_path, "articles") == 4
    for i in range(1, 50):
        archive.add_article(make_article(url=f"{ART_URL}?small={i}"))
    assert archive.pending == 49 and count(db_path, "articles") == 4
    archive.close()
    assert count(db_path, "articles") == 53


def test_finish_run_flushes(db_path):
    archive = Archive(db_path, batch_size=100)
    start(archive, "r1")
    archive.add_article(make_article())
    assert count(db_path, "articles") == 0
    archive.finish_run("r1", finished_at="2024-05-06T08:00:00Z", finish_reason="finished", counts={"new": 1}, stats={})
    assert count(db_path, "articles") == 1
    archive.close()


# -- bodies and pages ---------------------------------------------------------------------------------------


def test_identical_bodies_in_two_runs_are_stored_once(db_path):
    raw = "<html><body>网信办通知 — 同一页面</body></html>".encode("gb18030")
    with Archive(db_path) as archive:
        for run, at in [("r1", "2024-05-06T07:08:09Z"), ("r2", "2024-05-07T07:08:09Z")]:
            start(archive, run, at=at)
            pid = archive.add_page(make_fetch(LIST_URL, run_id=run, at=at, kind="listing", body=raw), site="gdcac")
            assert pid == hashlib.sha256(f"{run}\n{LIST_URL}".encode()).hexdigest()[:16]
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM page_bodies").fetchone()[0] == 1
    pages = conn.execute("SELECT run_id, sha256, size FROM pages ORDER BY run_id").fetchall()
    sha = hashlib.sha256(raw).hexdigest()
    assert pages == [("r1", sha, len(raw)), ("r2", sha, len(raw))]
    size, compression, body = conn.execute(
        "SELECT b.size, b.compression, b.body FROM pages p JOIN page_bodies b ON b.sha256 = p.sha256 WHERE p.run_id='r2'"
    ).fetchone()
    assert compression == "zlib" and size == len(raw)
    assert body != raw and zlib.decompress(body) == raw


def test_page_fetched_twice_in_a_run_keeps_last_answer(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        first = archive.add_page(make_fetch(url=LIST_URL, kind="listing", status=503, body=b"busy"), site="gdcac")
        archive.flush()
        second = archive.add_page(make_fetch(url=LIST_URL, kind="listing", at="2024-05-06T07:09:00Z", body=b"ok"),
                                  site="gdcac")  # fmt: skip
        assert first == second
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT status, fetched_at, size FROM pages").fetchall() == [(200, "2024-05-06T07:09:00Z", 2)]


def test_failure_page_row(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        fetch = Fetch(run_id="r1", url=ART_URL, final_url=ART_URL, status=403, fetched_at="2024-05-06T07:08:09Z",
                      kind="rejected", error="blocked by WAF")  # fmt: skip
        archive.add_failure(PageFailure(site="gdcac", fetch=fetch))
    conn = sqlite3.connect(db_path)
    row = conn.execute("SELECT kind, status, error, sha256, site FROM pages").fetchone()
    assert row == ("rejected", 403, "blocked by WAF", None, "gdcac")
    assert conn.execute("SELECT count(*) FROM page_bodies").fetchone()[0] == 0


def test_pages_of_a_run_never_started_get_a_runs_row(db_path):
    with Archive(db_path) as archive:
        archive.add_page(make_fetch(LIST_URL, run_id="orphan", kind="listing"), site="gdcac")
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT id, spider FROM runs").fetchall() == [("orphan", None)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


# -- listings -----------------------------------------------------------------------------------------------


def test_listing_rows_are_keyed_and_updated_when_seen_again(db_path):
    other = "https://mp.weixin.qq.com/s/abc"

    def listing(run: str, at: str, entries: list[ListingEntry], page_no: int = 1) -> ListingItem:
        return ListingItem(LIST_URL, "gdcac", "政策解读", LIST_URL, page_no, entries,
                           make_fetch(LIST_URL, run_id=run, at=at, kind="listing", body=b"l"))  # fmt: skip

    with Archive(db_path) as archive:
        start(archive, "r1")
        archive.add_listing(listing("r1", "2024-05-06T07:00:00Z", [
            ListingEntry(ART_URL, "旧标题", "2024-05-06", 1),
            ListingEntry(other, "微信文章", "2024-05-05", 2, offsite=True),
        ]))  # fmt: skip
    with Archive(db_path) as archive:
        start(archive, "r2", at="2024-05-07T07:00:00Z")
        archive.add_listing(listing("r2", "2024-05-07T07:00:00Z", [ListingEntry(ART_URL, "新标题", "2024-05-06", 3)]))
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = {r["article_url"]: dict(r) for r in conn.execute("SELECT * FROM listings")}
    assert len(rows) == 2
    art = rows[ART_URL]
    assert art["position"] == 3 and art["listed_title"] == "新标题"
    assert art["first_run_id"] == "r1" and art["first_seen_at"] == "2024-05-06T07:00:00Z"
    assert art["last_run_id"] == "r2" and art["last_seen_at"] == "2024-05-07T07:00:00Z"
    assert art["article_id"] == article_id(ART_URL) and art["offsite"] == 0
    assert art["column_name"] == "政策解读" and art["page_no"] == 1
    off = rows[other]
    assert off["offsite"] == 1 and off["article_id"] is None and off["last_run_id"] == "r1"
    kinds = conn.execute("SELECT run_id, kind FROM pages ORDER BY run_id").fetchall()
    assert [tuple(k) for k in kinds] == [("r1", "listing"), ("r2", "listing")]


# -- runs and reads -----------------------------------------------------------------------------------------


def test_runs_round_trip(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        start(archive, "r1")  # idempotent
        archive.finish_run(
            "r1",
            finished_at="2024-05-06T08:00:00Z",
            finish_reason="finished",
            counts={"listing_pages": 4, "new": 3, "changed": 2, "unchanged": 1, "failed": 5, "dropped": 6,
                    "blocked": 7, "offsite": 8, "mystery": 9},  # fmt: skip
            stats={"item_scraped_count": 6},
        )
        start(archive, "r1")  # a late start_run does not wipe the finish
        runs = archive.runs()
    assert len(runs) == 1
    run = runs[0]
    assert run["spider"] == "gdcac" and run["mode"] == "full" and run["crawler_version"] == "0.1.0"
    assert run["started_at"] == "2024-05-06T07:00:00Z" and run["finished_at"] == "2024-05-06T08:00:00Z"
    assert run["finish_reason"] == "finished"
    assert run["settings"] == {"DOWNLOAD_DELAY": 1}
    assert (run["listing_pages"], run["articles_new"], run["articles_changed"], run["articles_unchanged"],
            run["articles_failed"], run["items_dropped"], run["pages_blocked"], run["offsite_links"]) == (
        4, 3, 2, 1, 5, 6, 7, 8)  # fmt: skip
    assert run["stats"] == {"item_scraped_count": 6, "mystery": 9}
    assert "mystery" not in run


def test_column_summary(db_path):
    with Archive(db_path) as archive:
        start(archive, "r1")
        for i, (column, published) in enumerate(
            [("政策解读", "2024-01-01T10:00:00+08:00"), ("政策解读", "2024-03-01T10:00:00+08:00"),
             ("工作动态", "2023-12-01T10:00:00+08:00")]  # fmt: skip
        ):
            item = make_article(url=f"{ART_URL}?{i}")
            item.column, item.published_at = column, published
            archive.add_article(item)
        summary = archive.column_summary()
    assert summary == [
        {"column_name": "政策解读", "articles": 2, "first_published": "2024-01-01T10:00:00+08:00",
         "last_published": "2024-03-01T10:00:00+08:00"},
        {"column_name": "工作动态", "articles": 1, "first_published": "2023-12-01T10:00:00+08:00",
         "last_published": "2023-12-01T10:00:00+08:00"},
    ]  # fmt: skip


def test_wal_mode_and_pragmas(db_path):
    with Archive(db_path) as archive:
        assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert archive.db.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
        assert archive.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
    applied = conn.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
    assert applied == [("gdcac", name) for name in registered_migrations()]
    assert applied[0] == ("gdcac", "m001_initial")


def registered_migrations() -> list[str]:
    """The names of the archive's migrations, in the order they are registered (and applied)."""
    from sqlite_utils import Database

    from gdcac_crawler.archive import migrations

    return [m.name for m in migrations.pending(Database(memory=True))]


def test_reopening_does_not_reapply_migrations_and_readonly_refuses_writes(db_path):
    Archive(db_path).close()
    Archive(db_path).close()
    assert count(db_path, "_sqlite_migrations") == len(registered_migrations())
    with Archive(db_path, readonly=True) as archive:
        assert archive.article_count() == 0
        with pytest.raises(RuntimeError):
            archive.add_page(make_fetch(ART_URL), site="gdcac")


def test_reader_can_read_while_writer_is_open(db_path):
    writer = Archive(db_path)
    start(writer, "r1")
    writer.add_article(make_article())
    writer.flush()
    with Archive(db_path, readonly=True) as reader:
        assert reader.article_count() == 1
    writer.close()


def test_an_archive_reader_only_reads(db_path):
    with ArchiveWriter(db_path) as writer:
        start(writer, "r1")
        assert writer.add_article(make_article()) == "new"
    with ArchiveReader(db_path) as reader:
        assert not hasattr(reader, "add_article") and reader.pending_migrations() == []
        assert reader.get_article(ART_URL)["id"] == reader.get_article(article_id(ART_URL))["id"]
        assert [v["version"] for v in reader.article_versions(ART_URL)] == [1]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.db.execute("DELETE FROM articles")


# -- the README matches the schema --------------------------------------------------------------------------


def documented_schema() -> dict[str, dict[str, str]]:
    """``{table: {column: TYPE}}`` from archive/README.md (``### `table` `` headings, ``| `col` | TYPE |`` rows)."""
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^###\s+`([^`]+)`\s*$", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        if line.startswith("## "):
            current = None
            continue
        row = re.match(r"^\|\s*`([^`]+)`\s*\|\s*([A-Z]*)\s*\|", line)  # empty: no declared type (FTS5)
        if row and current is not None:
            assert row.group(1) not in current, f"column {row.group(1)} documented twice"
            current[row.group(1)] = row.group(2)
    return tables


def test_readme_documents_exactly_the_schema(db_path):
    Archive(db_path).close()
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    actual = {t: {r[1]: r[2].upper() for r in conn.execute(f'PRAGMA table_info("{t}")')} for t in names}
    documented = documented_schema()
    assert set(documented) == set(actual), "tables documented vs. in the schema differ"
    for table in actual:
        assert documented[table] == actual[table], f"columns of {table} differ between README and schema"
    assert len(documented["articles"]) >= 30  # the parser really read the tables


def test_flush_is_one_transaction_and_keeps_the_buffer_on_failure(db_path, monkeypatch):
    archive = Archive(db_path, batch_size=100)
    start(archive, "r1")
    archive.add_article(make_article())
    archive.add_page(make_fetch(url=LIST_URL, kind="listing", body=b"l"), site="gdcac")
    real = Archive.upsert_rows

    def failing(self, table, rows, pk):
        if table == "pages":  # written after page_bodies, articles and article_versions
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(self, table, rows, pk)

    monkeypatch.setattr(Archive, "upsert_rows", failing)
    with pytest.raises(sqlite3.OperationalError):
        archive.flush()
    assert counts(db_path) == {t: (1 if t == "runs" else 0) for t in TABLES}  # all rolled back
    assert archive.pending == 2
    monkeypatch.setattr(Archive, "upsert_rows", real)
    archive.close()
    assert counts(db_path) == {"runs": 1, "page_bodies": 2, "pages": 2, "articles": 1, "article_versions": 1,
                               "listings": 0}  # fmt: skip
