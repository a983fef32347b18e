"""The validate step: the watched fields counted for the run's health, articles without a title or a body
dropped.

:class:`ValidatePipeline` counts, per watched field (``GDCAC_HEALTH_FIELDS``), how often it came from a
fallback or came out empty (``gdcac/fields/<field>/fallback``, ``.../empty``, over ``gdcac/fields/checked``:
:mod:`gdcac_crawler.extensions.health` reads them), then drops an article without a title or a body, counted by
reason (``gdcac/dropped/<reason>``) and logged with its URL; the archive still records the page as rejected.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from gdcac_crawler.extract.fallback import is_fallback
from gdcac_crawler.items import ArticleItem

logger = logging.getLogger(__name__)

#: An article field's key in the item's ``methods`` where the two names differ (else the field's own name).
FIELD_METHODS = {"body_text": "body"}


class ValidatePipeline:
    """Drops article items that lack a title or a body, with the reason counted and logged.

    A body is text, or images, or attachments: an article that is one infographic (一图读懂) or one document
    with no text around it is kept (its ``body_text`` empty, counted as an empty field), not dropped and
    fetched again by every run.
    """

    REQUIRED = ("title", "body_text")
    BODY_ALTERNATIVES = ("images", "attachments")
    """What stands for a body when ``body_text`` is empty."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.fields = tuple(crawler.settings.getlist("GDCAC_HEALTH_FIELDS"))
        """The watched fields whose fallbacks and empties are counted: those the run's health is judged on."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        self.count_fields(adapter)
        missing = [name for name in self.REQUIRED if not adapter.get(name)]
        if "body_text" in missing and any(adapter.get(name) for name in self.BODY_ALTERNATIVES):
            missing.remove("body_text")
            self.crawler.stats.inc_value("gdcac/validate/body_without_text")
        if missing:
            reason = "missing_" + "_and_".join("body" if m == "body_text" else m for m in missing)
            self.crawler.stats.inc_value(f"gdcac/dropped/{reason}")
            logger.warning("dropping %s: %s", adapter.get("url"), reason)
            raise DropItem(f"{reason}: {adapter.get('url')}")
        return item

    def count_fields(self, adapter: ItemAdapter) -> None:
        """Per watched field (``GDCAC_HEALTH_FIELDS``): whether a fallback produced it (its method is not one of
        the profile's selectors) and whether it came out empty."""
        stats = self.crawler.stats
        stats.inc_value("gdcac/fields/checked")
        methods = adapter.get("methods") or {}
        for field in self.fields:
            if is_fallback(methods.get(FIELD_METHODS.get(field, field))):
                stats.inc_value(f"gdcac/fields/{field}/fallback")
            if not adapter.get(field):
                stats.inc_value(f"gdcac/fields/{field}/empty")
