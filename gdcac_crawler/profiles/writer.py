"""A :class:`~gdcac_crawler.profiles.base.Profile` written out as a reviewable Python module, and read back.

``gdcac probe --write-profile FILE`` drafts a profile from what it saw on a portal; :func:`render_profile`
writes it as ``PROFILE = Profile(...)`` with a docstring saying where and when it was drafted and one comment
per field on how the value was found, so that a maintainer can review it and commit it as
``gdcac_crawler/profiles/NAME.py``.  :func:`load_profile_file` reads such a file by its path (what
:func:`~gdcac_crawler.profiles.get_profile` does for a name ending in ``.py``).  Pure: text in, text out.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from gdcac_crawler.profiles.base import Profile

__all__ = ["load_profile_file", "render_profile"]

_WIDTH = 116
"""Longest line the rendering writes (the project's line length is 120)."""


def _literal(value: Any) -> str:
    """Python source for a profile field's value: raw strings for regexes, tuples one item a line when long."""
    if isinstance(value, str):
        if len(value) > _WIDTH - 40 and ", " in value:  # a long selector list: one selector a line
            parts = value.split(", ")
            return "(\n" + "".join(f"        {_literal(p + (', ' if i < len(parts) - 1 else ''))}\n"
                                   for i, p in enumerate(parts)) + "    )"
        if "\\" in value and '"' not in value and not value.endswith("\\"):
            return f'r"{value}"'
        if '"' in value and "'" not in value and "\\" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)  # a Python literal too, in the project's double quotes
    if isinstance(value, tuple):
        items = [_literal(v) for v in value]
        one_line = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if len(one_line) <= _WIDTH - 30:
            return one_line
        return "(\n" + "".join(f"        {item},\n" for item in items) + "    )"
    return repr(value)


def _docstring(name: str, source_url: str, drafted_on: str) -> str:
    return (f'"""Draft profile of {name}, drafted by ``gdcac probe`` from {source_url} on {drafted_on}.\n\n'
            "Review every selector below against the portal's pages (the comments say how each was found), then\n"
            f'commit this file as ``gdcac_crawler/profiles/{_module_name(name)}.py``.\n"""\n')


def _module_name(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_").lower() or "portal"


def _comment(note: str) -> str:
    lines, line = [], ""
    for word in note.split(" "):
        if line and len(line) + len(word) + 7 > _WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "".join(f"    # {text}\n" for text in lines)


def render_profile(profile: Profile, *, source_url: str, drafted_on: str,
                   notes: Mapping[str, str] | None = None) -> str:
    """The Python module that defines ``PROFILE = Profile(...)`` equal to ``profile``: every field written out
    (nothing inherited from :class:`Profile`'s defaults, which describe one platform), each preceded by its
    note from ``notes`` (how the probe found it) as a comment."""
    notes = notes or {}
    body = ""
    for f in fields(Profile):
        value = getattr(profile, f.name)
        if f.name == "extra" and not value:
            continue
        if f.name in notes:
            body += _comment(notes[f.name])
        body += f"    {f.name}={_literal(value)},\n"
    return (_docstring(profile.name, source_url, drafted_on) + "\nfrom __future__ import annotations\n\n"
            "from gdcac_crawler.profiles.base import Profile\n\nPROFILE = Profile(\n" + body + ")\n")


def load_profile_file(path: str | Path) -> Profile:
    """The ``PROFILE`` defined by the Python file at ``path`` (loaded by its path, not imported by name).

    Raises ``KeyError`` with a clear message when there is no such file or it defines no ``PROFILE``.
    """
    file = Path(path)
    if not file.is_file():
        raise KeyError(f"no profile file {str(path)!r}")
    spec = importlib.util.spec_from_file_location(f"gdcac_profile_{_module_name(file.stem)}", file)
    if spec is None or spec.loader is None:
        raise KeyError(f"cannot load the profile file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        raise KeyError(f"the profile file {str(path)!r} defines no PROFILE (a gdcac_crawler Profile)")
    return profile
