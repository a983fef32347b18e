"""What the mirror holds: the site's columns, articles and off-site listing items, generated deterministically.

This module decides *content* (titles, dates, sources, bodies, images, attachments, which page template each
article uses); :mod:`gdcac_mirror.templates` decides *markup*; :mod:`gdcac_mirror.build` writes
both to disk with the manifest.  Everything is drawn from one ``random.Random(seed)`` in a fixed order, so a
build is the same bytes every time.

The standard mirror (``scale=None``) holds the seed article (a real article, reproduced exactly), 62 more
generated articles in three columns, and the three oldest articles of 法律法规 (``flfg``) written by hand in
legacy Chinese encodings (:mod:`gdcac_mirror.legacy`); a benchmark mirror (``scale=N``) holds about N
articles in six columns, all UTF-8.
Site identifiers that the real site's pages would carry (ICP number, site ID code) are placeholders.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
"""The committed corpus the build reads (and nothing else)."""

BASE_URL = "https://www.cagd.gov.cn"
"""The live portal's origin (the gdcac profile's): the identity of every mirror page in the manifest starts
with it, whichever host the page's own links name."""
PAGE_ORIGIN = "https://www.gdcac.gov.cn"
"""The origin this rendering's pages write in their absolute links: the platform's scheme for the portal, a
host the gdcac profile accepts as an alias of the live origin (so a crawl canonicalises it to
:data:`BASE_URL`)."""
SITE_DOMAIN = "www.gdcac.gov.cn"
SITE_NAME = "广东省互联网信息办公室"
SITE_ID_CODE = "4400000137"  # placeholder
ICP_NUMBER = "粤ICP备17103256号"  # placeholder
HEADER_LINES = ("中共广东省委网络安全和信息化委员会办公室", "广东省互联网信息办公室")
SECTION_CODE = "zcfg"
SECTION_NAME = "政策法规"
BEIJING = timezone(timedelta(hours=8), "+08:00")
FIXED_LAST_MODIFIED = datetime(2025, 1, 1, 0, 0, tzinfo=BEIJING)
"""Last-Modified of every file that is not an article (listings, images, attachments, robots.txt)."""

SEED_PUBLISHED = datetime(2022, 6, 22, 10, 8, tzinfo=BEIJING)
DATE_FIRST = datetime(2019, 1, 1, tzinfo=BEIJING)
DATE_LAST = datetime(2024, 12, 31, 23, 59, tzinfo=BEIJING)

# --- columns -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """A column of the 政策法规 section."""

    code: str
    """The column's path segment, e.g. ``zcjd`` (``/zcfg/zcjd/index.html``)."""
    name: str
    """Its name, e.g. 政策解读."""
    kind: str
    """Which family of titles its articles get: ``jd`` (interpretations), ``law`` or ``doc`` (notices)."""
    chnl_id: int
    """The CMS channel id printed in the left nav (``li#chnl_…``)."""
    pages_limit: int
    """The pager script's cap (``var pages_limit``): the static pager never shows more pages than this."""
    description: str = ""

    @property
    def path(self) -> str:
        """Path of the column's first listing page."""
        return f"/{SECTION_CODE}/{self.code}/index.html"


ZCJD = ColumnSpec("zcjd", "政策解读", "jd", 10771, 3, "解读网信领域法律法规和政策文件。")
FLFG = ColumnSpec("flfg", "法律法规", "law", 10772, 20, "发布网信领域的法律、行政法规和部门规章。")
GFXWJ = ColumnSpec("gfxwj", "规范性文件", "doc", 10773, 20, "发布本办制发的规范性文件和通知。")
BMGZ = ColumnSpec("bmgz", "部门规章", "law", 10774, 20, "发布国家网信办等部门制定的规章。")
DFXFG = ColumnSpec("dfxfg", "地方性法规", "law", 10775, 20, "发布广东省网信领域的地方性法规和政府规章。")
ZCWJ = ColumnSpec("zcwj", "政策文件", "doc", 10776, 20, "发布网信领域的政策文件。")

