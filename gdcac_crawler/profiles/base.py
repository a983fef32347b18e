"""What a portal profile is: everything particular to one portal, in one frozen object.

The spider, the extraction functions and the cleaning rules read a :class:`Profile`; adding a portal means
writing a profile module (and its fixtures), not a spider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from gdcac_crawler.extract.pager import PAGE_PARAMS

TRACKING_PARAMS = frozenset({
    "from", "spm", "scm", "share_token", "share_from", "share_source", "share_medium", "sharer_shareid",
    "sharer_sharetime", "isappinstalled", "nsukey", "wxfrom", "winzoom", "scene", "subscene", "clicktime", "enterid",
    "chksm", "mpshare", "srcid", "vd_source", "fbclid", "gclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_hsenc",
    "_hsmi",
})
"""Query parameters that never select content (compared lower-cased), and every ``utm_*``: the share and
campaign tags that WeChat, Weibo, search engines and analytics append (``?from=timeline&isappinstalled=0``,
``?utm_source=wechat``, ``?spm=…``).  Every identity drops them, whatever the profile says."""


def is_tracking_param(name: str) -> bool:
    """Whether the query parameter ``name`` is a tracking tag (:data:`TRACKING_PARAMS`, ``utm_*``)."""
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith("utm_")


def clean_query(query: str, keep: frozenset[str] | None = None) -> str:
    """``query`` without its tracking parameters, and, when ``keep`` (lower-cased names) is given, without
    every parameter not in it either; the parameters kept stay as written, in their order."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.split("=", 1)[0])
        if is_tracking_param(name) or (keep is not None and name.lower() not in keep):
            continue
        kept.append(pair)
    return "&".join(kept)


def _folder(path: str) -> str:
    """The folder of a URL path, with its trailing slash: ``/a/b/index.html`` → ``/a/b/``, ``/a/b/`` → itself."""
    return path.rsplit("/", 1)[0] + "/"


