"""What a page yields, as one plain JSON-ready dict: the view that fixtures record and tests compare.

The same functions the spider and the clean pipeline use, composed: an article is extracted and cleaned
(``body_text`` given as its list of lines, for reviewable golden files); a listing gives its entries and
pager; a section page its columns.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gdcac_crawler.extract.article import clean_article, extract_article
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.profiles.base import Profile

#: Article fields a view shows, in this order (``body_html`` is left out: it is long and tested on its own).
ARTICLE_FIELDS = ("url", "title", "published_at", "published_raw", "source", "source_raw", "author", "editor",
                  "doc_number", "index_number", "column_path", "body_text", "images", "attachments", "related",
                  "meta", "methods")
KINDS = ("article", "listing", "section")


def page_view(kind: str, response: Any, profile: Profile) -> dict[str, Any]:
    """The view of a page of ``kind`` (``article``, ``listing`` or ``section``)."""
    if kind == "article":
        item = clean_article(extract_article(response, profile), profile)
        view = {key: item.get(key) for key in ARTICLE_FIELDS}
        view["body_text"] = (item.get("body_text") or "").split("\n") if item.get("body_text") else []
        return view
    if kind == "listing":
        listing = extract_listing(response, profile)
        pager = listing["pager"]
        return {
            "column": listing["column"],
            "entries": [asdict(e) for e in listing["entries"]],
            "pager": {"linked_pages": sorted(set(pager.linked_pages)), "script_pages": pager.script_pages,
                      "total_items": pager.total_items, "per_page": pager.per_page,
                      "total_pages": pager.total_pages},
            "methods": listing["methods"],
        }
    if kind == "section":
        section = extract_section(response, profile)
        bound = profile.bound(response.url)
        return {"columns": [{"name": name, "url": bound.canonical(url)} for name, url in section["columns"]],
                "methods": section["methods"]}
    raise ValueError(f"unknown page kind {kind!r}: one of {', '.join(KINDS)}")
