"""Discovery on a site the crawler has never seen: the section by its name, the links that are navigation and
not content, the columns of a section's own navigation, and the shapes of article URLs.

A government portal's pages are built from the same few parts whatever its CMS: a **top navigation** (the
list that holds 首页 and the site's sections, repeated on every page), a **breadcrumb** (当前位置：首页 > …), a
**footer** (主办单位, 网站地图, filing numbers), the **section's own navigation** (a left menu, tabs, the 更多
links of a section page's blocks) and **lists of dated links** (the articles).  The functions here tell them
apart by structure and words, never by a URL scheme, so the crawl finds its way on a site it has no profile
for, or whose paths changed.

Everything is pure and works on the lxml tree of one page (:func:`page_links` reads its links once):

* :func:`find_section_link`: the link that names the section (政策法规), exact text or title first, then a
  short text containing it; top navigation preferred, footers and article titles never taken;
* :func:`navigation_groups`: the link lists that are furniture — top navigation (the list holding the home
  link, or the lists the home page's navigation recurs in), breadcrumbs, footers;
* :func:`nav_columns`: a section page's columns — the largest list of same-site links that are neither
  furniture nor articles; :func:`more_columns`: the 更多 links of a section page's blocks;
* :func:`is_article_shaped`: an article URL on any of the schemes seen (``post_N``, ``tYYYYMMDD_N``,
  ``/YYYY-MM/DD/c_N``, ``/v/YYYY/MM/N``, ``art_N``, date folders), and :data:`PAGE_URL_PATTERN`, any page that
  is not a listing's ``index`` / ``index_N``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree

from gdcac_crawler.extract.dates import listed_date
from gdcac_crawler.extract.dom import text_nodes
from gdcac_crawler.extract.text import normalise_space
from gdcac_crawler.extract.vocabulary import CRUMB_ARROW_RE, CRUMB_LABEL_LOOSE_RE, HOME_NAMES

__all__ = [
    "ARTICLE_URL_RES", "PAGE_URL_PATTERN", "Link", "SectionLink", "find_section_link", "href_url", "is_article_shaped",
    "is_home_url", "is_page_url", "more_columns", "nav_columns", "navigation_groups", "page_links",
]

#: Article URLs of the schemes seen on government portals (regexes on the URL's path).
ARTICLE_URL_RES = tuple(re.compile(p, re.I) for p in (
    r"/content/m?post_\d+\.s?html?$",               # nfw-cms: /zcfg/zcjd/content/post_2107282.html
    r"/t(?:19|20)\d{6}_\d+\.s?html?$",              # TRS WCM: ./202206/t20220622_123456.html
    r"/(?:19|20)\d{2}-\d{2}/\d{2}/c_\d+\.s?html?$",  # cac.gov.cn: /2026-03/17/c_1234567890123456.htm
    r"/v/(?:19|20)\d{2}/\d{2}/\d+\.s?html?$",       # cagd.gov.cn: /v/2024/03/4773.html
    r"/art_\d+(?:_\d+)*\.s?html?$",                 # Hanweb: /art/2026/8/5/art_11018_999.html
    r"/(?:19|20)\d{2}(?:[-/]?[01]\d)(?:[-/]?[0-3]\d)?/[^/]+\.(?:s?html?|jhtml)$",  # any date folder
))
#: Any page that is not a listing's ``index`` / ``index_N`` (or ``list_N``) page: what a listing's entry may be.
PAGE_URL_PATTERN = r"/(?!(?:index|list|default)(?:[_-]\d+)?\.)[^/]+\.(?:s?html?|jhtml|jsp|aspx?|php)$"
_PAGE_URL_RE = re.compile(PAGE_URL_PATTERN, re.I)
_HOME_PATH_RE = re.compile(r"^/?(?:(?:index|default)\.(?:s?html?|jsp|aspx?|php))?$", re.I)

#: Class or id words of a page's footer: links there (site map, friends' sites) are never navigation.
_FOOTER_RE = re.compile(r"foot|bottom|copyright|banquan|yqlj|friend", re.I)
#: Class or id words of a navigation bar.
_NAV_RE = re.compile(r"nav|menu|daohang|(?:^|[\s_-])dh(?:$|[\s_-])|header|(?:^|[\s_-])top", re.I)
#: Class or id words of a breadcrumb.
_CRUMB_RE = re.compile(r"position|crumb|mbx|location|weizhi|dqwz|curpos|(?:^|[\s_-])pos(?:$|[\s_-])", re.I)
#: The 更多 link of a section page's block (more, 更多>>, 查看更多 +).
_MORE_RE = re.compile(r"^(?:查看)?更多\s*[>›»＞+＋]*$|^more\s*[>›»+]*$|^[>›»]{2}$", re.I)


def href_url(a: etree._Element, base: str) -> str | None:
    """The absolute URL a link leads to, or ``None`` for a fragment, a script or a mail link."""
    href = (a.get("href") or "").strip()
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
        return None
    return urljoin(base, href)


def _attrs(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


@dataclass(frozen=True, eq=False)
class Link:
    """One link of a page: where it leads, what it says, and the list it stands in."""

    element: etree._Element
    url: str
    """Absolute URL (as written, resolved against the page)."""
    text: str
    """Its visible text, normalised."""
    title: str
    """Its ``title`` attribute, normalised ('' when absent)."""
    group: etree._Element
    """The list it stands in: its nearest ancestor that holds another link too (the ``ul`` of ``li > a``, the
    ``tr`` of ``td > a``, the ``div`` of bare links)."""

    @property
    def name(self) -> str:
        """What the link calls its target: its title, else its text."""
        return self.title or self.text


def page_links(root: etree._Element, base: str) -> list[Link]:
    """Every followable link of the page, in document order, each with the list it stands in."""
    anchors = [(a, url) for a in root.iter("a") if (url := href_url(a, base)) is not None]
    counts: dict[etree._Element, int] = defaultdict(int)
    for a, _ in anchors:
        for ancestor in a.iterancestors():
            counts[ancestor] += 1
    links = []
    for a, url in anchors:
        group = a.getparent()
        node = group
        while node is not None and node.tag not in ("body", "html"):
            if counts[node] >= 2:
                group = node
                break
            node = node.getparent()
        links.append(Link(element=a, url=url, text=normalise_space(" ".join(text_nodes(a))),
                          title=normalise_space(a.get("title") or ""), group=group if group is not None else a))
    return links


def is_home_url(url: str) -> bool:
    """Whether ``url`` is a site's home page (``/``, ``/index.html``)."""
    parts = urlsplit(url)
    return not parts.query and _HOME_PATH_RE.match(parts.path or "/") is not None


