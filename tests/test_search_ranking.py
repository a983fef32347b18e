"""Ranking from the postings of common tokens gives exactly what FTS5's bm25 gives, and stays in step.

Two copies of one archive answer the same queries: one ranks every query with FTS5 (no postings), the other
has postings for its common tokens (a low promotion threshold makes most tokens common in a small corpus), so
its queries of common tokens are ranked by :func:`gdcac_crawler.archive.ranking.top_k`.  Scores, order and totals must
agree, before and after new articles and new versions arrive and after the postings are merged.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from gdcac_crawler.archive import Archive, ranking
from gdcac_crawler.archive.query import fold
from tests.factories import CJK, article, random_text, start

ALPHABET = "网络安全数据信息管理办法规定的和是在国家个人保护发展空间AbZ5 。"
WEIGHTS = [10, 9, 8, 8, 7, 7, 6, 6, 5, 5, 5, 4, 4, 9, 6, 6, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 4, 3]

QUERIES = [
    "网", "的", "a", "全",  # one character: a unit token
    "网络", "安全", "ab", "的和",  # two: one pair token
    "网络安全", "数据信息", "安全的", "网网网",  # longer: a phrase of pairs, ranked by its pairs
    "网络 安全", "数据 的", '"全 数"', "网络安全 数据", "Ab 的",  # several terms
    "保护发展空间",  # a phrase its pairs seldom form
    "网络安全数据信息管理",  # a long phrase found nowhere: no match
]


def corpus_text(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choices(ALPHABET, WEIGHTS, k=rng.randint(low, high)))


COLUMNS = ("政策解读", "法律法规", "规范性文件")
FILTERS = ({}, {"column": "法律法规"}, {"since": "2022", "until": "2023-06"}, {"source": "日报"})


def fill(archive: Archive, rng: random.Random, numbers: range, run_id: str, at: str) -> None:
    for n in numbers:
        archive.add_article(article(
            n, corpus_text(rng, 2, 16), corpus_text(rng, 0, 400), run_id=run_id, at=at, column=COLUMNS[n % 3],
            published=f"202{n % 5}-{n % 9 + 1:02d}-01T08:00:00+08:00", source="南方日报" if n % 4 == 0 else "网信广东",
        ))  # fmt: skip
    archive.flush()


def copy(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture()
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(archive ranked by FTS5 only, the same archive with postings, calls of ranking.top_k)."""
    rng = random.Random(11)
    with Archive(tmp_path / "fts.sqlite", batch_size=50) as plain:
        start(plain)
        fill(plain, rng, range(300), "r1", "2024-05-06T07:08:09Z")
    copy(tmp_path / "fts.sqlite", tmp_path / "postings.sqlite")
    fts = Archive(tmp_path / "fts.sqlite", batch_size=50)
    post = Archive(tmp_path / "postings.sqlite", batch_size=50)
    done = post.optimize_search(min_df=40)
    assert done["promoted"] > 50 and done["newly_promoted"] == done["promoted"]
    calls: list[tuple[str, ...]] = []
    real = ranking.top_k

    def spy(postings, tokens, k, confirm=None, **kw):
        calls.append(tuple(tokens))
        return real(postings, tokens, k, confirm, **kw)

    monkeypatch.setattr(ranking, "top_k", spy)
    yield fts, post, calls
    fts.close()
    post.close()


def compare(fts: Archive, post: Archive, calls: list, *, limit: int = 20) -> int:
    """Compare every query's results; how many were ranked from the postings."""
    ranked = 0
    for query in QUERIES:
        for offset, filters in [(0, {}), (7, {}), *((0, f) for f in FILTERS[1:])]:
            before = len(calls)
            a = fts.search(query, limit=limit, offset=offset, **filters)
            b = post.search(query, limit=limit, offset=offset, **filters)
            ranked += len(calls) > before
            assert a["total"] == b["total"], (query, filters)
            sa, sb = [r["score"] for r in a["results"]], [r["score"] for r in b["results"]]
            assert sb == pytest.approx(sa, rel=1e-9, abs=1e-9), (query, filters)
            # the same articles, except that those tied at the last score may differ
            cut = sa[-1] if sa else None
            assert {r["id"] for r in a["results"] if r["score"] != cut} == {
                r["id"] for r in b["results"] if r["score"] != cut
            }, query
            assert [r["rank"] for r in b["results"]] == list(range(offset + 1, offset + 1 + len(sb)))
        assert set(post.search_ids(query)) == set(fts.search_ids(query)), query
    return ranked


