"""The mirror's HTML: every page template of the site, modelled on Guangdong's shared site platform.

Pure functions from :mod:`gdcac_mirror.content` objects to ``str``.  Links are mostly absolute to the
platform's host for the portal (``https://www.gdcac.gov.cn/...``, an alias of the live origin) and about one in four
root-relative; which one is decided by a checksum of the page and the target, so it is the same on every
build.  Text is HTML-escaped with ``&``, ``<`` and ``>`` only, so that the seed's characters stay as they are.
Every page is UTF-8 with ``<meta charset="UTF-8">`` except the legacy-encoded articles
(:mod:`gdcac_mirror.legacy`), whose charset tag (or its absence) and bytes :func:`article_bytes` makes.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Iterable, Sequence

from gdcac_mirror.content import (
    HEADER_LINES,
    ICP_NUMBER,
    PAGE_ORIGIN,
    SECTION_CODE,
    SECTION_NAME,
    SITE_DOMAIN,
    SITE_ID_CODE,
    SITE_NAME,
    Article,
    Attachment,
    Block,
    Column,
    ColumnSpec,
    ListingEntry,
    entity_quotes,
)

OTHER_SECTIONS: tuple[tuple[str, str], ...] = (
    ("网信动态", "/wxdt/index.html"), ("网信要闻", "/wxyw/index.html"), (SECTION_NAME, f"/{SECTION_CODE}/index.html"),
    ("网络安全", "/wlaq/index.html"), ("网络文化", "/wlwh/index.html"), ("互动交流", "/hdjl/index.html"),
)
"""The site's top navigation; only 政策法规 is in the mirror (the others answer 404)."""


def esc(text: str) -> str:
    """Escape text content: ``&``, ``<`` and ``>`` only."""
    return html.escape(text, quote=False)


def attr(value: str) -> str:
    """Escape an attribute value (double-quoted)."""
    return html.escape(value, quote=True)


def href(path: str, context: str) -> str:
    """The link to root-relative ``path`` as written on page ``context``: absolute to the canonical host,
    except about one link in four, which stays root-relative."""
    if zlib.crc32(f"{context}|{path}".encode()) % 4 == 0:
        return path
    return PAGE_ORIGIN + path


def absolute(path: str) -> str:
    return PAGE_ORIGIN + path


# --- page furniture ------------------------------------------------------------------------------------


def _mobile_redirect(mobile_path: str) -> str:
    target = absolute(mobile_path)
    return ('<script>(function(u){if((u.indexOf("iP")>-1||u.indexOf("Android")>-1)&&document.location.href!="'
            f'{target}"){{document.location.href="{target}"}}}})(window.navigator.userAgent);</script>')


UTF8_META = '<meta charset="UTF-8">'


def head(title: str, metas: Sequence[tuple[str, str]], mobile_path: str, charset_meta: str = UTF8_META) -> str:
    """``<head>`` with the charset meta tag (``charset_meta``, raw HTML; empty: none), the government meta
    tags, the title, and the phone redirect."""
    meta_html = "\n".join(f'    <meta name="{name}" content="{attr(value)}">' for name, value in metas)
    charset_line = f"    {charset_meta}\n" if charset_meta else ""
    return f"""<!DOCTYPE html>
<html>
<head>
    <!-- <meta>标签 -->
{charset_line}    <meta http-equiv="X-UA-Compatible" content="IE=edge">
{meta_html}
    <title>{esc(title)}</title>
    <link rel="stylesheet" href="/images/gdcac_common.css">
    <script type="text/javascript" src="/global/jquery-min.js"></script>
    {_mobile_redirect(mobile_path)}
</head>
"""


def site_metas(column: ColumnSpec | None) -> list[tuple[str, str]]:
    metas = [("SiteName", SITE_NAME), ("SiteDomain", SITE_DOMAIN), ("SiteIDCode", SITE_ID_CODE)]
    if column is not None:
        metas += [("ColumnName", column.name), ("ColumnDescription", column.description),
                  ("ColumnKeywords", f"{SECTION_NAME} {column.name}"), ("ColumnType", column.name)]
    else:
        metas += [("ColumnName", SECTION_NAME), ("ColumnType", SECTION_NAME)]
    return metas