def is_article_shaped(url: str) -> bool:
    """Whether ``url``'s path has the shape of an article on one of the schemes seen (:data:`ARTICLE_URL_RES`)."""
    path = urlsplit(url).path
    return any(r.search(path) for r in ARTICLE_URL_RES)


def is_page_url(url: str) -> bool:
    """Whether ``url`` is a page that may be an article: a web page (not a file to download) that is not a
    listing's ``index`` / ``index_N`` page, or an article-shaped URL."""
    return is_article_shaped(url) or _PAGE_URL_RE.search(urlsplit(url).path) is not None


def _in_footer(el: etree._Element) -> bool:
    return any(node.tag == "footer" or _FOOTER_RE.search(_attrs(node)) for node in (el, *el.iterancestors()))


def _is_dated(link: Link) -> bool:
    """Whether the link stands in a dated item (an article of a list): its item, up to three levels up and
    holding no other link, prints a date outside the link."""
    item = link.element
    own = " ".join(text_nodes(link.element))
    for _ in range(3):
        item = item.getparent()
        if item is None or item.tag in ("body", "html") or len(item.findall(".//a[@href]")) > 1:
            return False
        rest = " ".join(t for t in text_nodes(item) if t not in own)
        if rest and listed_date(rest):
            return True
    return False


