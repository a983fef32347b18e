"""Profile of the Guangdong Cyberspace Administration portal (广东网信网): its 政策法规 section.

What is known: public links to the portal name ``www.cagd.gov.cn``, with articles at ``/v/YYYY/MM/NNNN.html``
(e.g. ``/v/2024/03/4773.html``), so that is the live origin and the scheme and host of every archived URL;
``www.gdcac.gov.cn`` and ``gdcac.gov.cn``, the provincial platform's name for it, are accepted as aliases.
A real article of the section (the seed) prints the site header and the breadcrumb
``当前位置:首页 > 政策法规 > 政策解读`` twice before the title, the source as ``来源:…`` and an unlabelled time.

What is not known: the live site's URL scheme for sections and listings, and its templates.  The selectors
below are those of Guangdong's shared site platform (nfw-cms: columns at ``/zcfg/{column}/index.html``,
``index_2.html`` …, articles at ``…/content/post_{id}.html``), which the seed's text matches; where the live
site differs, the crawl finds the section by its name from the home page, the columns, pagers and entries by
their shape, and the fields by the fallbacks — and counts each fallback, so the first live run shows the
drift.  ``gdcac probe https://www.cagd.gov.cn/`` reports what the live site is and drafts a profile from it.
"""

from __future__ import annotations

from gdcac_crawler.extract.vocabulary import ACCOUNT_NAME_SOURCE, FOOTER_MARKERS, GUANGDONG_FILING_MARKERS
from gdcac_crawler.profiles.base import Profile

PROFILE = Profile(
    name="gdcac",
    base_url="https://www.cagd.gov.cn",
    section_path="/zcfg/",
    section_name="政策法规",
    hosts=("www.cagd.gov.cn", "cagd.gov.cn"),
    aliases=("www.gdcac.gov.cn", "gdcac.gov.cn"),
    column_url_pattern=r"^/zcfg/[^/]+/(index\.html)?$",
    header_lines=("中共广东省委网络安全和信息化委员会办公室", "广东省互联网信息办公室"),
    footer_markers=(*FOOTER_MARKERS, *GUANGDONG_FILING_MARKERS),
    junk_sources=(
        ACCOUNT_NAME_SOURCE,  # an editor's account name, e.g. gdcac_bj01
        r"^(中共广东省委网络安全和信息化委员会办公室|广东省互联网信息办公室|广东网信网?)$",  # the site itself
    ),
)