def site_header(ctx: str) -> str:
    """The site header (two title lines) and the top navigation ``div#nav``."""
    nav = "\n".join(f'                <li><a href="{href(path, ctx)}">{esc(name)}</a></li>'
                    for name, path in OTHER_SECTIONS)
    return f"""<body>
<!--头部s-->
<div class="hearder header">
    <div class="wrapper header-top clearfix">
        <a href="{href("/", ctx)}" class="logo" title="{attr(SITE_NAME)}"></a>
        <div class="top-title"><p class="t1">{esc(HEADER_LINES[0])}</p><p class="t2">{esc(HEADER_LINES[1])}</p></div>
    </div>
</div>
<div class="menu">
    <div class="wrapper menunr clearfix" id="nav">
        <div class="nav f-l clearfix">
            <ul class="tab-hd">
                <li><a href="{href("/", ctx)}" class="sy">首页</a></li>
{nav}
            </ul>
        </div>
        <div class="search clearfix f-r">
            <form class="form-wrapper cf" method="get" name="SearchForm1" action="{absolute("/search/")}">
                <input name="keywords" type="text" class="srk f-r" value="">
                <button class="ss f-l" type="submit">搜索</button>
            </form>
        </div>
    </div>
</div>
<!--头部e-->
"""


def footer(ctx: str) -> str:
    """``div.footer``: 主办单位, 版权所有, the ICP number and the site ID code."""
    return f"""<!--尾部s-->
<div class="footer mt30">
    <div class="wrapper">
        <div class="foot-txt">
            <div class="clearfix footer-clj">
                <a target="_blank" href="{href("/gywm/index.html", ctx)}">关于我们</a><span>|</span>
                <a target="_blank" href="{href("/wzdt/index.html", ctx)}">网站地图</a><span>|</span>
                <a target="_blank" href="{href("/lxwm/index.html", ctx)}">联系我们</a>
            </div>
            <p><span>主办单位：{esc(HEADER_LINES[0])}</span></p>
            <p><span>版权所有：{esc(SITE_NAME)}&nbsp;&nbsp;&nbsp;未经书面授权禁止复制或建立镜像</span></p>
            <p class="icp"><span><a href="https://beian.miit.gov.cn/">{esc(ICP_NUMBER)}</a></span>
                <span>网站标识码{SITE_ID_CODE}</span></p>
        </div>
    </div>
</div>
<!--尾部e-->
</body>
</html>
"""


def breadcrumb(css_class: str, label: str, sep: str, column: ColumnSpec | None, ctx: str) -> str:
    """A breadcrumb: ``label`` then 首页 / 政策法规 / the column as links joined by ``sep`` (raw HTML)."""
    crumbs = [("首页", "/"), (SECTION_NAME, f"/{SECTION_CODE}/")]
    if column is not None:
        crumbs.append((column.name, f"/{SECTION_CODE}/{column.code}/"))
    links = sep.join(f'<a href="{href(path, ctx)}">{esc(name)}</a>' for name, path in crumbs)
    return f'<div class="{css_class}">{label}{links}</div>'


def leftnav(columns: Iterable[ColumnSpec], ctx: str) -> str:
    """``div#leftnav``: the section's columns (how the crawler discovers them)."""
    items = "\n".join(
        f'                <li id="chnl_{c.chnl_id}">\n'
        f'                    <a title=\'{attr(c.name)}\' href="{href(c.path, ctx)}"><span>{esc(c.name)}</span></a>\n'
        f"                </li>"
        for c in columns)
    return f"""        <div class="cont-left-xl" id="leftnav">
            <h3 title="{SECTION_NAME}"><span class="newspanh3">{SECTION_NAME}</span></h3>
            <ul>
{items}
            </ul>
        </div>"""


def share_block() -> str:
    """``div.share``: 分享到, 打印 and 关闭窗口."""
    return ('<div class="share">分享到：<a href="javascript:void(0);" class="wechat">微信</a> '
            '<a href="javascript:void(0);" class="weibo">微博</a> '
            '<a href="javascript:void(0);" class="qzone">QQ空间</a>'
            ' <a href="javascript:window.print();" class="print">打印</a>'
            ' <a href="javascript:window.close();" class="close">关闭窗口</a></div>')


# --- article bodies ------------------------------------------------------------------------------------


def _img(block: Block, art: Article, ctx: str) -> str:
    image = block.image
    assert image is not None
    src = image.path if art.is_seed else href(image.path, ctx)
    return f'<p style="text-align: center;"><img src="{attr(src)}" alt="{attr(image.alt)}"></p>'


_CENTRED = ('<p style="text-align: center;">', "</p>")
_INDENTED = '<p indenttext="\u3000\u3000" style="text-align: justify;">\u3000\u3000'


