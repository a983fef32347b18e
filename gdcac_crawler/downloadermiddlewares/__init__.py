"""Downloader middlewares, one module per concern, in the order an answer meets them on its way back:

``redirect``    :class:`~.redirect.RedirectGuardMiddleware` (610): redirects off the site, to another port or in
                a loop refused; :class:`~.redirect.GuardedRedirectMiddleware` (600) follows the others;
``encoding``    :class:`~.encoding.EncodingMiddleware` (560): every page decoded with the encoding its bytes are in;
``retry``       :class:`~.retry.BackoffRetryMiddleware` (550): Scrapy's retries, each after a pause;
``blockguard``  :class:`~.blockguard.BlockGuardMiddleware` (540): block, challenge and junk answers;
``redirect``    :class:`~.redirect.MetaRefreshGuardMiddleware` (530): meta refreshes, under the same guard.
``inflight``    :class:`~.inflight.InFlightBytesMiddleware` (50, on the way out): page requests held back while
                the pages being scraped and archived hold ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes.

The pure detectors they use are in :mod:`gdcac_crawler.blockpages`; the exceptions they fail a request with
in :mod:`gdcac_crawler.exceptions`.
"""