STANDARD_COLUMNS: tuple[tuple[ColumnSpec, int, int], ...] = ((ZCJD, 40, 2), (FLFG, 12, 0), (GFXWJ, 11, 0))
"""The standard mirror: (column, same-site articles including the seed, off-site items)."""
STANDARD_PER_PAGE = 8
BENCH_COLUMNS: tuple[tuple[ColumnSpec, int], ...] = (
    (ZCJD, 25), (FLFG, 15), (GFXWJ, 15), (BMGZ, 15), (DFXFG, 15), (ZCWJ, 15))
"""A benchmark mirror: (column, percentage of the articles)."""
BENCH_PER_PAGE = 20

# --- page variants -------------------------------------------------------------------------------------

VARIANTS: dict[str, str] = {
    "seed": "(a) the seed article's template: header, breadcrumb twice (column banner and position bar), "
            "h1.title, div.info with span.source '来源:…' and an unlabelled span.time, body #content1",
    "platform": "(b) the provincial platform's template (gd-detail.html): breadcrumb div.mbx once, h4.wdtit, "
                "div.jbxx with '信息来源：…' and '时间：YYYY-MM-DD HH:MM:SS', 字体：[大][中][小], body #content1 "
                "with paragraphs indented by ideographic spaces and an empty 相关导读: block",
    "zoom": "(c) '发布时间：' label, body div#zoom whose first line is 【字体：大 中 小】 and whose last lines are "
            "分享到： / 打印本页 / 关闭窗口; some of these articles also use those words inside prose",
    "escaped_source": "(d) platform template whose source is double-escaped in the HTML "
                      "(信息来源：&amp;ldquo;…&amp;rdquo;…, a parser sees &ldquo; literally)",
    "attachments": "(e) attachments under div.fjlis '相关附件：' as a.nfw-cms-attachment whose link text differs "
                   "from the real name in alt; one article has an attachment with href=\"\"",
    "image_filename": "(f) an image whose alt is a file name, the CMS also printing the file name as its own "
                      "paragraph under the image, then a caption",
    "junk_meta": "(g) meta ContentSource holds an editor's account name while the visible source is right",
}
LAYOUT_TRAPS: dict[str, tuple[str, ...]] = {
    "seed": ("breadcrumb_twice",), "platform": ("related_reading_block",), "zoom": ("widget_lines_in_body",)}
"""Layout -> the difficulties every page of that layout holds."""
_SECOND_LAYOUT = {"seed": ("seed", "seed"), "platform": ("platform", "platform"), "zoom": ("zoom", "zoom"),
                  "escaped_source": ("platform", "platform"), "attachments": ("platform", "seed"),
                  "image_filename": ("seed", "platform"), "junk_meta": ("zoom", "seed")}
"""Variant -> the layouts its articles alternate between (even, odd occurrence)."""

# --- word lists ----------------------------------------------------------------------------------------

