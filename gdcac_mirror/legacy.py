"""Legacy-encoded pages of the standard mirror: articles whose bytes are GBK or GB18030, as old portal pages are.

Chinese government portals still serve pages from their old CMS in GBK / GB2312 / GB18030, with charset
declarations that are missing, stale or at odds with each other.  The standard mirror holds three such pages,
the three oldest articles of 法律法规 (``flfg``), written here by hand (fixed text, drawn from no random
stream, so every other page of the mirror keeps its bytes):

1. ``gbk`` bytes, ``charset=gb2312`` in the header **and** in ``<meta http-equiv="Content-Type">``, while the
   text holds 勠, a GBK character that GB2312 lacks (a strict GB2312 decoder fails on it);
2. ``gbk`` bytes behind a header that says ``charset=utf-8`` while ``<meta charset="gbk">`` says GBK (the
   header and the meta tag disagree; the header is wrong); the text holds 喆 (GBK, not GB2312);
3. ``gb18030`` bytes with no charset anywhere (header plain ``text/html``, no meta charset), holding 䶮, a
   character GB18030 has and GBK lacks.

Their ids fall between those of the articles published just before and after them (ids grow with publish
time, as elsewhere in the mirror).  The build writes their response headers into the mirror's
``_headers.json`` (:data:`gdcac_mirror.build.HEADERS_NAME`), which the server reads; the manifest
records for each article its ``encoding``, ``declared_header``, ``declared_meta`` and ``content_type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gdcac_mirror.content import BEIJING, LAYOUT_TRAPS, Article, Block, Site

LEGACY_COLUMN = "flfg"
"""The column that holds the legacy pages (as its oldest articles)."""
FIRST_ID = 2_100_000
"""The lowest id a legacy article can take when no article is older."""


@dataclass(frozen=True)
class LegacyPage:
    """One hand-written legacy page: its text and how its bytes and headers declare (or fail to declare) it."""

    title: str
    published: datetime
    layout: str
    source: str
    blocks: tuple[tuple[str, str], ...]
    """(kind, text): ``para`` or ``heading``, in page order."""
    encoding: str
    charset_header: str | None
    charset_meta: str | None
    meta_form: str
    traps: tuple[str, ...]
    must_hold: str
    """A character of the text that proves the encoding (GBK-only, or GB18030-only)."""


LEGACY_PAGES: tuple[LegacyPage, ...] = (
    LegacyPage(
        title="国家互联网信息办公室发布《区块链信息服务管理规定》",
        published=datetime(2019, 1, 10, 17, 30, tzinfo=BEIJING),
        layout="seed",
        source="中国网信网",
        blocks=(
            ("para", "2019年1月10日，国家互联网信息办公室发布《区块链信息服务管理规定》，自2019年2月15日起施行。"
                     "国家互联网信息办公室有关负责人表示，出台《规定》旨在明确区块链信息服务提供者的信息安全管理责任，"
                     "规范和促进区块链技术及相关服务健康发展，规避区块链信息服务安全风险。"),
            ("heading", "一、明确备案要求"),
            ("para", "《规定》要求，区块链信息服务提供者应当在提供服务之日起十个工作日内通过区块链信息服务备案管理系统"
                     "填报服务提供者的名称、服务类别、服务形式、应用领域、服务器地址等信息，履行备案手续。"),
            ("heading", "二、落实主体责任"),
            ("para", "区块链信息服务提供者应当落实信息内容安全管理责任，建立健全用户注册、信息审核、应急处置、安全防护"
                     "等管理制度，具备与其服务相适应的技术条件。"),
            ("heading", "三、形成工作合力"),
            ("para", "全省各级网信部门要勠力同心，加强与有关部门的协调配合，指导区块链信息服务提供者做好备案和安全评估"
                     "工作，推动区块链技术在政务服务、民生服务等领域规范应用。"),
        ),
        encoding="gbk",
        charset_header="gb2312",
        charset_meta="gb2312",
        meta_form="http-equiv",
        traps=("legacy_encoding", "gbk_bytes_declared_gb2312", "gbk_only_character"),
        must_hold="勠",
    ),
    LegacyPage(
        title="关于做好区块链信息服务备案工作的提示",
        published=datetime(2019, 1, 29, 10, 21, 36, tzinfo=BEIJING),
        layout="platform",
        source="南方网",
        blocks=(
            ("para", "根据《区块链信息服务管理规定》，在我省境内从事区块链信息服务的主体，"
                     "应当自提供服务之日起十个工作日内履行备案手续。现将有关事项提示如下。"),
            ("heading", "一、备案范围"),
            ("para", "通过互联网站、应用程序等形式向社会公众提供基于区块链技术或者系统的信息服务的主体和节点，"
                     "以及为区块链信息服务主体提供技术支持的机构或者组织，均应按规定履行备案手续。"),
            ("heading", "二、办理方式"),
            ("para", "备案主体通过区块链信息服务备案管理系统在线填报，并对所填报信息的真实性负责。备案信息发生变更的，"
                     "应当在变更之日起五个工作日内办理变更手续。"),
            ("heading", "三、咨询联系"),
            ("para", "备案过程中如有疑问，可与省委网信办网络管理处联系，联系人：陈喆。"),
        ),
        encoding="gbk",
        charset_header="utf-8",
        charset_meta="gbk",
        meta_form="charset",
        traps=("legacy_encoding", "charset_header_and_meta_disagree", "wrong_charset_header", "gbk_only_character"),
        must_hold="喆",
    ),
    LegacyPage(
        title="《区块链信息服务管理规定》今日起施行",
        published=datetime(2019, 2, 15, 9, 0, tzinfo=BEIJING),
        layout="zoom",
        source="新华社",
        blocks=(
            ("para", "《区块链信息服务管理规定》自2019年2月15日起施行。《规定》对区块链信息服务提供者的安全管理责任、"
                     "备案管理、监督检查和法律责任等作出明确规定。"),
            ("para", "省委网信办有关处室负责人黄䶮介绍，《规定》施行前，"
                     "我省已通过座谈、培训等方式指导区块链信息服务主体了解备案要求，一批主体已完成备案信息填报。"),
            ("para", "下一步，省委网信办将会同有关部门加强对区块链信息服务的监督检查，"
                     "督促区块链信息服务提供者落实安全管理责任，防范化解区块链信息服务安全风险。"),
            ("para", "区块链信息服务使用者可以通过服务提供者公布的投诉举报渠道反映问题，"
                     "也可以向网信部门举报违法违规行为。"),
        ),
        encoding="gb18030",
        charset_header=None,
        charset_meta=None,
        meta_form="charset",
        traps=("legacy_encoding", "charset_undeclared", "gb18030_only_character"),
        must_hold="䶮",
    ),
)

def legacy_article(page: LegacyPage, site: Site) -> Article:
    """The :class:`Article` of ``page`` in ``site``'s legacy column (its id not yet assigned)."""
    art = Article(column=site.column(LEGACY_COLUMN).spec, variant=page.layout, layout=page.layout,
                  published=page.published, title=page.title, source=page.source, meta_source=page.source,
                  blocks=[Block(kind, text) for kind, text in page.blocks],
                  traps=[*LAYOUT_TRAPS[page.layout], *page.traps], encoding=page.encoding,
                  charset_header=page.charset_header, charset_meta=page.charset_meta, meta_form=page.meta_form)
    return art


