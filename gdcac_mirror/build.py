"""Build the mirror: write every page and file of a generated site into a directory, with its manifest.

``build_site(out_dir)`` writes the standard mirror (the one committed under ``gdcac_mirror/site/``);
``build_site(out_dir, scale=N)`` a benchmark mirror of about N articles.  The manifest (``manifest.json``)
is the truth that tests compare the crawler against: every column, listing page, article (with the exact
body paragraphs a correct extractor must produce) and off-site listing item.  Every build also writes the
site's second state as an overlay (``_state2/`` and ``manifest_state2.json``, see
:mod:`gdcac_mirror.states`); the state-1 files do not depend on it.  ``_headers.json`` holds the
response headers of the files not served with their extension's default (the legacy-encoded pages of
:mod:`gdcac_mirror.legacy`); the server reads it.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from gdcac_mirror import files, templates
from gdcac_mirror.content import (
    BASE_URL,
    FIXED_LAST_MODIFIED,
    HEADER_LINES,
    SECTION_CODE,
    SECTION_NAME,
    SITE_DOMAIN,
    SITE_NAME,
    VARIANTS,
    Article,
    Column,
    Site,
    entity_quotes,
    generate_site,
)

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
HEADERS_NAME = "_headers.json"
"""The sidecar of per-file response headers: ``{"/zcfg/…/post_N.html": {"Content-Type": "…"}}`` for the files
that are not served with their extension's default (the legacy-encoded pages); never served itself."""
DEFAULT_HTML_TYPE = "text/html; charset=utf-8"


def http_date(dt: datetime) -> str:
    """An HTTP date (``Wed, 22 Jun 2022 02:08:00 GMT``)."""
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def prepare_dir(out: Path) -> None:
    """Empty ``out`` (creating it), refusing to touch a non-empty directory that is not a mirror."""
    if out.exists():
        if not out.is_dir():
            raise NotADirectoryError(f"not a directory: {out}")
        entries = list(out.iterdir())
        if entries and not (out / MANIFEST_NAME).is_file():
            raise FileExistsError(f"refusing to overwrite {out}: not empty and holds no {MANIFEST_NAME}")
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)