def _is_crumb(group: etree._Element, links: list[Link]) -> bool:
    nodes = [group, *list(group.iterancestors())[:2]]
    if any(_CRUMB_RE.search(_attrs(node)) for node in nodes):
        return True
    if any(CRUMB_LABEL_LOOSE_RE.match(normalise_space(node.text or "")) for node in nodes if (node.text or "").strip()):
        return True
    text = normalise_space(" ".join(text_nodes(group)))
    return (len(text) <= 120 and bool(links) and links[0].name in HOME_NAMES and len(links) >= 2
            and CRUMB_ARROW_RE.search(text) is not None)


def _groups(links: Iterable[Link]) -> dict[etree._Element, list[Link]]:
    groups: dict[etree._Element, list[Link]] = defaultdict(list)
    for link in links:
        groups[link.group].append(link)
    return groups


def _is_home_link(link: Link, same_site: Callable[[str], bool]) -> bool:
    return link.name in HOME_NAMES or (same_site(link.url) and is_home_url(link.url))


def _is_nav(group: etree._Element, members: list[Link], same_site: Callable[[str], bool]) -> bool:
    """A navigation bar: a list of at least four links that holds the home link, or sits in a ``nav`` /
    ``header`` or an element whose class or id names a navigation (nav, menu, 导航 …), outside any footer."""
    if len(members) < 4 or _in_footer(group):
        return False
    if any(_is_home_link(link, same_site) for link in members):
        return True
    return any(node.tag in ("nav", "header") or _NAV_RE.search(_attrs(node))
               for node in (group, *list(group.iterancestors())[:3]))


