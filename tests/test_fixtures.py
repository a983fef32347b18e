"""Every recorded fixture case: the saved page's view equals its reviewed expected.json.

Cases live in tests/fixtures/<site>/<case>/ as page.html (raw bytes), meta.json (URL, kind, headers) and
expected.json; `python tests/fixtures/record.py` records a new one.  <site> is the profile the case runs with
(``generic`` binds to the case's URL).  The bytes are decoded as the crawler decodes what it fetches
(:func:`gdcac_crawler.extract.encoding.response_from_bytes`), so GBK pages stay GBK on disk.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gdcac_crawler.extract.view import page_view
from gdcac_crawler.profiles import get_profile, resolve_profile
from gdcac_mirror import SITE_DIR
from tests.support.cases import load_case as load

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.json"))


def test_there_are_cases_of_every_kind() -> None:
    kinds = {json.loads((c / "meta.json").read_text(encoding="utf-8"))["kind"] for c in CASES}
    assert kinds == {"article", "listing", "section"}


def test_every_case_holds_raw_bytes_url_headers_and_expected_item() -> None:
    for case in CASES:
        meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
        assert meta["url"].startswith(("http://", "https://")) and meta["kind"] in ("article", "listing", "section")
        assert isinstance(meta.get("headers"), dict) and "Content-Type" in meta["headers"], case
        assert (case / "page.html").stat().st_size > 0


@pytest.mark.parametrize("case_dir", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case(case_dir: Path) -> None:
    response, meta = load(case_dir)
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    assert page_view(meta["kind"], response, resolve_profile(case_dir.parent.name, meta["url"])) == expected


def test_seed_case_equals_the_seed_text() -> None:
    """The model article: title, source, time, column path and paragraphs exactly as the seed prints them."""
    seed = (SITE_DIR.parent / "corpus" / "seed_article.txt").read_text(encoding="utf-8")
    lines = [line for line in seed.split("\n") if line]
    response, _ = load(FIXTURES / "gdcac" / "article_seed")
    view = page_view("article", response, get_profile("gdcac"))
    assert view["title"] == lines[4]
    assert view["source_raw"] == lines[5] and "来源:" + view["source"] == lines[5]
    assert view["published_raw"] == lines[6]
    crumb = lines[2].split(":", 1)[1].split(" > ")
    assert view["column_path"] == crumb[1:] == ["政策法规", "政策解读"]
    assert view["body_text"] == [line for line in lines[7:] if line != "微信图片_20220622104036.png"]
    text = "\n".join(view["body_text"])
    for furniture in (lines[0], lines[1], lines[2], "微信图片_20220622104036.png", "字体", "分享到", "关闭窗口"):
        assert furniture not in text
