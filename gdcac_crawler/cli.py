"""The ``gdcac`` command, for operators, analysts and maintainers.

``gdcac demo``      serve the offline mirror, crawl it into an archive, stop the mirror, print a summary.
``gdcac summary``   what an archive holds: articles per column, publish dates, the runs.
``gdcac mirror``    serve the offline mirror of the portal.
``gdcac extract``   the item extracted from one saved page, as JSON (for maintainers).
``gdcac search``    Chinese full-text search of titles and bodies, ranked, with snippets.
``gdcac export``    articles (or a search's matches) as CSV, JSON lines or Parquet.
``gdcac stats``     articles per column and month, the runs, the last run's health.
``gdcac show``      one article with its versions and provenance.
``gdcac serve``     Datasette over the archive, read-only, on 127.0.0.1.
``gdcac migrate``   bring an archive made by an older version up to date (and rebuild its search index).
``gdcac probe``     a first, polite look at a portal: its section, columns, pager, articles; a draft profile.

Every command that reads an archive takes ``--db``; a missing archive, a bad date or a malformed query is one
line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from gdcac_crawler.archive import SAMPLE_QUERY, Archive, QueryError
from gdcac_crawler.extract.cli import extract_command
from gdcac_crawler.history import DEFAULT_DB, history_command
from gdcac_crawler.probe_cli import probe_command


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
        for published_at, title in archive.sample_rows():
            click.echo(f"  {published_at}  {title}")


def require_mirror() -> None:
    """``Error: …`` (exit status 1) unless the offline mirror, the package ``gdcac_mirror``, is installed."""
    if importlib.util.find_spec("gdcac_mirror") is None:
        raise click.ClickException("the offline mirror (package gdcac_mirror) is not installed; it comes with the "
                                   "repository: run `make install` in a checkout")


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
    require_mirror()
    from gdcac_crawler.extensions.health import ExitStatus
    from gdcac_mirror import MirrorProcess
    from gdcac_mirror.crawl import run_crawl

    Path(db).parent.mkdir(parents=True, exist_ok=True)
    with MirrorProcess() as mirror:
        click.echo(f"mirror serving at {mirror.base_url}")
        click.echo(f"$ scrapy crawl gdcac -a base_url={mirror.base_url} -s GDCAC_ARCHIVE_PATH={db} ...")
        result = run_crawl(mirror.base_url, db, capture=False, settings={"LOG_LEVEL": "WARNING"})
    click.echo("mirror stopped")
    if result.returncode != ExitStatus.OK:
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
@click.option("--rendering", type=click.Choice(["nfw", "cagd"]), default="nfw", show_default=True,
              help="Which committed rendering: nfw (the provincial platform's), cagd (the second).")
def mirror_serve(port: int, root: str | None, rendering: str) -> None:
    """Serve the mirror on 127.0.0.1 until interrupted.  Example: gdcac mirror serve --port 8000 --rendering cagd"""
    require_mirror()
    args = [sys.executable, "-m", "gdcac_mirror", "serve", "--port", str(port), "--rendering", rendering]
    if root:
        args += ["--root", root]
    raise SystemExit(subprocess.call(args))


# -- analysts: search, export, stats, show, serve, migrate ---------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn the errors an analyst can cause (no archive, bad date, malformed query, a file that is no
    archive) into one ``Error: ...`` line on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except QueryError as exc:
            raise click.ClickException(str(exc)) from None
        except (ValueError, RuntimeError) as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except sqlite3.Error as exc:
            raise click.ClickException(f"archive {kwargs.get('db', '')}: {exc}") from None
        except BrokenPipeError:  # `gdcac search ... | head`
            sys.stderr.close()
            raise SystemExit(0) from None

    return wrapper  # type: ignore[return-value]


def open_archive(db: str, *, search: bool = False) -> Archive:
    """The archive at ``db``, read-only; a clear ClickException when there is none or it is not an archive."""
    path = Path(db)
    if not path.is_file():
        raise click.ClickException(f"no archive at {db}")
    try:
        archive = Archive(path, readonly=True)
        if not archive.is_archive():
            archive.close()
            raise click.ClickException(f"{db} is not a gdcac archive (it has no articles table)")
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{db} is not a gdcac archive ({exc})") from None
    if search and not archive.has_search_index():
        archive.close()
        raise click.ClickException(
            f"archive {db} has no search index (made before migration m002_search): run `gdcac migrate --db {db}`"
        )
    return archive


def db_option(func: F) -> F:
    return click.option("--db", default=DEFAULT_DB, show_default=True, help="The archive (SQLite file).")(func)


def filter_options(func: F) -> F:
    """--since, --until, --column, --source, --site."""
    options = [
        click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY)."),
        click.option("--until", metavar="DATE", help="Published on or before DATE (the whole day, month or year)."),
        click.option("--column", metavar="NAME", help="Only this column (栏目), e.g. 政策解读."),
        click.option("--source", metavar="TEXT", help="Only articles whose source contains TEXT."),
        click.option("--site", metavar="PROFILE", help="Only this portal profile, e.g. gdcac."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filters(since: str | None, until: str | None, column: str | None, source: str | None,
             site: str | None) -> dict[str, Any]:  # fmt: skip
    return {"since": since, "until": until, "column": column, "source": source, "site": site}


SEARCH_FIELDS = ("rank", "score", "id", "url", "title", "published_at", "column", "source", "site", "snippet")


@main.command()
@click.argument("query")
@db_option
@filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="How many (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True)
@one_line_errors
def search(query: str, db: str, since: str | None, until: str | None, column: str | None, source: str | None,
           site: str | None, limit: int, fmt: str) -> None:  # fmt: skip
    """Search titles and bodies in Chinese: the best matches, ranked, with snippets.

    QUERY is any text: every space-separated term must occur in the title or the body (exactly the articles a
    LIKE '%term%' scan finds; ASCII letters case-insensitive); a "quoted phrase" is one term with its spaces.

    \b
    Examples:
      gdcac search 网络安全 --db archive/demo.sqlite
      gdcac search '数据 "个人信息 保护"' --since 2022-01 --column 政策解读 --format jsonl
    """
    with open_archive(db, search=True) as archive:
        found = archive.search(query, limit=limit or None, **_filters(since, until, column, source, site))
    results = found["results"]
    if fmt == "jsonl":
        for row in results:
            click.echo(json.dumps({k: row[k] for k in SEARCH_FIELDS}, ensure_ascii=False))
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=SEARCH_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: row[k] for k in SEARCH_FIELDS} for row in results)
        return
    shown = f"; the best {len(results)}" if len(results) < found["total"] else ""
    click.echo(f"{found['total']} articles match {query}{shown}")
    for row in results:
        date = (row["published_at"] or "")[:10] or "-"
        click.echo(f"{row['rank']:>4}. {date}  {pad(row['column'] or '-', 10)}  {row['title'] or '(no title)'}")
        click.echo(f"      {row['snippet']}")
        click.echo(f"      {row['url']}")


@main.command()
@db_option
@click.option("--query", "-q", metavar="QUERY", help="Export only the matches of this search, best first.")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="csv", show_default=True)
@click.option("--output", "-o", default="-", show_default=True, help="File to write ('-': standard output).")
@one_line_errors
def export(db: str, query: str | None, since: str | None, until: str | None, column: str | None,
           source: str | None, site: str | None, fmt: str, output: str) -> None:  # fmt: skip
    """Export articles (every column), or the matches of a search, to CSV, JSON lines or Parquet.

    Without --query the articles come oldest first; with it, best match first, with their rank and score.
    JSON lines decode the JSON columns; CSV and Parquet keep them as JSON text.  Parquet needs pyarrow
    (pip install 'gdcac-crawler[parquet]') and a file.

    \b
    Examples:
      gdcac export --db archive/demo.sqlite --format csv -o articles.csv
      gdcac export --query 网络安全 --since 2022 --format parquet -o matches.parquet
    """
    if fmt == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise click.ClickException("Parquet export needs pyarrow: pip install 'gdcac-crawler[parquet]'")
        if output == "-":
            raise click.ClickException("Parquet export needs a file: give --output FILE.parquet")
    filters = _filters(since, until, column, source, site)
    with open_archive(db, search=query is not None) as archive:
        columns = archive.article_columns()
        rows = archive.export_rows(query, decode_json=fmt == "jsonl", **filters)
        if query is not None:
            columns = [("rank", "INTEGER"), ("score", "REAL"), *columns]
        if fmt == "parquet":
            n = _write_parquet(rows, columns, output)
        else:
            stream = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            try:
                n = _write_text(rows, [name for name, _ in columns], fmt, stream)
            finally:
                if output != "-":
                    stream.close()
    if output != "-":
        click.echo(f"{n} articles written to {output}", err=True)


def _write_text(rows: Iterable[dict[str, Any]], names: list[str], fmt: str, stream: Any) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            n += 1
    else:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def _write_parquet(rows: Iterable[dict[str, Any]], columns: list[tuple[str, str]], output: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "BLOB": pa.binary()}
    schema = pa.schema([(name, types.get(kind, pa.string())) for name, kind in columns])
    n = 0
    with pq.ParquetWriter(output, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 1000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


#: Columns of ``runs`` that every archive has; others (health, new counts) are shown when present.
_BASE_RUN_COLUMNS = {
    "id", "spider", "site", "mode", "started_at", "finished_at", "finish_reason", "crawler_version", "settings",
    "stats", "listing_pages", "articles_new", "articles_changed", "articles_unchanged", "articles_failed",
    "items_dropped", "pages_blocked", "offsite_links",
}  # fmt: skip


def _health_line(run: dict[str, Any]) -> str:
    """The last run's health, from what the runs table records (``healthy``/``health`` where present)."""
    if "healthy" in run or "health" in run:
        verdict = {1: "healthy", 0: "UNHEALTHY", None: "not assessed"}.get(run.get("healthy"), str(run.get("healthy")))
        return f"{verdict}" + (f": {run['health']}" if run.get("health") else "")
    if run.get("finished_at") is None:
        return "unknown: the run has not finished (or it crashed)"
    return f"not recorded by this archive (finish reason {run.get('finish_reason')})"


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--runs", "n_runs", default=10, show_default=True, help="How many of the latest runs to list.")
@one_line_errors
def stats(db: str, fmt: str, n_runs: int) -> None:
    """Articles per column and month, the runs, and the last run's health.

    Example: gdcac stats --db archive/demo.sqlite
    """
    with open_archive(db) as archive:
        data = archive.stats()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    c = data["counts"]
    click.echo(f"archive {db}: {c['articles']} articles ({c['articles_removed']} removed), "
               f"{c['article_versions']} versions, {c['pages']} pages, {c['runs']} runs")  # fmt: skip
    index = data["search_index"]
    if index is None:
        click.echo("search index: missing (run `gdcac migrate`)")
    elif not index["in_step"]:
        click.echo(f"search index: {index['documents']} documents for {index['articles']} articles — out of step: "
                   f"run `gdcac migrate --reindex --db {db}`")  # fmt: skip
    else:
        click.echo(f"search index: {index['documents']} documents, in step with the articles")
    postings = (index or {}).get("postings")
    if postings and postings["tokens"]:
        click.echo(f"search postings: {postings['tokens']} tokens in at least {postings['promote_df']} articles, "
                   f"optimised at {postings['optimized_docs']} articles, {postings['segments']} segments")  # fmt: skip
    elif postings is not None:
        click.echo(f"search postings: none yet (no token is in {postings['promote_df']} articles)")
    click.echo("")
    click.echo(f"{pad('column', 12)} {'month':<8} {'articles':>8}")
    for row in data["by_column_month"]:
        click.echo(f"{pad(row['column_name'] or '-', 12)} {row['month'] or '-':<8} {row['articles']:>8}")
    runs = data["runs"][-n_runs:] if n_runs > 0 else []
    if runs:
        click.echo("")
        click.echo(f"{'run':<28} {'mode':<11} {'started':<20} {'finished':<20} {'reason':<10} "
                   f"{'new':>5} {'chg':>5} {'same':>5} {'fail':>5}")  # fmt: skip
        for run in runs:
            click.echo(f"{run['id']:<28} {run.get('mode') or '-':<11} {run.get('started_at') or '-':<20} "
                       f"{run.get('finished_at') or '-':<20} {run.get('finish_reason') or '-':<10} "
                       f"{_num(run.get('articles_new')):>5} {_num(run.get('articles_changed')):>5} "
                       f"{_num(run.get('articles_unchanged')):>5} {_num(run.get('articles_failed')):>5}")  # fmt: skip
    last = data["last_run"]
    click.echo("")
    if last is None:
        click.echo("no runs yet")
        return
    click.echo(f"last run {last['id']}: {_health_line(last)}")
    extra = {k: v for k, v in last.items() if k not in _BASE_RUN_COLUMNS | {"healthy", "health"} and v is not None}
    if extra:
        click.echo("  " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    for row in data["last_run_pages"]:
        click.echo(f"  {row['kind'] or '-'} pages: {row['pages']} (HTTP errors {row['http_errors'] or 0}, "
                   f"failures {row['failures'] or 0})")  # fmt: skip


def _num(value: Any) -> str:
    return "-" if value is None else str(value)


@main.command()
@click.argument("article")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--body/--no-body", default=True, show_default=True, help="Print the body text.")
@one_line_errors
def show(article: str, db: str, fmt: str, body: bool) -> None:
    """One article (by id or URL) with its versions and provenance: every fetch and every listing entry.

    \b
    Examples:
      gdcac show 1f0c5e0b9a7d3c21 --db archive/demo.sqlite
      gdcac show https://www.cagd.gov.cn/zcfg/zcjd/content/post_2107282.html --format json
    """
    with open_archive(db) as archive:
        row = archive.get_article(article)
        if row is None:
            raise click.ClickException(f"no article {article} in {db}")
        versions = archive.article_versions(row["id"])
        provenance = archive.article_provenance(row["id"]) or {"pages": [], "listings": []}
    if fmt == "json":
        click.echo(json.dumps({"article": row, "versions": versions, **provenance}, ensure_ascii=False, indent=2))
        return
    path = " > ".join(row.get("column_path") or []) or row.get("column_name") or "-"
    lines = [
        ("id", row["id"]),
        ("url", row["url"]),
        ("title", row.get("title")),
        ("published", f"{row.get('published_at')} (printed: {row.get('published_raw')})"),
        ("column", path),
        ("source", row.get("source")),
        ("author", row.get("author")),
        ("version", f"{row.get('version')} (first seen {row.get('first_seen_at')}, last seen "
                    f"{row.get('last_seen_at')}, changed {row.get('changed_at')})"),
        ("removed", row.get("removed_at") or "-"),
        ("content hash", row.get("content_hash")),
    ]  # fmt: skip
    for label, value in lines:
        click.echo(f"{label:<13}{value if value is not None else '-'}")
    for attachment in row.get("attachments") or []:
        if isinstance(attachment, dict):
            click.echo(f"attachment   {attachment.get('name') or '-'}  {attachment.get('url')}")
    click.echo("")
    click.echo("versions:")
    for v in versions:
        click.echo(f"  v{v['version']}  {v.get('captured_at')}  run {v.get('run_id')}  "
                   f"{str(v.get('content_hash'))[:12]}  {v.get('title')}")
    click.echo("fetches (pages):")
    for p in provenance["pages"]:
        click.echo(f"  {p.get('fetched_at')}  run {p.get('run_id')}  {p.get('kind')}  HTTP {_num(p.get('status'))}  "
                   f"sha256 {str(p.get('sha256') or '-')[:12]}  {p.get('size') or 0} bytes  "
                   f"etag {p.get('etag') or '-'}  last-modified {p.get('last_modified') or '-'}"
                   + (f"  error {p['error']}" if p.get("error") else "")
                   + (f"  answered by {p['final_url']}" if p.get("final_url") not in (None, p.get("url")) else ""))
    click.echo("listed on:")
    for entry in provenance["listings"]:
        click.echo(f"  {entry.get('listing_url')}  page {_num(entry.get('page_no'))} position "
                   f"{_num(entry.get('position'))}  {entry.get('listed_date') or '-'}  "
                   f"{entry.get('listed_title') or ''}")
    if body:
        click.echo("")
        click.echo(row.get("body_text") or "")


#: The Datasette metadata the project ships (archive/metadata.yml next to this package in a checkout).
DEFAULT_METADATA = Path(__file__).resolve().parents[1] / "archive" / "metadata.yml"


def load_metadata(path: str | os.PathLike | None, db_name: str) -> dict[str, Any]:
    """archive/metadata.yml for a database named ``db_name`` (its ``gdcac`` key and links renamed)."""
    import yaml

    if path is None:
        if not DEFAULT_METADATA.is_file():
            return {}
        path = DEFAULT_METADATA
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise click.ClickException(f"cannot read metadata {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise click.ClickException(f"metadata {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    databases = data.get("databases") or {}
    if "gdcac" in databases and db_name != "gdcac":
        databases[db_name] = databases.pop("gdcac")
        if "description_html" in data:
            data["description_html"] = data["description_html"].replace("/gdcac/", f"/{db_name}/")
    return data


def make_datasette(db: str | os.PathLike, *, metadata: str | os.PathLike | None = None, immutable: bool = False,
                   settings: dict[str, Any] | None = None) -> Any:  # fmt: skip
    """A Datasette over the archive, read-only: its connections open the file with ``?mode=ro`` (``immutable``:
    ``?immutable=1``, for a snapshot nobody writes), with the metadata and the gdcac plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from gdcac_crawler import datasette_plugin

    if not pm.is_registered(datasette_plugin) and pm.get_plugin("gdcac") is None:
        pm.register(datasette_plugin, name="gdcac")  # an install that predates the entry point
    path = str(Path(db).resolve())
    meta = load_metadata(metadata, Path(db).stem)
    base_settings = {"truncate_cells_html": 300, "facet_time_limit_ms": 500}
    kwargs: dict[str, Any] = {"metadata": meta, "settings": {**base_settings, **(settings or {})}}
    if immutable:
        return Datasette(immutables=[path], **kwargs)
    return Datasette([path], **kwargs)


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option("--metadata", "metadata_path", default=None, help="Datasette metadata (default: archive/metadata.yml).")
@click.option("--immutable", is_flag=True, help="Open as an immutable snapshot (only for a file nobody writes).")
@one_line_errors
def serve(db: str, host: str, port: int, metadata_path: str | None, immutable: bool) -> None:
    """Browse and search the archive in Datasette, read-only, on 127.0.0.1.

    Facets by column, source and month on latest_articles; Chinese search from the table's search box and the
    ranked canned query "search".  A crawl may write the archive meanwhile (it is opened with mode=ro).

    Example: gdcac serve --db archive/demo.sqlite --port 8001   (then open http://127.0.0.1:8001/)
    """
    import asyncio

    import uvicorn

    open_archive(db, search=True).close()
    ds = make_datasette(db, metadata=metadata_path, immutable=immutable)
    asyncio.run(ds.invoke_startup())
    click.echo(f"serving {db} read-only at http://{host}:{port}/{Path(db).stem} (Ctrl-C stops)", err=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


@main.command()
@db_option
@click.option("--reindex", is_flag=True, help="Also rebuild the search index from the articles.")
@click.option("--optimize", is_flag=True,
              help="Also promote common search tokens to postings and merge the postings' segments.")
@click.option("--promote-df", type=click.IntRange(min=1), default=None,
              help="With --optimize: tokens in at least this many articles get postings (default 5000, kept).")
@one_line_errors
def migrate(db: str, reindex: bool, optimize: bool, promote_df: int | None) -> None:
    """Apply pending schema migrations (an archive made by an older version); optionally rebuild the search index
    or optimise its postings.

    Crawls do this themselves when they open an archive, and optimise at the end of a run once the archive has
    grown by a tenth.  Example: gdcac migrate --optimize --db archive/gdcac.sqlite
    """
    with open_archive(db) as archive:
        pending = archive.pending_migrations()
    with Archive(db) as archive:
        click.echo(f"archive {db}: " + (f"applied {', '.join(pending)}" if pending else "up to date"))
        if reindex:
            click.echo(f"search index rebuilt: {archive.rebuild_search_index()} articles")
        if optimize:
            done = archive.optimize_search(min_df=promote_df)
            if "skipped" in done:
                raise click.ClickException(f"search postings not optimised: {done['skipped']}; run it again")
            click.echo(
                f"search postings: {done['promoted']} tokens in at least {done['promote_df']} of "
                f"{done['articles']} articles ({done['newly_promoted']} new), {done['merged_tokens']} merged, "
                f"{done['seconds']:.1f} s"
            )


main.add_command(extract_command)
main.add_command(history_command)
main.add_command(probe_command)


if __name__ == "__main__":  # pragma: no cover
    main()
