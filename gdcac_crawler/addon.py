"""The project's Scrapy add-on: the ``GDCAC_*`` defaults of :mod:`gdcac_crawler.default_settings`, applied
once per crawler.

Enabled in ``settings.py`` (``ADDONS``) and, so that any crawler of the portal spider has them — one made by
:func:`scrapy.utils.test.get_crawler` in a test, or by scrapyd — declared by the spider itself
(:meth:`gdcac_crawler.spiders.portal.PortalSpider.update_settings`).  The values go in at the ``addon``
priority, below the project's, the spider's and the command line's.
"""

from __future__ import annotations

from typing import Any

from gdcac_crawler import default_settings


class GdcacAddon:
    """Sets every ``GDCAC_*`` default at the ``addon`` priority."""

    def update_settings(self, settings: Any) -> None:
        settings.setmodule(default_settings, priority="addon")
