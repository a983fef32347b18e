"""``gdcac extract``: what the crawler extracts from one saved page, for maintainers debugging a page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from scrapy.http import HtmlResponse

from gdcac_crawler.extract.view import KINDS, page_view
from gdcac_crawler.profiles import get_profile


@click.command("extract")
@click.option("--profile", "profile_name", default="gdcac", show_default=True, help="Portal profile name.")
@click.option("--url", required=True, help="The page's URL on the live site (links resolve against it).")
@click.option("--kind", type=click.Choice(KINDS), default="article", show_default=True, help="What the page is.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract_command(profile_name: str, url: str, kind: str, file: Path) -> None:
    """Print the item extracted from a saved page as one JSON object.

    The same functions the spider and the clean pipeline use.  Example:

        gdcac extract --url https://www.gdcac.gov.cn/zcfg/zcjd/content/post_2107282.html page.html
    """
    try:
        profile = get_profile(profile_name)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    response = HtmlResponse(url=url, body=file.read_bytes())
    json.dump(page_view(kind, response, profile), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
