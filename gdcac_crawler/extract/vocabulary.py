"""The portals' vocabulary: every label, widget and furniture phrase that extraction and cleaning look for,
written once.

Chinese government portals print their metadata as labelled lines (``来源：``, ``发布时间：``, ``作者：``,
``责任编辑：``, ``文号：``, ``索引号：``), wrap their bodies in the same page furniture (breadcrumbs after
``当前位置：``, the ``【字体：大 中 小】`` switch, ``分享到`` / ``打印本页`` / ``关闭窗口`` widgets, ``主办单位`` /
``版权所有`` footers) and move related material into lists headed ``相关链接`` / ``相关解读`` / ``附件``.  The
extraction modules and the portal profiles import these patterns from here; none writes its own copy.
"""

from __future__ import annotations

import re

# --- Labelled metadata lines ---------------------------------------------------------------------------------

_SOURCE_LABEL = r"(?:信息|文章|稿件|新闻)?来\s*源|稿源"

#: A source line's label at its start (``来源：``, ``信息来源：``, ``稿源：``), with the spaces after it.
SOURCE_LABEL_RE = re.compile(r"^(?:" + _SOURCE_LABEL + r")\s*[:：]\s*")
#: Labelled metadata lines: field → the label that starts its value (anywhere in a line, after a space).
LABELS: dict[str, re.Pattern[str]] = {
    "source": re.compile(r"(?:^|\s)(" + _SOURCE_LABEL + r")\s*[:：]\s*"),
    "author": re.compile(r"(?:^|\s)(作\s*者|撰\s*稿|记\s*者)\s*[:：]\s*"),
    "editor": re.compile(r"(?:^|\s|[（(])(责任编辑|责编|编\s*辑)\s*[:：]\s*"),
    "doc_number": re.compile(r"(?:^|\s)(文\s*号|发文字号|发文文号|文件编号)\s*[:：]\s*"),
    "index_number": re.compile(r"(?:^|\s)(索\s*引\s*号)\s*[:：]\s*"),
}
#: The next label on a line and everything after it: what ends a labelled value printed in a row of labels.
NEXT_LABEL_RE = re.compile(
    r"\s*(?:(?:发布)?(?:时间|日期)|作\s*者|责任编辑|责编|编辑|浏览次数|阅读次数|点击(?:数|量)?|字体|字号|"
    r"(?:信息|文章)?来\s*源|索\s*引\s*号|文\s*号|发文字号|发布机构|分\s*类|主\s*题\s*词)\s*[:：].*$")
#: A date's label (``时间：``, ``发布日期：``): a labelled date is the publish time.
DATE_LABEL_RE = re.compile(r"(?:时间|日期)\s*[:：]")
#: A document number alone on a line, as official documents print it under their title: 粤网信〔2022〕12号.
DOC_NUMBER_RE = re.compile(
    r"^[\u4e00-\u9fa5A-Za-z]{1,16}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号$")
#: An editor's line at the end of a body: （责任编辑：张三）.
EDITOR_LINE_RE = re.compile(r"^[（(【\[]?\s*(?:责任编辑|责编|编辑)\s*[:：]\s*([^（）()【】\[\]]{1,30}?)\s*[）)】\]]?$")

# --- Sources that are not sources ------------------------------------------------------------------------------

#: Source values that are never a source, on any portal (a profile adds its own in ``junk_sources``).
GENERIC_JUNK_SOURCES = (r"^(?:本网|本站|本网站|网站|管理员|系统管理员|admin|null|none|未知|无|暂无|原创)$",)
#: An editor's account name standing where the source belongs (``gdcac_bj01``): a profile's ``junk_sources``.
ACCOUNT_NAME_SOURCE = r"^[A-Za-z][A-Za-z0-9_\-.]*$"

# --- Breadcrumbs -----------------------------------------------------------------------------------------------

_CRUMB_LABELS = r"当前位置|您当前的位置|您当前位置|您所在的位置|您现在的位置|所在位置|当前所在位置"
#: The names a breadcrumb starts from (cut from a column path).
HOME_NAMES = ("首页", "网站首页", "主页")
_ARROWS = ">›»＞→"

