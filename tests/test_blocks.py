"""Block, challenge and junk answers recognised by their shape, on the pages the fault mirror serves and on a
real WAF's block page (tests/fixtures/blocks/); real articles that use a block page's words stay articles."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from gdcac_crawler.blockpages import BLOCK_SCORE, block_signals, detect_block, detect_junk
from gdcac_mirror import SITE_DIR, MirrorProcess, load_manifest
from gdcac_mirror.faults import ALARMING_TITLES, MAINTENANCE_HTML, NOTICE_TEXT, WAF_BLOCK_HTML

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


def _titled(page: bytes, title: str) -> bytes:
    """The seed article under another title (its <title>, headline and ArticleTitle meta)."""
    old = "后疫情时代,如何构建网络空间命运共同体?"
    assert old.encode() in page
    return page.replace(old.encode(), title.encode())


@pytest.mark.parametrize("title", ["创宇盾为全省政务网站提供安全防护", "一季度境外攻击访问被拦截逾万次",
                                   "系统正在维护中", "您的IP最近有可疑的攻击行为"])
def test_an_article_titled_with_a_block_pages_words_is_an_article(title) -> None:
    page = _titled(ARTICLE, title)
    assert title.encode() in page
    assert detect_block(200, page) is None


SHORT_NOTICE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>系统正在维护中</title></head><body>
<h1>系统正在维护中</h1><div class="info"><span>发布时间：2025-03-01 09:00</span><span>来源：本网</span></div>
<div id="content1"><p>因机房设备升级，本网站系统正在维护中，预计3月2日恢复，敬请谅解。</p></div>
</body></html>"""


def test_a_short_notice_with_a_title_date_and_body_is_not_a_maintenance_page() -> None:
    """Bare (no links, no stylesheet), short, no prose, the phrase in its title: its date still tells it from
    the maintenance page, which has none."""
    assert detect_block(200, SHORT_NOTICE.encode()) is None
    score, signals, kind = block_signals(200, SHORT_NOTICE.encode())
    assert kind == "maintenance" and score < BLOCK_SCORE and "a date (-2)" in signals


def test_a_phrase_alone_never_suffices() -> None:
    """The same words that make the maintenance page a block page fall short on an article page: with the
    page's furniture around them, or with prose."""
    furnished = ARTICLE.replace("网络空间日益成为".encode(), "系统正在维护中。".encode(), 1)
    assert detect_block(200, furnished) is None
    prose = "<p>" + "系统正在维护中，" + "维护期间请通过政务服务网办理各项业务，" * 8 + "</p>"
    assert detect_block(200, f"<html><head><title>系统正在维护中</title></head><body>{prose}</body></html>"
                        .encode()) is None


#: Real block pages, each ``NAME.html`` (the bytes as served) with ``NAME.json`` (status, headers, source).
BLOCK_FIXTURES = Path(__file__).parent / "fixtures" / "blocks"


@pytest.mark.parametrize("status", [403, 200])
def test_a_real_waf_block_page_is_a_block(status) -> None:
    meta = json.loads((BLOCK_FIXTURES / "ngx_lua_waf_403.json").read_text(encoding="utf-8"))
    body = (BLOCK_FIXTURES / "ngx_lua_waf_403.html").read_bytes()
    assert meta["status"] == 403
    verdict = detect_block(status, body)
    assert verdict is not None and verdict.kind == "waf_block" and verdict.blocked
    assert "no prose" in verdict.reason and ("HTTP 403" in verdict.reason) == (status == 403)


def test_a_vendors_markup_makes_a_wordless_short_page_a_block() -> None:
    page = (b"<html><head><title>403</title></head><body><div style=\"background:url('/ks-waf-error.png')\">"
            b"</div><p>Request ID: 5f0c2a9e8b7d6c5a</p></body></html>")
    verdict = detect_block(200, page)
    assert verdict is not None and verdict.kind == "waf_block" and "Knownsec" in verdict.reason
    article = ARTICLE.replace(b"</body>", b'<a href="http://404.safedog.cn/images/safedogsite/head.png">x</a></body>')
    assert detect_block(200, article) is None


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


def test_a_crawl_with_articles_that_use_block_words_ends_in_seconds_healthy_with_all_archived(
        tmp_path, crawl_mirror) -> None:
    """Three articles of the mirror carry block pages' words (创宇盾 and 访问被拦截 in the title; a short
    系统正在维护中 notice) under the crawler's own block settings (a 60 s pause, the delay doubled per block):
    the crawl takes seconds, exits 0, and archives the three as articles."""
    articles = [a for a in load_manifest()["articles"]
                if a["layout"] in ("seed", "platform") and not a["images"] and not a["is_seed"]][:3]
    modes = ["vendor", "intercepted", "notice"]
    db = tmp_path / "archive.sqlite"
    with MirrorProcess(SITE_DIR) as mirror:
        mirror.set_faults([{"fault": "alarming_title", "path": a["path"], "mode": m}
                           for a, m in zip(articles, modes, strict=True)])
        started = time.monotonic()
        result = crawl_mirror(mirror, db, "-a", "mode=full", settings={"LOG_LEVEL": "WARNING"}, timeout=120)
        elapsed = time.monotonic() - started
        injected = mirror.stats().get("faults", {})
    assert injected.get("alarming_title", 0) >= 3
    assert result.returncode == 0, result.stderr[-2000:]
    assert elapsed < 45, elapsed
    conn = sqlite3.connect(db)
    stats = json.loads(conn.execute("SELECT stats FROM runs").fetchone()[0])
    assert not [k for k in stats if k.startswith("gdcac/blocked/")], stats
    assert conn.execute("SELECT count(*) FROM pages WHERE kind = 'blocked'").fetchone()[0] == 0
    for article, mode in zip(articles, modes, strict=True):
        title, body = conn.execute("SELECT title, body_text FROM articles WHERE url = ?", [article["url"]]).fetchone()
        assert title == ALARMING_TITLES[mode].format(title=article["title"])
        kinds = [k for (k,) in conn.execute("SELECT kind FROM pages WHERE url LIKE ?", ["%" + article["path"]])]
        assert kinds == ["article"], kinds
        if mode == "notice":
            assert body == NOTICE_TEXT
        else:
            assert body.split("\n") == article["body_paragraphs"]
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(load_manifest()["articles"])
    conn.close()
