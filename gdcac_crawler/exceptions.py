"""The exceptions the project's middlewares fail a request with, so that its errback records the page.

Each carries the response and the :class:`~gdcac_crawler.blockpages.Verdict` that explains it; the spider's
errback turns a :class:`BlockedResponse` into a ``blocked`` page row and a :class:`RefusedResponse` into an
``error`` one.  A :class:`RefusedRequest` (never sent, so no response) becomes an ``error`` row too.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from gdcac_crawler.blockpages import Verdict


class UnwantedResponse(IgnoreRequest):
    """An answer that is not the page asked for; ``verdict`` says why."""

    def __init__(self, response: Response, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.response = response
        self.verdict = verdict


class BlockedResponse(UnwantedResponse):
    """The site answered with a block or challenge page, also after the retries."""


class RefusedResponse(UnwantedResponse):
    """The answer is not a page that can be archived (empty, binary, not HTML, a refused redirect)."""


class RefusedRequest(IgnoreRequest):
    """A request refused before it was sent (a URL longer than ``URLLENGTH_LIMIT``); the message says why."""
