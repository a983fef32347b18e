"""Redirects — 3xx answers and ``<meta http-equiv="refresh">`` pages — followed under one guard.

A redirect that leaves the site, goes to another port, or goes round in a loop is refused: the original
request fails with :class:`~gdcac_crawler.exceptions.RefusedResponse` and the reason, so its errback records
the page (one ``pages`` row of kind ``error``; a refused listing page makes the walk incomplete).  Left to
Scrapy, such a redirect would be re-scheduled as a new request that the off-site filter or the duplicate
filter then drops without a trace.  :func:`refusal` is the one rule, for both kinds of redirect:

- **another site**: the target's host is none of the spider's ``allowed_domains`` (the portal's hosts, or
  the mirror's host when fetching from one);
- **another port**: the target's port (its scheme's default when it names none) differs from the page's —
  another server on the same host is another site; only ``http`` ↔ ``https`` on their default ports is
  the same site;
- **a loop**: the target is the page itself or a page the redirect chain already passed.

A redirect the guard lets through is followed with ``dont_filter``: the guard has already refused the loops,
so the duplicate filter could only drop a redirect to a page the walk fetched another way, and with it the
record of the page that redirected.  Chains are still bounded by ``REDIRECT_MAX_TIMES`` (a chain that
exceeds it fails with ``max redirections reached``, recorded too).

- :class:`RedirectGuardMiddleware` (610, closer to the downloader than Scrapy's RedirectMiddleware at 600)
  refuses 3xx answers; :class:`GuardedRedirectMiddleware` replaces Scrapy's RedirectMiddleware to follow
  the others with ``dont_filter``.
- :class:`MetaRefreshGuardMiddleware` replaces Scrapy's MetaRefreshMiddleware (580).  It runs at 530, after
  the block guard (540) on the way back, so a challenge page that reloads itself is recorded as a block, and
  on the page as decoded; a refresh later than ``METAREFRESH_MAXDELAY`` is a page like any other.

Counted as ``gdcac/refused/<kind>``: ``offsite_redirect``, ``other_port_redirect``, ``redirect_loop``,
``offsite_meta_refresh``, ``other_port_meta_refresh``, ``meta_refresh_loop``; followed meta refreshes as
``gdcac/meta_refresh/followed``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.response import get_meta_refresh

from gdcac_crawler.blockpages import Verdict
from gdcac_crawler.exceptions import RefusedResponse
from gdcac_crawler.provenance import header_text

logger = logging.getLogger(__name__)

#: The ports a scheme means when a URL names none.
DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is no number, or out of range
        return None


def refusal(request: Request, target: str, allowed_domains: tuple[str, ...] | list[str],
            via: str = "redirect") -> Verdict | None:
    """Why the redirect of ``request`` to ``target`` (absolute) must not be followed, or ``None`` to follow
    it; ``via`` is ``redirect`` (a 3xx answer) or ``meta refresh``."""
    kind, words = via.replace(" ", "_"), via
    host = (urlsplit(target).hostname or "").lower()
    if allowed_domains and not any(host == d or host.endswith("." + d) for d in allowed_domains):
        return Verdict(f"offsite_{kind}", f"{words} off-site to {target}")
    source, port = _port(request.url), _port(target)
    defaults = set(DEFAULT_PORTS.values())
    if port != source and not (port in defaults and source in defaults):
        return Verdict(f"other_port_{kind}", f"{words} to another port ({port}): {target}")
    if target == request.url or target in request.meta.get("redirect_urls", ()):
        return Verdict(f"{kind}_loop", f"{words} loop back to {target}")
    return None


def _refuse(crawler: Any, request: Request, response: Response, verdict: Verdict) -> RefusedResponse:
    crawler.stats.inc_value(f"gdcac/refused/{verdict.kind}")
    logger.warning("%s: refused, %s", request.url, verdict.reason)
    return RefusedResponse(response, verdict)


def _allowed(crawler: Any) -> tuple[str, ...]:
    return tuple(getattr(crawler.spider, "allowed_domains", None) or ())


class RedirectGuardMiddleware:
    """Refuses 3xx redirects that leave the site, go to another port or go round in a loop."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not 300 <= response.status < 400 or b"Location" not in response.headers:
            return response
        target = urljoin(request.url, header_text(response.headers, "Location") or "")
        verdict = refusal(request, target, _allowed(self.crawler))
        if verdict is None:
            return response
        raise _refuse(self.crawler, request, response, verdict)


class GuardedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware, its redirects (already past :class:`RedirectGuardMiddleware`) followed
    with ``dont_filter`` so that the duplicate filter cannot drop them."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        followed = super()._redirect(redirected, request, reason)
        followed.dont_filter = True
        return followed


class MetaRefreshGuardMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware under the redirect guard: a meta refresh to another site, to another
    port or back to itself fails the request with the reason; the others are followed with ``dont_filter``."""

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        if (request.meta.get("dont_redirect") or request.method == "HEAD" or not isinstance(response, HtmlResponse)
                or urlsplit(request.url).scheme not in DEFAULT_PORTS):
            return response
        interval, url = get_meta_refresh(response, ignore_tags=self._ignore_tags)
        if not url or float(interval or 0) >= self._maxdelay or urlsplit(url).scheme not in DEFAULT_PORTS:
            return response
        verdict = refusal(request, url, _allowed(self.crawler), "meta refresh")
        if verdict is not None:
            raise _refuse(self.crawler, request, response, verdict)
        self.crawler.stats.inc_value("gdcac/meta_refresh/followed")
        followed = self._redirect(self._redirect_request_using_get(request, response, url), request, "meta refresh")
        followed.dont_filter = True
        return followed
