"""The live origin: the gdcac profile's evidenced host, its aliases, and ``-a portal_url=`` / ``GDCAC_PORTAL_URL``.

Article identities are URLs on the live origin whichever host (alias, mirror) a page was seen on.
"""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from gdcac_crawler.profiles import get_profile, profile_for_url
from gdcac_crawler.spiders.gdcac import GdcacSpider
from gdcac_crawler.spiders.portal import PortalSpider
from gdcac_mirror import SITE_DIR

POST = "/zcfg/zcjd/content/post_2107282.html"


def test_the_gdcac_profile_lives_on_the_evidenced_host_and_accepts_the_platform_names() -> None:
    gdcac = get_profile("gdcac")
    assert gdcac.base_url == "https://www.cagd.gov.cn"
    for host in ("www.cagd.gov.cn", "cagd.gov.cn", "www.gdcac.gov.cn", "gdcac.gov.cn"):
        assert gdcac.is_same_site(f"https://{host}/v/2024/03/4773.html"), host
        assert gdcac.canonical(f"http://{host}/v/2024/03/4773.html#top") == "https://www.cagd.gov.cn/v/2024/03/4773.html"
    assert not gdcac.is_same_site("https://waz.cagd.gov.cn/v/2024/03/1.html")  # a sub-site is another site
    assert not gdcac.is_same_site("https://mp.weixin.qq.com/s/abc")
    assert profile_for_url("https://gdcac.gov.cn/zcfg/").name == "gdcac"  # auto picks it by an alias too


def test_with_origin_moves_the_identity_and_keeps_the_old_hosts_as_aliases() -> None:
    moved = get_profile("gdcac").with_origin("https://new.example.gov.cn/")
    assert moved.base_url == "https://new.example.gov.cn" and moved.hosts == ("new.example.gov.cn",)
    assert set(moved.aliases) == {"www.cagd.gov.cn", "cagd.gov.cn", "www.gdcac.gov.cn", "gdcac.gov.cn"}
    assert moved.canonical("https://www.gdcac.gov.cn" + POST) == "https://new.example.gov.cn" + POST
    assert moved.section_url == "https://new.example.gov.cn/zcfg/"
    generic = get_profile("generic").with_origin("http://127.0.0.1:8000")  # a generic profile is bound to it
    assert generic.base_url == "http://127.0.0.1:8000" and generic.section_url == "http://127.0.0.1:8000/"


@pytest.mark.parametrize("bad", ["www.cagd.gov.cn", "ftp://www.cagd.gov.cn", "https://www.cagd.gov.cn/zcfg/", ""])
def test_a_portal_url_is_an_http_origin(bad) -> None:
    with pytest.raises(ValueError, match="origin"):
        get_profile("gdcac").with_origin(bad)


def _article(spider: PortalSpider) -> str:
    url = "http://127.0.0.1:8999" + POST
    page = HtmlResponse(url=url, body=(SITE_DIR / POST.lstrip("/")).read_bytes(), request=Request(url),
                        headers={"Content-Type": "text/html; charset=utf-8"})
    (item,) = spider.parse_article(page, column="政策解读", listed_title=None, listed_date=None)
    return item.url


def test_the_spider_archives_under_the_live_origin_and_portal_url_moves_it() -> None:
    default = GdcacSpider.from_crawler(get_crawler(GdcacSpider), base_url="http://127.0.0.1:8999")
    assert _article(default) == "https://www.cagd.gov.cn" + POST
    by_argument = GdcacSpider.from_crawler(get_crawler(GdcacSpider, {"GDCAC_PORTAL_URL": "https://b.gov.cn"}),
                                           base_url="http://127.0.0.1:8999", portal_url="https://a.gov.cn")
    assert _article(by_argument) == "https://a.gov.cn" + POST  # the argument wins over the setting
    by_setting = GdcacSpider.from_crawler(get_crawler(GdcacSpider, {"GDCAC_PORTAL_URL": "https://b.gov.cn"}))
    assert _article(by_setting) == "https://b.gov.cn" + POST
    assert set(by_setting.allowed_domains) >= {"b.gov.cn", "www.cagd.gov.cn", "www.gdcac.gov.cn"}
