"""The objects tests build: fetches, the search tests' numbered articles and their runs, random text.

:func:`make_fetch` is the one way a test makes a :class:`~gdcac_crawler.items.Fetch`: its digest and size
always those of its body.  A module whose fetches share more than the defaults binds them once
(``functools.partial(make_fetch, run_id=..., ...)``).
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from gdcac_crawler.archive import Archive
from gdcac_crawler.items import ArticleItem, Fetch
from gdcac_crawler.archive.query import ESCAPE

#: The body :func:`make_fetch` gives a fetch unless told otherwise.
PAGE_BODY = b"<html><body>\xe4\xbd\xa0\xe5\xa5\xbd</body></html>"


def make_fetch(url: str, *, run_id: str = "r1", at: str = "2024-05-06T07:08:09Z", status: int = 200,
               kind: str = "article", body: bytes | None = PAGE_BODY,
               content_type: str | None = "text/html; charset=utf-8", encoding: str | None = "utf-8",
               **fields: Any) -> Fetch:
    """A fetch of ``url`` (which answered itself) at ``at`` in run ``run_id``; ``sha256`` and ``size`` are the
    body's (``None`` with ``body=None``); ``fields`` sets any other field (``etag``, ``error`` …)."""
    return Fetch(run_id=run_id, url=url, final_url=url, status=status, fetched_at=at, kind=kind,
                 content_type=content_type, encoding=encoding,
                 sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
                 size=len(body) if body is not None else None, body=body, **fields)


# --- the search tests' articles ---------------------------------------------------------------------------

# Characters of the generated articles: common Chinese characters (so that one- and two-character queries hit
# many articles), ASCII of both cases, digits, whitespace and LIKE's own wildcards and escape, and the characters
# the index spells specially (its private-use escape and the codes it uses), full-width letters and accented
# letters (which LIKE does not fold).
CJK = "网络安全数据信息管理办法规定的和是在了国家个人保护发展建设治理体系空间政策解读"
ALPHABET = CJK + "AbCzZ50 \n\t%_\\\"'-.,。、（）" + ESCAPE + "\ue120\ue000\u3000ＡａÉé"
WEIGHTS = [8] * len(CJK) + [2] * (len(ALPHABET) - len(CJK))
URL = "https://www.gdcac.gov.cn/zcfg/zcjd/content/post_{}.html"


def article(n: int, title: str | None, body: str | None, *, at: str = "2024-05-06T07:08:09Z", run_id: str = "r1",
            column: str = "政策解读", published: str = "2024-05-06T15:08:00+08:00", source: str = "广东省委网信办",
            ) -> ArticleItem:  # fmt: skip
    """Article ``n`` (at :data:`URL`), fetched at ``at`` in run ``run_id``."""
    url = URL.format(n)
    fetch = make_fetch(url, run_id=run_id, at=at, body=f"<html>{url}{at}</html>".encode())
    return ArticleItem(url=url, site="gdcac", fetch=fetch, title=title, body_text=body, published_at=published,
                       source=source, column=column, column_path=["政策法规", column])


def start(archive: Archive, run_id: str = "r1", at: str = "2024-05-06T07:00:00Z") -> None:
    """Start run ``run_id`` (a full run of the gdcac spider) in ``archive``."""
    archive.start_run(run_id, spider="gdcac", site="gdcac", mode="full", started_at=at, settings={},
                      crawler_version="test")  # fmt: skip


def random_text(rng: random.Random, low: int, high: int) -> str:
    """``low`` to ``high`` characters of :data:`ALPHABET`, drawn by :data:`WEIGHTS`."""
    return "".join(rng.choices(ALPHABET, WEIGHTS, k=rng.randint(low, high)))
