"""Spider middlewares: ``urllength`` (:class:`~.urllength.UrlLengthGuardMiddleware`, in place of Scrapy's
UrlLengthMiddleware at 800): a request whose URL is too long is recorded, not dropped."""
