"""Profile of the Guangdong Cyberspace Administration portal, www.gdcac.gov.cn: its 政策法规 section.

The portal runs on Guangdong's shared site platform (nfw-cms): columns at ``/zcfg/{column}/index.html``,
``index_2.html`` …, articles at ``/zcfg/{column}/content/post_{id}.html``.  Its article pages print the
site header and the breadcrumb ``当前位置:首页 > 政策法规 > 政策解读`` twice before the title.
"""

from __future__ import annotations

from gdcac_crawler.extract.vocabulary import ACCOUNT_NAME_SOURCE, FOOTER_MARKERS, GUANGDONG_FILING_MARKERS
from gdcac_crawler.profiles.base import Profile

PROFILE = Profile(
    name="gdcac",
    base_url="https://www.gdcac.gov.cn",
    section_path="/zcfg/",
    section_name="政策法规",
    hosts=("www.gdcac.gov.cn", "gdcac.gov.cn"),
    column_url_pattern=r"^/zcfg/[^/]+/(index\.html)?$",
    header_lines=("中共广东省委网络安全和信息化委员会办公室", "广东省互联网信息办公室"),
    footer_markers=(*FOOTER_MARKERS, *GUANGDONG_FILING_MARKERS),
    junk_sources=(
        ACCOUNT_NAME_SOURCE,  # an editor's account name, e.g. gdcac_bj01
        r"^(中共广东省委网络安全和信息化委员会办公室|广东省互联网信息办公室|广东网信网?)$",  # the site itself
    ),
)
