"""The URL scheme of the mirror's second rendering ("cagd"): where each page and file of a site lives.

The second rendering shows the same generated :class:`~gdcac_mirror.content.Site` as the first, on the URL
scheme of the portal's public links (``www.cagd.gov.cn``): channels by number under ``/col/colNNNN/``
(the section ``政策法规`` at ``/col/col1234/index.html``, its columns beside it at ``/col/col1301/`` …, not
inside it), articles in date folders ``/v/YYYY/MM/NNNN.html`` with 4-digit ids that grow with publish time,
uploads under ``/u/cms/www/YYYYMM/``.  Listing pages go by a query string (``?page=N``) in some columns and
by static 0-based pages (``index_1.html`` is page 2) behind text links in another, as each column's pager
form says (:data:`PAGERS`).  There is no ``/zcfg/`` anywhere.

A query page has no file of its own on a static server: the build writes page N of a query-paged listing at
:func:`query_file` (under :data:`QUERY_DIR`, which the server maps ``?page=N`` onto).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from gdcac_mirror.content import Article, Attachment, ColumnSpec, Image, Site

QUERY_DIR = "_query"
"""The top directory of a built mirror that holds query-string pages (never served by its own path)."""
HOME_PATH = "/index.html"
SECTION_ID = 1234
"""The channel number of 政策法规 (``/col/col1234/index.html``)."""
NAV: tuple[tuple[str, str], ...] = (
    ("首页", "/"), ("网信要闻", "/col/col1219/index.html"), ("通知公告", "/col/col1226/index.html"),
    ("政策法规", f"/col/col{SECTION_ID}/index.html"), ("网络安全", "/col/col1241/index.html"),
    ("网络文化", "/col/col1248/index.html"), ("互动交流", "/col/col1255/index.html"),
    ("专题专栏", "/col/col1262/index.html"),
)
"""The site's top navigation, on every page; only 政策法规 (and 首页) are in the mirror, the rest answer 404."""
COLUMN_IDS: dict[str, int] = {"zcjd": 1301, "flfg": 1302, "gfxwj": 1303, "bmgz": 1304, "dfxfg": 1305, "zcwj": 1306}
"""Column code -> channel number."""
PAGERS: dict[str, str] = {"zcjd": "query-relative", "flfg": "query", "gfxwj": "text"}
"""Column code -> pager form: ``query-relative`` (links ``?page=N``), ``query`` (absolute links
``https://…/index.html?page=N``) or ``text`` (首页 上一页 下一页 尾页 to static ``index_K.html``, 0-based).
Columns not named here use ``query``."""
GBK_COLUMN = "gfxwj"
"""The column whose pages the CMS writes in GBK (meta ``charset=gb2312``) while the server says UTF-8."""
FIRST_ARTICLE_ID = 1021


def pager_form(spec: ColumnSpec) -> str:
    """The pager form of column ``spec`` (see :data:`PAGERS`)."""
    return PAGERS.get(spec.code, "query")


def column_dir(spec: ColumnSpec) -> str:
    """The folder of column ``spec`` (``/col/col1301/``)."""
    return f"/col/col{COLUMN_IDS[spec.code]}/"


def column_path(spec: ColumnSpec) -> str:
    """Path of the first listing page of column ``spec``."""
    return column_dir(spec) + "index.html"


def listing_path(spec: ColumnSpec, page: int) -> str:
    """The path (with its query string, if any) of listing page ``page`` (1-based) of column ``spec``."""
    if page == 1:
        return column_path(spec)
    if pager_form(spec) == "text":
        return f"{column_dir(spec)}index_{page - 1}.html"
    return f"{column_path(spec)}?page={page}"


def listing_file(spec: ColumnSpec, page: int) -> str:
    """The root-relative file the build writes listing page ``page`` of column ``spec`` into."""
    path = listing_path(spec, page)
    return query_file(*path.split("?", 1)) if "?" in path else path


def query_file(path: str, query: str) -> str:
    """The file of the page at ``path?query`` (``/col/col1301/index.html?page=2`` ->
    ``/_query/col/col1301/index.html/page=2.html``)."""
    return f"/{QUERY_DIR}{path}/{query}.html"


def upload_path(published_stamp: str, number: int, ext: str) -> str:
    """An uploaded file's path: ``/u/cms/www/YYYYMM/ddHHMMSS`` + a 5-digit serial + ``.ext``."""
    return f"/u/cms/www/{published_stamp[:6]}/{published_stamp[6:]}{number % 100000:05d}.{ext}"


@dataclass
class CagdScheme:
    """The paths of one site's pages and files in the second rendering."""

    site: Site
    ids: dict[int, int] = field(default_factory=dict)
    """Content id -> the 4-digit article number of this rendering."""

    def __post_init__(self) -> None:
        number = FIRST_ARTICLE_ID
        for art in sorted(self.site.articles, key=lambda a: (a.published, a.id)):
            self.ids[art.id] = number
            number += 1 + zlib.crc32(str(art.id).encode()) % 53

    def article_path(self, art: Article) -> str:
        return f"/v/{art.published:%Y}/{art.published:%m}/{self.ids[art.id]:04d}.html"

    def image_path(self, art: Article, image: Image) -> str:
        return upload_path(f"{art.published:%Y%m%d%H%M%S}", image.number, "png")

    def attachment_path(self, art: Article, att: Attachment) -> str | None:
        if att.path is None:
            return None
        return upload_path(f"{art.published:%Y%m%d%H%M%S}", att.number, att.ext)


__all__ = ["COLUMN_IDS", "GBK_COLUMN", "HOME_PATH", "NAV", "PAGERS", "QUERY_DIR", "SECTION_ID", "CagdScheme",
           "column_dir", "column_path", "listing_file", "listing_path", "pager_form", "query_file", "upload_path"]
