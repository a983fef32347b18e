"""Stable CSS selectors for elements a fallback found: what ``gdcac probe`` writes into a draft profile.

A selector is *derived* from the element (its ``#id``, its ``tag.class`` combinations, then the same under an
ancestor that has an id or a class) and *verified* by running it back on the page with the project's own
selector engine (:func:`~gdcac_crawler.extract.selector_index.select`): it must select exactly that element
(or, for a listing's entries, exactly those items).  A selector must also *generalise*: the probe checks it on
every page of its kind (three articles, one listing page per column); :func:`cover` prefers one selector that
is exact on all of them and otherwise takes the fewest, in an order in which each page's first matching
selector is its own.

Ids that carry a number (``#art_4773``, ``#chnl_10771``) and classes that do are not stable: the next article
or column has another, so they are never proposed.  Everything here is pure and works on lxml elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from lxml import etree

from gdcac_crawler.extract.selector_index import select

__all__ = ["Case", "candidates", "common_ancestor", "compounds", "cover", "exact", "first_is", "is_stable",
           "items_candidates", "url_pattern"]

_NUMBERED_RE = re.compile(r"\d{3,}")
#: Layout and state classes that many unrelated elements carry (clearfix, f-l, mt20, active …): never a
#: selector's only hold on an element.
_UTILITY_CLASS_RE = re.compile(r"^(?:clearfix|clear|cf|f-?[lr]|fl|fr|[mp][tblrxy]?-?\d+|left|right|hidden|show|"
                               r"active|current|cur|on|selected|wrapper|container|row|col(?:-\w+)?)$", re.I)
_CSS_NAME_RE = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")
#: How many ancestors up a selector may name one that qualifies the element.
ANCESTOR_DEPTH = 5


def is_stable(name: str | None) -> bool:
    """Whether an id or class name is fit for a selector: a plain CSS name with no number of three or more
    digits in it (``content1`` is, ``art_4773`` is not)."""
    return bool(name) and _CSS_NAME_RE.match(name or "") is not None and not _NUMBERED_RE.search(name or "")


def _tag(el: etree._Element) -> str:
    return str(el.tag).lower()


def _classes(el: etree._Element) -> list[str]:
    seen: list[str] = []
    for name in (el.get("class") or "").split():
        if is_stable(name) and not _UTILITY_CLASS_RE.match(name) and name not in seen:
            seen.append(name)
    return seen


def compounds(el: etree._Element) -> list[str]:
    """The element's own simple selectors, most telling first: ``#id``, ``tag.class`` for each class,
    ``tag.a.b`` for each pair, then the bare tag."""
    tag = _tag(el)
    found = [f"#{el.get('id')}"] if is_stable(el.get("id")) else []
    classes = _classes(el)
    found += [f"{tag}.{name}" for name in classes]
    found += [f"{tag}.{a}.{b}" for a, b in combinations(classes, 2)]
    return [*found, tag]


def _qualifiers(el: etree._Element) -> list[str]:
    """Simple selectors of ``el``'s ancestors that have an id or a class, nearest first."""
    found: list[str] = []
    for depth, ancestor in enumerate(el.iterancestors()):
        if depth >= ANCESTOR_DEPTH or _tag(ancestor) in ("body", "html"):
            break
        found += [c for c in compounds(ancestor)[:-1] if c not in found]
    return found


def candidates(el: etree._Element) -> list[str]:
    """Selectors that may select ``el``, in order of preference: its own (:func:`compounds`, the bare tag
    last of all), then each of them under a qualifying ancestor (``#leftnav a``, ``.con-tit2 span``)."""
    own = compounds(el)
    qualified = [f"{q} {c}" for q in _qualifiers(el) for c in own]
    return [*own[:-1], *qualified, own[-1]]


def items_candidates(items: Sequence[etree._Element]) -> list[str]:
    """Selectors that may select exactly ``items`` (siblings): the items' own shared ``tag.class``, then
    ``parent > tag`` for each selector of their parent."""
    tag = _tag(items[0])
    shared = [c for c in compounds(items[0])[:-1] if all(c in compounds(i) for i in items[1:])]
    parent = items[0].getparent()
    under = [f"{p} > {tag}" for p in candidates(parent)] if parent is not None else []
    return [*shared, *under]


def common_ancestor(elements: Sequence[etree._Element]) -> etree._Element | None:
    """The nearest element that holds all of ``elements`` (itself one of them when it holds the others)."""
    if not elements:
        return None
    chains = [[el, *el.iterancestors()] for el in elements]
    for ancestor in chains[0]:
        if all(any(a is ancestor for a in chain) for chain in chains[1:]):
            return ancestor
    return None


def exact(root: etree._Element, css: str, targets: Sequence[etree._Element]) -> bool | None:
    """Whether ``css`` selects exactly ``targets`` (in document order) on the page of ``root``; ``None`` when it
    selects nothing there (so a later selector of a profile's list may still be tried)."""
    found = select(root, css)
    if not found:
        return None
    return len(found) == len(targets) and all(a is b for a, b in zip(found, targets, strict=True))


