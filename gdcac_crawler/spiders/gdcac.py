"""``scrapy crawl gdcac``: the portal spider with the gdcac profile (www.gdcac.gov.cn, 政策法规)."""

from __future__ import annotations

from gdcac_crawler.spiders.portal import PortalSpider


class GdcacSpider(PortalSpider):
    """The 政策法规 section of www.gdcac.gov.cn."""

    name = "gdcac"
    profile_name = "gdcac"
