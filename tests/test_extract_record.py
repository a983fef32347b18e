"""The fixture recorder (tests/fixtures/record.py): a case recorded from a URL (the mirror on loopback) keeps
the raw bytes and the response headers, and a re-recording that changes the expected item shows the diff."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from gdcac_mirror import SITE_DIR

RECORDER = Path(__file__).resolve().parent / "fixtures" / "record.py"
SEED = "/zcfg/zcjd/content/post_2107282.html"
LIVE = "https://www.gdcac.gov.cn" + SEED


@pytest.fixture(scope="module")
def recorder():
    spec = importlib.util.spec_from_file_location("fixture_recorder", RECORDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_record_from_a_url_keeps_bytes_and_headers(recorder, mirror, tmp_path) -> None:
    body, headers, final = recorder.fetch(mirror.url(SEED))
    assert body == (SITE_DIR / SEED.lstrip("/")).read_bytes() and final == mirror.url(SEED)
    assert headers["Content-Type"].startswith("text/html") and headers["ETag"] and headers["Last-Modified"]
    status, diff = recorder.record("gdcac", "seed", body, url=LIVE, kind="article", headers=headers, root=tmp_path)
    assert (status, diff) == ("recorded", None)
    case = tmp_path / "gdcac" / "seed"
    assert (case / "page.html").read_bytes() == body
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    assert meta["url"] == LIVE and meta["headers"] == headers
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    committed = Path(__file__).resolve().parent / "fixtures" / "gdcac" / "article_seed" / "expected.json"
    assert expected == json.loads(committed.read_text(encoding="utf-8"))


def test_rerecording_shows_the_diff(recorder, tmp_path) -> None:
    body = (SITE_DIR / SEED.lstrip("/")).read_bytes()
    headers = {"Content-Type": "text/html; charset=utf-8"}
    recorder.record("gdcac", "seed", body, url=LIVE, kind="article", headers=headers, root=tmp_path)
    assert recorder.record("gdcac", "seed", body, url=LIVE, kind="article", headers=headers,
                           root=tmp_path) == ("unchanged", None)
    changed = body.replace("后疫情时代,如何构建".encode(), "后疫情时代,怎样构建".encode())
    status, diff = recorder.record("gdcac", "seed", changed, url=LIVE, kind="article", headers=headers,
                                   root=tmp_path)
    assert status == "changed"
    assert '-  "title": "后疫情时代,如何构建网络空间命运共同体?",' in diff
    assert '+  "title": "后疫情时代,怎样构建网络空间命运共同体?",' in diff


def test_gbk_bytes_stay_gbk(recorder, tmp_path) -> None:
    gbk = (Path(__file__).resolve().parent / "fixtures/gdcac/article_gbk_undeclared/page.html").read_bytes()
    recorder.record("gdcac", "gbk", gbk, url=LIVE, kind="article", headers={"Content-Type": "text/html"},
                    root=tmp_path)
    assert (tmp_path / "gdcac/gbk/page.html").read_bytes() == gbk