@dataclass(frozen=True)
class Profile:
    """The particulars of one portal."""

    name: str
    """Short name, used as the spider's ``site`` and in the archive's ``site`` columns."""
    base_url: str
    """The live portal's origin, e.g. ``https://www.cagd.gov.cn`` (no trailing slash): the scheme and host of
    every archived URL (see :meth:`canonical`)."""
    section_path: str
    """Path of the section page the crawl starts from, e.g. ``/zcfg/``."""
    hosts: tuple[str, ...]
    """Host names that belong to the portal; links to any other host are off-site."""
    aliases: tuple[str, ...] = ()
    """Further host names of the same portal (an older domain, the platform's name for it): links to them are
    same-site and archived under :attr:`base_url`, like links to :attr:`hosts`."""
    section_name: str = ""
    """Name of the section: how it is found on the home page when the section URL fails (and for logs)."""
    home_path: str = "/"
    """Path of the portal's home page, where the section is looked for by its name."""

    # Column discovery on the section page.
    column_link_css: str = "#leftnav a"
    """Links on the section page that lead to the section's columns."""
    column_url_pattern: str = r"^/zcfg/[^/]+/(index\.html)?$"
    """Regex on a URL path: which discovered links are columns of the section."""

    # Listing pages.
    listing_item_css: str = "ul.comlist1 > li"
    """One element per listing entry."""
    listing_link_css: str = "a"
    """Inside an entry: the link (its ``title`` attribute, else its text, is the listed title)."""
    listing_date_css: str = "span"
    """Inside an entry: the printed date."""
    listing_title_css: str = ".con-tit2 span"
    """The column's name on its listing page."""
    pager_link_css: str = "#pages a"
    """The static pager's links."""
    article_url_pattern: str = r"/content/post_\d+\.html$"
    """Regex on a URL path: which same-site links are articles."""

    # Article fields: selectors tried in order; the first that yields text wins.
    title_css: tuple[str, ...] = ("h1.title", "h4.wdtit", ".article h1", "h1")
    breadcrumb_css: tuple[str, ...] = (".position", ".mbx")
    info_css: tuple[str, ...] = (".info", ".jbxx")
    """Containers of the source and time line(s)."""
    body_css: tuple[str, ...] = ("#content1", "#zoom", ".article-content", ".TRS_Editor", ".TRS_UEDITOR")
    body_exclude_css: tuple[str, ...] = (".fjlis", ".xgdd", "#xxddk", ".share", ".bdsharebuttonbox")
    """Parts of a body container that are not body: attachment and related lists, share widgets."""
    attachment_css: str = "a.nfw-cms-attachment, .fjlis a"
    """Attachment links (inside or outside the body)."""
    related_css: tuple[str, ...] = (".xgdd", "#xxddk")
    """Related lists (相关导读, 相关解读, ...) whose links become the item's ``related`` records."""
    timezone: str = "+08:00"
    """The offset the portal's printed times are in."""

    # Cleaning.
    header_lines: tuple[str, ...] = ()
    """The site header's lines, which must never reach a body."""
    footer_markers: tuple[str, ...] = ()
    """Phrases that start footer lines (主办单位, 版权所有, ...), dropped when they open a body line."""
    junk_sources: tuple[str, ...] = ()
    """Source values that are not sources (an editor's account pattern, the site's own name): regexes."""
    boilerplate_phrases: tuple[str, ...] = ()
    """Further whole lines this portal prints around its bodies (dropped at the body's edges only)."""
    content_query_params: tuple[str, ...] | None = ()
    """The query parameters that select content on this portal (``id`` of ``show.jsp?id=3``, compared
    lower-cased): a page's identity (:meth:`canonical`) keeps them and a pager's page parameter (``page``,
    ``pageNo``, … :data:`~gdcac_crawler.extract.pager.PAGE_PARAMS`, so that listing pages stay distinct) and
    drops every other, so that ``post_1.html?from=list`` is ``post_1.html``.  ``()``: no parameter selects
    content (the static pages of nfw-cms and TRS).  ``None``: not known (a site never seen), every parameter
    is kept but the tracking ones (:data:`TRACKING_PARAMS`), which every identity drops."""
    fallbacks: bool = True
    """Whether the generic fallbacks (:mod:`gdcac_crawler.extract.fallback`) fill what the selectors miss."""

    extra: dict = field(default_factory=dict)
    """Anything else particular to the portal."""

    # --- URL helpers -------------------------------------------------------------------------------------

    def bound(self, url: str) -> Profile:
        """This profile, or, when it names no portal (the ``generic`` profile), a copy bound to ``url``'s site:
        its origin becomes the base URL, its host the portal's host, its path the section, and the section's
        folder the column pattern."""
        if self.base_url:
            return self
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"cannot bind profile {self.name!r} to {url!r}: not an http(s) URL")
        path = parts.path or "/"
        folder = _folder(path)
        section = path if re.search(r"/(index(_\d+)?\.s?html?)?$", path) else folder
        hosts = {parts.hostname}
        hosts.add(parts.hostname[4:] if parts.hostname.startswith("www.") else "www." + parts.hostname)
        column_pattern = self.column_url_pattern or (
            r"^" + re.escape(folder) + r"[^/]+/(index\.s?html?)?$")
        return replace(self, base_url=f"{parts.scheme}://{parts.netloc}", section_path=section,
                       hosts=tuple(sorted(hosts)), column_url_pattern=column_pattern)

    def with_origin(self, url: str) -> Profile:
        """This profile with ``url``'s origin as its live origin (``-a portal_url=``): article identities use
        it; the profile's own hosts stay the portal's, as aliases."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"a portal URL is an origin such as https://www.example.gov.cn, not {url!r}")
        origin = f"{parts.scheme}://{parts.netloc}"
        if not self.base_url:
            return self.bound(origin + "/")
        if origin == self.base_url:
            return self
        host = parts.hostname
        aliases = tuple(dict.fromkeys(h for h in (*self.hosts, *self.aliases) if h != host))
        return replace(self, base_url=origin, hosts=(host,), aliases=aliases)

    @property
    def section_url(self) -> str:
        """Canonical URL of the section page."""
        return urljoin(self.base_url + "/", self.section_path.lstrip("/"))

    @property
    def home_url(self) -> str:
        """Canonical URL of the portal's home page."""
        return urljoin(self.base_url + "/", self.home_path.lstrip("/"))

    def is_same_site(self, url: str, fetch_base: str | None = None) -> bool:
        """Whether ``url`` belongs to the portal (or to the mirror standing in for it at ``fetch_base``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", ""):
            return False
        if not parts.netloc:
            return True
        if fetch_base and parts.netloc == urlsplit(fetch_base).netloc:
            return True
        return parts.hostname in self.hosts or parts.hostname in self.aliases

    def canonical(self, url: str) -> str:
        """The live portal's URL for the page ``url``, whichever host (live or mirror) it was seen on: its
        identity in the archive, and the URL the crawl fetches.

        Same-site URLs are rewritten to :attr:`base_url` (scheme and host) with the fragment dropped and only
        the query parameters that select content kept (:attr:`content_query_params`); the archive identifies
        articles by this form, so a crawl of the mirror on any port gives the same ids, and a link with share
        tags is the same article.  For a resource (an image, an attachment) see :meth:`live_url`.
        """
        return self._on(self.base_url, url, self._page_params)

    def live_url(self, url: str) -> str:
        """The live portal's URL for a same-site resource (an image, an attachment): like :meth:`canonical`,
        but its query only loses the tracking parameters (``download.jsp?fileId=7`` names the file)."""
        return self._on(self.base_url, url, None)

    @property
    def _page_params(self) -> frozenset[str] | None:
        if self.content_query_params is None:
            return None
        return frozenset(p.lower() for p in self.content_query_params) | PAGE_PARAMS

    @staticmethod
    def _on(origin: str, url: str, keep: frozenset[str] | None) -> str:
        parts, base = urlsplit(url), urlsplit(origin)
        return urlunsplit((base.scheme, base.netloc, parts.path or "/", clean_query(parts.query, keep), ""))

    def to_fetch_url(self, url: str, fetch_base: str | None) -> str:
        """Where to fetch a same-site ``url`` (a page's :meth:`canonical` URL, or a resource's): on
        ``fetch_base`` (a mirror) when given, else on the live origin; its query as given, but for the
        tracking parameters."""
        return self._on(fetch_base or self.base_url, url, None)

    def is_column_url(self, url: str) -> bool:
        if not self.column_url_pattern:
            return False
        return re.search(self.column_url_pattern, urlsplit(url).path) is not None

    def is_article_url(self, url: str) -> bool:
        if not self.article_url_pattern:
            return False
        return re.search(self.article_url_pattern, urlsplit(url).path) is not None
