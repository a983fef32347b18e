"""Portal profiles: one module per portal, each defining ``PROFILE``."""

from __future__ import annotations

import importlib

from gdcac_crawler.profiles.base import Profile

__all__ = ["Profile", "get_profile"]


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (the module ``gdcac_crawler.profiles.<name>``).

    Raises ``KeyError`` with the name when there is no such profile.
    """
    if not name.isidentifier():
        raise KeyError(f"no portal profile named {name!r}")
    try:
        module = importlib.import_module(f"gdcac_crawler.profiles.{name}")
    except ModuleNotFoundError as exc:
        raise KeyError(f"no portal profile named {name!r}") from exc
    return module.PROFILE