def navigation_groups(links: list[Link], same_site: Callable[[str], bool],
                      nav_urls: Iterable[str] = (), canonical: Callable[[str], str] = str) -> set[etree._Element]:
    """The link lists of a page that are furniture, not content: the top navigation (a list of three or more
    links that holds the home link, or that repeats at least half of ``nav_urls`` — the canonical URLs of the
    home page's navigation, which recurs on every page), breadcrumbs and footers."""
    known = frozenset(nav_urls)
    furniture = set()
    for group, members in _groups(links).items():
        top = len(members) >= 3 and any(_is_home_link(link, same_site) for link in members)
        recurring = bool(known) and len({canonical(m.url) for m in members} & known) >= max(
            2, min(len(known), len(members)) // 2)
        if top or recurring or _in_footer(group) or _is_crumb(group, members):
            furniture.add(group)
    return furniture


@dataclass(frozen=True)
class SectionLink:
    """The link that names the section on a page, and how it was found."""

    url: str
    name: str
    method: str
    """``nav-name`` (the exact name in a navigation bar), ``link-name`` (the exact name elsewhere),
    ``nav-contains`` / ``link-contains`` (a short link text containing the name)."""
    nav_urls: frozenset[str]
    """The URLs of the navigation bar it stands in (empty when it is in none): the top navigation, which
    recurs on the section's pages and is never one of its columns."""


def find_section_link(root: etree._Element, base: str, name: str, *,
                      same_site: Callable[[str], bool]) -> SectionLink | None:
    """The same-site link that names the section ``name`` (政策法规) on a page, usually the home page.

    A link whose text or title is exactly the name comes first, then one whose text contains it and is at
    most four characters longer (政策法规栏目); within each, a link in a navigation bar before any other, and
    links in a footer last.  Links in dated items and article-shaped links (an article titled 关于政策法规…)
    are never taken, nor the home page itself.
    """
    name = normalise_space(name)
    if not name:
        return None
    links = page_links(root, base)
    groups = _groups(links)
    best: tuple[tuple[int, int, int, int], Link, bool, bool] | None = None
    for index, link in enumerate(links):
        if not same_site(link.url) or is_home_url(link.url) or is_article_shaped(link.url):
            continue
        names = {t for t in (link.text, link.title) if t}
        exact = name in names
        if not exact and not any(name in t and len(t) <= len(name) + 4 for t in names):
            continue
        if _is_dated(link):
            continue
        footer = _in_footer(link.element)
        nav = not footer and _is_nav(link.group, groups[link.group], same_site)
        rank = (int(footer), 0 if exact else 1, 0 if nav else 1, index)
        if best is None or rank < best[0]:
            best = (rank, link, exact, nav)
    if best is None:
        return None
    _, link, exact, nav = best
    method = f"{'nav' if nav else 'link'}-{'name' if exact else 'contains'}"
    nav_urls = frozenset(m.url for m in groups[link.group]) if nav else frozenset()
    return SectionLink(url=link.url, name=link.name, method=method, nav_urls=nav_urls)


def _column_candidates(links: list[Link], section_url: str, same_site: Callable[[str], bool],
                       furniture: set[etree._Element], canonical: Callable[[str], str]) -> list[Link]:
    """Same-site links that may lead to a column: not furniture, not the section or the home page, not an
    article (article-shaped or dated), not a file, with a short name."""
    section = canonical(section_url).removesuffix("index.html")
    # lists nested in the top navigation are other sections' drop-down menus, except the section's own
    inside = {g for g in {link.group for link in links} if any(a in furniture for a in g.iterancestors())}
    own_menus = {g for link in links if canonical(link.url).removesuffix("index.html") == section
                 for g in inside if any(a is link.element.getparent() for a in g.iterancestors())}
    out = []
    for link in links:
        if link.group in furniture or (link.group in inside and link.group not in own_menus):
            continue
        url = link.url
        if not same_site(url) or is_home_url(url) or canonical(url).removesuffix("index.html") == section:
            continue
        path = urlsplit(url).path
        if is_article_shaped(url) or re.search(r"\.(?!s?html?$|jhtml$|jsp$|aspx?$|php$)[a-z0-9]{2,5}$", path, re.I):
            continue
        name = link.name
        if not name or len(name) > 24 or name in HOME_NAMES or _MORE_RE.match(link.text or "") or _is_dated(link):
            continue
        out.append(link)
    return out


def _dedupe(found: Iterable[tuple[str, str]], canonical: Callable[[str], str]) -> list[tuple[str, str]]:
    out, seen = [], set()
    for name, url in found:
        key = canonical(url).removesuffix("index.html")
        if key not in seen:
            seen.add(key)
            out.append((name, url))
    return out


def nav_columns(root: etree._Element, base: str, *, section_url: str, same_site: Callable[[str], bool],
                nav_urls: Iterable[str] = (), canonical: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """A section page's columns by its navigation: ``[(name, url)]`` of the largest list of at least two
    same-site links that are not furniture (:func:`navigation_groups`), articles, files, the section itself
    or the home page — a left menu, a tab strip.  Any URL scheme: columns may live outside the section's
    folder (``/col/col1301/index.html`` under ``/col/col1234/``)."""
    links = page_links(root, base)
    furniture = navigation_groups(links, same_site, nav_urls, canonical)
    groups = _groups(_column_candidates(links, section_url, same_site, furniture, canonical))
    if not groups:
        return []
    best = max(groups.values(), key=len)
    columns = _dedupe(((link.name, link.url) for link in best), canonical)
    return columns if len(columns) >= 2 else []


def more_columns(root: etree._Element, base: str, *, section_url: str, same_site: Callable[[str], bool],
                 canonical: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """A section page's columns by the 更多 links of its blocks: ``[(name, url)]``, each named by the block's
    heading (the text of the 更多 link's parent without the link, else its ``title``)."""
    found = []
    section = canonical(section_url).removesuffix("index.html")
    for link in page_links(root, base):
        if not _MORE_RE.match(link.text or "") or not same_site(link.url):
            continue
        if canonical(link.url).removesuffix("index.html") == section or is_article_shaped(link.url):
            continue
        own = set(text_nodes(link.element))
        node, heading = link.element.getparent(), ""
        for _ in range(3):
            if node is None or node.tag in ("body", "html"):
                break
            text = normalise_space(" ".join(t for t in text_nodes(node) if t not in own))
            if text:
                heading = text if len(text) <= 24 else ""
                break
            if len(node.findall(".//a[@href]")) > 1:
                break
            node = node.getparent()
        name = heading or link.title
        if name:
            found.append((name, link.url))
    return _dedupe(found, canonical)
