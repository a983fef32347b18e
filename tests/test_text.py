"""Cleaning rules: each keeps boilerplate out of the body and leaves the article's own text alone."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from gdcac_crawler.extract.cleaning import clean_body_lines
from gdcac_crawler.extract.cleaning import drop_lines_from_html as drop_html_blocks
from gdcac_crawler.extract.fallback import trail_names
from gdcac_crawler.extract.paragraphs import paragraphs as html_blocks
from gdcac_crawler.extract.text import normalise_space

HEADER = ("中共广东省委网络安全和信息化委员会办公室", "广东省互联网信息办公室")
FOOTER = ("主办单位", "版权所有")
PROSE = "读者可通过“打印本页”功能保存全文,也可点击分享到朋友圈。"


def clean(lines, **kw):
    return clean_body_lines(lines, header_lines=HEADER, footer_markers=FOOTER, **kw)


def test_breadcrumb_printed_twice_and_header_are_removed_before_the_body() -> None:
    lines = [*HEADER, "当前位置:首页 > 政策法规 > 政策解读", "当前位置:首页 > 政策法规 > 政策解读", "正文第一段。"]
    assert clean(lines) == ["正文第一段。"]


def test_widget_lines_at_the_edges_go_but_the_same_words_in_prose_stay() -> None:
    lines = ["【字体：大 中 小】", "正文第一段。", PROSE, "打印本页", "分享到：", "关闭窗口", "扫一扫在手机打开当前页"]
    assert clean(lines) == ["正文第一段。", PROSE]


def test_widget_line_in_the_middle_of_the_body_is_kept() -> None:
    lines = ["正文第一段。", "打印本页", "正文第二段。"]
    assert clean(lines) == lines


def test_footer_lines_at_the_end_go() -> None:
    assert clean(["正文。", "主办单位：广东省互联网信息办公室", "版权所有 © 2022"]) == ["正文。"]


def test_image_file_names_go_wherever_they_stand() -> None:
    lines = ["第一段。", "微信图片_20220622104036.png", "图片说明。", "IMG_20210305_101010.jpg", "第二段。"]
    assert clean(lines, image_names=["微信图片_20220622104036.png"]) == ["第一段。", "图片说明。", "第二段。"]


def test_double_escaped_entities_are_decoded_and_spaces_normalised() -> None:
    assert clean(["&ldquo;网信广东&rdquo;发布\u3000", "\u00a0", "\u200b"]) == ["“网信广东”发布"]


def test_blocks_keep_paragraphs_headings_and_table_rows() -> None:
    root = lxml_html.fragment_fromstring(
        "<div><p>第一段<br>换行</p><h3>一、标题</h3><table><tr><td>甲</td><td>乙</td></tr></table>"
        "<p style='text-align: center;'><img src='/a.png' alt='a.png'></p>"
        "<p style='text-align:center'>图注</p><script>var x=1;</script></div>")
    blocks = html_blocks(root)
    assert [b.text for b in blocks if b.image is None] == ["第一段", "换行", "一、标题", "甲 | 乙", "图注"]
    assert [b.heading for b in blocks if b.text == "一、标题"] == [True]
    assert [b.image for b in blocks if b.image] == [{"src": "/a.png", "alt": "a.png"}]
    assert [b.centred for b in blocks if b.text == "图注"] == [True]


def test_dropped_lines_leave_the_html_too() -> None:
    out = drop_html_blocks("<p>【字体：大 中 小】</p><p>正文。</p><p>关闭窗口</p>", {"【字体：大 中 小】", "关闭窗口"})
    assert out == "<p>正文。</p>"


def test_normalise_space() -> None:
    assert normalise_space("  a\u3000\u3000b\n\tc\u200b ") == "a b c"


@pytest.mark.parametrize("label", ["当前位置:", "您当前的位置：", "您当前位置：", "您所在的位置：", "您现在的位置："])
def test_a_breadcrumbs_label_is_no_name_of_the_trail(label) -> None:
    assert trail_names(f"{label} 首页 > 政策法规 > 政策解读") == ["政策法规", "政策解读"]
