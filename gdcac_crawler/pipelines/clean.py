"""The clean step: extracted article fields become the archived ones.

:class:`CleanPipeline` applies :func:`gdcac_crawler.extract.article.clean_article` to every article: boilerplate
lines out of the body, entities decoded, the source's label stripped, file-name images kept only as image
records.  Other items pass through.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from gdcac_crawler.extract.article import clean_article
from gdcac_crawler.items import ARTICLE_FIELDS, ArticleItem


class CleanPipeline:
    """Cleans article items; passes other items through."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        cleaned = clean_article({name: adapter.get(name) for name in ARTICLE_FIELDS}, self.crawler.spider.profile)
        for name, value in cleaned.items():
            adapter[name] = value
        return item
