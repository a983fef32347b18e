"""End to end: a full crawl of the standard mirror (no faults) meets its legacy-encoded pages, GBK / GB18030
bytes behind ``charset=gb2312``, a ``charset=utf-8`` header contradicted by the meta tag, and no charset at
all, and archives them as the right text, with the encoding used and the one declared."""

from __future__ import annotations

import json
import sqlite3
import zlib
from urllib.parse import urlsplit

import pytest

from gdcac_crawler.extract.encoding import normalise_encoding
from gdcac_mirror import SITE_DIR, load_manifest

MANIFEST = load_manifest()
LEGACY = [a for a in MANIFEST["articles"] if a["encoding"] != "utf-8"]
RUN = "run-legacy"


@pytest.fixture(scope="module")
def archive(mirror, tmp_path_factory, crawl_mirror):
    db = tmp_path_factory.mktemp("legacy") / "archive.sqlite"
    result = crawl_mirror(mirror, db, "-a", f"run_id={RUN}", "-a", "mode=full", "-s", "LOG_LEVEL=WARNING", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def test_the_mirror_holds_the_three_cases() -> None:
    declared = {(a["declared_header"], a["declared_meta"]) for a in LEGACY}
    assert {("gb2312", "gb2312"), ("utf-8", "gbk"), (None, None)} <= declared


@pytest.mark.parametrize("url", [a["url"] for a in LEGACY])
def test_legacy_articles_are_archived_as_the_right_text(archive: sqlite3.Connection, url: str) -> None:
    art = next(a for a in LEGACY if a["url"] == url)
    row = archive.execute("SELECT * FROM articles WHERE url = ?", [url]).fetchone()
    assert row is not None, url
    assert row["body_text"].split("\n") == art["body_paragraphs"]
    assert row["title"] == art["title"] and row["source"] == art["source"]
    assert row["published_at"] == art["published"]
    assert json.loads(row["column_path"]) == art["column_path"]
    for name in row.keys():
        if isinstance(row[name], str):
            assert "\ufffd" not in row[name], name


@pytest.mark.parametrize("url", [a["url"] for a in LEGACY])
def test_pages_record_the_used_and_the_declared_encoding(archive: sqlite3.Connection, url: str) -> None:
    art = next(a for a in LEGACY if a["url"] == url)
    page = archive.execute("SELECT p.* FROM pages p JOIN articles a ON p.article_id = a.id WHERE a.url = ? "
                           "AND p.run_id = ?", [url, RUN]).fetchone()
    assert page is not None, url
    assert page["encoding"] == normalise_encoding(art["encoding"]) == "gb18030"
    assert page["declared_encoding"] == (art["declared_header"] or art["declared_meta"])  # the header wins
    assert page["content_type"] == art["content_type"]
    # the raw bytes are archived untouched: still GBK / GB18030, and the manifest's text when decoded so
    stored = archive.execute("SELECT body, compression FROM page_bodies WHERE sha256 = ?",
                             [page["sha256"]]).fetchone()
    raw = zlib.decompress(stored["body"]) if stored["compression"] == "zlib" else stored["body"]
    assert raw == (SITE_DIR / art["path"].lstrip("/")).read_bytes()
    text = raw.decode(art["encoding"])
    assert all(p in text for p in art["body_paragraphs"])


def test_no_replacement_character_anywhere_and_the_run_counts_encodings(archive: sqlite3.Connection) -> None:
    for table in ("articles", "pages"):
        columns = [r[1] for r in archive.execute(f"PRAGMA table_info({table})") if r[2].upper() == "TEXT"]
        for column in columns:
            hits = archive.execute(f"SELECT count(*) FROM {table} WHERE instr({column}, ?) > 0",
                                   ["\ufffd"]).fetchone()[0]
            assert hits == 0, (table, column)
    urls = {r["url"] for r in archive.execute("SELECT url FROM articles")}
    assert urls == {a["url"] for a in MANIFEST["articles"]}
    pages = archive.execute("SELECT url, encoding FROM pages WHERE kind = 'article'").fetchall()
    legacy_paths = {a["path"] for a in LEGACY}  # pages keep the URL fetched (the mirror's), articles the canonical
    assert {urlsplit(r["url"]).path for r in pages if r["encoding"] != "utf-8"} == legacy_paths
    stats = json.loads(archive.execute("SELECT stats FROM runs WHERE id = ?", [RUN]).fetchone()[0])
    # these two also count the PDF attachments (Scrapy makes them text responses, declaring no charset)
    undeclared = [a for a in LEGACY if not a["declared_header"] and not a["declared_meta"]]
    assert stats["gdcac/encoding/gb18030"] >= len(LEGACY)
    assert stats["gdcac/encoding/undeclared"] >= len(undeclared) >= 1
    wrong = [a for a in LEGACY if a["declared_header"] and normalise_encoding(a["declared_header"]) != "gb18030"]
    assert stats["gdcac/encoding/overridden"] == len(wrong) >= 1
    assert "gdcac/encoding/undecodable" not in stats
