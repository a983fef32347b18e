"""Portal profiles: one module per portal, each defining ``PROFILE``.

``gdcac`` (www.cagd.gov.cn) and ``drc`` (drc.gd.gov.cn) are portals; ``generic`` names none and uses only
the fallbacks.  A profile is named by its module's name, by ``generic@URL`` (the generic profile bound to the
site of URL), or by ``auto@URL`` / a bare URL (the portal whose host it is, else generic bound to it), or by
the path of a Python file that defines ``PROFILE`` (a draft written by ``gdcac probe --write-profile``).
"""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from gdcac_crawler.profiles.base import Profile
from gdcac_crawler.profiles.writer import load_profile_file

__all__ = ["PORTALS", "Profile", "get_profile", "profile_for_url", "resolve_profile"]

PORTALS = ("gdcac", "drc")
"""The portals that have a profile of their own (``auto`` picks among them by host)."""


def _module_profile(name: str) -> Profile:
    if name.endswith(".py"):  # a profile file (one that ``gdcac probe --write-profile`` drafted)
        return load_profile_file(name)
    if not name.isidentifier():
        raise KeyError(f"no portal profile named {name!r}")
    try:
        module = importlib.import_module(f"gdcac_crawler.profiles.{name}")
    except ModuleNotFoundError as exc:
        raise KeyError(f"no portal profile named {name!r}") from exc
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        raise KeyError(f"no portal profile named {name!r}")
    return profile


def profile_for_url(url: str) -> Profile:
    """The portal profile whose hosts include ``url``'s host; else the generic profile bound to ``url``."""
    host = (urlsplit(url).hostname or "").lower()
    for name in PORTALS:
        profile = _module_profile(name)
        if host in profile.hosts or host in profile.aliases:
            return profile
    return _module_profile("generic").bound(url)


def resolve_profile(name: str, url: str | None = None) -> Profile:
    """The profile ``name`` for a page at ``url``: ``auto`` picks by the URL's host (falling back to
    ``generic``); ``generic`` is bound to the URL's site; any other name is its module's profile, or a
    profile file's (``NAME.py``)."""
    if name == "auto":
        if not url:
            raise KeyError("profile 'auto' needs a URL to pick by")
        return profile_for_url(url)
    profile = _module_profile(name)
    return profile.bound(url) if (url and not profile.base_url) else profile


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (the module ``gdcac_crawler.profiles.<name>``), or ``generic@URL`` /
    ``auto@URL`` / a bare ``http(s)://`` URL (see :func:`resolve_profile`).

    A name ending in ``.py`` is a file's path: the ``PROFILE`` it defines
    (:func:`~gdcac_crawler.profiles.writer.load_profile_file`).

    Raises ``KeyError`` with the name when there is no such profile.
    """
    if name.startswith(("http://", "https://")):
        return resolve_profile("auto", name)
    if "@" in name:
        base, _, url = name.partition("@")
        if not url.startswith(("http://", "https://")):
            raise KeyError(f"no portal profile named {name!r}: {base}@ must be followed by an http(s) URL")
        return resolve_profile(base, url)
    return _module_profile(name)