def _check(page: LegacyPage) -> None:
    """Refuse a page whose text does not prove its encoding (or that its encoding cannot hold)."""
    text = page.title + page.source + "".join(t for _, t in page.blocks)
    text.encode(page.encoding)  # raises on a character the encoding lacks
    char = page.must_hold
    if char not in text:
        raise ValueError(f"{page.title}: the text lacks {char!r}")
    lacks = "gb2312" if page.encoding == "gbk" else "gbk"
    try:
        char.encode(lacks)
    except UnicodeEncodeError:
        return
    raise ValueError(f"{page.title}: {char!r} is in {lacks} too, so it proves nothing")


def add_legacy_articles(site: Site) -> list[Article]:
    """Add the :data:`LEGACY_PAGES` to ``site`` as the oldest articles of its 法律法规 column; return them."""
    column = site.column(LEGACY_COLUMN)
    if column.articles and min(a.published for a in column.articles) <= max(p.published for p in LEGACY_PAGES):
        raise ValueError("the legacy pages must be older than every generated article of their column")
    titles = {a.title for a in site.articles} | {o.title for o in site.offsite}
    added: list[Article] = []
    for page in sorted(LEGACY_PAGES, key=lambda p: p.published):
        _check(page)
        if page.title in titles:
            raise ValueError(f"duplicate title: {page.title}")
        art = legacy_article(page, site)
        others = [*site.articles, *added]
        lo = max((a.id for a in others if a.published <= art.published), default=FIRST_ID)
        hi = min((a.id for a in others if a.published > art.published), default=lo + 1000)
        if hi - lo < 2:
            raise ValueError(f"no free id between {lo} and {hi} for {page.title}")
        art.id = lo + (hi - lo) // 2
        added.append(art)
    column.articles.extend(added)
    column.articles.sort(key=lambda a: (a.published, a.id), reverse=True)
    column.__dict__.pop("entries", None)  # the cached merge of articles and off-site items
    return added


__all__ = ["LEGACY_COLUMN", "LEGACY_PAGES", "LegacyPage", "add_legacy_articles", "legacy_article"]
