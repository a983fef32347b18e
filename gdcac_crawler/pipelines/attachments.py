"""Attachments: every article's attachment files downloaded into the archive's file store.

:class:`AttachmentsPipeline` is Scrapy's ``FilesPipeline`` with the hooks that matter here overridden:

* ``get_media_requests``: one request per attachment of an :class:`~gdcac_crawler.items.ArticleItem` that has
  a URL on the portal (fetched from the mirror when the spider crawls one); an off-site URL is not fetched;
* ``media_downloaded``: the bytes' own type is **sniffed** from their signature (:func:`sniff_type`) and kept
  beside the **declared** one (``Content-Type``); an HTML page served where a document was promised (a login,
  error or WAF page with status 200) is a **failed** attachment, never stored as the file; so are non-200
  answers, empty bodies and files over ``GDCAC_ATTACHMENTS_MAX_SIZE``;
* ``file_path``: content-addressed — ``<sha256[:2]>/<sha256>/<original name>`` — with the name made safe
  (:func:`safe_file_name`), and :func:`store_path` refuses any path that would leave the store;
* ``item_completed``: every attachment's outcome goes into the item's ``attachment_files``; the archive
  pipeline (which runs after this one, 700 < 800) writes them to the ``attachment_files`` table.

A file the archive already holds (:meth:`~gdcac_crawler.archive.Archive.stored_attachments`, read once when the
spider opens, its file still in the store) is asked for **conditionally**, with the ``ETag`` and
``Last-Modified`` it came with: a 304 keeps the stored file (status ``not_modified``, nothing downloaded or
written), a 200 is a new download like any other.  So a full run, which fetches every article again, does not
download every attachment again.

Stats: ``gdcac/attachments/stored``, ``gdcac/attachments/not_modified``, ``gdcac/attachments/failed/<reason>``,
``gdcac/attachments/offsite``.  Settings: ``GDCAC_ATTACHMENTS_ENABLED``, ``GDCAC_FILES_STORE`` (default:
``files`` beside the archive, i.e. ``archive/files/``), ``GDCAC_ATTACHMENTS_MAX_SIZE``,
``GDCAC_ATTACHMENTS_REVALIDATE`` (default on; off downloads every attachment every time).

The signature table is a few lines and covers what government portals attach (PDF, OLE2 Word/Excel/
PowerPoint/WPS, OOXML, OFD, ZIP/RAR/7z, images, RTF, HTML); a dependency (``filetype``, ``puremagic``) would
tell no more about these and still not tell ``doc`` from ``xls`` inside an OLE2 container.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException
from scrapy.utils.defer import ensure_awaitable

from gdcac_crawler.archive import Archive
from gdcac_crawler.clock import utc_now
from gdcac_crawler.items import ArticleItem
from gdcac_crawler.provenance import conditional_headers, header_text

logger = logging.getLogger(__name__)

__all__ = ["AttachmentsPipeline", "UnsafePath", "safe_file_name", "sniff_type", "store_path"]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"{\\rtf", "rtf"),
)
_HTML_RE = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|script|style|div|p|center|h1)\b",
    re.I | re.S)


def sniff_type(body: bytes) -> str | None:
    """The type ``body`` is, from its leading bytes (and, for containers, what they hold): ``pdf``, ``doc``,
    ``xls``, ``ppt``, ``docx``, ``xlsx``, ``pptx``, ``ofd``, ``zip``, ``rar``, ``7z``, ``png``, ``jpg``, ``gif``,
    ``rtf``, ``html``, ``text``; ``None`` when nothing matches."""
    head = body[:2048]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(_OLE2):
        directory = body[: 1 << 20]
        for name, kind in (("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"),
                           ("PowerPoint Document", "ppt")):
            if name.encode("utf-16-le") in directory:
                return kind
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(prefix) for n in names):
                return kind
        if any(n.lower() == "ofd.xml" for n in names):
            return "ofd"
        return "zip"
    stripped = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_RE.match(stripped):
        return "html"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            try:
                head.decode("gb18030")
                return "text"
            except UnicodeDecodeError:
                return None
    return None


def _is_html_instead(expected: str | None, sniffed: str | None, content_type: str | None) -> bool:
    """Whether an HTML page came where a document (``expected``) was promised."""
    if expected in (None, "html", "htm"):
        return False
    if sniffed == "html":
        return True
    return sniffed in (None, "text") and content_type is not None and "html" in content_type.lower()


_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_MAX_NAME_BYTES = 180


def safe_file_name(name: str | None, url: str | None = None, kind: str | None = None) -> str:
    """A file name that can only name a file inside its folder: the original name (else the URL's last
    segment) with any directory part, control and reserved characters, and leading dots removed, at most
    180 bytes in UTF-8 (extension kept); ``attachment`` (plus the type's extension) when nothing is left."""
    raw = name or (unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if url else "")
    raw = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    clean = _UNSAFE_CHARS.sub("_", raw).strip().lstrip(".").strip()
    if not clean or clean in (".", ".."):
        clean = "attachment"
    stem, dot, ext = clean.rpartition(".")
    if not dot:
        stem, ext = clean, ""
    if not ext and kind:
        ext = kind
    ext = ext[:16]
    suffix = f".{ext}" if ext else ""
    while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    return (stem or "attachment") + suffix


class UnsafePath(ValueError):
    """A relative path that would leave the files store."""


def store_path(base: str | Path, relative: str) -> Path:
    """``base / relative`` resolved, or :class:`UnsafePath` when it would not lie inside ``base``."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise UnsafePath(f"unsafe attachment path {relative!r}")
    root = Path(base).resolve()
    target = root.joinpath(*parts).resolve()
    if target != root and root not in target.parents:
        raise UnsafePath(f"attachment path {relative!r} leaves the store {root}")
    return target


class AttachmentsPipeline(FilesPipeline):
    """Downloads article attachments into the files store; records every outcome on the item."""

    MEDIA_NAME = "attachment"

    def __init__(self, store_uri: str, *, crawler: Any, max_size: int) -> None:
        super().__init__(store_uri, crawler=crawler)
        self.max_size = max_size
        self.store_dir = getattr(self.store, "basedir", None)
        self.known: dict[str, dict[str, Any]] = {}
        """The files the archive holds, by attachment URL (read when the spider opens)."""

    def open_spider(self, spider: Any = None) -> None:
        settings = self.crawler.settings
        archive_path = settings.get("GDCAC_ARCHIVE_PATH")
        if settings.getbool("GDCAC_ATTACHMENTS_REVALIDATE") and archive_path and Path(archive_path).exists():
            archive = Archive(archive_path, readonly=True)
            try:
                self.known = archive.stored_attachments()
            except Exception as exc:  # an archive from before attachments: nothing known, all downloaded
                logger.info("attachments: no stored files read from %s (%s)", archive_path, exc)
            finally:
                archive.close()
        super().open_spider()

    def _known_file(self, url: str) -> dict[str, Any] | None:
        """The stored file of ``url`` when it can be revalidated: validators known, file still in the store."""
        known = self.known.get(url)
        if known is None or not (known.get("etag") or known.get("last_modified")) or self.store_dir is None:
            return None
        try:
            if not store_path(self.store_dir, known["path"]).is_file():
                return None
        except UnsafePath:
            return None
        return known

    @classmethod
    def from_crawler(cls, crawler: Any) -> AttachmentsPipeline:
        settings = crawler.settings
        if not settings.getbool("GDCAC_ATTACHMENTS_ENABLED"):
            raise NotConfigured("GDCAC_ATTACHMENTS_ENABLED is off")
        store = settings.get("GDCAC_FILES_STORE") or ""
        if not store:
            archive = settings.get("GDCAC_ARCHIVE_PATH")
            if not archive:
                raise NotConfigured("neither GDCAC_FILES_STORE nor GDCAC_ARCHIVE_PATH is set: attachments have "
                                    "nowhere to go")
            store = str(Path(archive).parent / "files")
        cls._update_stores(settings)
        return cls(store, crawler=crawler, max_size=settings.getint("GDCAC_ATTACHMENTS_MAX_SIZE"))

    def _stat(self, key: str) -> None:
        self.crawler.stats.inc_value(f"gdcac/attachments/{key}")

    # -- which attachments ------------------------------------------------------------------------------

    def _plan(self, item: Any) -> list[tuple[dict[str, Any], str | None]]:
        """``[(attachment, reason)]`` for every attachment with a URL: ``reason`` is ``None`` for one to fetch,
        else why it is not fetched."""
        if not isinstance(item, ArticleItem):
            return []
        profile = getattr(self.crawler.spider, "profile", None)
        plan = []
        seen: set[str] = set()
        for att in ItemAdapter(item).get("attachments") or []:
            url = att.get("url")
            if not url or url in seen:
                continue
            seen.add(url)
            offsite = profile is not None and not profile.is_same_site(url)
            plan.append((att, "offsite" if offsite else None))
        return plan

    def _request(self, url: str) -> Request:
        """The request for the attachment at ``url`` (from the mirror when the spider crawls one); conditional
        when the archive holds its file (:meth:`_known_file`)."""
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        fetch_url = profile.to_fetch_url(url, getattr(spider, "fetch_base", None)) if profile is not None else url
        meta = {"gdcac_kind": "attachment", "gdcac_attachment_url": url, "download_maxsize": self.max_size,
                "download_warnsize": 0}  # fmt: skip
        headers = {}
        known = self._known_file(url)
        if known is not None:
            meta["gdcac_attachment_known"] = known
            headers = conditional_headers(known)
        return Request(fetch_url, headers=headers, meta=meta)

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        return [self._request(att["url"]) for att, reason in self._plan(item) if reason is None]

    def media_to_download(self, request: Request, info: Any, *, item: Any = None) -> None:
        """Always download: the store is content-addressed, so the bytes decide where they go."""
        return None

    # -- one download -----------------------------------------------------------------------------------

    def file_path(self, request: Request, response: Any = None, info: Any = None, *, item: Any = None) -> str:
        """``<sha256[:2]>/<sha256>/<safe original name>`` of the downloaded bytes."""
        body = response.body if response is not None else b""
        digest = hashlib.sha256(body).hexdigest()
        att = self._attachment_for(request, item)
        name = safe_file_name(att.get("name"), att.get("url") or request.url, att.get("type"))
        return f"{digest[:2]}/{digest}/{name}"

    @staticmethod
    def _attachment_for(request: Request, item: Any) -> dict[str, Any]:
        url = request.meta.get("gdcac_attachment_url") or request.url
        for att in (ItemAdapter(item).get("attachments") or []) if item is not None else []:
            if att.get("url") == url:
                return att
        return {"url": url}

    async def media_downloaded(self, response: Any, request: Request, info: Any, *, item: Any = None) -> Any:
        """The outcome of one download: a stored file, or a failure with its reason (never raised, so that
        a site's broken attachment is recorded, not logged as a crawler error).

        The record (a dict of the ``attachment_files`` columns, ``path`` ``None`` for a failure) takes the place
        of Scrapy's ``FileInfo``; only :meth:`item_completed` reads it."""
        att = self._attachment_for(request, item)
        content_type = header_text(response.headers, "Content-Type")
        body = response.body or b""
        sniffed = sniff_type(body) if body else None
        record: dict[str, Any] = {
            "url": att.get("url") or request.url, "status": "failed", "error": None, "sha256": None,
            "size": len(body), "path": None, "content_type": content_type, "sniffed_type": sniffed,
            "checksum": None, "fetched_at": utc_now(),
            "etag": header_text(response.headers, "ETag"),
            "last_modified": header_text(response.headers, "Last-Modified"),
        }
        known = request.meta.get("gdcac_attachment_known")
        if response.status == 304 and known is not None:  # the stored file is current
            record.update({k: known.get(k) for k in ("sha256", "path", "size", "content_type", "sniffed_type")})
            record.update(status="not_modified", checksum=known.get("sha256"),
                          etag=record["etag"] or known.get("etag"),
                          last_modified=record["last_modified"] or known.get("last_modified"))  # fmt: skip
            return record
        if response.status != 200:
            record["error"] = f"HTTP {response.status}"
        elif not body:
            record["error"] = "empty"
        elif _is_html_instead(att.get("type"), sniffed, content_type):
            record["error"] = f"html-instead-of-{att.get('type')}"
            record["sha256"] = hashlib.sha256(body).hexdigest()
            logger.warning("attachment %s: an HTML page came where a %s was promised; not stored",
                           record["url"], att.get("type"))
        if record["error"]:
            return record
        path = self.file_path(request, response=response, info=info, item=item)
        try:
            if self.store_dir is not None:
                store_path(self.store_dir, path)
        except UnsafePath as exc:
            record["error"] = "unsafe-path"
            logger.error("attachment %s: %s", record["url"], exc)
            return record
        await ensure_awaitable(self.store.persist_file(path, io.BytesIO(body), info))
        digest = path.split("/")[1]
        self.inc_stats("downloaded")
        record.update(status="stored", sha256=digest, checksum=digest, path=path)
        return record

    def media_failed(self, failure: Any, request: Request, info: Any) -> NoReturn:
        """A download that got no answer (after retries) or was refused: raised, with the reason, so that
        :meth:`item_completed` records it."""
        if isinstance(failure.value, IgnoreRequest):
            super().media_failed(failure, request, info)
        message = failure.getErrorMessage() or failure.type.__name__
        if "maxsize" in message.lower() or "max size" in message.lower() or "cancelled" in message.lower():
            raise FileException("too-large")
        raise FileException(f"{failure.type.__name__}: {message}")

    # -- the item ---------------------------------------------------------------------------------------

    def item_completed(self, results: list, item: Any, info: Any) -> Any:
        """Every attachment's outcome into ``attachment_files`` (stored, failed with a reason, or offsite)."""
        if not isinstance(item, ArticleItem):
            return item
        outcomes = iter(results)
        files = []
        for att, reason in self._plan(item):
            record = {"url": att.get("url"), "name": att.get("name"), "type": att.get("type")}
            if reason is not None:
                record.update(status="failed", error=reason)
                self._stat(reason)
            else:
                ok, value = next(outcomes, (False, None))
                if ok and isinstance(value, dict):
                    record.update({k: v for k, v in value.items() if k != "checksum"})
                    record["url"] = att.get("url")
                else:
                    error = getattr(getattr(value, "value", None), "args", None)
                    record.update(status="failed", error=str(error[0]) if error else "download-failed")
                if record["status"] in ("stored", "not_modified"):
                    self._stat(record["status"])
                else:
                    reason = str(record.get("error") or "unknown").split(":")[0].strip().lower().replace(" ", "_")
                    self._stat(f"failed/{reason}")
            files.append(record)
        ItemAdapter(item)["attachment_files"] = files
        return item
