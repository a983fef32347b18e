"""Block, challenge and junk answers recognised by content, on the pages the fault mirror serves."""

from __future__ import annotations

import pytest

from gdcac_crawler.blockpages import detect_block, detect_junk
from gdcac_mirror import SITE_DIR
from gdcac_mirror.faults import MAINTENANCE_HTML, WAF_BLOCK_HTML

ARTICLE = (SITE_DIR / "zcfg/zcjd/content/post_2107282.html").read_bytes()
WAF = WAF_BLOCK_HTML.format(ip="127.0.0.1", time="2025-01-06 12:00:00", event="0" * 32).encode("utf-8")
TS_412 = (b"<html><head><meta id='x' content='y' r='m'><script r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
          b"$_ts.nsd=12345;$_ts.cd=\"abc\";</script></head><body></body></html>")
JSL_521 = (b"<script>document.cookie=('__jsl_clearance_s=')+('1736136000.123')+('|0|')+('abc')"
           b"+(';max-age=3600;path=/');location.href=location.pathname+location.search</script>")


@pytest.mark.parametrize("status, body, kind", [
    (200, WAF, "waf_block"),
    (200, WAF.decode("utf-8").encode("gb18030"), "waf_block"),
    (403, MAINTENANCE_HTML.encode("utf-8"), "maintenance"),
    (412, TS_412, "challenge"),
    (521, JSL_521, "challenge"),
    (200, JSL_521, "challenge"),
])
def test_blocks_are_recognised_whatever_the_status(status, body, kind) -> None:
    verdict = detect_block(status, body)
    assert verdict is not None and verdict.kind == kind and verdict.blocked


def test_an_article_is_not_a_block_even_when_it_names_the_vendor() -> None:
    assert detect_block(200, ARTICLE) is None
    mentions = ARTICLE.replace("网络空间日益成为".encode(), "创宇盾等安全产品".encode(), 1)
    assert mentions != ARTICLE
    assert detect_block(200, mentions) is None


def test_a_412_without_the_script_is_not_a_challenge() -> None:
    assert detect_block(412, b"<html><body>Precondition Failed</body></html>") is None


@pytest.mark.parametrize("content_type, body, kind", [
    ("text/html; charset=utf-8", b"", "empty"),
    ("text/html", b"  \r\n ", "empty"),
    ("text/html", bytes(range(256)) * 8, "binary"),
    ("application/pdf", b"%PDF-1.4\n...", "not_html"),
])
def test_junk_answers_are_refused_with_a_reason(content_type, body, kind) -> None:
    verdict = detect_junk(content_type, body)
    assert verdict is not None and verdict.kind == kind and not verdict.blocked and verdict.reason


def test_a_page_is_not_junk() -> None:
    assert detect_junk("text/html; charset=utf-8", ARTICLE) is None
    assert detect_junk(None, ARTICLE) is None
