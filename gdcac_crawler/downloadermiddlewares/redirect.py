"""Redirects that leave the site or go round in a loop, refused before Scrapy follows them.

Scrapy would re-schedule such a redirect as a new request that its offsite filter or its duplicate filter
then drops without a trace; :class:`RedirectGuardMiddleware` fails the original request instead, with
:class:`~gdcac_crawler.exceptions.RefusedResponse` and the reason, so its page is recorded.  It runs closer
to the downloader than Scrapy's RedirectMiddleware (600).  Counted as ``gdcac/refused/offsite_redirect`` and
``gdcac/refused/redirect_loop``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response

from gdcac_crawler.blockpages import Verdict
from gdcac_crawler.exceptions import RefusedResponse
from gdcac_crawler.provenance import header_text

logger = logging.getLogger(__name__)


class RedirectGuardMiddleware:
    """Refuses redirects that leave the site or go round in a loop."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not 300 <= response.status < 400 or b"Location" not in response.headers:
            return response
        target = urljoin(request.url, header_text(response.headers, "Location") or "")
        host = urlsplit(target).hostname or ""
        allowed = set(getattr(self.crawler.spider, "allowed_domains", None) or ())
        if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
            verdict = Verdict("offsite_redirect", f"redirect off-site to {target}")
        elif target == request.url or target in request.meta.get("redirect_urls", ()):
            verdict = Verdict("redirect_loop", f"redirect loop back to {target}")
        else:
            return response
        self.crawler.stats.inc_value(f"gdcac/refused/{verdict.kind}")
        logger.warning("%s: refused, %s", request.url, verdict.reason)
        raise RefusedResponse(response, verdict)
