"""Fault injection of the mirror server: each fault observable from a plain HTTP client or a raw socket.

One server of its own (module-scoped), its faults cleared after every test, so that no fault ever reaches
another test module.
"""

from __future__ import annotations

import http.client
import inspect
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from gdcac_mirror import SITE_DIR, MirrorError, MirrorProcess, load_manifest
from gdcac_mirror.faults import FAULTS, FaultPlan, draw, page_kind
from tests.support.http import http_fetch as fetch

MANIFEST = load_manifest()
SEED_PATH = MANIFEST["seed_article"]["path"]
"""The seed article: it holds a GBK-only character (勠)."""
ARTICLE = next(a["path"] for a in MANIFEST["articles"] if not a["is_seed"])
LISTING = "/zcfg/zcjd/index.html"


@pytest.fixture(scope="module")
def fmirror() -> Iterator[MirrorProcess]:
    with MirrorProcess(SITE_DIR) as process:
        yield process


@pytest.fixture(autouse=True)
def no_faults_after(fmirror: MirrorProcess) -> Iterator[None]:
    yield
    fmirror.clear_faults()


def conn(mirror: MirrorProcess, timeout: float = 10) -> http.client.HTTPConnection:
    parts = urlsplit(mirror.base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def raw(mirror: MirrorProcess, path: str, timeout: float = 10) -> bytes:
    """Everything the server sends for one GET until it closes the connection."""
    parts = urlsplit(mirror.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def one(mirror: MirrorProcess, fault: str, path: str = ARTICLE, **params: Any) -> None:
    mirror.set_faults([{"path": path, "fault": fault, **params}])


# --- status faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, params, status, retry_after", [
    ("http_500", {}, 500, None),
    ("http_502", {}, 502, None),
    ("http_503", {}, 503, None),
    ("http_503", {"retry_after": 7}, 503, "7"),
    ("http_503_retry_after", {}, 503, "5"),
    ("http_429", {}, 429, "5"),
    ("http_429", {"retry_after": 30}, 429, "30"),
])
def test_http_errors(fmirror: MirrorProcess, fault: str, params: dict[str, Any], status: int,
                     retry_after: str | None) -> None:
    one(fmirror, fault, **params)
    got, headers, body = fetch(fmirror, ARTICLE)
    assert got == status
    assert headers.get("retry-after") == retry_after
    assert str(status).encode() in body and "etag" not in headers


def test_times_n_then_normal(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, ARTICLE)
    one(fmirror, "http_503", times=2)
    assert [fetch(fmirror, ARTICLE)[0] for _ in range(4)] == [503, 503, 200, 200]
    assert fetch(fmirror, ARTICLE)[2] == normal[2]
    assert fetch(fmirror, LISTING)[0] == 200  # other paths untouched
    # rules compose: the first matching rule still within its times wins
    fmirror.set_faults([{"path": ARTICLE, "fault": "http_429", "times": 1},
                        {"path": ARTICLE, "fault": "http_500", "times": 2}])
    assert [fetch(fmirror, ARTICLE)[0] for _ in range(3)] == [429, 500, 200]


def test_waf_block_page_with_status_200(fmirror: MirrorProcess) -> None:
    one(fmirror, "waf_block_200")
    status, headers, body = fetch(fmirror, ARTICLE)
    assert status == 200 and headers["content-type"].startswith("text/html")
    text = body.decode("utf-8")
    sel = Selector(text=text)
    assert sel.css("title::text").get() == "您的IP最近有可疑的攻击行为"
    assert "创宇盾" in text and "当前访问疑似黑客攻击" in text and "127.0.0.1" in text
    assert "etag" not in headers and not sel.css("#content1, #zoom")


def test_maintenance_403(fmirror: MirrorProcess) -> None:
    one(fmirror, "maintenance_403")
    status, _, body = fetch(fmirror, ARTICLE)
    assert status == 403 and "系统正在维护中" in body.decode("utf-8")


def test_js_challenges(fmirror: MirrorProcess) -> None:
    one(fmirror, "challenge_412")
    status, headers, body = fetch(fmirror, ARTICLE)
    assert status == 412 and headers["content-type"].startswith("text/html")
    assert b"$_ts=window['$_ts']" in body and b"$_ts.cd=" in body and b"r='m'" in body
    assert "set-cookie" in headers
    one(fmirror, "challenge_521")
    status, headers, body = fetch(fmirror, ARTICLE)
    assert status == 521
    assert b"document.cookie=" in body and b"__jsl_clearance" in body and b"location.href" in body
    assert headers["set-cookie"].startswith("__jsluid_s=")


