"""The ``generic`` profile: no selectors at all, so every field, column, listing entry and page comes from
the fallbacks of :mod:`gdcac_crawler.extract.fallback` (text density and the government meta tags for
articles; URL patterns, lists of dated links, the pager script's arguments and ``index_N`` probing for
listings).

It names no portal: :meth:`~gdcac_crawler.profiles.base.Profile.bound` binds it to a URL's site, which
``get_profile("generic@https://host/section/")`` and ``gdcac extract --profile generic`` do.  Crawling a site
with it (``scrapy crawl portal -a profile=generic@https://host/section/``) shows what the fallbacks alone
find; a site worth crawling for real gets a profile of its own.
"""

from __future__ import annotations

from gdcac_crawler.extract.discovery import PAGE_URL_PATTERN
from gdcac_crawler.extract.vocabulary import ACCOUNT_NAME_SOURCE, FILING_MARKERS, FOOTER_MARKERS
from gdcac_crawler.profiles.base import Profile

#: Article URLs: any page that is not a listing's ``index`` / ``index_N`` (the discovery's own rule, which also
#: covers the platforms' schemes in PORTALS.md: nfw-cms ``post_N``, TRS ``tYYYYMMDD_N``, cac.gov.cn ``c_N``).
ARTICLE_URL_PATTERN = PAGE_URL_PATTERN

PROFILE = Profile(
    name="generic",
    base_url="",
    section_path="/",
    hosts=(),
    section_name="",
    column_link_css="",
    column_url_pattern="",
    listing_item_css="",
    listing_link_css="a",
    listing_date_css="",
    listing_title_css="",
    pager_link_css="",
    article_url_pattern=ARTICLE_URL_PATTERN,
    title_css=(),
    breadcrumb_css=(),
    info_css=(),
    body_css=(),
    body_exclude_css=(),
    attachment_css="",
    related_css=(),
    header_lines=(),
    footer_markers=(*FOOTER_MARKERS, *FILING_MARKERS),
    junk_sources=(ACCOUNT_NAME_SOURCE,),
    content_query_params=None,  # a site never seen: its query parameters may select content
)