class Writer:
    """Writes files under a root, creating directories once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dirs: set[Path] = set()
        self.count = 0

    def write(self, path: str, data: bytes | str) -> None:
        target = self.root / path.lstrip("/")
        if target.parent not in self.dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(target.parent)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.count += 1


# --- manifest ------------------------------------------------------------------------------------------


def _source_raw(art: Article) -> str:
    """The source line as a parser reads it (label included, entities decoded once)."""
    value = entity_quotes(art.source) if art.variant == "escaped_source" else art.source
    label = {"seed": "来源:", "platform": "信息来源：", "zoom": "来源："}[art.layout]
    return label + value


def _article_entry(art: Article, listing: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": art.id,
        "path": art.path,
        "url": art.url,
        "column": art.column.code,
        "column_name": art.column.name,
        "column_path": [SECTION_NAME, art.column.name],
        "title": art.title,
        "published": art.published.isoformat(),
        "published_text": art.published_text,
        "listed_date": art.published.strftime("%Y-%m-%d"),
        "listing": listing,
        "source": art.source,
        "source_raw": _source_raw(art),
        "meta": {
            "SiteName": SITE_NAME, "SiteDomain": SITE_DOMAIN, "ColumnName": art.column.name,
            "ColumnType": art.column.name, "ArticleTitle": art.title,
            "PubDate": art.published.strftime("%Y-%m-%d %H:%M:%S"), "ContentSource": art.meta_source,
        },
        "variant": art.variant,
        "layout": art.layout,
        "body_container": "#zoom" if art.layout == "zoom" else "#content1",
        "breadcrumb_count": 2 if art.layout == "seed" else 1,
        "traps": sorted(set(art.traps)),
        "is_seed": art.is_seed,
        "images": [{"src": im.url, "path": im.path, "alt": im.alt, "caption": im.caption,
                    "filename_line": im.filename_line} for im in art.images],
        "attachments": [{"url": a.url, "path": a.path, "name": a.name, "type": a.ext, "link_text": a.link_text}
                        for a in art.attachments],
        "headings": art.headings,
        "body_paragraphs": art.body_paragraphs,
        "last_modified": http_date(art.published),
        "encoding": art.encoding,
        "declared_header": art.charset_header,
        "declared_meta": art.charset_meta.lower() if art.charset_meta else None,
        "content_type": art.content_type,
    }


def manifest_of(site: Site) -> dict[str, Any]:
    """The manifest of ``site`` (what ``manifest.json`` holds)."""
    columns: list[dict[str, Any]] = []
    placement: dict[int, dict[str, Any]] = {}
    offsite_place: dict[str, dict[str, Any]] = {}
    for col in site.columns:
        pages = []
        for page in range(1, col.pages + 1):
            path = Column.page_path(col.spec.code, page)
            entries = []
            for pos, e in enumerate(col.page_entries(page), start=1):
                where = {"page": page, "position": pos, "path": path}
                if isinstance(e, Article):
                    placement[e.id] = where
                    entries.append({"url": e.url, "title": e.title, "date": f"{e.published:%Y-%m-%d}",
                                    "offsite": False, "id": e.id})
                else:
                    offsite_place[e.url] = where
                    entries.append({"url": e.url, "title": e.title, "date": f"{e.published:%Y-%m-%d}",
                                    "offsite": True})
            pages.append({"page": page, "path": path, "url": BASE_URL + path, "entries": entries})
        columns.append({
            "code": col.spec.code, "name": col.spec.name, "path": col.spec.path, "url": BASE_URL + col.spec.path,
            "per_page": col.per_page, "total_items": len(col.entries), "article_count": len(col.articles),
            "offsite_count": len(col.offsite), "pages": col.pages, "pages_limit": col.spec.pages_limit,
            "pager_last": col.pager_last, "listing_pages": pages,
        })
    articles = site.articles
    offsite = [{"url": o.url, "title": o.title, "date": f"{o.published:%Y-%m-%d}", "column": o.column.code,
                "listing": offsite_place[o.url]} for o in site.offsite]
    seed = next(a for a in articles if a.is_seed)
    n_images = sum(len(a.images) for a in articles)
    n_attachments = sum(1 for a in articles for x in a.attachments if x.path)
    return {
        "generator": {"module": "gdcac_mirror", "manifest_version": MANIFEST_VERSION,
                      "scale": site.scale, "seed": site.seed},
        "site": {
            "base_url": BASE_URL, "host": SITE_DOMAIN, "site_name": SITE_NAME, "header_lines": list(HEADER_LINES),
            "root_path": "/index.html", "robots_path": "/robots.txt",
            "section": {"code": SECTION_CODE, "name": SECTION_NAME, "path": f"/{SECTION_CODE}/index.html",
                        "url": f"{BASE_URL}/{SECTION_CODE}/"},
            "not_mirrored_sections": [p for _, p in templates.OTHER_SECTIONS if not p.startswith(f"/{SECTION_CODE}/")],
            "default_last_modified": http_date(FIXED_LAST_MODIFIED),
        },
        "variants": VARIANTS,
        "columns": columns,
        "articles": [_article_entry(a, placement[a.id]) for a in articles],
        "offsite": offsite,
        "seed_article": {"id": seed.id, "path": seed.path, "url": seed.url, "text": "corpus/seed_article.txt"},
        "not_found_examples": [
            Column.page_path(site.columns[0].spec.code, site.columns[0].pages + 1),
            "/wxdt/index.html", f"/{SECTION_CODE}/nosuchcolumn/index.html",
            f"/{SECTION_CODE}/{site.columns[0].spec.code}/content/post_1000000.html",
        ],
        "counts": {
            "columns": len(site.columns),
            "articles": len(articles),
            "offsite": len(offsite),
            "listing_pages": sum(c.pages for c in site.columns),
            "images": n_images,
            "attachments": n_attachments,
            "articles_by_column": {c.spec.code: len(c.articles) for c in site.columns},
            "articles_by_variant": dict(sorted(Counter(a.variant for a in articles).items())),
            "articles_by_layout": dict(sorted(Counter(a.layout for a in articles).items())),
            "articles_by_encoding": dict(sorted(Counter(a.encoding for a in articles).items())),
        },
    }


def file_headers(site: Site) -> dict[str, dict[str, str]]:
    """The per-file response headers of ``site`` (what ``_headers.json`` holds): the ``Content-Type`` of
    every article not in UTF-8 or not served as ``text/html; charset=utf-8``."""
    return {a.path: {"Content-Type": a.content_type} for a in site.articles
            if a.encoding != "utf-8" or a.content_type != DEFAULT_HTML_TYPE}


# --- build ---------------------------------------------------------------------------------------------


def write_site(site: Site, out_dir: str | Path, *, states: bool = True) -> dict[str, Any]:
    """Write ``site`` into ``out_dir`` (emptied first) and return its manifest; with ``states`` (the default)
    also the overlay of its second state (:mod:`gdcac_mirror.states`)."""
    out = Path(out_dir)
    prepare_dir(out)
    w = Writer(out)
    specs = [c.spec for c in site.columns]
    w.write("/index.html", templates.root_page(site.columns))
    w.write("/robots.txt", templates.ROBOTS_TXT)
    w.write(f"/{SECTION_CODE}/index.html", templates.section_page(site.columns))
    for col in site.columns:
        for page in range(1, col.pages + 1):
            w.write(Column.page_path(col.spec.code, page), templates.listing_page(col, page, specs))
    for art in site.articles:
        w.write(art.path, templates.article_bytes(art))
        for image in art.images:
            w.write(image.path, files.png(image.number))
        for att in art.attachments:
            if att.path:
                w.write(att.path, files.attachment_bytes(att.ext, att.name, att.number))
    (out / HEADERS_NAME).write_text(json.dumps(file_headers(site), ensure_ascii=False, sort_keys=True, indent=2)
                                    + "\n", encoding="utf-8")
    manifest = manifest_of(site)
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    (out / MANIFEST_NAME).write_text(text, encoding="utf-8")
    if states:
        from gdcac_mirror.states import write_state2

        write_state2(site, out)
    return manifest


def build_site(out_dir: str | Path, *, scale: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Build the mirror into ``out_dir`` and return its manifest (also written as ``out_dir/manifest.json``).

    ``scale=None`` builds the standard mirror; ``scale=N`` a benchmark mirror of about N same-site articles.
    The output depends only on ``scale``, ``seed`` and the committed corpus: same bytes on every build.
    """
    if scale is not None and scale < 1:
        raise ValueError("scale must be a positive number of articles")
    return write_site(generate_site(scale, seed), out_dir)


__all__ = ["DEFAULT_HTML_TYPE", "HEADERS_NAME", "MANIFEST_NAME", "Writer", "build_site", "file_headers", "http_date",
           "manifest_of", "prepare_dir", "write_site"]
