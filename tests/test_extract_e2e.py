"""End to end against the mirror (loopback only): `scrapy crawl` with the mirror serving GBK pages behind a
wrong or stale charset and an HTML page where a PDF attachment was promised; then a crawl with the
``generic`` profile, which has no selectors at all."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from gdcac_mirror import SITE_DIR, load_manifest
from gdcac_mirror.content import BASE_URL

SEED = "/zcfg/zcjd/content/post_2107282.html"  # holds 勠, a GBK character outside GB2312
PLATFORM = "/zcfg/gfxwj/content/post_2101693.html"
HTML_FOR_PDF = "/attachment/0/210/210347/3100036.pdf"
LENIENT = ("-s", "LOG_LEVEL=WARNING", "-s", "GDCAC_HEALTH_MAX_FALLBACK_RATE=1.0", "-s", "GDCAC_HEALTH_MAX_ERRORS=1000",
           "-s", "GDCAC_HEALTH_MAX_BLOCKED=1000")


@pytest.fixture(scope="module")
def faulty_crawl(mirror, tmp_path_factory, crawl_mirror):
    """One crawl while the mirror serves two articles re-encoded as GBK and an HTML page for one PDF."""
    db = tmp_path_factory.mktemp("enc") / "archive.sqlite"
    mirror.set_faults([
        {"path": SEED, "fault": "gbk_page"},  # header charset=gb2312, meta says UTF-8, GBK bytes
        {"path": PLATFORM, "fault": "wrong_charset_header"},  # header and meta say utf-8, GBK bytes
        {"path": HTML_FOR_PDF, "fault": "waf_block_200"},  # a block page, status 200, where a PDF belongs
    ])
    try:
        crawl_mirror(mirror, db, *LENIENT, "-a", "run_id=run-enc", timeout=240, check=True)
    finally:
        mirror.clear_faults()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn, db.parent / "files"
    conn.close()


def test_gbk_pages_decode_to_the_right_text_and_the_encoding_is_recorded(faulty_crawl) -> None:
    conn, _ = faulty_crawl
    manifest = {a["path"]: a for a in load_manifest()["articles"]}
    for path, declared in ((SEED, "gb2312"), (PLATFORM, "utf-8")):
        row = conn.execute("SELECT a.title, a.body_text, p.declared_encoding, p.encoding FROM articles a "
                           "JOIN pages p ON p.article_id = a.id WHERE a.url = ?",
                           [BASE_URL + path]).fetchone()
        assert row["title"] == manifest[path]["title"]
        assert row["body_text"].split("\n") == manifest[path]["body_paragraphs"]
        assert "\ufffd" not in row["body_text"]
        assert (row["declared_encoding"], row["encoding"]) == (declared, "gb18030")
    assert "勠力同心" in conn.execute("SELECT body_text FROM articles WHERE url LIKE ?", ["%" + SEED]).fetchone()[0]
    legacy = [p for p, a in manifest.items() if a["encoding"] != "utf-8"]  # the mirror's own GBK pages
    others = conn.execute("SELECT url, encoding FROM pages WHERE kind = 'article' AND url NOT LIKE ? "
                          "AND url NOT LIKE ?", ["%" + SEED, "%" + PLATFORM]).fetchall()
    assert {r[1] for r in others if not r[0].endswith(tuple(legacy))} == {"utf-8"}
    stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = 'run-enc'").fetchone()[0])
    assert stats["gdcac/encoding/gb18030"] >= 2 and stats["gdcac/encoding/overridden"] >= 1  # gb2312 was right
    assert conn.execute("SELECT count(*) FROM pages WHERE encoding = 'gb18030'").fetchone()[0] == 2 + len(legacy)


def test_attachments_are_stored_by_sha256_with_their_names(faulty_crawl) -> None:
    conn, store = faulty_crawl
    rows = {r["url"]: dict(r) for r in conn.execute("SELECT * FROM attachment_files")}
    expected = [(a["url"], f["path"], f["name"]) for a in load_manifest()["articles"] for f in a["attachments"]
                if f["path"]]
    assert len(rows) == len(expected) == 6
    for article_url, path, name in expected:
        row = rows[BASE_URL + path]
        assert row["article_id"] == hashlib.sha256(article_url.encode()).hexdigest()[:16]
        assert row["name"] == name and row["run_id"] == "run-enc"
        if path == HTML_FOR_PDF:
            continue
        raw = (SITE_DIR / path.lstrip("/")).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        assert row["status"] == "stored" and row["error"] is None and row["sha256"] == digest
        assert row["path"] == f"{digest[:2]}/{digest}/{name}"
        assert (store / row["path"]).read_bytes() == raw
        assert row["sniffed_type"] == path.rsplit(".", 1)[1] and row["content_type"]


def test_an_html_page_served_for_a_pdf_is_a_failed_attachment(faulty_crawl) -> None:
    conn, store = faulty_crawl
    row = conn.execute("SELECT * FROM attachment_files WHERE url LIKE ?", ["%" + HTML_FOR_PDF]).fetchone()
    assert row["status"] == "failed" and row["error"] == "html-instead-of-pdf"
    assert row["sniffed_type"] == "html" and row["content_type"].startswith("text/html") and row["path"] is None
    assert not list(store.glob(f"*/{row['sha256']}/*"))  # the page was not stored as the file
    files = [p for p in store.rglob("*") if p.is_file()]
    assert len(files) == 5 and all(p.resolve().is_relative_to(store.resolve()) for p in files)


def test_the_generic_profile_alone_crawls_the_mirror(mirror, tmp_path, crawl_mirror) -> None:
    db = tmp_path / "generic.sqlite"
    crawl_mirror(mirror, db, *LENIENT, "-a", "profile=generic@https://www.gdcac.gov.cn/zcfg/",
                 "-a", f"portal_url={BASE_URL}",
                 "-a", "run_id=run-generic", spider="portal", timeout=240, check=True)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    manifest = load_manifest()
    rows = {r["url"]: r for r in conn.execute("SELECT * FROM articles")}
    assert set(rows) == {a["url"] for a in manifest["articles"]}
    for article in manifest["articles"]:
        row = rows[article["url"]]
        assert row["title"] == article["title"] and row["published_at"] == article["published"]
        assert row["body_text"].split("\n") == article["body_paragraphs"]
        assert json.loads(row["methods"])["body"] == "fallback:density"
    stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = 'run-generic'").fetchone()[0])
    n = len(manifest["articles"])
    assert stats["gdcac/fallback/body"] == n and stats["gdcac/fallback/title"] == n
    assert stats["gdcac/fallback/columns"] == 1 and stats["gdcac/fallback/entries"] == 10
    conn.close()


def test_a_second_run_revalidates_stored_attachments_instead_of_downloading_them(mirror, tmp_path,
                                                                                   crawl_mirror) -> None:
    db = tmp_path / "twice.sqlite"
    crawl_mirror(mirror, db, *LENIENT, "-a", "mode=full", "-a", "run_id=run-1", timeout=240, check=True)
    store = tmp_path / "files"
    first = {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
    crawl_mirror(mirror, db, *LENIENT, "-a", "mode=full", "-a", "run_id=run-2", timeout=240, check=True)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM attachment_files ORDER BY url").fetchall()
    assert len(rows) == 6
    for row in rows:  # every file asked for with its validators; the mirror answered 304
        assert (row["status"], row["run_id"], row["error"]) == ("not_modified", "run-2", None), dict(row)
        assert row["etag"] and row["last_modified"] and (store / row["path"]).is_file()
        raw = (SITE_DIR / row["url"].removeprefix(BASE_URL + "/")).read_bytes()
        assert row["sha256"] == hashlib.sha256(raw).hexdigest() and row["size"] == len(raw)
    stats = json.loads(conn.execute("SELECT stats FROM runs WHERE id = 'run-2'").fetchone()[0])
    assert stats["gdcac/attachments/not_modified"] == 6 and "gdcac/attachments/stored" not in stats
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()} == first  # nothing rewritten
    conn.close()
    crawl_mirror(mirror, db, *LENIENT, "-a", "mode=full", "-a", "run_id=run-3",
                 "-s", "GDCAC_ATTACHMENTS_REVALIDATE=False", timeout=240, check=True)
    conn = sqlite3.connect(db)
    assert {r[0] for r in conn.execute("SELECT status FROM attachment_files WHERE run_id = 'run-3'")} == {"stored"}
    conn.close()
