"""Helpers shared by the extraction tests (not a test module)."""

from __future__ import annotations

import json
from pathlib import Path

from scrapy.http import HtmlResponse

from gdcac_crawler.extract.encoding import response_from_bytes

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def case_response(site: str, case: str) -> HtmlResponse:
    """The saved response of fixture case ``site/case``, decoded as the crawler decodes what it fetches."""
    case_dir = FIXTURES / site / case
    meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
    return response_from_bytes(meta["url"], (case_dir / "page.html").read_bytes(), meta["headers"])


def drc_case(case: str) -> HtmlResponse:
    return case_response("drc", case)
