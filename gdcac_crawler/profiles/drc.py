"""Profile of the Guangdong Development and Reform Commission portal, drc.gd.gov.cn (广东省发展和改革委员会).

A sister site of www.gdcac.gov.cn on Guangdong's shared site platform (nfw-cms), proven on the real pages in
tests/fixtures/drc/ (an article of 业务通知 and that column's first listing page).  What differs from gdcac:

* columns sit directly under the site root (``/ywtz/``, ``/jggk5599/``, ``/zcwj5632/``), not under the
  section's folder; the 政务公开 section (``/zwgk5590/``) lists them in its left navigation ``#leftnav``, as
  every page of the section does;
* the article prints the breadcrumb once (``div.mbx``, ``您所在的位置：``), the title in ``h4.wdtit``, the source
  and time in ``div.jbxx`` (``信息来源：…``, ``时间：2026-09-24 17:25:04``), the body in ``#content1``, and its
  attachments as ``a.doc`` inside ``.fjlis`` (not ``a.nfw-cms-attachment``), whose link text is the file name.

The platform's defaults of :class:`~gdcac_crawler.profiles.base.Profile` cover the listing, pager and article
selectors, so this module only states what is particular to the site.
"""

from __future__ import annotations

from gdcac_crawler.extract.vocabulary import ACCOUNT_NAME_SOURCE, FOOTER_MARKERS, GUANGDONG_FILING_MARKERS
from gdcac_crawler.profiles.base import Profile

PROFILE = Profile(
    name="drc",
    base_url="https://drc.gd.gov.cn",
    section_path="/zwgk5590/",
    section_name="政务公开",
    hosts=("drc.gd.gov.cn", "www.gddrc.gov.cn", "gddrc.gov.cn"),
    column_url_pattern=r"^/[A-Za-z0-9_]+/(index\.html)?$",
    attachment_css="a.nfw-cms-attachment, .fjlis a",
    header_lines=("广东省发展和改革委员会",),
    footer_markers=(*FOOTER_MARKERS, *GUANGDONG_FILING_MARKERS, "地址：", "业务咨询电话"),
    junk_sources=(
        ACCOUNT_NAME_SOURCE,  # an editor's account name
        r"^(广东省发展和改革委员会|广东省发展和改革委员会网站)$",  # the site itself
    ),
)
