"""The saved pages under ``tests/fixtures/``, as the crawler sees them."""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.http import HtmlResponse

from gdcac_crawler.extract.encoding import response_from_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_case(case_dir: Path) -> tuple[HtmlResponse, dict]:
    """The saved response of the fixture case in ``case_dir``, decoded as the crawler decodes what it fetches,
    and the case's meta.json."""
    meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
    body = (case_dir / "page.html").read_bytes()
    return response_from_bytes(meta["url"], body, meta.get("headers") or {}), meta


def case_response(site: str, case: str) -> HtmlResponse:
    """The saved response of fixture case ``site/case``, decoded as the crawler decodes what it fetches."""
    return load_case(FIXTURES / site / case)[0]


def drc_case(case: str) -> HtmlResponse:
    return case_response("drc", case)
