"""What a request that failed for good (after retries) leaves behind: its ``pages`` row, the stats key it
counts under, and the words that say what failed — for the errbacks of the spiders, as one pure function."""

from __future__ import annotations

from typing import NamedTuple

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from gdcac_crawler.clock import utc_now
from gdcac_crawler.exceptions import BlockedResponse, RefusedRequest, UnwantedResponse
from gdcac_crawler.items import Fetch, PageFailure, PageKind
from gdcac_crawler.provenance import fetch_record


class FailedPage(NamedTuple):
    """A failed request's record."""

    item: PageFailure
    """Its ``pages`` row (kind ``blocked`` or ``error``, with the reason)."""
    stats_key: str
    """``error/blocked``, ``error/refused``, ``error/http_<status>`` or ``error/<exception name>``."""
    what: str
    """What failed, in words: the block verdict, ``HTTP 404``, ``TimeoutError: …``."""
    url: str
    """The URL that failed (the answer's, when there was one)."""


def failed_page(failure: Failure, *, run_id: str, site: str) -> FailedPage:
    """The record of the request behind ``failure``; its page kind (``gdcac_kind``) goes into the reason."""
    request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on an errback's failure
    kind = request.meta.get("gdcac_kind", "page")
    error = failure.value
    if isinstance(error, UnwantedResponse):
        blocked = isinstance(error, BlockedResponse)
        what = error.verdict.reason
        fetch = fetch_record(error.response, run_id, PageKind.BLOCKED if blocked else PageKind.ERROR,
                             error=f"{what} ({kind} page)")
        return FailedPage(PageFailure(site=site, fetch=fetch), f"error/{'blocked' if blocked else 'refused'}",
                          what, error.response.url)
    if isinstance(error, HttpError):
        response = error.response
        what = f"HTTP {response.status}"
        fetch = fetch_record(response, run_id, PageKind.ERROR, error=f"{what} ({kind} page)")
        return FailedPage(PageFailure(site=site, fetch=fetch), f"error/http_{response.status}", what, response.url)
    name = type(error).__name__
    what = str(error) if isinstance(error, RefusedRequest) else f"{name}: {failure.getErrorMessage()}"
    key = "error/refused" if isinstance(error, RefusedRequest) else f"error/{name}"
    fetch = Fetch(run_id=run_id, url=request.url, final_url=request.url, status=0, fetched_at=utc_now(),
                  kind=PageKind.ERROR, error=f"{what} ({kind} page)")
    return FailedPage(PageFailure(site=site, fetch=fetch), key, what, request.url)
