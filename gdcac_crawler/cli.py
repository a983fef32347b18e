"""The ``gdcac`` command, for operators, analysts and maintainers.

``gdcac demo``      serve the offline mirror, crawl it into an archive, stop the mirror, print a summary.
``gdcac summary``   what an archive holds: articles per column, publish dates, the runs.
``gdcac mirror``    serve the offline mirror of the portal.
``gdcac extract``   the item extracted from one saved page, as JSON (for maintainers).
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import click

from gdcac_crawler.archive import Archive
from gdcac_crawler.extract.cli import extract_command

DEFAULT_DB = "archive/gdcac.sqlite"

#: The settings that lift the live site's politeness for a crawl of the mirror on loopback.
MIRROR_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}

SAMPLE_QUERY = (
    "SELECT published_at, title FROM articles WHERE column_name = '政策解读' ORDER BY published_at DESC LIMIT 3"
)


def crawl_command(base_url: str, db: str | os.PathLike, *, spider: str = "gdcac",
                  settings: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    """The ``scrapy crawl`` command line that crawls the portal at ``base_url`` into ``db``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}",
           "-s", f"GDCAC_ARCHIVE_PATH={db}"]
    for key, value in {**MIRROR_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


def crawl_env() -> dict[str, str]:
    """The environment for ``scrapy crawl``: the project's settings, wherever it runs from."""
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "gdcac_crawler.settings"}


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def print_summary(db: str | os.PathLike) -> None:
    """Articles per column, first and last publish date, the last run, and a sample query."""
    with Archive(db, readonly=True) as archive:
        click.echo(f"archive {db}: {archive.article_count()} articles")
        click.echo(f"  {pad('column', 12)} {'articles':>8}  {'first published':<26} last published")
        for row in archive.column_summary():
            click.echo(f"  {pad(row['column_name'] or '-', 12)} {row['articles']:>8}  "
                       f"{row['first_published'] or '-':<26} {row['last_published'] or '-'}")
        runs = archive.runs()
        if runs:
            last = runs[-1]
            click.echo(f"last run {last['id']}: {last.get('finish_reason')}, new {last.get('articles_new')}, "
                       f"changed {last.get('articles_changed')}, unchanged {last.get('articles_unchanged')}, "
                       f"failed {last.get('articles_failed')}, listing pages {last.get('listing_pages')}")
    click.echo("sample query:")
    click.echo(f'  sqlite3 {db} "{SAMPLE_QUERY}"')
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    try:
        for published_at, title in conn.execute(SAMPLE_QUERY):
            click.echo(f"  {published_at}  {title}")
    finally:
        conn.close()


@click.group()
def main() -> None:
    """gdcac-crawler: crawl Chinese government portals into a SQLite archive."""


@main.command()
@click.option("--db", default="archive/demo.sqlite", show_default=True, help="Archive to crawl into.")
def demo(db: str) -> None:
    """Crawl the offline mirror into an archive and summarise it.

    Starts the mirror on a free loopback port, runs `scrapy crawl gdcac` against it, stops the mirror and
    prints what the archive holds.  Example: gdcac demo --db archive/demo.sqlite
    """
    from gdcac_crawler.mirror import MirrorProcess

    Path(db).parent.mkdir(parents=True, exist_ok=True)
    with MirrorProcess() as mirror:
        click.echo(f"mirror serving at {mirror.base_url}")
        cmd = crawl_command(mirror.base_url, db, settings={"LOG_LEVEL": "WARNING"})
        click.echo("$ scrapy crawl gdcac -a base_url=%s -s GDCAC_ARCHIVE_PATH=%s ..." % (mirror.base_url, db))
        result = subprocess.run(cmd, env=crawl_env())
    click.echo("mirror stopped")
    if result.returncode != 0:
        raise click.ClickException(f"scrapy crawl exited with status {result.returncode}")
    print_summary(db)


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="Archive to read.")
def summary(db: str) -> None:
    """What an archive holds.  Example: gdcac summary --db archive/demo.sqlite"""
    if not Path(db).exists():
        raise click.ClickException(f"no archive at {db}")
    print_summary(db)


@main.group()
def mirror() -> None:
    """The offline mirror of the portal."""


@mirror.command("serve")
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.option("--root", default=None, help="A built site directory (default: the committed mirror).")
def mirror_serve(port: int, root: str | None) -> None:
    """Serve the mirror on 127.0.0.1 until interrupted.  Example: gdcac mirror serve --port 8000"""
    args = [sys.executable, "-m", "gdcac_crawler.mirror", "serve", "--port", str(port)]
    if root:
        args += ["--root", root]
    raise SystemExit(subprocess.call(args))


main.add_command(extract_command)


if __name__ == "__main__":  # pragma: no cover
    main()