def test_postings_rank_exactly_as_fts5(pair) -> None:
    fts, post, calls = pair
    ranked = compare(fts, post, calls)
    assert ranked >= (len(FILTERS) + 1) * (len(QUERIES) - 3), "most queries should have been ranked from the postings"
    assert any(len(t) >= 3 for t in calls), "a phrase query was confirmed on the text"


def test_postings_follow_new_articles_and_versions_then_merge(pair) -> None:
    fts, post, calls = pair
    rng = random.Random(12)
    state = rng.getstate()
    for archive in (fts, post):
        rng.setstate(state)
        start(archive, "r2", at="2024-06-01T00:00:00Z")
        fill(archive, rng, range(300, 360), "r2", "2024-06-01T00:00:00Z")  # new articles
        fill(archive, rng, range(0, 300, 3), "r2", "2024-06-01T00:00:00Z")  # new versions of old ones
    segments = post.db.execute("SELECT count(*) FROM search_postings WHERE token = ''").fetchone()[0]
    assert segments >= 3, "each flush adds a segment"
    assert compare(fts, post, calls) > 0
    done = post.optimize_search()
    assert done["merged_tokens"] > 0
    assert post.db.execute("SELECT count(*) FROM search_postings WHERE token = ''").fetchone()[0] == 1
    assert post.db.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM search_postings GROUP BY token)").fetchone()[0] == 1
    assert compare(fts, post, calls) > 0


def test_lengths_are_fts5_document_sizes(pair) -> None:
    _, post, _ = pair
    lengths, _ = post.postings.doc_segments()
    sizes = post.db.execute("SELECT id, sz FROM articles_fts_docsize").fetchall()
    assert len(sizes) == 300
    for doc, sz in sizes:
        total, value = 0, 0
        for byte in sz:  # SQLite varints (seven bits a byte, most significant first), one per column
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                total, value = total + value, 0
        assert lengths[doc] == total


