"""An analyst reading and searching in a loop while a crawl writes sees no lock error and no partial article."""

from __future__ import annotations

import sqlite3
import subprocess
import time

from gdcac_crawler.archive import Archive, content_hash
from gdcac_mirror import load_manifest
from gdcac_mirror.crawl import crawl_command, crawl_env


def test_reader_during_a_crawl(mirror, tmp_path) -> None:
    db = tmp_path / "archive.sqlite"
    Archive(db).close()  # the schema exists before the reader's first look
    # small batches: many commits while the reader reads
    cmd = crawl_command(mirror.base_url, db, settings={"GDCAC_ARCHIVE_BATCH_SIZE": "5", "LOG_LEVEL": "WARNING"},
                        extra=("-a", "mode=full"))
    crawl = subprocess.Popen(cmd, env=crawl_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reads = searches = 0
    seen_counts = []
    errors: list[str] = []
    try:
        while True:
            done = crawl.poll() is not None
            try:
                with Archive(db, readonly=True) as reader:
                    ids = [r["id"] for r in reader.db.query("SELECT id FROM articles")]
                    rows = [reader.get_article(i) for i in ids]
                    for row in rows:
                        # a committed article is whole: every content field, and the hash of that content
                        assert row["title"] and row["body_text"] and row["content_hash"], row["url"]
                        assert content_hash(row) == row["content_hash"], row["url"]
                    reads += 1
                    seen_counts.append(len(rows))
                    reader.search("网络")
                    searches += 1
            except sqlite3.OperationalError as exc:  # "database is locked" would land here
                errors.append(str(exc))
            if done:
                break
            time.sleep(0.02)
    finally:
        _, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, stderr[-2000:]
    assert errors == []
    assert reads >= 5 and searches >= 5
    assert seen_counts == sorted(seen_counts)  # the archive only grows under the reader's eyes
    final = load_manifest()["counts"]["articles"]
    assert seen_counts[-1] == final
    assert any(0 < n < final for n in seen_counts)  # the reader really read while the crawl was writing