def _body_lines(art: Article, ctx: str, para: tuple[str, str], heading: tuple[str, str]) -> list[str]:
    """One line per body block: paragraphs and headings between the layout's ``para`` / ``heading`` markup
    (opening, closing), images and the centred caption and file-name lines the same in every layout."""
    wrap = {"para": para, "heading": heading}
    out = []
    for b in art.blocks:
        if b.kind == "image":
            out.append(_img(b, art, ctx))
        else:  # para, heading, caption, filename
            opening, closing = wrap.get(b.kind, _CENTRED)
            out.append(f"{opening}{esc(b.text)}{closing}")
    return out


def body_seed(art: Article, ctx: str) -> str:
    """Body blocks as the seed page writes them: one ``<p>`` each, headings ``<p><strong>``."""
    return "\n".join(_body_lines(art, ctx, ("<p>", "</p>"), ("<p><strong>", "</strong></p>")))


def body_platform(art: Article, ctx: str) -> str:
    """Body blocks as the platform's editor writes them: indented with ideographic spaces."""
    return "\n".join(_body_lines(art, ctx, (_INDENTED, "</p>"), (_INDENTED + "<strong>", "</strong></p>")))


def body_zoom(art: Article, ctx: str) -> str:
    """Body blocks of the ``#zoom`` template, with the font widget first and the page tools last."""
    out = ['<p class="fontsize">【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
           '<a href="javascript:doZoom(14)">小</a>】</p>']
    indented = '<p style="text-indent: 2em;">'
    out += _body_lines(art, ctx, (indented, "</p>"), (indented + "<b>", "</b></p>"))
    out.append('<div class="bshare">分享到：</div>')
    out.append('<p class="print"><a href="javascript:window.print();">打印本页</a></p>')
    out.append('<div class="close"><a href="javascript:window.close();">关闭窗口</a></div>')
    return "\n".join(out)


def attachments_block(attachments: Sequence[Attachment], ctx: str) -> str:
    """``div.fjlis``: 相关附件： then ``a.nfw-cms-attachment`` links, the real name only in ``alt``."""
    if not attachments:
        return ""
    links = " ".join(
        f'<a class="nfw-cms-attachment" href="{attr(href(a.path, ctx)) if a.path else ""}" alt="{attr(a.name)}">'
        f"{esc(a.link_text)}</a>"
        for a in attachments)
    return f'<div class="fjlis"><p>相关附件：</p> {links}</div>'


def _article_metas(art: Article) -> list[tuple[str, str]]:
    return [*site_metas(art.column),
            ("ArticleTitle", art.title), ("keywords", art.column.name),
            ("PubDate", art.published.strftime("%Y-%m-%d %H:%M:%S")), ("ContentSource", art.meta_source)]


def _source_html(art: Article) -> str:
    """The visible source value as raw HTML (double-escaped for the ``escaped_source`` variant)."""
    if art.variant == "escaped_source":
        return esc(entity_quotes(art.source))
    return esc(art.source)


_DECODE_SCRIPT = """<script>
                    $(document).ready(function(){
                        var $sourceSpan = $('.jbxx span:contains("信息来源：")');
                        if ($sourceSpan.length > 0) {
                            var html = $sourceSpan.html();
                            if (html.indexOf('&amp;ldquo;') !== -1) {
                                $sourceSpan.html(html.replace(/&amp;ldquo;/g, '“').replace(/&amp;rdquo;/g, '”'));
                            }
                        }
                    });
                    </script>"""
_FONT_SIZES = ('<div class="zt f-r">字体：<a href="javascript:fontZoom(22)">[大]</a>'
               '<a href="javascript:fontZoom(16)">[中]</a><a href="javascript:fontZoom(14)">[小]</a></div>')
"""The platform layout's font-size links."""
_RELATED_READING_OPEN = ('<div style="margin-left: 10px;margin-top: 20px;" id="xxddk" class="f-j xgdd">'
                         '<a href="javascript:void(0);" class="cur">相关导读:</a>')
"""The opening of the platform layout's (empty) related-reading box."""


def _zoom_info(art: Article) -> str:
    """The zoom layout's line of publish time and source."""
    return (f'<div class="info"><span>发布时间：{art.published_text}</span>&nbsp;&nbsp;'
            f"<span>来源：{_source_html(art)}</span></div>")