def test_a_newly_common_token_is_promoted_and_backfilled(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite", batch_size=20) as archive:
        start(archive)
        for n in range(30):
            archive.add_article(article(n, "标题", "网络" * (n % 3 + 1) + ("稀有" if n < 5 else "")))
        archive.optimize_search(min_df=10)
        promoted = {t for (t,) in archive.db.execute("SELECT token FROM search_tokens")}
        assert {"网络", "网", "络", "标题"} <= promoted and "稀有" not in promoted
        for n in range(30, 45):
            archive.add_article(article(n, "标题", "稀有的网络"))
        done = archive.optimize_search()
        assert "稀有" in {t for (t,) in archive.db.execute("SELECT token FROM search_tokens")}
        assert done["newly_promoted"] >= 1
        _, segment = archive.postings.doc_segments()
        docs, counts = archive.postings.token_postings("稀有", segment)
        assert len(docs) == 20 and set(counts.tolist()) == {1}
        found = archive.search("稀有", limit=3)
        assert found["total"] == 20 and len(found["results"]) == 3


def test_rebuild_keeps_postings(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite", batch_size=20) as archive:
        start(archive)
        for n in range(30):
            archive.add_article(article(n, "标题", "网络" * (n % 4 + 1)))
        archive.optimize_search(min_df=10)
        before = archive.search("网络", limit=5)
        archive.rebuild_search_index()
        assert archive.db.execute("SELECT count(*) FROM search_tokens WHERE token = '网络'").fetchone()[0] == 1
        assert archive.search("网络", limit=5) == before


def test_top_k_gives_up_on_phrases_their_tokens_seldom_form() -> None:
    docs = np.arange(10_000)
    postings = ranking.Postings(np.full(10_000, 50), {"ab": (docs, np.ones(10_000, dtype=np.int64)),
                                                      "bc": (docs, np.ones(10_000, dtype=np.int64))})  # fmt: skip
    asked: list[int] = []

    def confirm(batch: list[int]) -> set[int]:
        asked.extend(batch)
        return set()

    assert ranking.top_k(postings, ["ab", "bc"], 20, confirm, max_confirm=3000) is None
    assert 128 <= len(asked) <= 192  # gave up after two batches confirmed nothing: 20 would need thousands

    def one_in_ten(batch: list[int]) -> set[int]:
        return {d for d in batch if d % 10 == 0}

    best, _ = ranking.top_k(postings, ["ab", "bc"], 40, one_in_ten, max_confirm=3000)
    assert [d for d, _ in best] == list(range(0, 400, 10))  # 400 to check: within the budget
    assert ranking.top_k(postings, ["ab", "bc"], 40, one_in_ten, max_confirm=300) is None  # not within it
    best, matches = ranking.top_k(postings, ["ab", "bc"], 5)
    assert matches == 10_000 and [d for d, _ in best] == [0, 1, 2, 3, 4]  # equal scores: by article number


def test_doc_length_and_batch_postings() -> None:
    assert ranking.doc_length(None, None) == 0
    assert ranking.doc_length("网", "") == 1
    assert ranking.doc_length("网络", "安全法") == 3 + 5
    assert ranking.rank_tokens(["网络安全", "网", "安全"]) == [("网络", False), ("络安", False), ("安全", False),
                                                           ("网", True)]  # fmt: skip
    vocabulary = {t: i for i, t in enumerate(["网", "网络", "网网", "a", "络", "zz"])}
    found = ranking.batch_postings([(7, ranking.article_fields("网络", "网网 A")),
                                    (3, ranking.article_fields(None, "网")),
                                    (7, ranking.article_fields("网络", "网网网 A"))], vocabulary)  # fmt: skip
    got = {t: (d.tolist(), c.tolist()) for t, (d, c) in found.items()}
    # article 7 counts once, with its last text: title 网络 (x4), body 网网网 a
    assert got == {"网": ([3, 7], [1, 4 + 3]), "网络": ([7], [4]), "网网": ([7], [2]), "a": ([7], [1]),
                   "络": ([7], [4])}  # fmt: skip


def test_batch_postings_agrees_with_plain_counting() -> None:
    rng = random.Random(3)
    texts = [(random_text(rng, 0, 12) or None, random_text(rng, 0, 300) or None) for _ in range(40)]
    plain = set(CJK) | set("abcdefghijklmnopqrstuvwxyz0123456789")  # characters that are their own unit
    candidates = sorted({fold(text)[i : i + n] for title, body in texts for text in (title, body) if text
                         for n in (1, 2) for i in range(len(text) - n + 1)
                         if set(fold(text)[i : i + n]) <= plain})  # fmt: skip
    vocabulary = {t: i for i, t in enumerate(rng.sample(candidates, 80))}
    found = ranking.batch_postings([(n, ranking.article_fields(*tx)) for n, tx in enumerate(texts)], vocabulary)
    for token in vocabulary:
        expected_docs, expected_counts = [], []
        for n, (title, body) in enumerate(texts):
            # overlapping occurrences of the token's characters in the lower-cased field
            count = sum(weight * sum(1 for i in range(len(text)) if fold(text).startswith(token, i))
                        for text, weight in ((title or "", 4), (body or "", 1)))  # fmt: skip
            if count:
                expected_docs.append(n)
                expected_counts.append(count)
        docs, counts = found.get(token, (np.zeros(0), np.zeros(0)))
        assert (docs.tolist(), counts.tolist()) == (expected_docs, expected_counts), token


@pytest.mark.parametrize("values", [[], [0], [1, 2, 3, 300], [5, 70_000, 70_001], [2**32 - 1]])
def test_pack_round_trips_in_the_narrowest_width(values) -> None:
    for delta in (False, True):
        blob = ranking.pack(values, delta=delta)
        assert ranking.unpack(blob, delta=delta).tolist() == values
    assert ranking.pack([1, 2, 3, 300], delta=True)[0] == 2  # differences 1, 1, 1, 297: two bytes each
    assert ranking.pack([5, 70_000, 70_001], delta=True)[0] == 4 and ranking.pack([200, 250], delta=True)[0] == 1
    with pytest.raises(ValueError):
        ranking.pack([2**32])


def test_the_end_of_a_run_optimises_once_the_archive_grew_by_a_tenth(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite", batch_size=5) as archive:
        start(archive)
        for n in range(30):
            archive.add_article(article(n, "标题", "网络"))
        assert archive.maybe_optimize_search() is None  # fewer articles than the default threshold
        assert archive.optimize_search(min_df=10)["promoted"] > 0
        for n in range(30, 32):
            archive.add_article(article(n, "标题", "网络"))
        assert archive.maybe_optimize_search() is None  # 32 < 33
        for n in range(32, 34):
            archive.add_article(article(n, "标题", "网络"))
        done = archive.maybe_optimize_search()
        assert done is not None and done["articles"] == 34 and done["promote_df"] == 10
        assert archive.maybe_optimize_search() is None


def test_the_datasette_canned_query_ranks_as_archive_search(tmp_path: Path) -> None:
    from gdcac_crawler.archive import DATASETTE_SEARCH_SQL, register_sql_functions

    with Archive(tmp_path / "a.sqlite") as archive:
        start(archive)
        # the same length: the phrase once but its pairs often, against the phrase twice and its pairs twice
        archive.add_article(article(1, "甲", "建设管理" + "建设，" * 8 + "管理，" * 8))
        archive.add_article(article(2, "乙", "建设管理建设管理" + "其他内容" * 11))
        for n in range(3, 12):
            archive.add_article(article(n, "丙", "其他内容" * n))
        expected = [r["id"] for r in archive.search("建设管理", limit=100)["results"]]
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    register_sql_functions(conn)
    rows = [r[-1] for r in conn.execute(DATASETTE_SEARCH_SQL, {"q": "建设管理"})]
    by_phrase = [r[0] for r in conn.execute(
        "SELECT d.article_id FROM articles_fts JOIN articles_fts_docs d ON d.doc = articles_fts.rowid "
        "WHERE articles_fts MATCH gdcac_fts('建设管理') ORDER BY bm25(articles_fts, 4.0, 1.0, 4.0, 1.0)")]  # fmt: skip
    conn.close()
    assert rows == expected and len(rows) == 2
    assert by_phrase == expected[::-1], "the case must tell ranking by pairs from ranking by the phrase"


def test_a_search_reads_the_postings_from_one_snapshot_while_they_are_merged(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with Archive(path, batch_size=10) as archive:
        start(archive)
        for n in range(40):
            archive.add_article(article(n, "标题", "网络" * (n % 5 + 1) + "安全" * (n % 3)))
        archive.optimize_search(min_df=10)
        for n in range(40, 60):  # new segments, which a merge will rewrite
            archive.add_article(article(n, "标题", "网络安全" * (n % 4 + 1)))
        archive.flush()
        expected = archive.search("网络", limit=10)
    writer = Archive(path)
    reader = Archive(path, readonly=True)
    read_lengths = reader.postings.doc_segments
    merged = []

    def lengths_then_merge():
        result = read_lengths()
        if not merged:
            merged.append(writer.optimize_search())  # commits while the search is between two reads
        return result

    reader.postings.doc_segments = lengths_then_merge
    try:
        assert reader.search("网络", limit=10) == expected
        assert merged and merged[0]["merged_tokens"] > 0
        assert reader.search("网络", limit=10) == expected  # and after the merge
    finally:
        reader.close()
        writer.close()


def test_an_archive_from_before_the_postings_is_searched_read_only(tmp_path: Path) -> None:
    import sqlite_utils

    from gdcac_crawler.archive import migrations

    path = tmp_path / "old.sqlite"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m040_search_postings")
    db.close()
    with Archive(path, batch_size=1) as archive:  # a writer migrates it; undo that for the read-only case
        start(archive)
        archive.add_article(article(1, "网络安全", "网络安全的正文"))
    plain = sqlite_utils.Database(path)
    for table in ("search_postings", "search_tokens", "search_meta"):
        plain[table].drop()
    plain.execute("DELETE FROM _sqlite_migrations WHERE name = 'm040_search_postings'")
    plain.close()
    with Archive(path, readonly=True) as reader:
        found = reader.search("网络", limit=5)
    assert found["total"] == 1 and found["results"][0]["title"] == "网络安全"


def test_an_optimisation_overtaken_by_another_writer_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with Archive(path, batch_size=10) as archive:
        start(archive)
        for n in range(40):
            archive.add_article(article(n, "标题", "网络" * (n % 5 + 1)))
        archive.optimize_search(min_df=10)
        for n in range(40, 50):
            archive.add_article(article(n, "标题", "网络安全" * (n % 3 + 1)))
        archive.flush()
        before = archive.db.execute("SELECT token, segment, docs, counts FROM search_postings ORDER BY 1, 2").fetchall()
        other = Archive(path, batch_size=1)
        merge = archive.postings.merged_postings

        def merge_while_another_writes(*args):
            result = merge(*args)
            other.add_article(article(99, "标题", "网络空间"))  # a crawl's flush commits meanwhile
            return result

        archive.postings.merged_postings = merge_while_another_writes
        try:
            done = archive.optimize_search()
        finally:
            del archive.postings.merged_postings
            other.close()
        assert "skipped" in done
        after = archive.db.execute("SELECT token, segment, docs, counts FROM search_postings ORDER BY 1, 2")
        assert [r for r in after if r[1] != max(x[1] for x in before) + 1] == before  # only the other's segment
        found = archive.search("网络", limit=60)
        assert found["total"] == 51 and len(found["results"]) == 51
        done = archive.optimize_search()
        assert "skipped" not in done and done["articles"] == 51
        assert archive.search("网络", limit=60) == found
