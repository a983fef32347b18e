"""The cleaning catalogue: every rule that keeps boilerplate out of archived bodies, by name, and the switch
that turns rules off.

The code that applies a rule asks :func:`rule_on` for its name (the body walk in
:mod:`~gdcac_crawler.extract.paragraphs`, the line cleaning in :mod:`~gdcac_crawler.extract.cleaning`, the
related lists in :mod:`~gdcac_crawler.extract.related`, the text normalisation in
:mod:`~gdcac_crawler.extract.text`).  :func:`rules_disabled` switches rules off for the code it wraps: the
tests prove each rule by running it on a saved page with and without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The cleaning catalogue: every rule by name, with what it does.  Each has a test on a saved page that
#: fails with the rule switched off (tests/test_extract_cleaning.py).
RULES: dict[str, str] = {
    "breadcrumb": "breadcrumb lines (当前位置 / 您所在的位置 / 首页 > … > …), printed once or more, before the body",
    "site_header": "the site header's lines (the profile's header_lines) at the body's edges",
    "site_footer": "footer lines (主办单位, 版权所有, 网站标识码, ICP …) at the body's edges",
    "font_size_widget": "【字体：大 中 小】 / 【字号：大 中 小】 / 字体：[大][中][小] as whole lines at the edges",
    "page_widgets": "分享到 / 打印本页 / 关闭窗口 / 扫一扫在手机打开当前页 as whole lines at the edges (kept in prose)",
    "related_blocks": "相关附件 / 相关链接 / 相关解读 / 相关导读 lists moved out of the body into attachments and "
                      "related",
    "filename_images": "images whose alt is a file name become image records with captions; the name leaves the text",
    "double_escaped_entities": "entities left by double escaping (&amp;ldquo; shows &ldquo;) decoded",
    "metadata_spaces": "zero-width, no-break and ideographic spaces normalised in metadata (title, source, labels)",
    "empty_paragraphs": "paragraphs with no text (&nbsp;, <br>) dropped",
    "paragraph_lines": "the body's structure: one paragraph, heading or list item per line, <br> a line break",
    "table_rows": "tables kept readable: one row per line, cells joined by ' | '",
    "editor_line": "a closing （责任编辑：…） line leaves the body (the name goes to the editor field)",
}
_DISABLED: ContextVar[frozenset[str]] = ContextVar("gdcac_disabled_rules", default=frozenset())


def rule_on(name: str) -> bool:
    """Whether the cleaning rule ``name`` is in force (all are, unless :func:`rules_disabled` says not)."""
    return name not in _DISABLED.get()


@contextmanager
def rules_disabled(*names: str) -> Iterator[None]:
    """Switch the named cleaning rules off for the code inside the ``with`` statement (for tests and
    debugging)."""
    unknown = set(names) - set(RULES)
    if unknown:
        raise KeyError(f"no cleaning rule named {', '.join(sorted(unknown))}")
    token = _DISABLED.set(_DISABLED.get() | frozenset(names))
    try:
        yield
    finally:
        _DISABLED.reset(token)
