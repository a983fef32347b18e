"""Every fetched page decoded with the encoding its bytes are really in.

:class:`EncodingMiddleware` applies :mod:`gdcac_crawler.extract.encoding` to every page answer: a GBK page
behind a ``charset=utf-8`` header, or with no charset at all, reaches the spider as the right text, never as
U+FFFD mojibake.  It counts what it did:

``gdcac/encoding/<codec>``          pages decoded with each codec;
``gdcac/encoding/overridden``       pages whose declared charset (header, else meta) was wrong and replaced;
``gdcac/encoding/undeclared``       pages that declared no charset at all;
``gdcac/encoding/undecodable``      pages no candidate decodes cleanly (decoded with the fewest U+FFFD).

The declared and the used encoding of each page reach the archive's ``pages`` row through its fetch record
(:func:`gdcac_crawler.provenance.fetch_record`: ``declared_encoding``, ``encoding``).  Setting:
``GDCAC_FIX_ENCODING``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured

from gdcac_crawler.extract.encoding import fix_response, normalise_encoding
from gdcac_crawler.items import PageKind

logger = logging.getLogger(__name__)


class EncodingMiddleware:
    """Re-decodes text responses whose declared charset does not fit their bytes."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> EncodingMiddleware:
        if not crawler.settings.getbool("GDCAC_FIX_ENCODING"):
            raise NotConfigured("GDCAC_FIX_ENCODING is off")
        return cls(crawler)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"gdcac/encoding/{key}")

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if request.meta.get("gdcac_kind") not in PageKind.crawled():
            return response  # robots.txt, attachments: not pages to decode
        fixed, choice = fix_response(response)
        if choice is None:
            return response
        self._count(choice.used)
        if not choice.declared:
            self._count("undeclared")
        elif normalise_encoding(choice.declared) != choice.used:
            self._count("overridden")
            logger.info("%s declares %s but is %s", response.url, choice.declared, choice.used)
        if not choice.clean:
            self._count("undecodable")
            logger.warning("%s decodes cleanly with none of %s; using %s", response.url,
                           ", ".join(choice.tried), choice.used)
        return fixed
