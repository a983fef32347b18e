"""The typed results of extraction name the item's fields: every key of a page kind's result is a field of
ArticleItem (in its order), and what extract_article returns is exactly ArticleFields, key by key."""

from __future__ import annotations

from tests.support.cases import case_response

from gdcac_crawler.extract.article import METHOD_ORDER, clean_article, extract_article
from gdcac_crawler.extract.listing import extract_listing, extract_section
from gdcac_crawler.extract.results import ArticleFields, CleanedArticle, ListingPage, SectionPage
from gdcac_crawler.extract.view import ARTICLE_VIEW_FIELDS, ArticleView
from gdcac_crawler.items import ARTICLE_FIELDS
from gdcac_crawler.profiles import get_profile


def _in_item_order(names: list[str]) -> bool:
    positions = [ARTICLE_FIELDS.index(name) for name in names]
    return positions == sorted(positions)


def test_article_fields_are_item_fields_in_the_items_order() -> None:
    assert _in_item_order(list(ArticleFields.__annotations__))
    assert set(CleanedArticle.__annotations__) - set(ArticleFields.__annotations__) == {"source", "body_text"}
    assert set(CleanedArticle.__annotations__) <= set(ARTICLE_FIELDS)
    assert set(ARTICLE_VIEW_FIELDS) <= set(ARTICLE_FIELDS)
    assert tuple(ArticleView.__annotations__) == ARTICLE_VIEW_FIELDS
    assert set(METHOD_ORDER) - set(ARTICLE_FIELDS) == {"body"}  # body_lines, body_text and body_html share one


def test_extract_article_returns_article_fields_and_methods_in_order() -> None:
    profile = get_profile("gdcac")
    fields = extract_article(case_response("gdcac", "article_seed"), profile)
    assert list(fields) == list(ArticleFields.__annotations__)
    assert list(fields["methods"]) == [key for key in METHOD_ORDER if key in fields["methods"]]
    cleaned = clean_article(fields, profile)
    assert list(cleaned) == [*ArticleFields.__annotations__, "source", "body_text"]


def test_listing_and_section_pages_have_their_keys() -> None:
    drc = get_profile("drc")
    assert list(extract_listing(case_response("drc", "listing_ywtz_real"), drc)) == list(ListingPage.__annotations__)
    assert list(extract_section(case_response("drc", "section_leftnav_real"), drc)) == \
        list(SectionPage.__annotations__)
