"""archive/README.md documents every table (the search index's FTS5 tables too), every view and every column."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

from gdcac_crawler.archive import Archive

README = Path(__file__).resolve().parents[1] / "archive" / "README.md"
HEADING = re.compile(r"^###\s+(View\s+)?`([^`]+)`\s*$")
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([A-Z]*)\s*\|")


def documented() -> dict[str, dict[str, dict[str, str]]]:
    """``{"table"|"view": {name: {column: TYPE}}}`` from the README (``### `t` `` and ``### View `v` ``)."""
    found: dict[str, dict[str, dict[str, str]]] = {"table": {}, "view": {}}
    current: dict[str, str] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            kind = "view" if heading.group(1) else "table"
            assert heading.group(2) not in found[kind], f"{kind} {heading.group(2)} documented twice"
            current = found[kind].setdefault(heading.group(2), {})
            continue
        if line.startswith("#"):
            current = None
            continue
        row = ROW.match(line)
        if row and current is not None:
            assert row.group(1) not in current, f"column {row.group(1)} documented twice"
            current[row.group(1)] = row.group(2)
    return found


def actual(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    conn = sqlite3.connect(path)
    try:
        found: dict[str, dict[str, dict[str, str]]] = {"table": {}, "view": {}}
        for name, kind in conn.execute(
            "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ):
            found[kind][name] = {r[1]: (r[2] or "").upper() for r in conn.execute(f'PRAGMA table_info("{name}")')}
        return found
    finally:
        conn.close()


def test_every_table_view_and_column_is_documented_with_its_type(tmp_path) -> None:
    path = tmp_path / "archive.sqlite"
    Archive(path).close()
    real, doc = actual(path), documented()
    for kind in ("table", "view"):
        assert set(doc[kind]) == set(real[kind]), f"{kind}s documented vs. in the schema differ"
        for name, columns in real[kind].items():
            assert doc[kind][name] == columns, f"columns of {kind} {name} differ between README and schema"
    assert {"latest_articles", "article_history"} <= set(real["view"])
    assert {"articles_fts", "articles_fts_data", "articles_fts_idx", "articles_fts_docsize",
            "articles_fts_config"} <= set(real["table"])  # fmt: skip


def test_the_parser_sees_a_drift(tmp_path, monkeypatch) -> None:
    text = README.read_text(encoding="utf-8")
    assert "| `published_month` |  |" in text
    drifted = tmp_path / "README.md"
    drifted.write_text(text.replace("| `published_month` |  |", "| `published_mnth` |  |"), encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "README", drifted)
    path = tmp_path / "archive.sqlite"
    Archive(path).close()
    assert documented()["view"]["latest_articles"] != actual(path)["view"]["latest_articles"]
