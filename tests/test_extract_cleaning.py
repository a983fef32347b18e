"""The cleaning catalogue, rule by rule: each rule on a saved page does what it says — and the same check
fails with that one rule switched off, so no rule is dead weight and none is claimed without proof."""

from __future__ import annotations

import re
from typing import Callable

import pytest

from gdcac_crawler.extract.rules import RULES, rules_disabled
from gdcac_crawler.extract.view import page_view
from gdcac_crawler.profiles import resolve_profile
from tests.support.cases import FIXTURES, load_case


def view(case: str) -> dict:
    case_dir = FIXTURES / case
    response, meta = load_case(case_dir)
    return page_view(meta["kind"], response, resolve_profile(case_dir.parent.name, meta["url"]))


def body(v: dict) -> list[str]:
    return v["body_text"]


def edges(v: dict, n: int = 3) -> list[str]:
    return body(v)[:n] + body(v)[-n:]


HEADER = ("中共广东省委网络安全和信息化委员会办公室", "广东省互联网信息办公室")
PROSE_WIDGETS = "市民可通过本网站的“打印本页”功能留存政策原文，阅读完毕后点击“关闭窗口”即可返回栏目列表。"
TRS = "generic/article_trs_furniture"
FURNITURE = "gdcac/article_furniture_inside_body"


def _no_breadcrumb(v: dict) -> bool:
    return not any(re.match(r"^(当前位置|您所在的位置|您现在的位置)", line) for line in body(v))


def _no_header(v: dict) -> bool:
    return not set(HEADER) & set(body(v))


def _no_footer(v: dict) -> bool:
    return not any(line.startswith(("主办单位", "版权所有")) for line in body(v))


def _no_font_widget(v: dict) -> bool:
    return not any("字体" in line or "字号" in line for line in edges(v))


def _widgets_trimmed_prose_kept(v: dict) -> bool:
    text = "\n".join(body(v))
    return (not any(w in line for line in edges(v, 2) for w in ("分享到", "打印本页", "关闭窗口", "扫一扫"))
            and ("打印本页" in text or "分享到" in text))  # the same words inside prose stay


def _zoom_widgets(v: dict) -> bool:
    return body(v)[-1].startswith("加快电机") and PROSE_WIDGETS[:20] in "\n".join(body(v))


def _related_moved(v: dict) -> bool:
    return ([r["title"] for r in v["related"]] == ["国家网络安全宣传周官网", "政策解读：宣传周十问十答"]
            and not any("相关链接" in line or "宣传周官网" in line or "活动方案" in line for line in body(v))
            and {a["name"] for a in v["attachments"]} == {"1.活动方案.pdf", "2.活动报名表.xls"})


def _filename_image(v: dict) -> bool:
    return ("IMG_20200103_130605.jpg" not in body(v)
            and v["images"][0]["caption"] == "2019年12月23日，省委网信办在广州举办数据安全专题培训。")


def _entities(v: dict) -> bool:
    return v["source"] == "“网信中国”微信公众号"


def _metadata_spaces(v: dict) -> bool:
    values = [v[k] for k in ("title", "source", "source_raw", "author", "index_number", "doc_number")]
    return all(x and not re.search("[\u200b\u3000\xa0]", x) for x in values) and v["source_raw"] == "来源：示例市委网信办"


def _no_empty_lines(v: dict) -> bool:
    return all(line.strip() for line in body(v))


def _lines(v: dict) -> bool:
    lines = body(v)
    return len(lines) == 50 and lines[4] == "粤发改能源〔2026〕290号" and "一、总体要求" in lines


def _table_rows(v: dict) -> bool:
    return body(v)[5:8] == ["日期 | 主题 | 承办", "9月5日 | 开幕式 | 市委网信办", "9月6日 | 校园日 | 市教育局"]


def _editor_line(v: dict) -> bool:
    return v["editor"] == "王芳" and not any("责任编辑" in line for line in body(v))


#: rule → (fixture case, what must hold with the rule and fail without it)
PROOFS: dict[str, tuple[str, Callable[[dict], bool]]] = {
    "breadcrumb": (FURNITURE, _no_breadcrumb),
    "site_header": (FURNITURE, _no_header),
    "site_footer": (FURNITURE, _no_footer),
    "font_size_widget": (FURNITURE, _no_font_widget),
    "page_widgets": (TRS, _widgets_trimmed_prose_kept),
    "related_blocks": (TRS, _related_moved),
    "filename_images": ("gdcac/article_filename_image", _filename_image),
    "double_escaped_entities": ("gdcac/article_escaped_source", _entities),
    "metadata_spaces": (TRS, _metadata_spaces),
    "empty_paragraphs": ("drc/article_ywtz_real", _no_empty_lines),
    "paragraph_lines": ("drc/article_ywtz_real", _lines),
    "table_rows": (TRS, _table_rows),
    "editor_line": (TRS, _editor_line),
}
#: further pages each rule is proven on (same check, other template)
MORE: list[tuple[str, str, Callable[[dict], bool]]] = [
    ("breadcrumb", TRS, _no_breadcrumb),
    ("site_footer", TRS, _no_footer),
    ("font_size_widget", "gdcac/article_zoom_widgets_in_prose", _no_font_widget),
    ("page_widgets", "gdcac/article_zoom_widgets_in_prose", _zoom_widgets),
    ("page_widgets", FURNITURE, lambda v: "扫一扫在手机打开当前页" not in body(v)),
    ("empty_paragraphs", TRS, _no_empty_lines),
]


def test_every_rule_of_the_catalogue_has_a_proof() -> None:
    assert set(PROOFS) == set(RULES)


@pytest.mark.parametrize("rule", sorted(PROOFS))
def test_rule_holds_and_fails_without_it(rule: str) -> None:
    case, check = PROOFS[rule]
    assert check(view(case)), f"{rule} does not hold on {case}"
    with rules_disabled(rule):
        assert not check(view(case)), f"{case} passes without {rule}: the test proves nothing"


@pytest.mark.parametrize("rule, case, check", MORE, ids=[f"{r}-{c}" for r, c, _ in MORE])
def test_rule_on_another_template(rule: str, case: str, check) -> None:
    assert check(view(case))
    with rules_disabled(rule):
        assert not check(view(case))


def test_furniture_inside_the_body_leaves_exactly_the_seed_text() -> None:
    assert view(FURNITURE)["body_text"] == view("gdcac/article_seed")["body_text"]


def test_unknown_rule_name_is_refused() -> None:
    with pytest.raises(KeyError, match="no cleaning rule"):
        with rules_disabled("nope"):
            pass
