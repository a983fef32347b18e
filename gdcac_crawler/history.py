"""``gdcac history URL|ID``: every archived version of an article, and what changed between them.

Prints the article's identity and state (current version, first and last seen, removed or not), then each
version with when and by which run it was captured, and between consecutive versions a unified diff of the
fields that make up the content hash (title, published_at, source, attachments, body text one paragraph per
line).  Reads the archive read-only, through :class:`gdcac_crawler.archive.ArchiveReader`.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import click

from gdcac_crawler.archive import ArchiveReader

DEFAULT_DB = "archive/gdcac.sqlite"


def version_lines(version: dict[str, Any]) -> list[str]:
    """A version as text lines for diffing: one header line per field, then the body's paragraphs."""
    lines = [
        f"title: {version.get('title') or ''}",
        f"published_at: {version.get('published_at') or ''}",
        f"source: {version.get('source') or ''}",
    ]
    for attachment in version.get("attachments") or []:
        lines.append("attachment: " + json.dumps(attachment, ensure_ascii=False, sort_keys=True))
    lines.append("body:")
    lines.extend((version.get("body_text") or "").split("\n"))
    return lines


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The unified diff (3 lines of context) from version ``old`` to version ``new``."""
    return list(difflib.unified_diff(
        version_lines(old), version_lines(new),
        fromfile=f"version {old['version']} ({old.get('captured_at')}, run {old.get('run_id')})",
        tofile=f"version {new['version']} ({new.get('captured_at')}, run {new.get('run_id')})",
        lineterm=""))


def render_history(article: dict[str, Any], versions: list[dict[str, Any]], *, diffs: bool = True) -> list[str]:
    """The lines ``gdcac history`` prints for an article and its versions (oldest first)."""
    out = [
        f"article {article['id']}  {article['url']}",
        f"  title: {article.get('title')}",
        f"  column: {article.get('column_name') or '-'}   published: {article.get('published_at') or '-'}",
        f"  version {article.get('version')} of {len(versions)}; first seen {article.get('first_seen_at')}, "
        f"last seen {article.get('last_seen_at')}, changed {article.get('changed_at')}",
    ]
    if article.get("removed_at"):
        out.append(f"  REMOVED from the portal: found gone {article['removed_at']}"
                   + (f" (run {article['removed_run_id']})" if article.get("removed_run_id") else ""))
    out.append("")
    previous = None
    for version in versions:
        out.append(f"version {version['version']}  captured {version.get('captured_at')}  run {version.get('run_id')}"
                   f"  content {str(version.get('content_hash'))[:12]}")
        if diffs and previous is not None:
            out.extend(version_diff(previous, version) or ["  (no difference in the diffed fields)"])
        previous = version
    return out


@click.command("history")
@click.argument("article")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="Archive to read.")
@click.option("--no-diff", is_flag=True, help="List the versions only.")
def history_command(article: str, db: str, no_diff: bool) -> None:
    """Every version of ARTICLE (its URL or 16-character id), with a unified diff between consecutive versions.

    Example: gdcac history https://www.cagd.gov.cn/zcfg/zcjd/content/post_2107282.html --db archive/demo.sqlite
    """
    if not Path(db).exists():
        raise click.ClickException(f"no archive at {db}")
    with ArchiveReader(db) as archive:
        row = archive.get_article(article)
        if row is None:
            raise click.ClickException(f"no article {article} in {db}")
        versions = archive.article_versions(row["id"])
    for line in render_history(row, versions, diffs=not no_diff):
        click.echo(line)
