"""The mirror's second state: switching at run time changes exactly the pages its manifest lists.

One server of its own (module-scoped), so that switching states never reaches the session's ``mirror``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from gdcac_mirror import SITE_DIR, MirrorError, MirrorProcess, load_manifest
from gdcac_mirror.build import HEADERS_NAME, build_site
from gdcac_mirror.content import BASE_URL, PAGE_ORIGIN
from gdcac_mirror.content import generate_site
from gdcac_mirror.states import (
    BODY_EDIT_SENTENCE,
    STATE2_DIR,
    STATE2_MANIFEST_NAME,
    StateUnavailable,
    derive_state2,
)
from tests.support.http import Fetched
from tests.support.http import http_fetch as fetch

HIDDEN = {"manifest.json", STATE2_MANIFEST_NAME, STATE2_DIR, HEADERS_NAME}

def local(url: str) -> str:
    for origin in (PAGE_ORIGIN, BASE_URL):  # the pages' host, the live origin of the manifest's URLs
        if url.startswith(origin):
            return url[len(origin):]
    return url


def site_paths() -> list[str]:
    """Every file of the state-1 site, as request paths."""
    out = []
    for p in sorted(SITE_DIR.rglob("*")):
        rel = p.relative_to(SITE_DIR)
        if p.is_file() and rel.parts[0] not in HIDDEN:
            out.append("/" + rel.as_posix())
    return out


@pytest.fixture(scope="module")
def smirror() -> Iterator[MirrorProcess]:
    with MirrorProcess(SITE_DIR) as process:
        yield process


@pytest.fixture(scope="module")
def m1() -> dict[str, Any]:
    return load_manifest()


@pytest.fixture(scope="module")
def m2() -> dict[str, Any]:
    return load_manifest(state=2)


@pytest.fixture(scope="module")
def both(smirror: MirrorProcess, m2: dict[str, Any]) -> dict[str, tuple[Fetched, Fetched]]:
    """Every site path (and state 2's new ones) fetched in state 1, then in state 2."""
    paths = sorted(set(site_paths()) | set(m2["changes"]["pages"]["new"]))
    smirror.set_state(1)
    first = {p: fetch(smirror, p) for p in paths}
    smirror.set_state(2)
    try:
        second = {p: fetch(smirror, p) for p in paths}
    finally:
        smirror.set_state(1)
    return {p: (first[p], second[p]) for p in paths}


# --- the manifest of state 2 ---------------------------------------------------------------------------


def test_state2_manifest_says_what_changed(m1: dict[str, Any], m2: dict[str, Any]) -> None:
    ch = m2["changes"]
    assert m2["generator"]["state"] == 2
    assert (len(ch["new"]), len(ch["changed"]), len(ch["removed"]), len(ch["reordered"])) == (1, 3, 1, 1)
    assert ch["counts"]["new"] == 1 and ch["counts"]["changed"] == 3 and ch["counts"]["removed"] == 1
    assert sorted(c["field"] for c in ch["changed"]) == ["body_paragraphs", "source", "title"]
    assert ch["new"][0]["column"] == "zcjd" and ch["removed"][0]["column"] == "gfxwj"
    assert ch["reordered"][0]["path"] == "/zcfg/flfg/index.html"
    before = {a["url"]: a for a in m1["articles"]}
    after = {a["url"]: a for a in m2["articles"]}
    assert set(after) == (set(before) - {ch["removed"][0]["url"]}) | {ch["new"][0]["url"]}
    assert ch["counts"]["unchanged_articles"] == len(before) - 4
    changed = {c["url"]: c for c in ch["changed"]}
    ignore = {"listing", "last_modified", "meta", "source_raw"}
    for url, old in before.items():
        if url not in after:
            continue
        new = after[url]
        diff = {k for k in old if k not in ignore and old[k] != new[k]}
        if url in changed:
            c = changed[url]
            assert diff == {c["field"]}, url
            assert old[c["field"]] == c["before"] and new[c["field"]] == c["after"] != c["before"]
            assert new["last_modified"] != old["last_modified"]
        else:
            assert diff == set() and new["last_modified"] == old["last_modified"], url
    body = next(c for c in ch["changed"] if c["field"] == "body_paragraphs")
    assert sum(a != b for a, b in zip(body["before"], body["after"], strict=True)) == 1
    new_article = after[ch["new"][0]["url"]]
    assert new_article["listing"] == {"page": 1, "position": 1, "path": "/zcfg/zcjd/index.html"}
    assert new_article["published"] > max(a["published"] for a in m1["articles"])


def test_state2_columns_keep_math_ceil_true(m1: dict[str, Any], m2: dict[str, Any]) -> None:
    cols1 = {c["code"]: c for c in m1["columns"]}
    for col in m2["columns"]:
        entries = [e for p in col["listing_pages"] for e in p["entries"]]
        assert col["total_items"] == len(entries)
        assert col["pages"] == len(col["listing_pages"]) == math.ceil(col["total_items"] / col["per_page"])
        assert all(len(p["entries"]) == col["per_page"] for p in col["listing_pages"][:-1])
    assert cols1["zcjd"]["total_items"] + 1 == {c["code"]: c for c in m2["columns"]}["zcjd"]["total_items"]
    assert cols1["gfxwj"]["total_items"] - 1 == {c["code"]: c for c in m2["columns"]}["gfxwj"]["total_items"]


def test_derivation_leaves_state1_alone_and_refuses_tiny_sites() -> None:
    site = generate_site()
    before = [(a.title, a.source, a.body_paragraphs) for a in site.articles]
    entries = [list(c.entries) for c in site.columns]
    s2, changes = derive_state2(site)
    assert [(a.title, a.source, a.body_paragraphs) for a in site.articles] == before
    assert [list(c.entries) for c in site.columns] == entries
    assert changes.added.id not in {a.id for a in site.articles}
    assert len(s2.articles) == len(site.articles)  # one added, one removed
    tiny = generate_site(scale=6)
    with pytest.raises(StateUnavailable):
        derive_state2(tiny)


def test_benchmark_builds_get_a_second_state_too(tmp_path: Path) -> None:
    build_site(tmp_path / "b", scale=400, seed=3)
    m2 = load_manifest(tmp_path / "b", state=2)
    assert m2["changes"]["counts"]["new"] == 1 and len(m2["changes"]["changed"]) == 3
    for path in m2["overlay"]["files"]:
        assert (tmp_path / "b" / STATE2_DIR / path.lstrip("/")).is_file()


# --- serving -------------------------------------------------------------------------------------------


def test_state_endpoints(smirror: MirrorProcess) -> None:
    assert smirror.get_state() == 1
    for bad in ("3", "0"):
        with pytest.raises(MirrorError, match="409"):
            smirror.control("POST", "state", bad.encode())
    with pytest.raises(MirrorError, match="400"):
        smirror.control("POST", "state", b"two")
    smirror.set_state(2)
    assert smirror.control("GET", "state") == {"state": 2, "available": [1, 2]}
    smirror.control("POST", "state", b'{"state": 1}')
    assert smirror.get_state() == 1


def test_switching_changes_exactly_the_listed_pages(both: dict[str, tuple[Fetched, Fetched]],
                                                    m2: dict[str, Any]) -> None:
    pages = m2["changes"]["pages"]
    differing = {p for p, (a, b) in both.items() if (a[0], a[2]) != (b[0], b[2])}
    assert differing == set(pages["new"]) | set(pages["changed"]) | set(pages["removed"])
    assert len(pages["new"]) == 1 and len(pages["removed"]) == 1
    for p in pages["new"]:
        assert both[p][0][0] == 404 and both[p][1][0] == 200
    for p in pages["removed"]:
        assert both[p][0][0] == 200 and both[p][1][0] == 404
    for p in pages["changed"]:
        (s1, h1, b1), (s2, h2, b2) = both[p]
        assert s1 == s2 == 200 and b1 != b2
        assert h1["etag"] != h2["etag"] and h1["last-modified"] != h2["last-modified"], p
        assert h2["last-modified"] == m2["overlay"]["files"][p]["last_modified"]
    # every changed article and every changed listing is in the lists
    assert {c["path"] for c in m2["changes"]["changed"]} <= set(pages["changed"])
    assert {"/zcfg/zcjd/index.html", "/zcfg/flfg/index.html", "/zcfg/gfxwj/index.html"} <= set(pages["changed"])
    assert set(pages["listings_changed"]) <= set(pages["changed"]) | set(pages["new"])


def test_unchanged_files_keep_bytes_and_validators(both: dict[str, tuple[Fetched, Fetched]],
                                                   m2: dict[str, Any]) -> None:
    listed = set(m2["changes"]["pages"]["changed"]) | set(m2["changes"]["pages"]["removed"])
    unchanged = [p for p in both if p not in listed and p not in m2["changes"]["pages"]["new"]]
    assert len(unchanged) > 80
    for p in unchanged:
        (s1, h1, b1), (s2, h2, b2) = both[p]
        assert s1 == s2 == 200 and b1 == b2, p
        assert h1["etag"] == h2["etag"] and h1["last-modified"] == h2["last-modified"], p


def test_conditional_get_in_state2(smirror: MirrorProcess, both: dict[str, tuple[Fetched, Fetched]],
                                   m1: dict[str, Any], m2: dict[str, Any]) -> None:
    changed = set(m2["changes"]["pages"]["changed"])
    removed = set(m2["changes"]["pages"]["removed"])
    unchanged_articles = [a["path"] for a in m1["articles"] if a["path"] not in changed | removed]
    smirror.set_state(2)
    try:
        for path in unchanged_articles[::4]:
            h1 = both[path][0][1]
            status, _, body = fetch(smirror, path, {"If-None-Match": h1["etag"]})
            assert status == 304 and body == b"", path
            assert fetch(smirror, path, {"If-Modified-Since": h1["last-modified"]})[0] == 304, path
        for path in sorted(changed):
            h1 = both[path][0][1]
            assert fetch(smirror, path, {"If-None-Match": h1["etag"]})[0] == 200, path
            assert fetch(smirror, path, {"If-Modified-Since": h1["last-modified"]})[0] == 200, path
            h2 = both[path][1][1]
            assert fetch(smirror, path, {"If-None-Match": h2["etag"]})[0] == 304, path
    finally:
        smirror.set_state(1)
    # back in state 1 the state-1 validators hold again
    path = sorted(changed)[0]
    assert fetch(smirror, path, {"If-None-Match": both[path][0][1]["etag"]})[0] == 304


def _listing(body: bytes) -> tuple[list[str], list[str], str]:
    sel = Selector(text=body.decode("utf-8"))
    hrefs = [local(h) for h in sel.css("ul.comlist1 > li > a::attr(href)").getall()]
    titles = sel.css("ul.comlist1 > li > a::attr(title)").getall()
    return hrefs, titles, " ".join(sel.css("#pages script::text").getall())


def test_state2_listings_match_the_state2_manifest(smirror: MirrorProcess, both: dict[str, tuple[Fetched, Fetched]],
                                                  m2: dict[str, Any]) -> None:
    for col in m2["columns"]:
        for page in col["listing_pages"]:
            status, _, body = both[page["path"]][1]
            assert status == 200
            hrefs, titles, script = _listing(body)
            assert hrefs == [local(e["url"]) for e in page["entries"]]
            assert titles == [e["title"] for e in page["entries"]]
            assert f"Math.ceil({col['total_items']}/{col['per_page']})" in script
    smirror.set_state(2)
    try:
        for col in m2["columns"]:
            assert fetch(smirror, f"/zcfg/{col['code']}/index_{col['pages'] + 1}.html")[0] == 404
    finally:
        smirror.set_state(1)


def test_new_removed_and_reordered_entries(both: dict[str, tuple[Fetched, Fetched]], m2: dict[str, Any]) -> None:
    ch = m2["changes"]
    new_path, removed_path = ch["new"][0]["path"], ch["removed"][0]["path"]
    zcjd = [p for p in both if re.fullmatch(r"/zcfg/zcjd/index(_\d+)?\.html", p)]
    zcjd.sort(key=lambda p: int(re.sub(r"\D", "", p) or 1))
    in1 = [h for p in zcjd if both[p][0][0] == 200 for h in _listing(both[p][0][2])[0]]
    in2 = [h for p in zcjd if both[p][1][0] == 200 for h in _listing(both[p][1][2])[0]]
    assert in2 == [new_path, *in1]  # every 政策解读 page shifted by one entry
    for p in zcjd:
        assert both[p][0][2] != both[p][1][2], p
    all_state2 = [h for p, (_, b) in both.items() if re.search(r"/index(_\d+)?\.html$", p) and b[0] == 200
                  for h in _listing(b[2])[0]]
    assert removed_path not in all_state2
    reo = ch["reordered"][0]
    f1, _, _ = _listing(both[reo["path"]][0][2])
    f2, _, _ = _listing(both[reo["path"]][1][2])
    i, j = (p - 1 for p in reo["positions"])
    assert [f1[i], f1[j]] == [local(u) for u in reo["before"]]
    assert [f2[i], f2[j]] == [local(u) for u in reo["after"]] == [f1[j], f1[i]]
    assert [h for k, h in enumerate(f1) if k not in (i, j)] == [h for k, h in enumerate(f2) if k not in (i, j)]


def test_edited_article_pages_show_the_edit(both: dict[str, tuple[Fetched, Fetched]], m2: dict[str, Any]) -> None:
    for c in m2["changes"]["changed"]:
        old = both[c["path"]][0][2].decode("utf-8")
        new = both[c["path"]][1][2].decode("utf-8")
        sel = Selector(text=new)
        if c["field"] == "title":
            assert sel.css("meta[name=ArticleTitle]::attr(content)").get() == c["after"]
            assert sel.css("title::text").get().endswith(c["after"])
            assert c["after"] not in old
        elif c["field"] == "source":
            assert sel.css("meta[name=ContentSource]::attr(content)").get() == c["after"]
            assert c["after"] in "".join(sel.css(".info ::text, .jbxx ::text").getall())
        else:
            assert BODY_EDIT_SENTENCE in new and BODY_EDIT_SENTENCE not in old
        # nothing else of the article moved: same meta PubDate
        assert Selector(text=old).css("meta[name=PubDate]::attr(content)").get() == \
            sel.css("meta[name=PubDate]::attr(content)").get()


def test_state_option_of_serve() -> None:
    with MirrorProcess(SITE_DIR, state=2) as process:
        assert process.get_state() == 2
        removed = load_manifest(state=2)["changes"]["removed"][0]["path"]
        assert fetch(process, removed)[0] == 404
        for directory, index in (("/zcfg/zcjd/", "/zcfg/zcjd/index.html"), ("/", "/index.html")):
            a, b = fetch(process, directory), fetch(process, index)
            assert a[0] == b[0] == 200 and a[2] == b[2] and a[1]["etag"] == b[1]["etag"]
        for hidden in ("/_state2/index.html", "/manifest_state2.json", "/manifest.json", "/_state2/"):
            assert fetch(process, hidden)[0] == 404


def test_a_mirror_without_a_second_state_refuses_to_switch(tmp_path: Path) -> None:
    build_site(tmp_path / "tiny", scale=6)
    assert not (tmp_path / "tiny" / STATE2_MANIFEST_NAME).exists()
    with MirrorProcess(tmp_path / "tiny") as process:
        assert process.control("GET", "state") == {"state": 1, "available": [1]}
        with pytest.raises(MirrorError, match="409"):
            process.set_state(2)
    with pytest.raises(MirrorError, match="exited"):
        MirrorProcess(tmp_path / "tiny", state=2).start()