REGULATIONS = (
    "网络数据安全管理条例", "个人信息出境标准合同办法", "生成式人工智能服务管理暂行办法",
    "互联网信息服务算法推荐管理规定", "互联网信息服务深度合成管理规定", "数据出境安全评估办法",
    "网络安全审查办法", "关键信息基础设施安全保护条例", "互联网用户账号信息管理规定",
    "移动互联网应用程序信息服务管理规定", "互联网弹窗信息推送服务管理规定", "互联网跟帖评论服务管理规定",
    "网络信息内容生态治理规定", "儿童个人信息网络保护规定", "未成年人网络保护条例", "网络暴力信息治理规定",
    "互联网新闻信息服务管理规定", "区块链信息服务管理规定", "网络音视频信息服务管理规定",
    "互联网群组信息服务管理规定", "互联网直播服务管理规定", "微博客信息服务管理规定", "云计算服务安全评估办法",
    "汽车数据安全管理若干规定", "网络安全事件报告管理办法", "个人信息保护合规审计管理办法",
    "促进和规范数据跨境流动规定", "人工智能生成合成内容标识办法", "广东省数字经济促进条例",
    "广东省公共数据管理办法", "广东省数据要素市场化配置改革行动方案", "互联网用户公众账号信息服务管理规定",
)
TITLE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "jd": ("《{r}》解读", "一图读懂《{r}》", "国家网信办有关负责人就《{r}》答记者问", "专家解读：{r}的主要内容与亮点",
           "权威解读丨《{r}》重点条款", "如何理解《{r}》的适用范围", "《{r}》出台的背景与意义"),
    "law": ("{r}", "{r}（全文）", "关于公布《{r}》的决定", "《{r}》正式施行"),
    "doc": ("关于贯彻落实《{r}》的通知", "关于做好《{r}》宣传贯彻工作的通知", "关于印发《{r}》广东省实施细则的通知",
            "关于开展《{r}》执行情况检查的通知"),
}
OFFSITE_TEMPLATES = ("网信广东丨{r}要点速览", "图解丨《{r}》", "网信广东丨一文看懂《{r}》")
SOURCES_QUOTED = ("“网信广东”微信公众号", "“网信中国”微信公众号", "“中国网信杂志”微信公众号", "“南方+”客户端")
SOURCES_PLAIN = ("中国网信网", "南方日报", "南方网", "新华社", "人民网", "法治日报", "羊城晚报", "国家互联网信息办公室")
HEADINGS = ("总体要求", "基本原则", "主要目标", "重点任务", "保障措施", "组织实施", "起草背景", "主要内容", "适用范围",
            "工作要求", "职责分工", "监督管理", "下一步工作", "出台意义", "制定依据")
CN_NUMBERS = "一二三四五六七八九十"
CAPTION_ORGS = ("省委网信办", "省互联网信息办公室", "省网络安全和信息化委员会办公室", "国家网信办")
CAPTION_PLACES = ("广州", "深圳", "珠海", "佛山", "东莞", "汕头", "湛江")
CAPTION_EVENTS = ("召开全省网信工作会议", "举办网络安全宣传周启动仪式", "举办数据安全专题培训",
                  "召开个人信息保护座谈会",
                  "召开网络生态治理工作推进会", "开展网络安全应急演练")
WIDGET_PROSE = (
    "市民可通过本网站的“打印本页”功能留存政策原文，阅读完毕后点击“关闭窗口”即可返回栏目列表。",
    "欢迎读者将本解读分享到朋友圈、微博等平台，也可使用页面上的【字体：大 中 小】按钮调整阅读字号。",
)
"""Prose that uses the widget words mid-sentence: cleaning must keep it."""
JUNK_META_SOURCES = ("gdcac_bj01", "gdcac_bj02", "gdcac_zcc03", "admin_wx07")
ATTACHMENT_NAMES: dict[str, tuple[str, ...]] = {
    "pdf": ("关于印发《{r}》的通知.pdf", "《{r}》全文.pdf"),
    "docx": ("{r}（征求意见稿）.docx", "《{r}》起草说明.docx"),
    "xls": ("{r}实施情况统计表.xls", "{y}年度网络安全检查情况汇总表.xls"),
}
ATTACHMENT_LINK_TEXTS = ("附件{k}", "附件{k}下载", "点击下载附件{k}")

def entity_quotes(text: str) -> str:
    """``text`` with its curly double quotes written as the entities ``&ldquo;`` / ``&rdquo;`` (how the CMS
    stores the source of the ``escaped_source`` variant)."""
    return text.replace("“", "&ldquo;").replace("”", "&rdquo;")


# --- the model -----------------------------------------------------------------------------------------


