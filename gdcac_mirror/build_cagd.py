"""Build the mirror's second rendering ("cagd"): the same generated site as :mod:`gdcac_mirror.build`'s, on
the URL scheme of :mod:`gdcac_mirror.urls_cagd` and in the markup of :mod:`gdcac_mirror.templates_cagd`.

``build_cagd(out_dir)`` writes the home page, the section, every listing page (query pages under
:data:`~gdcac_mirror.urls_cagd.QUERY_DIR`), every article, image and attachment, ``robots.txt``,
``_headers.json`` (the GBK column's pages, listed with the UTF-8 ``Content-Type`` the server wrongly sends for
them) and ``manifest.json``.  The manifest has the schema of the first rendering's: its content truth (titles,
dates, sources, body paragraphs, attachment names, column paths) is taken from
:func:`gdcac_mirror.build.manifest_of` of the same site, and only what the rendering decides (URLs, paths,
listing placement, markup facts, encodings, traps of the markup) is replaced.  There is no second state.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gdcac_mirror import files
from gdcac_mirror import templates_cagd as tpl
from gdcac_mirror import urls_cagd as urls
from gdcac_mirror.build import (
    DEFAULT_HTML_TYPE,
    HEADERS_NAME,
    MANIFEST_NAME,
    Writer,
    manifest_of,
    prepare_dir,
)
from gdcac_mirror.content import BASE_URL, SECTION_NAME, Article, Column, Site, generate_site

RENDERING = "cagd"
LAYOUT = ("one article template: crumbs 您当前的位置：, div.article-hd > h2 and p.meta ('发布时间：…', '来源：…', "
          "【字号：大 中 小】), body div.article-bd#fontzoom > div.v_news_content, attachments div.attach (name as "
          "link text), div.article-tools (分享到, 打印本页, 关闭窗口); the GBK column's pages are GBK bytes with "
          "<meta http-equiv> charset=gb2312 under a Content-Type header that says utf-8")
CONTENT_TRAPS = frozenset({"image_alt_is_file_name", "image_file_name_line", "junk_meta_source",
                           "widget_words_in_prose", "attachment_without_href"})
"""Traps of the content (not of the first rendering's markup), which the second rendering keeps."""
GBK_TRAP = "gbk_bytes_under_utf8_header"


# --- manifest ----------------------------------------------------------------------------------------


def _placement(site: Site) -> dict[str, dict[str, Any]]:
    """Entry URL in the first rendering's manifest -> its place in this rendering's listings (same page
    numbers and positions, this rendering's listing path)."""
    out: dict[str, dict[str, Any]] = {}
    for col in site.columns:
        for page in range(1, col.pages + 1):
            for pos, e in enumerate(col.page_entries(page), start=1):
                out[e.url] = {"page": page, "position": pos, "path": urls.listing_path(col.spec, page)}
    return out


def _column_entry(base: dict[str, Any], col: Column, article_urls: dict[str, str]) -> dict[str, Any]:
    spec = col.spec
    pages = [{**p, "path": urls.listing_path(spec, p["page"]), "url": BASE_URL + urls.listing_path(spec, p["page"]),
              "entries": [{**e, "url": article_urls.get(e["url"], e["url"])} for e in p["entries"]]}
             for p in base["listing_pages"]]
    return {**base, "path": urls.column_path(spec), "url": BASE_URL + urls.column_path(spec),
            "channel": f"col{urls.COLUMN_IDS[spec.code]}", "pager": urls.pager_form(spec),
            "pages_limit": col.pages, "pager_last": col.pages, "listing_pages": pages}


def _files(base: dict[str, Any], art: Article, scheme: urls.CagdScheme) -> dict[str, Any]:
    images = [{**entry, "src": BASE_URL + scheme.image_path(art, im), "path": scheme.image_path(art, im)}
              for entry, im in zip(base["images"], art.images, strict=True)]
    attachments = []
    for entry, att in zip(base["attachments"], art.attachments, strict=True):
        path = scheme.attachment_path(art, att)
        attachments.append({**entry, "path": path, "url": BASE_URL + path if path else None, "link_text": att.name})
    return {"images": images, "attachments": attachments}


def _article_entry(base: dict[str, Any], art: Article, scheme: urls.CagdScheme,
                   placement: dict[str, dict[str, Any]]) -> dict[str, Any]:
    path = scheme.article_path(art)
    gbk = tpl.is_gbk(art.column)
    traps = {t for t in art.traps if t in CONTENT_TRAPS} | ({GBK_TRAP} if gbk else set())
    meta = {**base["meta"], "SiteDomain": tpl.SITE_DOMAIN, "ContentSource": tpl.meta_source(art)}
    return {**base, **_files(base, art, scheme), "path": path, "url": BASE_URL + path,
            "listing": placement[art.url], "source_raw": "来源：" + art.source, "meta": meta, "layout": RENDERING,
            "body_container": ".v_news_content", "breadcrumb_count": 1, "traps": sorted(traps),
            "encoding": "gbk" if gbk else "utf-8", "declared_header": "utf-8",
            "declared_meta": "gb2312" if gbk else "utf-8", "content_type": DEFAULT_HTML_TYPE}


def manifest_cagd(site: Site, scheme: urls.CagdScheme) -> dict[str, Any]:
    """The manifest of ``site`` in this rendering (what its ``manifest.json`` holds)."""
    base = manifest_of(site)
    by_id = {a.id: a for a in site.articles}
    article_urls = {a.url: BASE_URL + scheme.article_path(a) for a in site.articles}
    placement = _placement(site)
    articles = [_article_entry(e, by_id[e["id"]], scheme, placement) for e in base["articles"]]
    offsite = [{**o, "listing": placement[o["url"]]} for o in base["offsite"]]
    seed = next(a for a in articles if a["is_seed"])
    first = site.columns[0]
    return {
        **base,
        "generator": {**base["generator"], "rendering": RENDERING},
        "rendering": {"name": RENDERING, "layout": LAYOUT},
        "site": {**base["site"], "host": tpl.SITE_DOMAIN, "root_path": urls.HOME_PATH,
                 "section": {"code": f"col{urls.SECTION_ID}", "name": SECTION_NAME, "path": tpl.SECTION_PATH,
                             "url": BASE_URL + tpl.SECTION_PATH},
                 "not_mirrored_sections": [p for _, p in urls.NAV if p not in ("/", tpl.SECTION_PATH)]},
        "columns": [_column_entry(b, c, article_urls) for b, c in zip(base["columns"], site.columns, strict=True)],
        "articles": articles,
        "offsite": offsite,
        "counts": {**base["counts"], "articles_by_layout": {RENDERING: len(articles)},
                   "articles_by_encoding": dict(sorted(Counter(a["encoding"] for a in articles).items()))},
        "seed_article": {**base["seed_article"], "path": seed["path"], "url": seed["url"]},
        "not_found_examples": ["/zcfg/", "/zcfg/index.html", "/zcfg/zcjd/index.html",
                               urls.listing_path(first.spec, first.pages + 1), "/col/col1219/index.html",
                               "/v/2022/06/0001.html"],
    }


def file_headers_cagd(site: Site, scheme: urls.CagdScheme) -> dict[str, dict[str, str]]:
    """The GBK column's pages (listings and articles) with the ``Content-Type`` the server sends for them:
    ``text/html; charset=utf-8``, which is wrong for their bytes."""
    paths = [urls.listing_file(c.spec, n) for c in site.columns if tpl.is_gbk(c.spec) for n in range(1, c.pages + 1)]
    paths += [scheme.article_path(a) for a in site.articles if tpl.is_gbk(a.column)]
    return {p: {"Content-Type": DEFAULT_HTML_TYPE} for p in sorted(paths)}


# --- build -------------------------------------------------------------------------------------------


def _pages(site: Site, scheme: urls.CagdScheme) -> Iterator[tuple[str, bytes | str]]:
    """(root-relative file, content) of every file of the rendering."""
    specs = [c.spec for c in site.columns]
    yield urls.HOME_PATH, tpl.home_page(site.columns, scheme)
    yield "/robots.txt", tpl.ROBOTS_TXT
    yield tpl.SECTION_PATH, tpl.section_page(site.columns, scheme)
    for col in site.columns:
        for page in range(1, col.pages + 1):
            yield (urls.listing_file(col.spec, page),
                   tpl.page_bytes(tpl.listing_page(col, page, specs, scheme), col.spec))
    for art in site.articles:
        yield scheme.article_path(art), tpl.page_bytes(tpl.article_page(art, scheme), art.column)
        for image in art.images:
            yield scheme.image_path(art, image), files.png(image.number)
        for att in art.attachments:
            path = scheme.attachment_path(art, att)
            if path:
                yield path, files.attachment_bytes(att.ext, att.name, att.number)


def write_cagd(site: Site, out_dir: str | Path) -> dict[str, Any]:
    """Write ``site`` in this rendering into ``out_dir`` (emptied first, once every page has been rendered: a
    site the rendering cannot show, e.g. a character GBK lacks in the GBK column, leaves it untouched);
    return its manifest."""
    out = Path(out_dir)
    scheme = urls.CagdScheme(site)
    manifest = manifest_cagd(site, scheme)
    pages = dict(_pages(site, scheme))
    prepare_dir(out)
    w = Writer(out)
    for path, data in pages.items():
        w.write(path, data)
    (out / HEADERS_NAME).write_text(json.dumps(file_headers_cagd(site, scheme), ensure_ascii=False, sort_keys=True,
                                               indent=2) + "\n", encoding="utf-8")
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                                     encoding="utf-8")
    return manifest


def build_cagd(out_dir: str | Path, *, seed: int = 0) -> dict[str, Any]:
    """Build the standard site in this rendering into ``out_dir``; return its manifest.  Same bytes on every
    build (the output depends only on ``seed`` and the committed corpus)."""
    return write_cagd(generate_site(None, seed), out_dir)


__all__ = ["RENDERING", "build_cagd", "file_headers_cagd", "manifest_cagd", "write_cagd"]
