"""Datasette over an archive, through Datasette's own test client: real Datasette, real SQL, the gdcac plugin."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from gdcac_crawler.archive import DATASETTE_SEARCH_SQL, Archive, article_id
from gdcac_crawler.cli import DEFAULT_METADATA, make_datasette
from tests.factories import URL, article, start

QUERIES = ["网络安全", "网", "数据 安全", '"个人信息 保护"', "ab", "A", "%", "没有的词"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("datasette") / "archive.sqlite"
    with Archive(path) as archive:
        start(archive)
        archive.add_article(article(1, "关于加强网络安全工作的通知", "各单位要落实网络安全责任制。数据安全同样重要。Ab%",
                                    published="2024-03-05T10:00:00+08:00"))  # fmt: skip
        archive.add_article(article(2, "数据安全管理办法解读", "办法明确了数据处理者的网络安全义务。",
                                    published="2023-11-20T09:30:00+08:00", column="法律法规",
                                    source="国家互联网信息办公室"))  # fmt: skip
        archive.add_article(article(3, "个人信息 保护", "个人信息 保护 的要点。<script>alert(1)</script>网络",
                                    published="2024-01-02T08:00:00+08:00"))  # fmt: skip
        archive.add_article(article(4, "会议纪要", "讨论了年度预算。", published="2022-06-22T10:08:00+08:00"))
        for n in range(5, 30):
            archive.add_article(article(n, f"第{n}号文件", "关于网站建设" if n % 2 else "其他内容 aB",
                                        published=f"2021-{n % 12 + 1:02d}-01T08:00:00+08:00"))  # fmt: skip
    return path


def get(ds: Datasette, url: str):
    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(url)

    return asyncio.run(fetch())


@pytest.fixture(scope="module")
def ds(db: Path) -> Datasette:
    return make_datasette(db)


def test_canned_search_query_ranks_like_the_archive(ds, db) -> None:
    with Archive(db, readonly=True) as archive:
        for query in QUERIES:
            response = get(ds, f"/archive/search.json?_shape=array&q={query}")
            assert response.status_code == 200, response.text
            rows = response.json()
            expected = archive.search(query, limit=100, mark=("<mark>", "</mark>"))["results"]
            assert [r["id"] for r in rows] == [e["id"] for e in expected], query
            assert [r["snippet"] for r in rows] == [e["snippet"] for e in expected], query
            assert {r["id"] for r in rows} == archive.like_search_ids(query)
    rows = get(ds, "/archive/search.json?_shape=array&q=网络安全").json()
    assert rows[0]["title"] == "关于加强网络安全工作的通知" and "<mark>网络安全</mark>" in rows[0]["snippet"]
    assert get(ds, "/archive/search.json?_shape=array&q=").json() == []  # an empty form shows nothing


def test_the_search_box_of_the_table_and_the_view(ds, db) -> None:
    with Archive(db, readonly=True) as archive:
        for table in ("articles", "latest_articles"):
            for query in QUERIES:
                response = get(ds, f"/archive/{table}.json?_shape=array&_size=max&_search={query}")
                assert response.status_code == 200, response.text
                assert {r["id"] for r in response.json()} == archive.like_search_ids(query), (table, query)
    page = get(ds, "/archive/latest_articles?_search=网络安全")
    assert page.status_code == 200
    assert 'name="_search"' in page.text and 'value="网络安全"' in page.text
    assert "search matches &#34;网络安全&#34;" in page.text and "关于加强网络安全工作的通知" in page.text
    assert "会议纪要" not in page.text
    plain = get(ds, "/archive/articles")
    assert plain.status_code == 200 and 'name="_search"' in plain.text  # the box is there before a search


def test_search_combines_with_facets_and_filters(ds) -> None:
    data = get(ds, "/archive/latest_articles.json?_search=网络安全&column_name=政策解读").json()
    assert sorted(r[0] for r in data["rows"]) == sorted([article_id(URL.format(1))])
    assert data["filtered_table_rows_count"] == 1


def test_malformed_search_is_a_clear_400(ds) -> None:
    response = get(ds, '/archive/articles?_search="网络')
    assert response.status_code == 400 and "unbalanced double quote" in response.text


def test_facets_by_column_source_and_month(ds) -> None:
    data = get(ds, "/archive/latest_articles.json").json()
    facets = data["facet_results"]
    assert {"column_name", "source", "published_month"} <= set(facets)
    columns = {r["value"]: r["count"] for r in facets["column_name"]["results"]}
    assert columns == {"政策解读": 28, "法律法规": 1}
    months = {r["value"]: r["count"] for r in facets["published_month"]["results"]}
    assert months["2024-03"] == 1 and sum(months.values()) == 29
    assert get(ds, "/archive/articles.json").json()["facet_results"]["source"]["results"]


def test_snippets_render_marks_and_escape_the_text(ds) -> None:
    page = get(ds, "/archive/search?q=网络")
    assert page.status_code == 200
    assert "<mark>网络</mark>" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_read_only(ds, db) -> None:
    database = ds.get_database("archive")
    conn = database.connect()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("CREATE TABLE intruder (x)")
    conn.close()
    response = get(ds, "/archive.json?sql=delete+from+articles")
    assert response.status_code == 400
    snapshot = make_datasette(db, immutable=True)
    assert snapshot.get_database("archive").is_mutable is False
    assert get(snapshot, "/archive/search.json?_shape=array&q=网络安全").json()


def test_metadata_titles_descriptions_and_query(ds) -> None:
    meta = yaml.safe_load(DEFAULT_METADATA.read_text(encoding="utf-8"))
    sql = meta["databases"]["gdcac"]["queries"]["search"]["sql"]
    assert " ".join(sql.split()) == " ".join(DATASETTE_SEARCH_SQL.split())  # the archive's SQL, copied
    index = get(ds, "/")
    assert "gdcac-crawler archive" in index.text
    table = get(ds, "/archive/latest_articles")
    assert "One readable row per article" in table.text


def test_plain_datasette_loads_the_plugin_from_its_entry_point(db) -> None:
    ds = Datasette([str(db)])  # no metadata: the search box still works (the plugin needs none)
    rows = get(ds, "/archive/articles.json?_shape=array&_search=网络安全").json()
    assert len(rows) == 2
    plugins = get(ds, "/-/plugins.json").json()
    assert any("filters_from_request" in p["hooks"] for p in plugins)


def test_other_databases_are_left_alone(tmp_path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE articles (id TEXT, title TEXT)")
    conn.execute("INSERT INTO articles VALUES ('a', '网络')")
    conn.commit()
    conn.close()
    ds = Datasette([str(other)])
    page = get(ds, "/other/articles")
    assert page.status_code == 200 and 'name="_search"' not in page.text