def article_page(art: Article) -> str:
    """The whole HTML of an article page, in the article's layout."""
    ctx = art.path
    col = art.column
    page = head(f"{SITE_NAME} - {art.title}", _article_metas(art), art.mobile_path, art.meta_charset_tag)
    page += site_header(ctx)
    if art.layout == "seed":
        crumb = breadcrumb("position", "当前位置:", " &gt; ", col, ctx)
        page += f"""<div class="column-banner">
    <div class="wrapper">{crumb}</div>
</div>
<!--正文s-->
<div class="wrapper main-content clearfix">
    <div class="article">
        {breadcrumb("position", "当前位置:", " &gt; ", col, ctx + "#bar")}
        <h1 class="title">{esc(art.title)}</h1>
        <div class="info">
            <span class="source">来源:{_source_html(art)}</span>
            <span class="time">{art.published_text}</span>
        </div>
        <div id="content1" class="article-content">
{body_seed(art, ctx)}
{attachments_block(art.attachments, ctx)}
        </div>
        {share_block()}
    </div>
</div>
<!--正文e-->
"""
    elif art.layout == "platform":
        crumb = breadcrumb("mbx mt20 ", "您所在的位置：\n            ", "&nbsp;&gt;&nbsp;", col, ctx)
        page += f"""<!--正文s-->
<div class="wrapper">
    <!--面包屑开始-->
    {crumb}
    <!--面包屑结束-->
    <div class="clearfix mt20">
        <div class="content xl-cont" id="content-dy">
            <h4 class="wdtit">{esc(art.title)}</h4>
            <h3 style="text-align: center;font-size: 20px;color: #333;"></h3>
            <div class="jbxx clearfix">
                <span>信息来源：{_source_html(art)}</span>
                {_DECODE_SCRIPT}
                <span>时间：{art.published_text}</span>
                {_FONT_SIZES}
            </div>
            <div class="" id="content1">
{body_platform(art, ctx)}
{attachments_block(art.attachments, ctx)}
                {_RELATED_READING_OPEN}
                    <p></p>
                </div>
            </div>
            <div class="clearfix mt30">
                <div class="bdsharebuttonbox xl-bdfx">{share_block()}</div>
            </div>
        </div>
    </div>
</div>
<!--正文e-->
"""
    else:  # zoom
        page += f"""<!--正文s-->
<div class="wrapper main-content clearfix">
    <div class="article">
        {breadcrumb("position", "当前位置：", " &gt; ", col, ctx)}
        <h1>{esc(art.title)}</h1>
        {_zoom_info(art)}
        <div id="zoom" class="article-content">
{body_zoom(art, ctx)}
        </div>
        {share_block()}
    </div>
</div>
<!--正文e-->
"""
    return page + footer(ctx)


def article_bytes(art: Article) -> bytes:
    """The article page as the server sends it: :func:`article_page` encoded in the article's own encoding
    (strictly: a character the encoding lacks is an error, never a character reference)."""
    return article_page(art).encode(art.encoding)


# --- listings, section, root ---------------------------------------------------------------------------


def _entry_url(entry: ListingEntry, ctx: str) -> str:
    return href(entry.path, ctx) if isinstance(entry, Article) else entry.url


def listing_items(entries: Sequence[ListingEntry], ctx: str, css_class: str = "comlist1 mt10 ") -> str:
    """``ul > li > a[target][title][href]`` each followed by ``<span> [YYYY-MM-DD]</span>``."""
    lis = "\n".join(
        "                <li>\n"
        f'                    <a target="_blank" title="{attr(e.title)}"  href="{attr(_entry_url(e, ctx))}">'
        f"{esc(e.title)}</a><span> [{e.published:%Y-%m-%d}]</span>\n"
        "                </li>"
        for e in entries)
    return f'            <ul class="{css_class}">\n{lis}\n            </ul>'


def pager(column: Column, page: int, ctx: str) -> str:
    """The platform's pager: static ``first|current|normal|next|last`` links, capped at ``pages_limit`` like
    the script that follows them (whose ``Math.ceil(TOTAL/PER)`` holds the true item count)."""
    code = column.spec.code
    shown = column.pager_last
    hi = max(shown, page)
    lo = max(1, min(page - 2, hi - 4))
    link = lambda n: href(Column.page_path(code, n), ctx)  # noqa: E731
    lis = [f'<li><a class="first" href="{link(1)}">第一页</a></li>']
    for n in range(lo, min(hi, lo + 4) + 1):
        cls = "current" if n == page else "normal"
        lis.append(f'<li><a class="{cls}" href="{link(n)}">{n}</a></li>')
    if page < shown:
        lis.append(f'<li><a class="next" href="{link(page + 1)}">下一页</a></li>')
    lis.append(f'<li><a class="last" href="{link(shown)}">最后一页</a></li>')
    items = "\n".join(f"                {li}" for li in lis)
    return f"""<!--分页s-->
<!--page Start-->
            <script src="/global/lg_pages.js"></script>
            <div class=" pagecon" >
            <div class="list-fy page" id="pages" >
            <ul class="clearfix">
{items}

             <script src="/global/page_func_new.js"></script>
            <script type="text/javascript">
          // 总页数
          var totalPage = Math.ceil({len(column.entries)}/{column.per_page});
          var pages_limit={column.spec.pages_limit};
          if(totalPage>pages_limit){{
            totalPage=pages_limit
          }}

            //当前页数
            var pageCurrent;
            if(window.location.href.indexOf("index_")!=-1){{
              var patt1=new RegExp(/[1-9]\\d*/);
              pageCurrent = parseInt(patt1.exec(window.location.href));
            }}else{{
              pageCurrent = 0;
            }}
            createPageHTML(totalPage, pageCurrent, "index", "html");
          </script>

            <font class="bai12_22h"> 跳转到第
                <input id="num" type="text" value="{page}"> 页&nbsp;
            <input class="anniu" onclick="javascript:goPage()" type="submit" value="GO"></font>
            </ul>
            </div>
            </div>
<!--分页e-->"""