def test_not_found_for_a_listed_article(fmirror: MirrorProcess) -> None:
    listed = MANIFEST["columns"][0]["listing_pages"][0]["entries"][0]["url"]
    path = listed.removeprefix("https://www.gdcac.gov.cn")
    one(fmirror, "not_found", path=listed)  # a canonical URL is accepted as the rule's path
    assert fetch(fmirror, path)[0] == 404
    assert fetch(fmirror, SEED_PATH)[0] == 200


def test_empty_200(fmirror: MirrorProcess) -> None:
    one(fmirror, "empty_200")
    status, headers, body = fetch(fmirror, ARTICLE)
    assert status == 200 and body == b"" and headers["content-length"] == "0"


# --- redirects -----------------------------------------------------------------------------------------


def test_redirect_loop(fmirror: MirrorProcess) -> None:
    one(fmirror, "redirect_loop")
    status, headers, _ = fetch(fmirror, ARTICLE)
    assert status == 302 and headers["location"] == fmirror.base_url + ARTICLE
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(fmirror.url(ARTICLE), timeout=10)
    one(fmirror, "redirect_loop", mode="pair")
    a = fetch(fmirror, ARTICLE)[1]["location"]
    assert a == fmirror.base_url + ARTICLE + "?loop=b"
    b = fetch(fmirror, urlsplit(a).path + "?" + urlsplit(a).query)[1]["location"]
    assert b == fmirror.base_url + ARTICLE


def test_redirect_offsite(fmirror: MirrorProcess) -> None:
    one(fmirror, "redirect_offsite")
    status, headers, _ = fetch(fmirror, ARTICLE)
    assert status == 302 and headers["location"] == "https://example.invalid" + ARTICLE


def test_redirect_other_port(fmirror: MirrorProcess) -> None:
    one(fmirror, "redirect_other_port")
    status, headers, _ = fetch(fmirror, ARTICLE)
    port = urlsplit(fmirror.base_url).port
    assert status == 302 and headers["location"] == f"http://127.0.0.1:{port + 1}{ARTICLE}"


@pytest.mark.parametrize("fault, target", [("meta_refresh_offsite", "https://example.invalid"),
                                           ("meta_refresh_self", None)])
def test_meta_refresh(fmirror: MirrorProcess, fault: str, target: str | None) -> None:
    one(fmirror, fault, path=LISTING)
    status, headers, body = fetch(fmirror, LISTING)
    assert status == 200 and headers["content-type"].startswith("text/html")
    refresh = Selector(text=body.decode("utf-8")).css('meta[http-equiv="refresh"]::attr(content)').get()
    assert refresh == f"0;url={target or fmirror.base_url}{LISTING}"


# --- connection faults ---------------------------------------------------------------------------------


def test_reset(fmirror: MirrorProcess) -> None:
    one(fmirror, "reset")
    with pytest.raises(ConnectionResetError):  # http.client.RemoteDisconnected is one too
        fetch(fmirror, ARTICLE)
    with pytest.raises(ConnectionError):
        urllib.request.urlopen(fmirror.url(ARTICLE), timeout=10).read()
    with pytest.raises(ConnectionResetError):
        data = raw(fmirror, ARTICLE)
        if not data:  # some stacks report the reset as an empty read
            raise ConnectionResetError
    fmirror.clear_faults()
    assert fetch(fmirror, ARTICLE)[0] == 200


