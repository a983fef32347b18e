"""The gdcac command through click's runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gdcac_crawler.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gdcac"
SEED_URL = "https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2107282.html"


def test_extract_prints_the_fixture_view() -> None:
    result = CliRunner().invoke(main, ["extract", "--url", SEED_URL, str(FIXTURES / "article_seed" / "page.html")])
    assert result.exit_code == 0, result.output
    expected = json.loads((FIXTURES / "article_seed" / "expected.json").read_text(encoding="utf-8"))
    assert json.loads(result.output) == expected


def test_extract_unknown_profile_is_one_clear_line() -> None:
    result = CliRunner().invoke(main, ["extract", "--profile", "nope", "--url", SEED_URL,
                                       str(FIXTURES / "article_seed" / "page.html")])
    assert result.exit_code != 0 and "no portal profile named 'nope'" in result.output
    assert "Traceback" not in result.output


def test_summary_without_an_archive_fails_clearly(tmp_path) -> None:
    result = CliRunner().invoke(main, ["summary", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code != 0 and "no archive at" in result.output


@pytest.mark.parametrize("args", [["demo", "--db", "demo.sqlite"], ["mirror", "serve"]], ids=["demo", "mirror"])
def test_the_mirror_commands_without_the_mirror_are_one_error_line(args, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "gdcac_mirror", None)  # as if the package were not installed
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and not list(tmp_path.iterdir())
    assert result.stderr.splitlines() == ["Error: the offline mirror (package gdcac_mirror) is not installed; it "
                                          "comes with the repository: run `make install` in a checkout"]