def listing_page(column: Column, page: int, columns: Sequence[ColumnSpec]) -> str:
    """Listing page ``page`` of ``column`` (model: gd-list.html)."""
    spec = column.spec
    ctx = Column.page_path(spec.code, page)
    mobile = f"/{SECTION_CODE}/{spec.code}/mindex.html"
    return (head(f"{SITE_NAME} - {spec.name}", site_metas(spec), mobile) + site_header(ctx) + f"""<!--正文s-->
<div class="wrapper">
    <!--面包屑开始-->
    {breadcrumb("position", "当前位置:", " &gt; ", spec, ctx)}
    <!--面包屑结束-->
    <div class="clearfix mt20">
        <div class="gl-cont1 f-l">
{leftnav(columns, ctx)}
        </div>
        <div class="gl-cont2 f-r">
            <div class="con-tit2 clearfix">
                <span>{esc(spec.name)}</span>
            </div>
{listing_items(column.page_entries(page), ctx)}
{pager(column, page, ctx)}
        </div>
    </div>
</div>
<!--正文e-->
""" + footer(ctx))


def _block_title(css_class: str, name_html: str, more_href: str) -> str:
    """A block's title bar: its name and a 更多 (more) link."""
    return f'<div class="{css_class}"><span>{name_html}</span><a class="more" href="{more_href}">更多&gt;&gt;</a></div>'


def section_page(columns: Sequence[Column], latest: int = 5) -> str:
    """``/zcfg/index.html``: the left nav of columns and the latest few entries of each column."""
    ctx = f"/{SECTION_CODE}/index.html"
    specs = [c.spec for c in columns]
    blocks = "\n".join(f"""            <div class="sec-block">
                {_block_title("sec-tit", esc(c.spec.name), href(c.spec.path, ctx))}
{listing_items(c.entries[:latest], ctx, "sec-list")}
            </div>""" for c in columns)
    return (head(f"{SITE_NAME} - {SECTION_NAME}", site_metas(None), f"/{SECTION_CODE}/mindex.html")
            + site_header(ctx) + f"""<!--正文s-->
<div class="wrapper">
    {breadcrumb("position", "当前位置:", " &gt; ", None, ctx)}
    <div class="clearfix mt20">
        <div class="gl-cont1 f-l">
{leftnav(specs, ctx)}
        </div>
        <div class="gl-cont2 f-r">
{blocks}
        </div>
    </div>
</div>
<!--正文e-->
""" + footer(ctx))


def root_page(columns: Sequence[Column], latest: int = 6) -> str:
    """``/index.html``: the site's home page, linking to 政策法规 among other sections."""
    ctx = "/index.html"
    newest = sorted((e for c in columns for e in c.entries if isinstance(e, Article)),
                    key=lambda a: (a.published, a.id), reverse=True)[:latest]
    sections = "\n".join(f'            <li><a href="{href(path, ctx)}">{esc(name)}</a></li>'
                         for name, path in OTHER_SECTIONS)
    return (head(SITE_NAME, [("SiteName", SITE_NAME), ("SiteDomain", SITE_DOMAIN), ("SiteIDCode", SITE_ID_CODE)],
                 "/mindex.html") + site_header(ctx) + f"""<!--正文s-->
<div class="wrapper index-main">
    <div class="index-block">
        <div class="index-tit"><span>栏目导航</span></div>
        <ul class="index-sections">
{sections}
        </ul>
    </div>
    <div class="index-block">
        {_block_title("index-tit", SECTION_NAME, href(f"/{SECTION_CODE}/", ctx))}
{listing_items(newest, ctx, "index-list")}
    </div>
</div>
<!--正文e-->
""" + footer(ctx))


ROBOTS_TXT = "User-agent: *\nDisallow: /search/\n"