#: A breadcrumb's label with its colon (``当前位置：``), and the spaces after it.
CRUMB_LABEL_RE = re.compile(r"^(?:" + _CRUMB_LABELS + r")\s*[:：]\s*")
#: The same label with or without its colon (breadcrumbs found by their shape).
CRUMB_LABEL_LOOSE_RE = re.compile(r"^(?:" + _CRUMB_LABELS + r")\s*[:：]?\s*")
#: A bare trail of names from the home page, a whole line: ``首页 > 政策法规 > 政策解读``.
BARE_CRUMB_RE = re.compile(
    r"^(?:" + "|".join(HOME_NAMES) + r")\s*(?:[" + _ARROWS + r"]\s*[^" + _ARROWS + r"]{1,30}\s*){1,6}$")
#: An arrow between a breadcrumb's names.
CRUMB_ARROW_RE = re.compile(r"[" + _ARROWS + r"]")
#: What separates a breadcrumb's names: an arrow or a slash, with the spaces around it.
CRUMB_SPLIT_RE = re.compile(r"\s*(?:[" + _ARROWS + r"]|/)\s*")

# --- Page widgets ----------------------------------------------------------------------------------------------

#: The font-size switch as a whole line: 【字体：大 中 小】 / 【字号：大 中 小】 / 字体：[大][中][小].
FONT_WIDGET_RE = re.compile(
    r"^【?\s*(?:字体|字号)\s*[:：]?\s*[\[【(（]?\s*大\s*[\]】)）]?\s*[\[【(（]?\s*中\s*[\]】)）]?\s*"
    r"[\[【(（]?\s*小\s*[\]】)）]?\s*】?$")
#: The words a widget line is made of; a line made of nothing else (and separators) is a widget line.
WIDGET_WORDS = (
    "扫一扫在手机上打开当前页", "扫一扫在手机打开当前页", "分享到", "分享", "打印本页", "打印文档", "打印此页", "打印",
    "关闭窗口", "关闭本页", "关闭", "返回顶部", "收藏本页", "收藏", "微信", "微博", "新浪微博", "腾讯微博", "QQ空间",
    "QQ好友", "QQ", "朋友圈", "人人网", "豆瓣", "复制链接", "更多",
)
_WIDGET_GLUE = r"[\s【】\[\]|｜:：,，、()（）+]*"
#: A whole line of widget words (分享到 微信 微博 / 【打印本页】【关闭窗口】).
WIDGET_LINE_RE = re.compile(r"^(?:" + _WIDGET_GLUE + r"(?:" + "|".join(map(re.escape, WIDGET_WORDS)) + r"))+"
                            + _WIDGET_GLUE + r"$")

# --- Related lists -------------------------------------------------------------------------------------------

#: Labels of the lists of attachments or related links (moved out of the body into fields).
RELATED_LABEL_RE = re.compile(
    r"^(相关附件|附件下载|相关链接|相关解读|相关导读|相关文章|相关阅读|相关新闻|附件)\s*[:：]?")
#: An attachment block's label standing alone (``附件：``, ``相关附件``, ``附件下载：``): the links of the block it
#: heads are the article's attachments.
ATTACHMENT_LABEL_RE = re.compile(r"^(?:相关附件|附件下载|附件列表|附件)\s*[:：]?$")
#: A related list's label standing alone on a line (its links moved out of the body).
RELATED_LABEL_LINE_RE = re.compile(r"^(?:相关附件|相关链接|相关解读|相关导读|相关文章)\s*[:：]?$")

# --- Footers ---------------------------------------------------------------------------------------------------

#: Phrases that open a government site's footer lines, on every portal.
FOOTER_MARKERS = ("主办单位", "承办单位", "版权所有", "网站标识码")
#: The filing numbers a Guangdong site's footer prints (粤ICP备…, 粤公网安备…).
GUANGDONG_FILING_MARKERS = ("粤ICP备", "粤公网安备")
#: The filing numbers of any province's site, and the footer's other links.
FILING_MARKERS = ("ICP备", "公网安备", "技术支持", "网站地图")

# --- Furniture by class and id ---------------------------------------------------------------------------------

#: Class and id words of page furniture (navigation, footers, share bars, link lists): never a body.
FURNITURE_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|menu|footer|foot|header|head|sidebar|side|left|right|share|copyright|"
    r"breadcrumb|position|crumb|link|links|friend|list|comment)(?:$|[\s_-])", re.I)
