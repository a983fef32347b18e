"""Cleaning: from an article's raw fields to the archived ones (the clean pipeline's work).

:func:`clean_article` decodes the title and the source, takes the source's label off (or the ``ContentSource``
meta tag where the page shows no source, unless it is junk), and keeps boilerplate out of the body:
:func:`clean_body_lines` decides which extracted lines are furniture — the site header, breadcrumbs,
font-size, share and print widgets, footers, and image file names — and :func:`drop_lines_from_html` takes
the same lines out of the body's HTML.  Widget phrases are removed only as whole lines at the body's edges,
so the same words inside prose stay.  Each kind of line is a rule of the catalogue
(:mod:`~gdcac_crawler.extract.rules`), which :func:`~gdcac_crawler.extract.rules.rules_disabled` switches off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, overload

from lxml import etree
from lxml import html as lxml_html

from gdcac_crawler.extract.dom import LINE_BREAKING_TAGS, drop_tree, text_content
from gdcac_crawler.extract.results import ArticleFields, CleanedArticle
from gdcac_crawler.extract.rules import rule_on
from gdcac_crawler.extract.text import decode_entities, is_file_name, normalise_meta, normalise_space
from gdcac_crawler.extract.vocabulary import (
    BARE_CRUMB_RE,
    CRUMB_LABEL_RE,
    EDITOR_LINE_RE,
    FONT_WIDGET_RE,
    GENERIC_JUNK_SOURCES,
    NEXT_LABEL_RE,
    RELATED_LABEL_LINE_RE,
    SOURCE_LABEL_RE,
    WIDGET_LINE_RE,
)
from gdcac_crawler.profiles.base import Profile


def boilerplate_line(line: str, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = (),
                     phrases: Iterable[str] = ()) -> bool:
    """Whether a whole line is page furniture rather than article text (each kind subject to its rule)."""
    if rule_on("breadcrumb") and (CRUMB_LABEL_RE.match(line) or BARE_CRUMB_RE.match(line)):
        return True
    if rule_on("font_size_widget") and FONT_WIDGET_RE.match(line):
        return True
    if rule_on("page_widgets") and (WIDGET_LINE_RE.match(line) or RELATED_LABEL_LINE_RE.match(line)
                                    or line in phrases):
        return True
    if rule_on("site_header") and line in header_lines:
        return True
    return rule_on("site_footer") and any(line.startswith(m) for m in footer_markers)


def clean_body_lines(lines: list[str], *, header_lines: Iterable[str] = (), footer_markers: Iterable[str] = (),
                     image_names: Iterable[str] = (), phrases: Iterable[str] = ()) -> list[str]:
    """The body's lines with boilerplate removed.

    * entities left by double escaping are decoded and white space normalised; empty lines go;
    * lines equal to an image's file name (or shaped like one) go wherever they stand;
    * header, breadcrumb, widget and footer lines (and the profile's own boilerplate ``phrases``) go only
      from the leading and trailing runs of the body: the same words inside the article's prose are kept.
    """
    return clean_normalised_lines([normalise_space(decode_entities(raw)) for raw in lines], header_lines=header_lines,
                                  footer_markers=footer_markers, image_names=image_names, phrases=phrases)


def clean_normalised_lines(lines: list[str], *, header_lines: Iterable[str], footer_markers: Iterable[str],
                           image_names: Iterable[str], phrases: Iterable[str]) -> list[str]:
    """:func:`clean_body_lines` of lines already decoded and normalised."""
    drop_files = rule_on("filename_images")
    names = {n for n in image_names if n} if drop_files else set()
    drop_empty = rule_on("empty_paragraphs")
    out = []
    for line in lines:
        if not line:
            if drop_empty:
                continue
        elif line in names or (drop_files and is_file_name(line)):
            continue
        out.append(line)
    header = tuple(header_lines)
    footer = tuple(footer_markers)
    extra = frozenset(phrases)
    start, end = 0, len(out)
    while start < end and boilerplate_line(out[start], header, footer, extra):
        start += 1
    while end > start and boilerplate_line(out[end - 1], header, footer, extra):
        end -= 1
    return out[start:end]


_FULL_HTML_RE = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_META_CONTENT_TYPE_RE = re.compile(r'<meta http-equiv="Content-Type"[^>]*>')


def drop_lines_from_html(body_html: str, dropped: set[str]) -> str:
    """Remove from ``body_html`` the text-only line-breaking elements (paragraphs, list items, cells …) whose
    whole text is one of the ``dropped`` lines."""
    if not body_html or not dropped:
        return body_html
    if _FULL_HTML_RE.match(body_html):
        return _drop_lines_lxml_html(body_html, dropped)
    # What lxml.html's fragment_fromstring(create_parent="div") parses, in plain lxml elements (see
    # parse_html): the fragment wrapped in <html><body>, the body standing in for the created <div>.
    doc = etree.fromstring(f"<html><body>{body_html}</body></html>", etree.HTMLParser())
    bodies = [child for child in doc if child.tag == "body"]
    if len(bodies) != 1 or bodies[0].attrib:
        return _drop_lines_lxml_html(body_html, dropped)
    fragment = bodies[0]
    for el in list(fragment.iter(*LINE_BREAKING_TAGS)):
        if el is fragment:
            continue
        if normalise_space(decode_entities(text_content(el))) not in dropped or el.getparent() is None:
            continue
        if next(el.iter("img"), None) is None:
            drop_tree(el)  # keeps its tail text
    text = fragment.text if fragment.text and fragment.text.strip() else ""
    fragment.text = None
    inner = etree.tostring(fragment, method="html", encoding="unicode")
    if not (inner.startswith("<body>") and inner.endswith("</body>")):
        return _drop_lines_lxml_html(body_html, dropped)
    inner = inner[len("<body>"):-len("</body>")]
    if "<meta" in inner:
        inner = _META_CONTENT_TYPE_RE.sub("", inner)
    return (text + inner).strip()


def _drop_lines_lxml_html(body_html: str, dropped: set[str]) -> str:
    """:func:`drop_lines_from_html` with ``lxml.html``'s fragment parsing (what the fast path must equal)."""
    fragment = lxml_html.fragment_fromstring(body_html, create_parent="div")
    for el in list(fragment.iter()):
        if el is fragment or not isinstance(el.tag, str) or el.tag.lower() not in LINE_BREAKING_TAGS:
            continue
        if el.find(".//img") is not None:
            continue
        if el.getparent() is not None and normalise_space(decode_entities(el.text_content())) in dropped:
            el.drop_tree()  # keeps its tail text
    inner = (fragment.text or "") + "".join(
        lxml_html.tostring(child, encoding="unicode") for child in fragment
    )
    return inner.strip()


def clean_source(source_raw: str | None, meta: Mapping[str, str], profile: Profile) -> tuple[str | None, str | None]:
    """The source without its label, entities decoded; the meta tag ``ContentSource`` when the page shows no
    source line, unless its value is junk (an editor's account, the site's own name).  ``(source, method)``."""
    if source_raw:
        value = NEXT_LABEL_RE.sub("", SOURCE_LABEL_RE.sub("", normalise_meta(decode_entities(source_raw)) or ""))
        value = value.strip()
        if value and not _is_junk_source(value, profile, meta):
            return value, "profile:info"
    candidate = normalise_meta(decode_entities(meta.get("ContentSource", ""))) or ""
    if candidate and not _is_junk_source(candidate, profile, meta):
        return candidate, "meta:ContentSource"
    return None, None


def _is_junk_source(value: str, profile: Profile, meta: Mapping[str, str] | None = None) -> bool:
    """Whether a source value says nothing: an editor's account name, the site's own name (its profile's
    patterns, or the page's ``SiteName``), or a placeholder such as 本网."""
    if meta and meta.get("SiteName") and value == meta["SiteName"]:
        return True
    return any(re.search(pattern, value, re.I) for pattern in (*profile.junk_sources, *GENERIC_JUNK_SOURCES))


@overload
def clean_article(fields: ArticleFields, profile: Profile) -> CleanedArticle: ...
@overload
def clean_article(fields: Mapping[str, Any], profile: Profile) -> dict[str, Any]: ...


def clean_article(fields: Mapping[str, Any], profile: Profile) -> Any:
    """The cleaned fields of an article: body_text without boilerplate, decoded title and source.

    Takes and returns plain dicts (the clean pipeline applies it to items through ``ItemAdapter``): the
    fields of :func:`~gdcac_crawler.extract.article.extract_article` give a :class:`CleanedArticle`; any
    subset that holds the fields cleaning reads gives those fields cleaned.
    """
    out = dict(fields)
    methods = dict(out.get("methods") or {})
    if out.get("title"):
        out["title"] = normalise_meta(decode_entities(out["title"]))
    source, method = clean_source(out.get("source_raw"), out.get("meta") or {}, profile)
    out["source"] = source
    if method:
        previous = methods.get("source")
        methods["source"] = previous if (method == "profile:info" and previous) else method
    else:
        methods.pop("source", None)
    image_names = [img.get("alt") for img in out.get("images") or [] if img.get("alt")]
    lines = [normalise_space(decode_entities(line)) for line in out.get("body_lines") or []]
    kept = clean_normalised_lines(lines, header_lines=profile.header_lines, footer_markers=profile.footer_markers,
                                  image_names=image_names, phrases=profile.boilerplate_phrases)
    if kept and rule_on("editor_line") and EDITOR_LINE_RE.match(kept[-1]):
        kept = kept[:-1]
    out["body_text"] = "\n".join(kept) if kept else None
    dropped = set(lines) - set(kept) - {""}
    out["body_html"] = drop_lines_from_html(out.get("body_html") or "", dropped) or None
    out["methods"] = methods
    return out
