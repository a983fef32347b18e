"""The HTML of the mirror's second rendering ("cagd"): the same content as :mod:`gdcac_mirror.templates`,
printed as another provincial CMS of the 集约化 kind prints it.

Every page carries the same frame: a top bar (``div.g-top``), the header with the two title lines and the
search form (``div.g-header``), the top navigation ``div.g-nav > ul.nav-ul > li.nav-li`` (the current
section's ``li`` also has class ``on``) and the footer ``div.g-foot`` (主办单位, 版权所有, ICP number, site ID
code).  Inside it:

- the home page: ``div.idx-box`` blocks, one of them 政策法规's newest articles with a 更多 link;
- the section page: the crumbs ``div.crumbs`` (您当前的位置：首页 > 政策法规), the side menu of its columns
  ``div.side-menu > ul.side-ul > li`` and one ``div.lm-box`` per column (``ul.lm-list``, ``a.more``);
- a listing page: crumbs, side menu (``li.cur`` the column), ``div.news-list > dl > dd`` entries (a link, then
  the date in ``<em>``) and the pager: ``div.pagination`` for query pagers, ``div.page-bar`` for the text-link
  pager (see :mod:`gdcac_mirror.urls_cagd`);
- an article: crumbs, ``div.article-hd`` with ``<h2>`` and ``p.meta`` (``发布时间：…``, ``来源：…``, the
  【字号：大 中 小】 widget), the body ``div.article-bd#fontzoom > div.v_news_content``, attachments in
  ``div.attach`` (the file name as link text), then ``div.article-tools`` (分享到, 打印本页, 关闭窗口, the QR
  block).

Links: the navigation, crumbs' 首页 and the absolute query pager are absolute on the live origin; list entries
are root-relative; the text-link pager is page-relative.  Pure functions from content objects to ``str``.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from gdcac_mirror import urls_cagd as urls
from gdcac_mirror.content import (
    BASE_URL,
    HEADER_LINES,
    ICP_NUMBER,
    SECTION_NAME,
    SITE_ID_CODE,
    SITE_NAME,
    Article,
    Column,
    ColumnSpec,
    ListingEntry,
)
from gdcac_mirror.templates import attr, esc

SITE_DOMAIN = urlsplit(BASE_URL).netloc
UTF8_META = '<meta charset="utf-8">'
GB2312_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
SECTION_PATH = urls.NAV[[name for name, _ in urls.NAV].index(SECTION_NAME)][1]
ROBOTS_TXT = "User-agent: *\nDisallow: /jsearch/\nDisallow: /member/\n"

# --- the frame ---------------------------------------------------------------------------------------


def is_gbk(spec: ColumnSpec | None) -> bool:
    """Whether pages of column ``spec`` are written in GBK (see :data:`urls_cagd.GBK_COLUMN`)."""
    return spec is not None and spec.code == urls.GBK_COLUMN


def page_bytes(page: str, spec: ColumnSpec | None) -> bytes:
    """A page's bytes: GBK for the GBK column (strictly: a character GBK lacks is an error), else UTF-8."""
    return page.encode("gbk" if is_gbk(spec) else "utf-8")


