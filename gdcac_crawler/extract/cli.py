"""``gdcac extract``: what the crawler extracts from one saved page, for maintainers debugging a page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gdcac_crawler.extract.encoding import response_from_bytes
from gdcac_crawler.extract.view import KINDS, page_view
from gdcac_crawler.profiles import resolve_profile


@click.command("extract")
@click.option("--profile", "profile_name", default="auto", show_default=True,
              help="Portal profile name (gdcac, drc, generic), or auto: by the URL's host, else generic.")
@click.option("--url", required=True, help="The page's URL on the live site (links resolve against it).")
@click.option("--kind", type=click.Choice(KINDS), default="article", show_default=True, help="What the page is.")
@click.option("--content-type", default=None,
              help="The Content-Type header the page came with (its charset); default: none, so the page's "
                   "own meta tag and its bytes decide the encoding.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_command(profile_name: str, url: str, kind: str, content_type: str | None, file: Path) -> None:
    """Print the item extracted from a saved page as one JSON object.

    For an article the keys are the archive's article column names (title, published_at, source, body_text
    as its list of lines, images, attachments, related, methods, ...).  The same functions the spider and
    the clean pipeline use, and the same decoding of the bytes.  Example:

        gdcac extract --profile auto --url https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2107282.html page.html
    """
    try:
        profile = resolve_profile(profile_name, url)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    headers = {"Content-Type": content_type} if content_type else {}
    response = response_from_bytes(url, file.read_bytes(), headers)
    json.dump(page_view(kind, response, profile), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
