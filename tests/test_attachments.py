"""The attachments pipeline without a crawl: sniffed types, safe names that cannot leave the store, an HTML
page where a PDF was promised recorded as failed, outcomes on the item and in the archive."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from gdcac_crawler.archive import Archive
from gdcac_crawler.items import ArticleItem, Fetch
from gdcac_crawler.pipelines.attachments import AttachmentsPipeline, UnsafePath, safe_file_name, sniff_type, store_path
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_mirror import SITE_DIR, files

PDF = "https://www.gdcac.gov.cn/attachment/0/210/210347/3100036.pdf"


def test_sniffed_types() -> None:
    assert sniff_type(files.pdf("x")) == "pdf"
    assert sniff_type((SITE_DIR / "attachment/0/210/210203/3100002.xls").read_bytes()) == "xls"
    assert sniff_type((SITE_DIR / "attachment/0/210/210347/3100038.docx").read_bytes()) == "docx"
    assert sniff_type(files.png(1)) == "png"
    assert sniff_type(b"\xef\xbb\xbf  <!DOCTYPE html><html><body>blocked</body></html>") == "html"
    assert sniff_type("序号,名称\n1,甲".encode("gbk")) == "text"
    assert sniff_type(b"\x00\x01\x02\xff") is None


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd.pdf"), ("..\\..\\boot.ini", "boot.ini"), ("..", "attachment.pdf"),
    ("/abs/x.pdf", "x.pdf"), ("a\x00b?.pdf", "a_b_.pdf"), (".hidden.pdf", "hidden.pdf"),
    ("附件1：方案.pdf", "附件1：方案.pdf"), ("附件1", "附件1.pdf"),
])
def test_safe_names_never_leave_their_folder(name: str, expected: str) -> None:
    safe = safe_file_name(name, PDF, "pdf")
    assert safe == expected and "/" not in safe and "\\" not in safe and not safe.startswith(".")


def test_long_names_are_cut_keeping_the_extension() -> None:
    safe = safe_file_name("长" * 200 + ".docx")
    assert safe.endswith(".docx") and len(safe.encode("utf-8")) <= 180


def test_store_path_refuses_escapes(tmp_path) -> None:
    assert store_path(tmp_path, "ab/abc/x.pdf") == (tmp_path / "ab/abc/x.pdf").resolve()
    for bad in ("../x", "ab/../../x", "/etc/passwd", ""):
        with pytest.raises(UnsafePath):
            store_path(tmp_path, bad)


@pytest.fixture
def pipeline(tmp_path):
    crawler = get_crawler(GdcacSpider, settings_dict={"GDCAC_FILES_STORE": str(tmp_path / "files")})
    crawler.spider = GdcacSpider.from_crawler(crawler, base_url="http://127.0.0.1:8999", run_id="run-a")
    pipe = AttachmentsPipeline.from_crawler(crawler)
    return pipe


def item_with(*attachments: dict) -> ArticleItem:
    return ArticleItem(url="https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2103479.html", site="gdcac",
                       attachments=list(attachments))


def downloaded(pipe, item, body: bytes, content_type: str, status: int = 200, cls=Response) -> dict:
    (request,) = pipe.get_media_requests(item, None)
    response = cls(url=request.url, body=body, status=status, headers={"Content-Type": content_type},
                   request=request)
    return asyncio.run(pipe.media_downloaded(response, request, None, item=item))


def test_requests_go_to_the_mirror_and_offsite_urls_are_not_fetched(pipeline) -> None:
    item = item_with({"url": PDF, "name": "全文.pdf", "type": "pdf"},
                     {"url": "https://other.example/a.pdf", "name": "a.pdf", "type": "pdf"},
                     {"url": None, "name": "无链接.pdf", "type": "pdf"})
    requests = pipeline.get_media_requests(item, None)
    assert [r.url for r in requests] == ["http://127.0.0.1:8999/attachment/0/210/210347/3100036.pdf"]
    assert requests[0].meta["gdcac_attachment_url"] == PDF


def test_a_pdf_is_stored_under_its_sha256_with_its_name(pipeline, tmp_path) -> None:
    item = item_with({"url": PDF, "name": "《全文》.pdf", "type": "pdf"})
    body = files.pdf("full text")
    record = downloaded(pipeline, item, body, "application/pdf")
    digest = hashlib.sha256(body).hexdigest()
    assert record["status"] == "stored" and record["sha256"] == digest
    assert record["path"] == f"{digest[:2]}/{digest}/《全文》.pdf"
    assert (tmp_path / "files" / record["path"]).read_bytes() == body
    assert (record["content_type"], record["sniffed_type"]) == ("application/pdf", "pdf")


def test_an_html_page_where_a_pdf_was_promised_is_failed_not_stored(pipeline, tmp_path) -> None:
    item = item_with({"url": PDF, "name": "全文.pdf", "type": "pdf"})
    block = "<!DOCTYPE html><html><head><title>您的IP最近有可疑的攻击行为</title></head></html>".encode()
    record = downloaded(pipeline, item, block, "text/html; charset=utf-8", cls=HtmlResponse)
    assert record["status"] == "failed" and record["error"] == "html-instead-of-pdf"
    assert record["sniffed_type"] == "html" and record["path"] is None
    assert not (tmp_path / "files").exists() or not any((tmp_path / "files").rglob("*.pdf"))
    assert not (tmp_path / "files").exists() or not any(p.is_file() for p in (tmp_path / "files").rglob("*"))
    record = downloaded(pipeline, item, b"gone", "text/html", status=404)
    assert record["error"] == "HTTP 404"


def test_outcomes_reach_the_item_and_the_archive(pipeline, tmp_path) -> None:
    item = item_with({"url": PDF, "name": "全文.pdf", "type": "pdf"},
                     {"url": "https://other.example/a.pdf", "name": "a.pdf", "type": "pdf"})
    stored = downloaded(pipeline, item, files.pdf("x"), "application/pdf")
    pipeline.item_completed([(True, stored)], item, None)
    assert [(f["url"], f["status"], f.get("error")) for f in item.attachment_files] == [
        (PDF, "stored", None), ("https://other.example/a.pdf", "failed", "offsite")]
    stats = pipeline.crawler.stats.get_stats()
    assert stats["gdcac/attachments/stored"] == 1 and stats["gdcac/attachments/offsite"] == 1
    item.fetch = Fetch(run_id="run-a", url=item.url, final_url=item.url, status=200,
                       fetched_at="2026-01-01T00:00:00Z", kind="article", body=b"<html></html>")
    item.title, item.body_text = "t", "b"
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.add_article(item)
        rows = archive.attachment_files(item.url)
    assert [(r["url"], r["status"], r["run_id"]) for r in rows] == [
        ("https://other.example/a.pdf", "failed", "run-a"), (PDF, "stored", "run-a")]
    assert rows[1]["sha256"] == stored["sha256"] and rows[1]["name"] == "全文.pdf"


def test_disabled_or_nowhere_to_store() -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured, match="GDCAC_ATTACHMENTS_ENABLED"):
        AttachmentsPipeline.from_crawler(get_crawler(GdcacSpider, {"GDCAC_ATTACHMENTS_ENABLED": False}))
    with pytest.raises(NotConfigured, match="nowhere"):
        AttachmentsPipeline.from_crawler(get_crawler(GdcacSpider, {"GDCAC_ARCHIVE_PATH": "",
                                                                   "GDCAC_FILES_STORE": ""}))


def test_a_stored_file_is_asked_for_conditionally_and_a_304_keeps_it(pipeline, tmp_path) -> None:
    item = item_with({"url": PDF, "name": "全文.pdf", "type": "pdf"})
    body = files.pdf("kept")
    first = downloaded(pipeline, item, body, "application/pdf")
    assert first["status"] == "stored" and first["etag"] is None  # the answer above carried no validators
    known = {**{k: first[k] for k in ("sha256", "path", "size", "content_type", "sniffed_type")},
             "etag": '"abc"', "last_modified": "Sun, 01 Nov 2026 00:00:00 GMT"}  # fmt: skip
    pipeline.known = {PDF: known}
    (request,) = pipeline.get_media_requests(item, None)
    assert request.headers["If-None-Match"] == b'"abc"'
    assert request.headers["If-Modified-Since"] == b"Sun, 01 Nov 2026 00:00:00 GMT"
    response = Response(url=request.url, status=304, headers={"ETag": '"abc"'}, request=request)
    record = asyncio.run(pipeline.media_downloaded(response, request, None, item=item))
    assert record["status"] == "not_modified" and record["error"] is None
    assert (record["sha256"], record["path"], record["size"]) == (first["sha256"], first["path"], len(body))
    assert record["etag"] == '"abc"' and record["last_modified"] == "Sun, 01 Nov 2026 00:00:00 GMT"
    pipeline.item_completed([(True, record)], item, None)
    assert item.attachment_files[0]["status"] == "not_modified"
    assert pipeline.crawler.stats.get_value("gdcac/attachments/not_modified") == 1
    # a 200 to the conditional request is a new download, with its validators kept
    response = Response(url=request.url, body=files.pdf("new"), status=200, request=request,
                        headers={"Content-Type": "application/pdf", "ETag": '"def"'})  # fmt: skip
    record = asyncio.run(pipeline.media_downloaded(response, request, None, item=item))
    assert record["status"] == "stored" and record["etag"] == '"def"' and record["sha256"] != first["sha256"]


def test_no_conditional_request_when_the_file_left_the_store_or_has_no_validators(pipeline, tmp_path) -> None:
    item = item_with({"url": PDF, "name": "全文.pdf", "type": "pdf"})
    stored = downloaded(pipeline, item, files.pdf("gone"), "application/pdf")
    known = {"sha256": stored["sha256"], "path": stored["path"], "etag": '"x"', "last_modified": None}
    pipeline.known = {PDF: {**known, "etag": None}}
    (request,) = pipeline.get_media_requests(item, None)
    assert b"If-None-Match" not in request.headers and "gdcac_attachment_known" not in request.meta
    (tmp_path / "files" / stored["path"]).unlink()
    pipeline.known = {PDF: known}
    (request,) = pipeline.get_media_requests(item, None)
    assert b"If-None-Match" not in request.headers  # downloaded again, not trusted to a 304
    response = Response(url=request.url, status=304, request=request)
    assert asyncio.run(pipeline.media_downloaded(response, request, None, item=item))["error"] == "HTTP 304"
