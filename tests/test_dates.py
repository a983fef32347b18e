"""Publish dates in the forms the portals print, to ISO 8601 with +08:00."""

from __future__ import annotations

import pytest

from gdcac_crawler.extract.dates import listed_date, parse_date


@pytest.mark.parametrize(
    "text, iso, raw",
    [
        ("2022-06-22 10:08", "2022-06-22T10:08:00+08:00", "2022-06-22 10:08"),
        ("时间：2026-09-24 17:25:04", "2026-09-24T17:25:04+08:00", "2026-09-24 17:25:04"),
        ("发布时间：2020-11-02 09:30", "2020-11-02T09:30:00+08:00", "2020-11-02 09:30"),
        ("2022年06月22日 10:08", "2022-06-22T10:08:00+08:00", "2022年06月22日 10:08"),
        ("日期：2022年6月2日", "2022-06-02T00:00:00+08:00", "2022年6月2日"),
        (" [2022-06-22]", "2022-06-22T00:00:00+08:00", "2022-06-22"),
        ("2022/6/22", "2022-06-22T00:00:00+08:00", "2022/6/22"),
        ("1655863680", "2022-06-22T10:08:00+08:00", "1655863680"),
        ("1655863680000", "2022-06-22T10:08:00+08:00", "1655863680000"),
    ],
)
def test_date_forms(text: str, iso: str, raw: str) -> None:
    assert parse_date(text) == (iso, raw)


@pytest.mark.parametrize("text", [None, "", "来源:网信广东", "2022-13-45", "编号 12345"])
def test_no_date(text) -> None:
    assert parse_date(text) == (None, None)


def test_listed_date_is_a_day() -> None:
    assert listed_date(" [2026-09-24]") == "2026-09-24"
    assert listed_date("无日期") is None