def first_is(root: etree._Element, css: str, targets: Sequence[etree._Element]) -> bool | None:
    """Whether the first element ``css`` selects is ``targets[0]`` (how a profile's title and body selectors are
    read); ``None`` when it selects nothing."""
    found = select(root, css)
    if not found:
        return None
    return found[0] is targets[0]


Judge = Callable[[etree._Element, str, Sequence[etree._Element]], "bool | None"]


@dataclass
class Case:
    """One page a selector must work on: its document, the element(s) it must find, and the selectors that may
    (in order of preference)."""

    root: etree._Element
    targets: Sequence[etree._Element]
    candidates: Sequence[str]


def cover(cases: Sequence[Case], judge: Judge = exact) -> tuple[tuple[str, ...], int]:
    """``(selectors, covered)``: selectors that, tried in order as a profile's list is, find each case's
    targets (by ``judge``), and how many cases they cover.

    One selector that is right on every case wins (the first such in the cases' order of preference).
    Otherwise selectors are added one by one, each the one right on the most cases not yet covered that is
    wrong on none of them — a selector that selects something else on a page would shadow the later
    selector meant for it.  A bare tag (``div``, ``h1``) is right on a page only by the page's accident, so it
    is taken last, for the cases nothing more telling covers.
    """
    pool = list(dict.fromkeys(css for case in cases for css in case.candidates))
    verdicts = {css: [judge(case.root, css, case.targets) for case in cases] for css in pool}
    telling = [css for css in pool if not _BARE_TAG_RE.match(css)]
    for css in telling:
        if all(verdicts[css]):
            return (css,), len(cases)
    chosen: list[str] = []
    open_cases = set(range(len(cases)))
    for candidates_ in (telling, pool):
        while open_cases:
            best = _best(candidates_, verdicts, open_cases)
            if best is None:
                break
            chosen.append(best)
            open_cases -= {i for i in open_cases if verdicts[best][i]}
    return tuple(chosen), len(cases) - len(open_cases)


_BARE_TAG_RE = re.compile(r"^[a-z][a-z0-9]*$")


def _best(pool: Sequence[str], verdicts: dict[str, list[bool | None]], open_cases: set[int]) -> str | None:
    """The selector right on the most of ``open_cases`` and wrong on none of them (``None``: no such)."""
    best, gain = None, 0
    for css in pool:
        marks = [verdicts[css][i] for i in open_cases]
        if False in marks:
            continue
        n = sum(1 for m in marks if m)
        if n > gain:
            best, gain = css, n
    return best


# --- URL patterns -----------------------------------------------------------------------------------------

_DIGITS_RE = re.compile(r"\d+")
_DATE_FOLDER_RE = re.compile(r"^\d+(?:[-_]\d+)*$")


def _escape(text: str) -> str:
    """``re.escape`` without the escapes a path never needs (``-``), for patterns a reviewer reads."""
    return re.escape(text).replace("\\-", "-")


def _segment_pattern(segments: Sequence[str]) -> str | None:
    """One regex for one path segment seen in several URLs: digit runs generalised, the rest literal; ``None``
    when the segments differ beyond their digits.  A segment of digits alone (a date folder: ``2024``, ``03``,
    ``2024-03``) keeps its runs' lengths (``\\d{4}``) when they are the same in every URL; a number inside a
    name (``post_2113441``, ``4773.html``) is ``\\d+``, for ids grow."""
    shapes = {_DIGITS_RE.sub("0", s) for s in segments}
    if len(shapes) != 1:
        return None
    runs = [_DIGITS_RE.findall(s) for s in segments]
    literal = _DIGITS_RE.split(segments[0])
    dated = all(_DATE_FOLDER_RE.match(s) for s in segments)
    out = _escape(literal[0])
    for k, rest in enumerate(literal[1:]):
        lengths = {len(r[k]) for r in runs}
        fixed = dated and len(lengths) == 1
        out += (rf"\d{{{lengths.pop()}}}" if fixed else r"\d+") + _escape(rest)
    return out


def url_pattern(paths: Sequence[str]) -> str | None:
    """A regex on URL paths generalised from ``paths`` (same-site article URLs): the segments at the end of the
    path that all of them share once digits are generalised, e.g. ``/content/post_\\d+\\.html$`` from
    ``/zcfg/zcjd/content/post_2113441.html`` and ``/zcfg/flfg/content/post_2112748.html``, or
    ``/v/\\d{4}/\\d{2}/\\d+\\.html$`` from ``/v/2024/03/4773.html``.  ``None`` for no paths or no common
    last segment."""
    split = [p.split("/")[1:] for p in paths if p.startswith("/")]
    if not split:
        return None
    parts: list[str] = []
    for depth in range(1, min(len(s) for s in split) + 1):
        segment = _segment_pattern([s[-depth] for s in split])
        if segment is None:
            break
        parts.insert(0, segment)
    if not parts:
        return None
    whole = len(parts) == len(split[0]) and all(len(s) == len(parts) for s in split)
    return ("^/" if whole else "/") + "/".join(parts) + "$"
