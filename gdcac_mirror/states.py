"""The mirror's second state: the same site a few days later, for incremental-crawl tests.

State 1 is the built site itself.  State 2 is derived from it deterministically (:func:`derive_state2`):

- one article's body edited (a sentence added to its second paragraph) — the third-newest non-seed article of
  政策解读 (``zcjd``);
- one article's title edited (``（2025年修订）`` appended) — the first article of 法律法规 (``flfg``) listing
  page 2;
- one article's source edited — the newest 规范性文件 (``gfxwj``) article of a plain variant;
- one article added at the top of 政策解读 (published 2025-01-06 09:30), so every 政策解读 listing page shifts by
  one entry (and the column gains a page when its item count passes a multiple of the page size);
- one article removed — the third-newest remaining article of 规范性文件: its page answers 404 and it leaves
  its listing;
- 法律法规 listing page 1 reordered: two adjacent entries swap places (the first adjacent pair that share a
  listed date, else positions 2 and 3).

:func:`write_state2` renders the pages that could differ, compares them with the state-1 files, and writes
only the differing ones under ``<root>/_state2/`` plus ``<root>/manifest_state2.json``: a full manifest of
state 2 (same schema as ``manifest.json``) with two more keys, ``changes`` (what changed, for tests) and
``overlay`` (what the server needs).  :class:`StateOverlay` is the server's view of that overlay.

``changes`` holds ``new``, ``changed`` (each with its ``field``: ``body_paragraphs``, ``title`` or ``source``,
and the values ``before`` and ``after``), ``removed`` and ``reordered`` (listing path, 1-based ``positions``,
the two URLs ``before`` and ``after``), then ``pages``: ``new``, ``changed`` and ``removed`` list every file
whose answer differs between the states (``listings_changed``: those of them that are listing, section or
home pages), and ``counts``.

Pages changed or added in state 2 carry a ``Last-Modified`` of :data:`STATE2_MODIFIED` (the new article: its
publish time), so both validators of a changed page change; every other file keeps its bytes, ``ETag`` and
``Last-Modified``.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from gdcac_mirror import templates
from gdcac_mirror.build import http_date, manifest_of
from gdcac_mirror.content import (
    BEIJING,
    LAYOUT_TRAPS,
    SECTION_CODE,
    Article,
    Block,
    Column,
    OffsiteItem,
    Site,
    load_sentences,
)

STATE2_DIR = "_state2"
"""The overlay directory inside a built mirror (never served as such)."""
STATE2_MANIFEST_NAME = "manifest_state2.json"
STATE2_MODIFIED = datetime(2025, 1, 6, 12, 0, tzinfo=BEIJING)
"""When the state-2 edits happened: ``Last-Modified`` of every changed page."""
NEW_ARTICLE_PUBLISHED = datetime(2025, 1, 6, 9, 30, tzinfo=BEIJING)
BODY_EDIT_SENTENCE = "（2025年1月6日更新：本文相关条款的施行日期已作补充说明。）"
TITLE_EDIT_SUFFIX = "（2025年修订）"
NEW_SOURCES = ("南方日报", "人民网")
NEW_ARTICLE_TITLE = "国家网信办有关负责人就《人工智能生成合成内容标识办法》施行情况答记者问"
NEW_ARTICLE_SOURCE = "“网信广东”微信公众号"
NEW_ARTICLE_HEADINGS = ("一、起草背景", "二、主要内容", "三、下一步工作")
PLAIN_VARIANTS = ("seed", "platform", "zoom")


class StateUnavailable(ValueError):
    """The site is too small for the state-2 edits (some column lacks the articles they need)."""


# --- deriving state 2 ----------------------------------------------------------------------------------


@dataclass
class Changes:
    """What :func:`derive_state2` did (articles are state-2 objects; ``removed`` is the state-1 one)."""

    body_edit: Article
    body_before: list[str]
    title_edit: Article
    title_before: str
    source_edit: Article
    source_before: str
    added: Article
    removed: Article
    reordered: tuple[str, int, int]
    """(column code, first position, second position) of the swap on listing page 1, 1-based."""

    @property
    def edits(self) -> tuple[Article, Article, Article]:
        """The three edited articles: body, title, source."""
        return self.body_edit, self.title_edit, self.source_edit

    @property
    def edited_ids(self) -> set[int]:
        return {a.id for a in self.edits}


def _column(site: Site, code: str) -> Column:
    try:
        return site.column(code)
    except KeyError:
        raise StateUnavailable(f"no column {code!r}") from None


def _new_article(site: Site, col: Column) -> Article:
    """The article state 2 adds at the top of ``col`` (its body drawn from the corpus with its own seed)."""
    rng = random.Random(f"gdcac-mirror-state2:{site.seed}")
    sentences = load_sentences()
    titles = {a.title for a in site.articles}
    title = NEW_ARTICLE_TITLE
    while title in titles:
        title += "（续）"
    blocks = [Block("para", "".join(rng.sample(sentences, 2)))]
    for heading in NEW_ARTICLE_HEADINGS:
        blocks.append(Block("heading", heading))
        blocks.extend(Block("para", "".join(rng.sample(sentences, rng.randint(1, 3)))) for _ in range(2))
    art = Article(column=col.spec, variant="seed", layout="seed", published=NEW_ARTICLE_PUBLISHED, title=title,
                  id=max(a.id for a in site.articles) + 173, source=NEW_ARTICLE_SOURCE,
                  meta_source=NEW_ARTICLE_SOURCE, blocks=blocks, traps=list(LAYOUT_TRAPS["seed"]))
    return art


def _swap_positions(entries: list[Article | OffsiteItem], per_page: int) -> tuple[int, int]:
    """Which two adjacent entries of page 1 swap (0-based): the first pair of articles sharing a date, else
    the second and third."""
    page = entries[:per_page]
    for i in range(len(page) - 1):
        a, b = page[i], page[i + 1]
        if isinstance(a, Article) and isinstance(b, Article) and a.published.date() == b.published.date():
            return i, i + 1
    if len(page) < 3:
        raise StateUnavailable("法律法规 page 1 holds fewer than 3 entries")
    return 1, 2


def _clone(site: Site) -> Site:
    """A copy of ``site`` with its own columns and lists (the articles themselves are shared)."""
    columns = [Column(c.spec, c.per_page, list(c.articles), list(c.offsite)) for c in site.columns]
    return Site(columns=columns, scale=site.scale, seed=site.seed)


def _own(col: Column, art: Article) -> Article:
    """Replace ``art`` in ``col`` by a copy that can be edited without touching state 1."""
    mine = copy.copy(art)
    mine.blocks = [copy.copy(b) for b in art.blocks]
    mine.traps = list(art.traps)
    col.articles[col.articles.index(art)] = mine
    return mine


def derive_state2(site: Site) -> tuple[Site, Changes]:
    """State 2 of ``site`` (``site`` itself is not touched) and what changed."""
    s2 = _clone(site)
    zcjd, flfg, gfxwj = _column(s2, "zcjd"), _column(s2, "flfg"), _column(s2, "gfxwj")
    # pick the targets (columns' articles are newest first)
    jd_candidates = [a for a in zcjd.articles if not a.is_seed and sum(b.kind == "para" for b in a.blocks) >= 2]
    if len(jd_candidates) < 3 or len(flfg.articles) < 2 or len(gfxwj.articles) < 4:
        raise StateUnavailable("the site is too small for the state-2 edits")
    body_edit = _own(zcjd, jd_candidates[2])
    title_edit = _own(flfg, flfg.articles[min(flfg.per_page, len(flfg.articles) - 1)])
    source = next((a for a in gfxwj.articles if a.variant in PLAIN_VARIANTS), None)
    if source is None:
        raise StateUnavailable("规范性文件 holds no article of a plain variant")
    source_edit = _own(gfxwj, source)
    removed = [a for a in gfxwj.articles if a is not source_edit][2]
    # body: a sentence added to the second paragraph
    body_before = list(body_edit.body_paragraphs)
    paragraph = [b for b in body_edit.blocks if b.kind == "para"][1]
    paragraph.text += BODY_EDIT_SENTENCE
    # title
    title_before = title_edit.title
    title_edit.title += TITLE_EDIT_SUFFIX
    # source (the meta tag follows, as the CMS writes both from one field)
    source_before = source_edit.source
    source_edit.source = next(s for s in NEW_SOURCES if s != source_before)
    source_edit.meta_source = source_edit.source
    # one added, one removed
    added = _new_article(s2, zcjd)
    zcjd.articles.insert(0, added)
    gfxwj.articles.remove(removed)
    # the reorder: two adjacent entries of 法律法规 page 1 swap places
    entries = list(flfg.entries)
    i, j = _swap_positions(entries, flfg.per_page)
    entries[i], entries[j] = entries[j], entries[i]
    flfg.__dict__["entries"] = entries
    changes = Changes(body_edit=body_edit, body_before=body_before, title_edit=title_edit, title_before=title_before,
                      source_edit=source_edit, source_before=source_before, added=added, removed=removed,
                      reordered=(flfg.spec.code, i + 1, j + 1))
    return s2, changes


# --- writing the overlay -------------------------------------------------------------------------------


def _page_paths(site: Site) -> set[str]:
    """The paths of :func:`_pages` (without rendering them)."""
    return {"/index.html", f"/{SECTION_CODE}/index.html",
            *(Column.page_path(c.spec.code, page) for c in site.columns for page in range(1, c.pages + 1))}


def _pages(site: Site) -> dict[str, bytes]:
    """Every page of ``site`` whose bytes can depend on the state: root, section and listing pages."""
    specs = [c.spec for c in site.columns]
    pages = {"/index.html": templates.root_page(site.columns),
             f"/{SECTION_CODE}/index.html": templates.section_page(site.columns)}
    for col in site.columns:
        for page in range(1, col.pages + 1):
            pages[Column.page_path(col.spec.code, page)] = templates.listing_page(col, page, specs)
    return {path: text.encode("utf-8") for path, text in pages.items()}


def _brief(art: Article) -> dict[str, Any]:
    return {"id": art.id, "path": art.path, "url": art.url, "column": art.column.code, "title": art.title}


def write_state2(site: Site, out_dir: str | Path) -> dict[str, Any] | None:
    """Write the state-2 overlay of ``site`` (already written as state 1 into ``out_dir``) and return the
    state-2 manifest; ``None`` (and nothing written) when the site is too small for the edits."""
    try:
        s2, ch = derive_state2(site)
    except StateUnavailable:
        return None
    out = Path(out_dir)
    old_pages = _page_paths(site)
    candidates = _pages(s2)
    articles_rendered = {a.path for a in (*ch.edits, ch.added)}
    for art in (*ch.edits, ch.added):
        candidates[art.path] = templates.article_bytes(art)  # in the article's own encoding
    modified = http_date(STATE2_MODIFIED)
    new_paths: list[str] = []
    changed_paths: list[str] = []
    files: dict[str, dict[str, str]] = {}
    for path, data in sorted(candidates.items()):
        old = out / path.lstrip("/")
        if old.is_file():
            if old.read_bytes() == data:
                continue
            changed_paths.append(path)
        else:
            new_paths.append(path)
        target = out / STATE2_DIR / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files[path] = {"last_modified": http_date(ch.added.published) if path == ch.added.path else modified}
    removed_paths = sorted({ch.removed.path} | (old_pages - set(candidates)))
    unchanged_edits = [a.path for a in ch.edits if a.path not in changed_paths]
    if unchanged_edits:
        raise RuntimeError(f"state-2 edits left these pages unchanged: {unchanged_edits}")
    manifest = manifest_of(s2)
    for entry in manifest["articles"]:
        if entry["id"] in ch.edited_ids:
            entry["last_modified"] = modified
    manifest["generator"]["state"] = 2
    manifest["not_found_examples"].append(ch.removed.path)
    code, first, second = ch.reordered
    listing = Column.page_path(code, 1)
    swapped = next(p for c in manifest["columns"] if c["code"] == code for p in c["listing_pages"] if p["page"] == 1)
    after_urls = [swapped["entries"][first - 1]["url"], swapped["entries"][second - 1]["url"]]
    changed = [
        {**_brief(ch.body_edit), "field": "body_paragraphs", "before": ch.body_before,
         "after": ch.body_edit.body_paragraphs},
        {**_brief(ch.title_edit), "field": "title", "before": ch.title_before, "after": ch.title_edit.title},
        {**_brief(ch.source_edit), "field": "source", "before": ch.source_before, "after": ch.source_edit.source},
    ]
    listing_changed = sorted(p for p in changed_paths + new_paths if p not in articles_rendered)
    manifest["changes"] = {
        "from_state": 1,
        "to_state": 2,
        "modified_at": STATE2_MODIFIED.isoformat(),
        "new": [_brief(ch.added)],
        "changed": changed,
        "removed": [_brief(ch.removed)],
        "reordered": [{"column": code, "path": listing, "url": swapped["url"], "positions": [first, second],
                       "before": [after_urls[1], after_urls[0]], "after": after_urls}],
        "pages": {"new": new_paths, "changed": changed_paths, "removed": removed_paths,
                  "listings_changed": listing_changed},
        "counts": {"new": 1, "changed": len(changed), "removed": 1, "reordered_listings": 1,
                   "unchanged_articles": len(site.articles) - len(changed) - 1,
                   "pages_new": len(new_paths), "pages_changed": len(changed_paths),
                   "pages_removed": len(removed_paths)},
    }
    manifest["overlay"] = {"dir": STATE2_DIR, "files": files, "removed": removed_paths}
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    (out / STATE2_MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


# --- serving -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateOverlay:
    """The server's view of a built mirror's state-2 overlay."""

    directory: Path
    """``<root>/_state2``."""
    files: dict[str, datetime]
    """Root-relative path (``/zcfg/zcjd/index.html``) -> its state-2 ``Last-Modified``."""
    removed: frozenset[str]
    """Paths that answer 404 in state 2."""

    @classmethod
    def load(cls, root: str | Path) -> StateOverlay | None:
        """The overlay of the mirror in ``root``, or ``None`` if it was built without one."""
        manifest = Path(root) / STATE2_MANIFEST_NAME
        if not manifest.is_file():
            return None
        overlay = json.loads(manifest.read_text(encoding="utf-8"))["overlay"]
        return cls(directory=Path(root) / overlay["dir"],
                   files={p: parsedate_to_datetime(v["last_modified"]) for p, v in overlay["files"].items()},
                   removed=frozenset(overlay["removed"]))

    def lookup(self, path: str) -> tuple[str, Path | None, datetime | None]:
        """What state 2 does with root-relative file ``path``: ``("removed", None, None)``,
        ``("overlay", file, last_modified)`` or ``("base", None, None)`` (serve the state-1 file)."""
        if path in self.removed:
            return "removed", None, None
        if path in self.files:
            return "overlay", self.directory / path.lstrip("/"), self.files[path]
        return "base", None, None


__all__ = ["STATE2_DIR", "STATE2_MANIFEST_NAME", "STATE2_MODIFIED", "StateOverlay", "StateUnavailable",
           "derive_state2", "write_state2"]