def test_truncated(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, ARTICLE)[2]
    one(fmirror, "truncated")
    data = raw(fmirror, ARTICLE)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(next(ln.split(b":", 1)[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
    assert length == len(normal) and 0 < len(body) < length
    assert normal.startswith(body)
    with pytest.raises(http.client.IncompleteRead):
        fetch(fmirror, ARTICLE)


def test_slow(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, ARTICLE)
    one(fmirror, "slow", delay=0.6)
    started = time.monotonic()
    status, headers, body = fetch(fmirror, ARTICLE)
    assert time.monotonic() - started >= 0.6
    assert status == 200 and body == normal[2] and headers["etag"] == normal[1]["etag"]
    one(fmirror, "slow", delay=1.0)
    with pytest.raises(TimeoutError):
        fetch(fmirror, ARTICLE, timeout=0.2)
    # the reactor was never blocked: other paths answer at once while a slow one waits
    one(fmirror, "slow", delay=1.0)
    c = conn(fmirror)
    c.request("GET", ARTICLE)
    started = time.monotonic()
    assert fetch(fmirror, LISTING)[0] == 200
    assert time.monotonic() - started < 0.5
    assert c.getresponse().status == 200
    c.close()


# --- bodies --------------------------------------------------------------------------------------------


def test_wrong_charset_header(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, SEED_PATH)[2]
    one(fmirror, "wrong_charset_header", path=SEED_PATH)
    status, headers, body = fetch(fmirror, SEED_PATH)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert body == normal.decode("utf-8").encode("gbk")
    assert "\ufffd" in body.decode("utf-8", "replace")  # a UTF-8 decoder gets mojibake


def test_gbk_page(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, SEED_PATH)[2]
    one(fmirror, "gbk_page", path=SEED_PATH)
    status, headers, body = fetch(fmirror, SEED_PATH)
    assert status == 200 and headers["content-type"] == "text/html; charset=gb2312"
    assert b'<meta charset="UTF-8">' in body
    assert body.decode("gbk") == normal.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 勠 is GBK-only


def test_malformed_html(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, SEED_PATH)[2].decode("utf-8")
    one(fmirror, "malformed_html", path=SEED_PATH)
    status, _, body = fetch(fmirror, SEED_PATH)
    text = body.decode("utf-8")
    assert status == 200 and text.count("</html>") == 2 and "</p>" not in text and "</p>" in normal
    assert Selector(text=text).css("h1.title::text").get() == Selector(text=normal).css("h1.title::text").get()


def test_huge(fmirror: MirrorProcess) -> None:
    one(fmirror, "huge")
    c = conn(fmirror, timeout=30)
    try:
        c.request("GET", ARTICLE)
        resp = c.getresponse()
        assert resp.status == 200 and resp.getheader("content-type").startswith("text/html")
        assert int(resp.getheader("content-length")) == 20 * 1024 * 1024
        total, first, last = 0, b"", b""
        while chunk := resp.read(1 << 20):
            first = first or chunk
            total += len(chunk)
            last = chunk
        assert total == 20 * 1024 * 1024
        assert first.startswith(b"<!DOCTYPE html>") and last.endswith(b"</html>\n")
    finally:
        c.close()
    one(fmirror, "huge", size=5000)
    status, _, body = fetch(fmirror, ARTICLE)
    assert len(body) == 5000 and body.decode("utf-8").endswith("</html>\n")


def test_binary_as_html_is_deterministic(fmirror: MirrorProcess) -> None:
    fmirror.set_faults([{"path": ARTICLE, "fault": "binary_as_html"}], seed=3)
    status, headers, first = fetch(fmirror, ARTICLE)
    assert status == 200 and headers["content-type"] == "text/html" and len(first) == 64 * 1024
    with pytest.raises(UnicodeDecodeError):
        first.decode("utf-8")
    fmirror.set_faults([{"path": ARTICLE, "fault": "binary_as_html"}], seed=3)
    assert fetch(fmirror, ARTICLE)[2] == first


# --- rates, kinds, seeds -------------------------------------------------------------------------------


def faulted_indices(mirror: MirrorProcess, seed: int, n: int = 40) -> list[int]:
    mirror.set_faults([{"path": ARTICLE, "rate": 0.3, "fault": "http_503"}], seed=seed)
    return [i for i in range(1, n + 1) if fetch(mirror, ARTICLE)[0] == 503]


@pytest.mark.parametrize("mode, words", [(None, "创宇盾"), ("intercepted", "访问被拦截"), ("notice", "系统正在维护中")])
def test_alarming_title(fmirror: MirrorProcess, mode: str | None, words: str) -> None:
    """The article's title (in <title>, the headline and the meta) carries a block page's words; the body keeps
    its paragraphs, or, for a notice, one paragraph only."""
    normal = Selector(text=fetch(fmirror, SEED_PATH)[2].decode("utf-8"))
    one(fmirror, "alarming_title", path=SEED_PATH, **({"mode": mode} if mode else {}))
    status, _, body = fetch(fmirror, SEED_PATH)
    page = Selector(text=body.decode("utf-8"))
    title = normal.css("h1.title::text").get()
    assert status == 200 and title
    headline = page.css("h1.title::text").get()
    assert words in headline and words in page.css("title::text").get()
    assert words in page.css('meta[name="ArticleTitle"]::attr(content)').get()
    paragraphs = page.css("#content1 p")
    if mode == "notice":
        assert title not in headline and len(paragraphs) == 1 and words in paragraphs[0].css("::text").get()
    else:
        assert title in headline and len(paragraphs) == len(normal.css("#content1 p"))


def test_rate_is_deterministic_under_a_seed(fmirror: MirrorProcess) -> None:
    a = faulted_indices(fmirror, 7)
    b = faulted_indices(fmirror, 7)
    c = faulted_indices(fmirror, 8)
    assert a == b != c
    assert a == [i for i in range(1, 41) if draw(7, 0, ARTICLE, i) < 0.3]
    assert 4 <= len(a) <= 20
    fmirror.clear_faults()
    assert all(fetch(fmirror, ARTICLE)[0] == 200 for _ in range(10))


def test_kinds_and_prefix_select_paths(fmirror: MirrorProcess) -> None:
    fmirror.set_faults([{"kinds": ["article"], "fault": "http_500"}])
    assert fetch(fmirror, ARTICLE)[0] == 500 and fetch(fmirror, SEED_PATH)[0] == 500
    assert fetch(fmirror, LISTING)[0] == 200 and fetch(fmirror, "/robots.txt")[0] == 200
    fmirror.set_faults([{"prefix": "/zcfg/flfg/", "fault": "http_502"}])
    assert fetch(fmirror, "/zcfg/flfg/index.html")[0] == 502 and fetch(fmirror, LISTING)[0] == 200
    assert [page_kind(p) for p in ("/", "/zcfg/", LISTING, "/zcfg/zcjd/index_3.html", ARTICLE,
                                   "/img/0/1/2/3.png", "/robots.txt", "/nope")] == \
        ["root", "section", "listing", "listing", "article", "file", "robots", "other"]


def test_stats_count_faults(fmirror: MirrorProcess) -> None:
    fmirror.reset_stats()
    one(fmirror, "http_503", times=2)
    for _ in range(3):
        fetch(fmirror, ARTICLE)
    stats = fmirror.stats()
    assert stats["faults"] == {"http_503": 2}
    assert stats["by_path"] == {ARTICLE: 3}
    assert fmirror.get_faults()["injected"] == {"http_503": 2}
    fmirror.reset_stats()
    assert fmirror.stats() == {"requests": 0, "by_path": {}}


def test_control_paths_are_never_faulted(fmirror: MirrorProcess) -> None:
    fmirror.set_faults([{"fault": "reset"}])
    assert fmirror.stats()["requests"] >= 0 and fmirror.get_state() == 1
    with pytest.raises(ConnectionResetError):
        fetch(fmirror, LISTING)


@pytest.mark.parametrize("config, message", [
    ({"rules": [{"fault": "nope"}]}, "unknown fault"),
    ({"rules": [{"fault": "http_500", "rate": 2}]}, "rate"),
    ({"rules": [{"fault": "http_500", "delay": 1}]}, "does not take delay"),
    ({"rules": [{"fault": "reset", "kinds": ["page"]}]}, "kinds"),
    ({"rules": [{"fault": "reset", "times": 0}]}, "times"),
    ({"seed": "x", "rules": []}, "seed"),
])
def test_bad_configurations_are_refused(fmirror: MirrorProcess, config: dict[str, Any], message: str) -> None:
    with pytest.raises(MirrorError, match="400") as info:
        fmirror.control("POST", "faults", json.dumps(config).encode())
    assert message in str(info.value)
    with pytest.raises(ValueError, match=message):
        FaultPlan.from_json(config)


# --- crawler traps and parser bombs ----------------------------------------------------------------------------

LAST_ZCJD = "/zcfg/zcjd/index_6.html"


def test_huge_total(fmirror: MirrorProcess) -> None:
    one(fmirror, "huge_total", path="/zcfg/zcjd/index_2.html")
    text = fetch(fmirror, "/zcfg/zcjd/index_2.html")[2].decode("utf-8")
    assert "Math.ceil(10000000/8)" in text
    assert fetch(fmirror, "/zcfg/zcjd/index_7.html")[0] == 404  # no page past the real last one


def test_endless_pager(fmirror: MirrorProcess) -> None:
    fmirror.set_faults([{"fault": "endless_pager", "prefix": "/zcfg/zcjd/", "kinds": ["listing"]}])
    pages = {n: fetch(fmirror, f"/zcfg/zcjd/index_{n}.html") for n in (99, 100)}
    assert all(status == 200 for status, _, _ in pages.values())
    links = {n: Selector(text=body.decode("utf-8")).css("ul.comlist1 a::attr(href)").getall()
             for n, (_, _, body) in pages.items()}
    posts = {n: {h for h in hrefs if "/content/post_" in h} for n, hrefs in links.items()}
    assert len(posts[99]) >= 5 and not posts[99] & posts[100]  # every page: new article links
    assert "index_101.html" in pages[100][2].decode("utf-8") and "10000000" in pages[100][2].decode("utf-8")


def test_repeat_last_page(fmirror: MirrorProcess) -> None:
    fmirror.set_faults([{"fault": "repeat_last_page", "kinds": ["listing"]}])
    entries = lambda body: Selector(text=body.decode("utf-8")).css("ul.comlist1 a::attr(href)").getall()  # noqa: E731
    last, past = fetch(fmirror, LAST_ZCJD), fetch(fmirror, "/zcfg/zcjd/index_50.html")
    assert past[0] == 200 and entries(past[2]) == entries(last[2])
    assert "index_51.html" in past[2].decode("utf-8") and "index_7.html" in last[2].decode("utf-8")
    assert "Math.ceil" not in last[2].decode("utf-8")


def _body_text(text: str) -> str:
    return " ".join(Selector(text=text).css("#content1 ::text").getall()).split()[0]


def test_deep_nesting_and_unclosed_tags(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, ARTICLE)[2].decode("utf-8")
    one(fmirror, "deep_nesting")
    nested = fetch(fmirror, ARTICLE)[2].decode("utf-8")
    assert nested.count("<div>") >= 5000 and nested.count("</div>") >= 5000
    one(fmirror, "unclosed_tags")
    unclosed = fetch(fmirror, ARTICLE)[2].decode("utf-8")
    assert unclosed.count("<font") - normal.count("<font") == 2500 and "</font>" not in unclosed.replace(
        normal, "")
    assert _body_text(normal) in nested and _body_text(normal) in unclosed


def test_charset_unicode_escape(fmirror: MirrorProcess) -> None:
    normal = fetch(fmirror, ARTICLE)[2]
    one(fmirror, "charset_unicode_escape")
    status, headers, body = fetch(fmirror, ARTICLE)
    assert status == 200 and body == normal and "charset=unicode_escape" in str(headers)


def test_nul_in_title(fmirror: MirrorProcess) -> None:
    one(fmirror, "nul_in_title")
    text = fetch(fmirror, ARTICLE)[2].decode("utf-8")
    title = text[text.index("<title>"):text.index("</title>")]
    assert "\x00\x07" in title and text.count("\x00") == 3 and "\x00\x1b" in text and "\x00\x01" in text


def test_every_fault_has_a_test_and_a_docstring() -> None:
    names = set(FAULTS)
    assert {"http_500", "http_502", "http_503", "http_429", "slow", "reset", "truncated", "waf_block_200",
            "maintenance_403", "challenge_412", "challenge_521", "redirect_loop", "redirect_offsite", "not_found",
            "wrong_charset_header", "gbk_page", "malformed_html", "huge", "binary_as_html", "empty_200"} <= names
    # the list above names every fault itself: look for each in the rest of the module
    source = Path(__file__).read_text(encoding="utf-8").replace(
        inspect.getsource(test_every_fault_has_a_test_and_a_docstring), "")
    for name in names:
        assert f'"{name}"' in source, name
        assert FAULTS[name].__doc__, name


def test_faults_option_of_serve(tmp_path: Path) -> None:
    plan = tmp_path / "faults.json"
    plan.write_text(json.dumps({"seed": 1, "rules": [{"path": ARTICLE, "fault": "http_503", "times": 1}]}))
    with MirrorProcess(SITE_DIR, faults_file=plan) as process:
        assert [fetch(process, ARTICLE)[0] for _ in range(2)] == [503, 200]
        assert process.get_faults()["seed"] == 1
    plan.write_text('{"rules": [{"fault": "nope"}]}')
    with pytest.raises(MirrorError, match="unknown fault"):
        MirrorProcess(SITE_DIR, faults_file=plan).start()


def test_the_server_logged_no_error(fmirror: MirrorProcess) -> None:
    """Runs last in this module: no fault above left a traceback in the server's stderr."""
    assert fetch(fmirror, ARTICLE)[0] == 200
    assert fmirror._stderr_text() == ""