@dataclass
class Image:
    """An image in an article body."""

    path: str
    """Root-relative path of the image file (``/img/0/{a}/{b}/{n}.png``)."""
    number: int
    alt: str
    """The ``alt`` attribute: the uploaded file's name, as the CMS prints it."""
    caption: str
    """The centred caption paragraph under the image (a body paragraph)."""
    filename_line: bool = False
    """True when the CMS also printed the file name as its own paragraph under the image."""

    @property
    def url(self) -> str:
        return BASE_URL + self.path


@dataclass
class Attachment:
    """An attachment link of an article."""

    path: str | None
    """Root-relative path of the file, or ``None`` where the page's ``href`` is empty."""
    number: int
    name: str
    """The real file name (only in the link's ``alt``)."""
    link_text: str
    """What the link says (differs from the name)."""

    @property
    def ext(self) -> str:
        return self.name.rsplit(".", 1)[1]

    @property
    def url(self) -> str | None:
        return None if self.path is None else BASE_URL + self.path


@dataclass
class Block:
    """One block of an article body, in page order."""

    kind: str
    """``para``, ``heading``, ``image`` (the image itself), ``filename`` (the CMS's file-name line) or
    ``caption``."""
    text: str = ""
    image: Image | None = None

    @property
    def is_body_text(self) -> bool:
        """Whether a correct extractor keeps this block as a body paragraph."""
        return self.kind in ("para", "heading", "caption")


