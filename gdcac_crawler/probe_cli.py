"""``gdcac probe``: a first, polite look at a portal, and a draft profile from what it saw."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from gdcac_crawler.probe import ProbeFindings, build_report, probed_site, render_text
from gdcac_crawler.profiles import PORTALS, Profile, get_profile, profile_for_url
from gdcac_crawler.profiles.draft import Draft, draft_profile
from gdcac_crawler.profiles.writer import render_profile


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.ClickException(f"{what} must be an http(s) URL, not {value!r}")
    return value


def _default_name(url: str) -> str:
    """A profile name from a URL's host: its first label after ``www.`` (``www.cagd.gov.cn`` → ``cagd``)."""
    host = (urlsplit(url).hostname or "portal").removeprefix("www.")
    first = host.replace(".", "_") if re.fullmatch(r"[\d.]+", host) else host.split(".")[0]
    return re.sub(r"\W+", "_", first).strip("_") or "portal"


def _profile(name: str, url: str) -> Profile:
    """The profile to start from.  A profile that names no portal (generic) assumes no selectors, but when
    ``url``'s host is a known portal's, that portal's other hosts are taken as aliases (links to them are
    same-site), as a crawl of the portal would take them."""
    try:
        profile = get_profile(name)
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0])) from None
    known = profile_for_url(url)
    if profile.base_url or known.name not in PORTALS:
        return profile
    host = urlsplit(url).hostname
    return replace(profile, aliases=tuple(h for h in (*known.hosts, *known.aliases) if h != host))


def _output(path: str | None) -> Path | None:
    if path is None:
        return None
    out = Path(path)
    if not out.parent.is_dir():
        raise click.ClickException(f"cannot write the profile to {path}: no directory {out.parent}")
    if out.suffix != ".py":
        raise click.ClickException(f"the profile file must be a Python module (NAME.py), not {path}")
    return out


@click.command("probe")
@click.argument("url")
@click.option("--section", default="政策法规", show_default=True, help="The section's name, as its link prints it.")
@click.option("--delay", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between two requests.")
@click.option("--profile", "profile_name", default="generic", show_default=True,
              help="Start from this profile's selectors (a name, or a profile file NAME.py); generic: none.")
@click.option("--base-url", default=None, help="Fetch from this origin instead (a mirror); URL names the live site.")
@click.option("--write-profile", "write_profile", default=None, metavar="FILE",
              help="Write a draft profile (a Python module) from what the probe saw, to review and commit.")
@click.option("--name", default=None, help="The draft profile's name (default: from URL's host).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def probe_command(url: str, section: str, delay: float, profile_name: str, base_url: str | None,
                  write_profile: str | None, name: str | None, as_json: bool) -> None:
    """Look at a portal for the first time: its home page, the section, its columns, one listing page per
    column and three articles, fetched politely (robots.txt, one request at a time, --delay seconds apart,
    the project's User-Agent); print how each was found.

    Example: gdcac probe https://www.cagd.gov.cn/ --section 政策法规 --write-profile cagd.py
    """
    _http_url(url, "URL")
    fetch_base = _http_url(base_url, "--base-url").rstrip("/") if base_url else None
    profile = _profile(profile_name, url)
    out = _output(write_profile)
    from gdcac_crawler.spiders.probe import run_probe  # Scrapy and its reactor only for this command

    findings = run_probe(ProbeFindings(start_url=url, section_name=section, fetch_base=fetch_base), profile,
                         delay=delay, fetch_base=fetch_base)
    site = probed_site(findings, profile)
    draft: Draft | None = None
    if findings.error is None and site.articles:
        draft = draft_profile(site, name=name or _default_name(url))
    if findings.section_url or not findings.error:
        report = build_report(findings, profile, draft)
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n" if as_json else render_text(report)
        sys.stdout.write(text)
    if findings.error:
        raise click.ClickException(findings.error)
    if out is not None and draft is not None:
        drafted_on = datetime.now(UTC).date().isoformat()
        out.write_text(render_profile(draft.profile, source_url=url, drafted_on=drafted_on, notes=draft.notes),
                       encoding="utf-8")
        click.echo(f"draft profile written to {out}", err=True)
