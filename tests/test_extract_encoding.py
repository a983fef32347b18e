"""Encodings: GBK / GB2312 / GB18030 pages with a missing, wrong or disagreeing charset decode to the right
text with no U+FFFD, and the encoding used is recorded (saved GBK fixtures, the middleware, the fetch record)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from gdcac_crawler.downloadermiddlewares.encoding import EncodingMiddleware
from gdcac_crawler.extract.encoding import (
    choose_encoding,
    declared_encoding,
    fix_response,
    normalise_encoding,
    response_from_bytes,
)
from gdcac_crawler.extract.view import page_view
from gdcac_crawler.profiles import get_profile
from gdcac_crawler.provenance import fetch_record
from gdcac_crawler.spiders.gdcac import GdcacSpider

GDCAC = Path(__file__).resolve().parent / "fixtures" / "gdcac"
#: case → (header charset, meta charset) as saved
GBK_CASES = {
    "article_gbk_declared_gb2312": ("gb2312", "gb2312"),
    "article_gbk_header_says_utf8": ("utf-8", "gb2312"),
    "article_gbk_stale_meta_utf8": (None, "utf-8"),
    "article_gbk_undeclared": (None, None),
    "article_gbk_header_says_latin1": ("iso-8859-1", "gb2312"),
}
#: the cases a plain Scrapy response decodes wrongly (U+FFFD, or silent mojibake)
BROKEN_WITHOUT_FIX = ("article_gbk_header_says_utf8", "article_gbk_stale_meta_utf8", "article_gbk_header_says_latin1")


def saved(case: str) -> tuple[bytes, dict]:
    meta = json.loads((GDCAC / case / "meta.json").read_text(encoding="utf-8"))
    return (GDCAC / case / "page.html").read_bytes(), meta


def test_gbk_fixtures_stay_gbk_on_disk() -> None:
    for case in GBK_CASES:
        body, _ = saved(case)
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "勠力同心".encode("gbk") in body  # a GBK character outside GB2312


@pytest.mark.parametrize("case", sorted(GBK_CASES))
def test_choice_is_gb18030_and_records_what_was_declared(case: str) -> None:
    body, meta = saved(case)
    header, meta_charset = GBK_CASES[case]
    choice = choose_encoding(body, header)
    assert choice.used == "gb18030" and choice.clean
    assert choice.header == header and choice.meta == meta_charset
    assert choice.declared == (header or meta_charset)
    response = response_from_bytes(meta["url"], body, meta["headers"])
    assert response.encoding == "gb18030" and "\ufffd" not in response.text and "勠力同心" in response.text
    assert declared_encoding(response) == (header or meta_charset)


@pytest.mark.parametrize("case", BROKEN_WITHOUT_FIX)
def test_without_the_fix_scrapy_alone_gets_these_wrong(case: str) -> None:
    body, meta = saved(case)
    plain = HtmlResponse(url=meta["url"], body=body, headers=meta["headers"])
    assert "\ufffd" in plain.text or "勠力同心" not in plain.text


@pytest.mark.parametrize("case", sorted(GBK_CASES))
def test_gbk_pages_give_the_seed_article(case: str) -> None:
    body, meta = saved(case)
    seed_body, seed_meta = saved("article_seed")
    profile = get_profile("gdcac")
    view = page_view("article", response_from_bytes(meta["url"], body, meta["headers"]), profile)
    seed = page_view("article", response_from_bytes(seed_meta["url"], seed_body, seed_meta["headers"]), profile)
    assert view == seed
    assert "\ufffd" not in json.dumps(view, ensure_ascii=False)


def test_utf8_pages_are_left_alone() -> None:
    body, meta = saved("article_seed")
    response = HtmlResponse(url=meta["url"], body=body, headers=meta["headers"])
    fixed, choice = fix_response(response)
    assert fixed is response and choice.used == "utf-8" and choice.agrees


def test_undecodable_bytes_take_the_candidate_with_fewest_replacements() -> None:
    choice = choose_encoding(b"<html><body>\xff\xfe\xfd\x80 abc</body></html>", "utf-8")
    assert not choice.clean and choice.used in ("utf-8", "gb18030") and choice.tried[0] == "utf-8"


def test_names_are_normalised() -> None:
    assert normalise_encoding("GB2312") == normalise_encoding("gbk") == normalise_encoding("CP936") == "gb18030"
    assert normalise_encoding("UTF8") == "utf-8" and normalise_encoding("ISO-8859-1") == "cp1252"
    assert normalise_encoding("no-such-charset") is None and normalise_encoding(None) is None


def test_middleware_fixes_the_response_and_counts() -> None:
    crawler = get_crawler(GdcacSpider, settings_dict={"GDCAC_FIX_ENCODING": True})
    middleware = EncodingMiddleware.from_crawler(crawler)
    body, meta = saved("article_gbk_header_says_utf8")
    request = Request(meta["url"], meta={"gdcac_kind": "article"})
    response = HtmlResponse(url=meta["url"], body=body, headers=meta["headers"], request=request)
    fixed = middleware.process_response(request, response)
    assert fixed.encoding == "gb18030" and "勠力同心" in fixed.text
    # answers that are not pages (robots.txt, attachments) pass untouched
    other = Request(meta["url"])
    assert middleware.process_response(other, response) is response
    stats = crawler.stats.get_stats()
    assert stats["gdcac/encoding/gb18030"] == 1 and stats["gdcac/encoding/overridden"] == 1
    record = fetch_record(fixed, "run-e", "article")
    assert record.declared_encoding == "utf-8" and record.encoding == "gb18030"
    assert record.body == body  # the raw bytes are archived untouched


def test_fetch_record_reads_the_meta_charset_when_the_header_has_none() -> None:
    body, meta = saved("article_gbk_stale_meta_utf8")
    request = Request(meta["url"])
    response, _ = fix_response(HtmlResponse(url=meta["url"], body=body, headers=meta["headers"], request=request))
    record = fetch_record(response, "run-e", "article")
    assert record.declared_encoding == "utf-8" and record.encoding == "gb18030"