@dataclass
class Article:
    """A same-site article."""

    column: ColumnSpec
    variant: str
    layout: str
    published: datetime
    title: str = ""
    id: int = 0
    source: str = ""
    """The source as it reads after cleaning (label stripped, entities decoded)."""
    meta_source: str = ""
    """What a parser reads from ``<meta name="ContentSource">``."""
    blocks: list[Block] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    traps: list[str] = field(default_factory=list)
    """Which difficulties this page holds, for test writers (e.g. ``double_escaped_source``)."""
    is_seed: bool = False
    variant_index: int = 0
    """How many articles of the same variant came before this one (in generation order)."""
    encoding: str = "utf-8"
    """The codec of the page's bytes (``utf-8``; ``gbk`` or ``gb18030`` for the legacy pages, see
    :mod:`gdcac_mirror.legacy`)."""
    charset_header: str | None = "utf-8"
    """The charset the HTTP ``Content-Type`` header declares (``None``: plain ``text/html``)."""
    charset_meta: str | None = "UTF-8"
    """The charset the page's meta tag declares, as written (``None``: no charset in the page)."""
    meta_form: str = "charset"
    """How the page writes it: ``charset`` (``<meta charset="…">``) or ``http-equiv``
    (``<meta http-equiv="Content-Type" content="text/html; charset=…">``)."""

    @property
    def path(self) -> str:
        return f"/{SECTION_CODE}/{self.column.code}/content/post_{self.id}.html"

    @property
    def mobile_path(self) -> str:
        return f"/{SECTION_CODE}/{self.column.code}/content/mpost_{self.id}.html"

    @property
    def url(self) -> str:
        return BASE_URL + self.path

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` the server sends with the page."""
        return f"text/html; charset={self.charset_header}" if self.charset_header else "text/html"

    @property
    def meta_charset_tag(self) -> str:
        """The page's charset meta tag as raw HTML (empty when the page declares none)."""
        if self.charset_meta is None:
            return ""
        if self.meta_form == "http-equiv":
            return f'<meta http-equiv="Content-Type" content="text/html; charset={self.charset_meta}">'
        return f'<meta charset="{self.charset_meta}">'

    @property
    def published_text(self) -> str:
        """The time as the page prints it (label stripped)."""
        fmt = "%Y-%m-%d %H:%M:%S" if self.layout == "platform" else "%Y-%m-%d %H:%M"
        return self.published.strftime(fmt)

    @property
    def images(self) -> list[Image]:
        return [b.image for b in self.blocks if b.kind == "image" and b.image is not None]

    @property
    def body_paragraphs(self) -> list[str]:
        """The paragraphs a correct extractor produces after cleaning."""
        return [b.text for b in self.blocks if b.is_body_text]

    @property
    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "heading"]


@dataclass
class OffsiteItem:
    """A listing entry that links off the portal (a WeChat article): recorded, never crawled."""

    column: ColumnSpec
    url: str
    title: str
    published: datetime


ListingEntry = Article | OffsiteItem


@dataclass
class Column:
    """A column with its entries, newest first."""

    spec: ColumnSpec
    per_page: int
    articles: list[Article] = field(default_factory=list)
    offsite: list[OffsiteItem] = field(default_factory=list)

    @cached_property
    def entries(self) -> list[ListingEntry]:
        """Articles and off-site items merged, newest first (ties: higher id / later URL first)."""
        def key(e: ListingEntry) -> tuple[datetime, str]:
            return (e.published, f"{e.id:012d}" if isinstance(e, Article) else e.url)
        return sorted([*self.articles, *self.offsite], key=key, reverse=True)

    @property
    def pages(self) -> int:
        """The true number of listing pages."""
        return max(1, -(-len(self.entries) // self.per_page))

    @property
    def pager_last(self) -> int:
        """The last page the pager admits to (capped by ``pages_limit``)."""
        return min(self.pages, self.spec.pages_limit)

    def page_entries(self, page: int) -> list[ListingEntry]:
        start = (page - 1) * self.per_page
        return self.entries[start:start + self.per_page]

    @staticmethod
    def page_path(code: str, page: int) -> str:
        """Path of listing page ``page`` (1-based: page 2 is ``index_2.html``)."""
        name = "index.html" if page == 1 else f"index_{page}.html"
        return f"/{SECTION_CODE}/{code}/{name}"


@dataclass
class Site:
    """Everything one build writes."""

    columns: list[Column]
    scale: int | None
    seed: int

    def column(self, code: str) -> Column:
        """The column whose code is ``code`` (``KeyError`` if the site has none)."""
        for col in self.columns:
            if col.spec.code == code:
                return col
        raise KeyError(code)

    @property
    def articles(self) -> list[Article]:
        """All same-site articles, by id."""
        return sorted((a for c in self.columns for a in c.articles), key=lambda a: a.id)

    @property
    def offsite(self) -> list[OffsiteItem]:
        return sorted((o for c in self.columns for o in c.offsite), key=lambda o: (o.published, o.url))


# --- the corpus ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedText:
    """The seed article's text, split into its parts."""

    header: tuple[str, str]
    breadcrumb: str
    title: str
    source_line: str
    time: str
    body: tuple[str, ...]
    """Body lines in page order, including the image's file-name line."""

    @property
    def source(self) -> str:
        return re.sub(r"^来源[:：]", "", self.source_line)


IMAGE_NAME_RE = re.compile(r"^[\w\-. ]+\.(png|jpe?g|gif|bmp)$", re.IGNORECASE)


def load_seed() -> SeedText:
    """Read and split ``corpus/seed_article.txt``."""
    lines = [ln for ln in (CORPUS_DIR / "seed_article.txt").read_text(encoding="utf-8").split("\n") if ln.strip()]
    header = (lines[0], lines[1])
    if header != HEADER_LINES or lines[2] != lines[3]:
        raise ValueError("seed_article.txt does not start with the site header and the breadcrumb twice")
    return SeedText(header=header, breadcrumb=lines[2], title=lines[4], source_line=lines[5], time=lines[6],
                    body=tuple(lines[7:]))


def load_sentences() -> list[str]:
    """Read ``corpus/sentences.txt``."""
    text = (CORPUS_DIR / "sentences.txt").read_text(encoding="utf-8")
    return [ln for ln in text.split("\n") if ln.strip()]


def seed_blocks(seed: SeedText, image_path: str, image_number: int) -> list[Block]:
    """The seed body as blocks: short lines are headings, the file-name line is the image, the line after it
    its caption."""
    blocks: list[Block] = []
    lines = list(seed.body)
    i = 0
    while i < len(lines):
        line = lines[i]
        if IMAGE_NAME_RE.match(line):
            caption = lines[i + 1]
            blocks.append(Block("image", image=Image(image_path, image_number, alt=line, caption=caption)))
            blocks.append(Block("caption", caption))
            i += 2
            continue
        is_heading = len(line) <= 30 and not line.endswith(("。", "?", "？", "!", "！"))
        blocks.append(Block("heading" if is_heading else "para", line))
        i += 1
    return blocks


# --- generation ----------------------------------------------------------------------------------------


class Generator:
    """Draws a whole site from one ``random.Random(seed)``; call :meth:`site` once."""

    def __init__(self, scale: int | None, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.sentences = load_sentences()
        self.seed_text = load_seed()
        self.used_titles: set[str] = set()
        self.file_number = 3_100_000

    # -- plan -------------------------------------------------------------------------------------------

    def _column_plan(self) -> list[tuple[ColumnSpec, int, int, int]]:
        """(column, articles, off-site items, per page) for each column."""
        if self.scale is None:
            return [(spec, n, off, STANDARD_PER_PAGE) for spec, n, off in STANDARD_COLUMNS]
        total = max(1, int(self.scale))
        counts = [total * pct // 100 for _, pct in BENCH_COLUMNS]
        counts[0] += total - sum(counts)
        counts[0] = max(1, counts[0])
        return [(spec, n, max(2, total // 200) if spec is ZCJD else 0, BENCH_PER_PAGE)
                for (spec, _), n in zip(BENCH_COLUMNS, counts, strict=True)]

    def _variants(self, n: int) -> list[str]:
        """Variants of the ``n`` generated (non-seed) articles, in generation order."""
        names = list(VARIANTS)
        if self.scale is None:
            chosen = [v for v in names for _ in range(4)]
            chosen += self.rng.choices(["seed", "platform", "zoom"], weights=[4, 4, 3], k=max(0, n - len(chosen)))
            chosen = chosen[:n]
            self.rng.shuffle(chosen)
            return chosen
        return self.rng.choices(names, weights=[24, 24, 18, 8, 10, 8, 8], k=n)

    def _random_time(self, seconds: bool) -> datetime:
        days = (DATE_LAST.date() - DATE_FIRST.date()).days
        day = DATE_FIRST + timedelta(days=self.rng.randrange(days + 1))
        t = day.replace(hour=self.rng.randint(8, 19), minute=self.rng.randrange(60),
                        second=self.rng.randrange(60) if seconds else 0)
        return t

    def site(self) -> Site:
        """Generate the site."""
        plan = self._column_plan()
        columns = [Column(spec, per_page) for spec, _, _, per_page in plan]
        n_generated = sum(n for _, n, _, _ in plan) - 1
        variants = iter(self._variants(n_generated))
        seen: dict[str, int] = {}
        all_articles: list[Article] = []
        for column, (spec, n, _, _) in zip(columns, plan, strict=True):
            for i in range(n):
                if spec is ZCJD and i == 0:
                    art = Article(column=spec, variant="seed", layout="seed", published=SEED_PUBLISHED,
                                  is_seed=True)
                else:
                    variant = next(variants)
                    k = seen.get(variant, 0)
                    seen[variant] = k + 1
                    layout = _SECOND_LAYOUT[variant][k % 2]
                    art = Article(column=spec, variant=variant, layout=layout, variant_index=k,
                                  published=self._random_time(seconds=layout == "platform"))
                column.articles.append(art)
                all_articles.append(art)
        self._assign_ids(all_articles)
        for art in sorted(all_articles, key=lambda a: a.id):
            self._fill(art)
        for column, (spec, _, n_off, _) in zip(columns, plan, strict=True):
            column.offsite = [self._offsite(spec) for _ in range(n_off)]
            column.articles.sort(key=lambda a: (a.published, a.id), reverse=True)
        return Site(columns=columns, scale=self.scale, seed=self.seed)

    def _assign_ids(self, articles: list[Article]) -> None:
        """Ids grow with publish time, as a CMS's do; 7 digits."""
        step = max(2, min(400, 7_000_000 // max(1, len(articles))))
        next_id = 2_100_000 + self.rng.randrange(50_000)
        for art in sorted(articles, key=lambda a: a.published):
            art.id = next_id
            next_id += self.rng.randint(1, step)

    # -- article content --------------------------------------------------------------------------------

    def _next_file(self) -> int:
        self.file_number += self.rng.randint(1, 9)
        return self.file_number

    def _file_path(self, art: Article, kind: str, number: int, ext: str) -> str:
        b = art.id // 10
        return f"/{kind}/0/{b // 1000}/{b}/{number}.{ext}"

    def _title(self, kind: str) -> str:
        templates = TITLE_TEMPLATES[kind]
        for _ in range(40):
            title = self.rng.choice(templates).format(r=self.rng.choice(REGULATIONS))
            if title not in self.used_titles:
                break
        else:
            base = title
            n = 2
            while title in self.used_titles:
                title = f"{base}（第{n}期）"
                n += 1
        self.used_titles.add(title)
        return title

    def _paragraph(self) -> str:
        return "".join(self.rng.sample(self.sentences, self.rng.randint(1, 3)))

    def _heading(self, text: str, style: str, number: int) -> str:
        if style == "cn":
            return f"{CN_NUMBERS[number]}、{text}"
        if style == "paren":
            return f"（{CN_NUMBERS[number]}）{text}"
        return text

    def _body(self) -> list[Block]:
        total = self.rng.randint(4, 10)
        n_head = min(self.rng.choice((0, 1, 2, 3)), (total - 1) // 2)
        heads = self.rng.sample(HEADINGS, n_head)
        style = self.rng.choice(("cn", "paren", "plain"))
        n_para = total - n_head
        blocks = [Block("para", self._paragraph())]
        remaining = n_para - 1
        for h, head in enumerate(heads):
            left = len(heads) - h - 1
            take = remaining - left if left == 0 else self.rng.randint(1, remaining - left)
            blocks.append(Block("heading", self._heading(head, style, h)))
            blocks.extend(Block("para", self._paragraph()) for _ in range(take))
            remaining -= take
        blocks.extend(Block("para", self._paragraph()) for _ in range(remaining))
        return blocks

    def _image(self, art: Article, filename_line: bool) -> Image:
        number = self._next_file()
        shot = art.published + timedelta(minutes=self.rng.randint(-600, 90), seconds=self.rng.randrange(60))
        if filename_line:
            alt = shot.strftime("IMG_%Y%m%d_%H%M%S.jpg")
        elif art.layout == "platform":
            alt = shot.strftime("%Y%m%d%H%M%S") + f"{self.rng.randrange(1000):03d}.jpg"
        else:
            alt = shot.strftime("微信图片_%Y%m%d%H%M%S.png")
        day = art.published - timedelta(days=self.rng.randint(0, 20))
        caption = (f"{day.year}年{day.month}月{day.day}日，{self.rng.choice(CAPTION_ORGS)}在"
                   f"{self.rng.choice(CAPTION_PLACES)}{self.rng.choice(CAPTION_EVENTS)}。")
        return Image(self._file_path(art, "img", number, "png"), number, alt, caption, filename_line)

    def _insert_image(self, art: Article, image: Image) -> None:
        paras = [i for i, b in enumerate(art.blocks) if b.kind == "para"]
        after = self.rng.choice(paras[:-1] or paras)
        new = [Block("image", image=image)]
        if image.filename_line:
            new.append(Block("filename", image.alt))
        new.append(Block("caption", image.caption))
        art.blocks[after + 1:after + 1] = new

    def _attachments(self, art: Article) -> list[Attachment]:
        out = []
        n = self.rng.randint(1, 3)
        for k in range(1, n + 1):
            ext = ("pdf", "docx", "xls")[(art.variant_index + k - 1) % 3]  # every type occurs
            number = self._next_file()
            name = self.rng.choice(ATTACHMENT_NAMES[ext]).format(r=self.rng.choice(REGULATIONS),
                                                                 y=art.published.year)
            link = self.rng.choice(ATTACHMENT_LINK_TEXTS).format(k=k)
            out.append(Attachment(self._file_path(art, "attachment", number, ext), number, name, link))
        if art.variant_index % 4 == 0:
            k = len(out) + 1
            name = f"附件{k}：{self.rng.choice(REGULATIONS)}填报说明.pdf"
            out.append(Attachment(None, self._next_file(), name, f"附件{k}"))
        return out

    def _fill(self, art: Article) -> None:
        """Title, source, body, images, attachments of one article (in id order)."""
        if art.is_seed:
            seed = self.seed_text
            art.title = seed.title
            self.used_titles.add(art.title)
            art.source = art.meta_source = seed.source
            number = self._next_file()
            art.blocks = seed_blocks(seed, self._file_path(art, "img", number, "png"), number)
            art.traps = ["breadcrumb_twice", "image_alt_is_file_name"]
            return
        art.title = self._title(art.column.kind)
        quoted = art.variant == "escaped_source" or self.rng.random() < 0.4
        art.source = self.rng.choice(SOURCES_QUOTED if quoted else SOURCES_PLAIN)
        art.meta_source = art.source
        art.blocks = self._body()
        art.traps.extend(LAYOUT_TRAPS[art.layout])
        if art.variant == "escaped_source":
            art.meta_source = entity_quotes(art.source)
            art.traps.append("double_escaped_source")
        if art.variant == "junk_meta":
            art.meta_source = self.rng.choice(JUNK_META_SOURCES)
            art.traps.append("junk_meta_source")
        if art.variant == "zoom" and art.variant_index % 3 == 0:
            paras = [b for b in art.blocks if b.kind == "para"]
            target = paras[len(paras) // 2]
            prose = WIDGET_PROSE[(art.variant_index // 3) % len(WIDGET_PROSE)]
            first, *rest = re.findall(r"[^。！？?]+[。！？?]", target.text) or [target.text]
            target.text = first + prose + "".join(rest)
            art.traps.append("widget_words_in_prose")
        if art.variant == "image_filename":
            self._insert_image(art, self._image(art, filename_line=True))
            art.traps.append("image_file_name_line")
        elif self.rng.random() < {"seed": 0.5, "platform": 0.25, "zoom": 0.2}[art.layout]:
            self._insert_image(art, self._image(art, filename_line=False))
        if any(b.kind == "image" for b in art.blocks):
            art.traps.append("image_alt_is_file_name")
        if art.variant == "attachments":
            art.attachments = self._attachments(art)
            art.traps.append("attachment_name_in_alt")
            if any(a.path is None for a in art.attachments):
                art.traps.append("attachment_without_href")
            if self.rng.random() < 0.5:
                stem = art.attachments[0].name.rsplit(".", 1)[0]
                art.blocks.append(Block("para", f"附件：{stem}"))

    def _offsite(self, spec: ColumnSpec) -> OffsiteItem:
        alphabet = string.ascii_letters + string.digits + "-_"
        token = "".join(self.rng.choice(alphabet) for _ in range(22))
        title = self.rng.choice(OFFSITE_TEMPLATES).format(r=self.rng.choice(REGULATIONS))
        while title in self.used_titles:
            title += "（续）"
        self.used_titles.add(title)
        return OffsiteItem(spec, f"https://mp.weixin.qq.com/s/{token}", title, self._random_time(seconds=False))


def generate_site(scale: int | None = None, seed: int = 0) -> Site:
    """The whole site for ``scale`` (``None``: the standard mirror, legacy-encoded pages included) and
    ``seed``."""
    site = Generator(scale, seed).site()
    if scale is None:
        from gdcac_mirror.legacy import add_legacy_articles  # it imports this module

        add_legacy_articles(site)
    return site