def head(title: str, metas: Sequence[tuple[str, str]], spec: ColumnSpec | None) -> str:
    """``<head>``: the charset tag (GB2312 for the GBK column), the government meta tags, the title."""
    meta_html = "\n".join(f'<meta name="{name}" content="{attr(value)}">' for name, value in metas)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{GB2312_META if is_gbk(spec) else UTF8_META}
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<title>{esc(title)}</title>
{meta_html}
<link rel="stylesheet" type="text/css" href="/style/css/base.css">
<link rel="stylesheet" type="text/css" href="/style/css/sub.css">
<script type="text/javascript" src="/style/js/jquery-1.12.4.min.js"></script>
</head>
"""


def column_metas(spec: ColumnSpec | None) -> list[tuple[str, str]]:
    """SiteName, SiteDomain, SiteIDCode and (on a column's pages) the column's meta tags."""
    metas = [("SiteName", SITE_NAME), ("SiteDomain", SITE_DOMAIN), ("SiteIDCode", SITE_ID_CODE)]
    if spec is None:
        return metas
    return [*metas, ("ColumnName", spec.name), ("ColumnDescription", spec.description),
            ("ColumnKeywords", spec.name), ("ColumnType", spec.name)]


def top(current: str) -> str:
    """``<body>``, the top bar, the header and the navigation, ``current`` (a nav name) marked ``on``."""
    items = "\n".join(
        f'<li class="nav-li{" on" if name == current else ""}"><a href="{BASE_URL}{path}" target="_self">'
        f"{esc(name)}</a></li>" for name, path in urls.NAV)
    return f"""<body>
<div class="g-top"><div class="w1200 clearfix">
<span class="fl">欢迎访问{esc(SITE_NAME)}网站</span>
<span class="fr"><a href="javascript:;" id="cniil_wza">无障碍</a> |
<a href="javascript:;" class="elder">长者模式</a></span>
</div></div>
<div class="g-header"><div class="w1200 clearfix">
<a class="logo" href="{BASE_URL}/"><img src="/style/images/logo.png" alt="{attr(SITE_NAME)}"></a>
<div class="hd-txt"><strong>{esc(HEADER_LINES[0])}</strong><em>{esc(HEADER_LINES[1])}</em></div>
<form class="hd-search" action="/jsearch/search.do" method="get" target="_blank">
<input type="text" name="q" placeholder="请输入关键词"><button type="submit">搜索</button>
</form>
</div></div>
<div class="g-nav"><ul class="w1200 nav-ul clearfix">
{items}
</ul></div>
"""


def foot() -> str:
    """``div.g-foot``, then the end of the page."""
    return f"""<div class="g-foot"><div class="w1200">
<div class="ft-links"><a href="/col/col1270/index.html">关于我们</a> | <a href="/col/col1271/index.html">网站地图</a> |
<a href="/col/col1272/index.html">联系我们</a></div>
<div class="ft-info">
<p>主办单位：{esc(HEADER_LINES[0])}　承办：{esc(SITE_NAME)}</p>
<p>版权所有：{esc(SITE_NAME)}　<a href="https://beian.miit.gov.cn/" target="_blank">{esc(ICP_NUMBER)}</a>
　网站标识码：{SITE_ID_CODE}</p>
</div>
<div class="ft-jiucuo">
<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={SITE_ID_CODE}" target="_blank">
<img src="/style/images/jiucuo.png" alt="政府网站找错"></a></div>
</div></div>
</body>
</html>
"""


def crumbs(spec: ColumnSpec | None) -> str:
    """``div.crumbs``: 您当前的位置：首页 > 政策法规 [> the column]."""
    links = [f'<a href="{BASE_URL}/">首页</a>', f'<a href="{SECTION_PATH}">{esc(SECTION_NAME)}</a>']
    if spec is not None:
        links.append(f'<a href="{urls.column_path(spec)}">{esc(spec.name)}</a>')
    return '<div class="crumbs">您当前的位置：' + " &gt; ".join(links) + "</div>"


def side_menu(specs: Sequence[ColumnSpec], current: ColumnSpec | None) -> str:
    """``div.side-menu``: the section's name and its columns, the current one ``li.cur``."""
    cur = ' class="cur"'
    items = "\n".join(
        f'<li{cur if spec == current else ""}><a href="{urls.column_path(spec)}" '
        f'title="{attr(spec.name)}">{esc(spec.name)}</a></li>' for spec in specs)
    return f"""<div class="side-menu">
<div class="side-tit"><h2>{esc(SECTION_NAME)}</h2></div>
<ul class="side-ul">
{items}
</ul>
</div>"""


def sub_page(title: str, spec: ColumnSpec | None, main: str, metas: Sequence[tuple[str, str]]) -> str:
    """A page of the section (section, listing or article): the frame around ``main``."""
    return (head(title, metas, spec) + top(SECTION_NAME) + f'<div class="g-main w1200 clearfix">\n{crumbs(spec)}\n'
            + main + "\n</div>\n" + foot())


# --- entries and pagers ------------------------------------------------------------------------------


def entry_href(entry: ListingEntry, scheme: urls.CagdScheme) -> str:
    """An entry's link: root-relative for an article, the off-site URL as it is."""
    return scheme.article_path(entry) if isinstance(entry, Article) else entry.url


def entry_link(entry: ListingEntry, scheme: urls.CagdScheme) -> str:
    return (f'<a href="{attr(entry_href(entry, scheme))}" target="_blank" title="{attr(entry.title)}">'
            f"{esc(entry.title)}</a>")


def news_list(entries: Sequence[ListingEntry], scheme: urls.CagdScheme) -> str:
    """``div.news-list > dl > dd``: a link, then the date in ``<em>``."""
    items = "\n".join(f"<dd>{entry_link(e, scheme)}<em>{e.published:%Y-%m-%d}</em></dd>" for e in entries)
    return f'<div class="news-list">\n<dl>\n{items}\n</dl>\n</div>'


def query_href(spec: ColumnSpec, page: int) -> str:
    """A query pager's link to ``page``: ``?page=N`` or absolute ``https://…/index.html?page=N``."""
    if urls.pager_form(spec) == "query-relative":
        return f"?page={page}"
    return f"{BASE_URL}{urls.column_path(spec)}?page={page}"


def query_pager(column: Column, page: int) -> str:
    """``div.pagination``: totals, 首页 / 上一页, up to five numbered links, 下一页 / 尾页."""
    spec, last = column.spec, column.pages

    def link(n: int, label: str, cls: str) -> str:
        return f'<a class="{cls}" href="{query_href(spec, n)}">{label}</a>'

    def edge(n: int, label: str, cls: str, active: bool) -> str:
        return link(n, label, cls) if active else f'<span class="{cls} disabled">{label}</span>'

    lo = max(1, min(page - 2, last - 4))
    nums = [link(n, str(n), "pg-num cur" if n == page else "pg-num") for n in range(lo, min(last, lo + 4) + 1)]
    parts = [f'<span class="pg-total">共{len(column.entries)}条</span>',
             f'<span class="pg-info">第{page}/{last}页</span>',
             edge(1, "首页", "pg-first", page > 1), edge(page - 1, "上一页", "pg-prev", page > 1), *nums,
             edge(page + 1, "下一页", "pg-next", page < last), edge(last, "尾页", "pg-last", page < last)]
    return '<div class="pagination" id="pagination">\n' + "\n".join(parts) + "\n</div>"


def text_pager(column: Column, page: int) -> str:
    """``div.page-bar``: 共N页 当前第K页 and the text links 首页 上一页 下一页 尾页 (page-relative, 0-based
    ``index_K.html``); a link that leads nowhere is plain text."""
    last = column.pages

    def word(n: int, label: str, active: bool) -> str:
        name = "index.html" if n == 1 else f"index_{n - 1}.html"
        return f'<a href="{name}">{label}</a>' if active else f"<span>{label}</span>"

    words = [word(1, "首页", page > 1), word(page - 1, "上一页", page > 1), word(page + 1, "下一页", page < last),
             word(last, "尾页", page < last)]
    return f'<div class="page-bar">共{last}页&nbsp;&nbsp;当前第{page}页&nbsp;&nbsp;' + " ".join(words) + "</div>"


# --- pages -------------------------------------------------------------------------------------------


def listing_page(column: Column, page: int, specs: Sequence[ColumnSpec], scheme: urls.CagdScheme) -> str:
    """Listing page ``page`` of ``column``."""
    spec = column.spec
    pager = text_pager if urls.pager_form(spec) == "text" else query_pager
    main = f"""<div class="sub-left fl">
{side_menu(specs, spec)}
</div>
<div class="sub-right fr">
<div class="list-box">
<div class="list-hd"><h3>{esc(spec.name)}</h3></div>
{news_list(column.page_entries(page), scheme)}
{pager(column, page)}
</div>
</div>"""
    return sub_page(f"{spec.name}-{SITE_NAME}", spec, main, column_metas(spec))


def lm_box(column: Column, scheme: urls.CagdScheme, latest: int) -> str:
    """A block of the section page: the column's name, 更多, its newest entries."""
    spec = column.spec
    items = "\n".join(f'<li>{entry_link(e, scheme)}<span class="date">{e.published:%Y-%m-%d}</span></li>'
                      for e in column.entries[:latest])
    return f"""<div class="lm-box">
<div class="lm-hd"><h3>{esc(spec.name)}</h3>
<a class="more" href="{urls.column_path(spec)}" target="_blank">更多 &gt;</a></div>
<ul class="lm-list">
{items}
</ul>
</div>"""


def section_page(columns: Sequence[Column], scheme: urls.CagdScheme, latest: int = 5) -> str:
    """The section page: side menu of the columns and one block per column."""
    blocks = "\n".join(lm_box(c, scheme, latest) for c in columns)
    main = f"""<div class="sub-left fl">
{side_menu([c.spec for c in columns], None)}
</div>
<div class="sub-right fr">
{blocks}
</div>"""
    return sub_page(f"{SECTION_NAME}-{SITE_NAME}", None, main, [*column_metas(None), ("ColumnName", SECTION_NAME)])


def home_page(columns: Sequence[Column], scheme: urls.CagdScheme, latest: int = 6) -> str:
    """The home page: the frame, 政策法规's newest articles, the special-topic links."""
    newest = sorted((e for c in columns for e in c.entries if isinstance(e, Article)),
                    key=lambda a: (a.published, a.id), reverse=True)[:latest]
    items = "\n".join(f'<li>{entry_link(a, scheme)}<span class="date">{a.published:%m-%d}</span></li>' for a in newest)
    topics = "\n".join(f'<li><a href="/col/col1262/index.html#zt{n}" target="_blank">{esc(name)}</a></li>'
                       for n, name in enumerate(("网络安全宣传周", "清朗系列专项行动", "数字政府建设"), start=1))
    return head(SITE_NAME, column_metas(None), None) + top("首页") + f"""<div class="g-main w1200 clearfix">
<div class="idx-box idx-zcfg fl">
<div class="idx-hd"><h3>{esc(SECTION_NAME)}</h3><a class="more" href="{SECTION_PATH}">更多 &gt;</a></div>
<ul class="idx-list">
{items}
</ul>
</div>
<div class="idx-box idx-zt fr">
<div class="idx-hd"><h3>专题专栏</h3></div>
<ul class="zt-list">
{topics}
</ul>
</div>
</div>
""" + foot()


# --- articles ----------------------------------------------------------------------------------------

_INDENT = '<p style="text-indent: 2em;">'
_CENTRE = '<p style="text-align: center;">'
FONT_WIDGET = ('<span class="fsize">【字号：<a href="javascript:setFontSize(18);">大</a> '
               '<a href="javascript:setFontSize(16);">中</a> <a href="javascript:setFontSize(14);">小</a>】</span>')
TOOLS = """<div class="article-tools clearfix">
<div class="share fl">分享到：<a href="javascript:;" class="s-wx" title="微信">微信</a>
<a href="javascript:;" class="s-wb" title="微博">微博</a>
<a href="javascript:;" class="s-qq" title="QQ空间">QQ空间</a></div>
<div class="tools fr"><a href="javascript:window.print();">【打印本页】</a>
<a href="javascript:window.close();">【关闭窗口】</a></div>
</div>
<div class="art-qr"><img src="/style/images/qrcode.png" alt="二维码"><p>扫一扫在手机打开当前页</p></div>"""


def meta_source(art: Article) -> str:
    """What the page's ``ContentSource`` meta tag holds: the CMS's source field (an editor's account name for
    the ``junk_meta`` articles; this CMS stores no entities, so the ``escaped_source`` articles hold the
    plain source)."""
    return art.source if art.variant == "escaped_source" else art.meta_source


def body(art: Article, scheme: urls.CagdScheme) -> str:
    """The body blocks as the editor writes them: indented paragraphs, bold headings, centred images with
    the uploaded file name in ``alt`` and ``title``, centred captions (and file-name lines)."""
    out = []
    for b in art.blocks:
        if b.kind == "image" and b.image is not None:
            alt = attr(b.image.alt)
            out.append(f'{_CENTRE}<img src="{scheme.image_path(art, b.image)}" title="{alt}" alt="{alt}" '
                       'border="0" vspace="0"></p>')
        elif b.kind == "para":
            out.append(f"{_INDENT}{esc(b.text)}</p>")
        elif b.kind == "heading":
            out.append(f"{_INDENT}<strong>{esc(b.text)}</strong></p>")
        else:  # caption, filename
            out.append(f"{_CENTRE}{esc(b.text)}</p>")
    return "\n".join(out)


def attachments(art: Article, scheme: urls.CagdScheme) -> str:
    """``div.attach``: 附件： and one link per file, its name as the link text (an empty ``href`` where the
    file is missing)."""
    if not art.attachments:
        return ""
    items = []
    for att in art.attachments:
        path = scheme.attachment_path(art, att)
        items.append(f'<li><a href="{BASE_URL + path if path else ""}" target="_blank" title="{attr(att.name)}">'
                     f"{esc(att.name)}</a></li>")
    return '<div class="attach">\n<p class="attach-tit">附件：</p>\n<ul>\n' + "\n".join(items) + "\n</ul>\n</div>"


def article_metas(art: Article, scheme: urls.CagdScheme) -> list[tuple[str, str]]:
    """The column's meta tags, then ArticleTitle, PubDate, ContentSource and Url."""
    return [*column_metas(art.column), ("ArticleTitle", art.title),
            ("PubDate", art.published.strftime("%Y-%m-%d %H:%M:%S")), ("ContentSource", meta_source(art)),
            ("Url", BASE_URL + scheme.article_path(art))]


def article_page(art: Article, scheme: urls.CagdScheme) -> str:
    """The whole HTML of an article page."""
    main = f"""<div class="art-wrap">
<div class="article-hd">
<h2>{esc(art.title)}</h2>
<p class="meta"><span>发布时间：{art.published_text}</span><span>来源：{esc(art.source)}</span>{FONT_WIDGET}</p>
</div>
<div class="article-bd" id="fontzoom">
<div class="v_news_content">
{body(art, scheme)}
</div>
</div>
{attachments(art, scheme)}
{TOOLS}
</div>"""
    return sub_page(f"{art.title}-{SITE_NAME}", art.column, main, article_metas(art, scheme))


__all__ = ["GB2312_META", "ROBOTS_TXT", "SECTION_PATH", "UTF8_META", "article_metas", "article_page", "body",
           "home_page", "is_gbk", "listing_page", "meta_source", "page_bytes", "section_page"]
