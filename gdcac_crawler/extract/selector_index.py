"""The selector index: CSS selectors on a parsed page, the simple ones answered from a one-pass index of the
ids and classes they name instead of an XPath evaluation.

An XPath evaluation visits the whole page whatever it finds (tens to hundreds of microseconds); extraction
asks a page a dozen questions, most of them ``#id``, ``tag.class`` or ``.class tag``.  Inside
:func:`indexed`, :func:`select` on the indexed page answers those from :class:`_Index`; every other selector
(and every selector outside :func:`indexed`) is compiled to XPath once and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

import cssselect
import cssselect.parser
from cssselect import HTMLTranslator
from lxml import etree

_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=512)
def _compiled(css: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(css))


#: A compound selector as ``(tag, id, classes)``: ``h1.title`` → ``("h1", None, ("title",))``.
_Compound = tuple[str | None, str | None, tuple[str, ...]]


def _compound(tree: object) -> _Compound | None:
    id_, classes = None, []
    while True:
        if isinstance(tree, cssselect.parser.Class):
            classes.append(tree.class_name)
            tree = tree.selector
        elif isinstance(tree, cssselect.parser.Hash) and id_ is None:
            id_ = tree.id
            tree = tree.selector
        elif isinstance(tree, cssselect.parser.Element) and tree.namespace is None:
            tag = None if tree.element in (None, "*") else tree.element.lower()
            break
        else:
            return None
    if tag is None and id_ is None and not classes:
        return None
    return tag, id_, tuple(classes)


@lru_cache(maxsize=512)
def _simple_parts(css: str) -> tuple[tuple[_Compound, ...], ...] | None:
    """``css`` per comma-separated part as its compound selectors (``(tag, id, classes)``), one, or two joined
    by a descendant combinator, when every part is that simple (``h1.title``, ``#content1``, ``div.a.b``,
    ``.fjlis a``), else ``None``: such selectors can be answered from an element index."""
    try:
        selectors = cssselect.parse(css)
    except cssselect.SelectorError:
        return None
    parts: list[tuple[_Compound, ...]] = []
    for selector in selectors:
        if selector.pseudo_element:
            return None
        tree = selector.parsed_tree
        compounds: tuple[_Compound | None, ...]
        if isinstance(tree, cssselect.parser.CombinedSelector):
            if tree.combinator != " ":
                return None
            compounds = (_compound(tree.selector), _compound(tree.subselector))
        else:
            compounds = (_compound(tree),)
        chain = tuple(c for c in compounds if c is not None)
        if len(chain) != len(compounds):
            return None
        parts.append(chain)
    return tuple(parts)


@lru_cache(maxsize=128)
def _wanted(css_list: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The ids and classes that the simple selectors among ``css_list`` look up first."""
    ids: set[str] = set()
    classes: set[str] = set()
    for css in css_list:
        for chain in (_simple_parts(css) or ()) if css else ():
            _, ident, names = chain[0]
            if ident is not None:
                ids.add(ident)
            elif names:
                classes.add(names[0])
    return frozenset(ids), frozenset(classes)


def _matches(el: etree._Element, compound: _Compound) -> bool:
    tag, ident, classes = compound
    if tag is not None and el.tag != tag:
        return False
    if ident is not None and el.get("id") != ident:
        return False
    return not classes or set(classes) <= set((el.get("class") or "").split())


class _Index:
    """The elements of one parsed page that carry the ids and classes a profile's selectors ask for, with
    their positions in document order, found in a single pass.

    An XPath evaluation visits the whole page whatever it finds (tens to hundreds of microseconds); extraction
    asks a page a dozen questions, most of them ``#id``, ``tag.class`` or ``.class tag``, which the index
    answers by lookup.  ``wanted`` (ids, classes) limits what is recorded; ``None`` records every id and class.
    A selector that needs anything not recorded is not answered here (``None``): XPath answers it.
    """

    def __init__(self, root: etree._Element,
                 wanted: tuple[frozenset[str], frozenset[str]] | None = None) -> None:
        self.root = root
        self.wanted = wanted
        self.position: dict[etree._Element, int] = {}
        self.by_id: dict[str, list[etree._Element]] = {}
        self.by_class: dict[str, list[etree._Element]] = {}
        if wanted is not None and not (wanted[0] or wanted[1]):
            return  # nothing to look up (the generic profile has no selectors)
        ids, names = wanted if wanted is not None else (None, None)
        position, by_id, by_class = self.position, self.by_id, self.by_class
        for n, el in enumerate(root.iter(etree.Element)):
            ident = el.get("id")
            if ident and (ids is None or ident in ids):
                by_id.setdefault(ident, []).append(el)
                position[el] = n
            classes = el.get("class")
            if classes:
                for token in set(classes.split()):
                    if names is None or token in names:
                        by_class.setdefault(token, []).append(el)
                        position[el] = n

    def _first(self, compound: _Compound) -> list[etree._Element] | None:
        _, ident, classes = compound
        if ident is not None:
            if self.wanted is not None and ident not in self.wanted[0]:
                return None
            candidates = self.by_id.get(ident, [])
        elif classes:
            if self.wanted is not None and classes[0] not in self.wanted[1]:
                return None
            candidates = self.by_class.get(classes[0], [])
        else:
            return None
        return [el for el in candidates if _matches(el, compound)]

    def select(self, css: str) -> list[etree._Element] | None:
        """The matches of a simple selector in document order; ``None`` when the index cannot answer it."""
        parts = _simple_parts(css)
        if parts is None:
            return None
        if len(parts) == 1 and len(parts[0]) == 1 and parts[0][0][1] is None and not parts[0][0][2]:
            return list(self.root.iter(parts[0][0][0]))  # a bare tag: libxml2 walks the tree for it
        found: dict[int, etree._Element] = {}
        for chain in parts:
            first = self._first(chain[0])
            if first is None:
                return None
            if len(chain) == 1:
                if len(parts) == 1:
                    return first
                for el in first:
                    found[self.position[el]] = el
                continue
            # ``A B``: the B elements under each A; a subtree's elements hold consecutive positions, so the
            # k-th element of A's own walk stands at A's position + k.
            inner = chain[1]
            for ancestor in first:
                start = self.position[ancestor]
                for k, el in enumerate(ancestor.iter(etree.Element)):
                    if k and _matches(el, inner):
                        found[start + k] = el
        return [found[n] for n in sorted(found)]


_INDEX: ContextVar[_Index | None] = ContextVar("gdcac_select_index", default=None)


@contextmanager
def indexed(root: etree._Element, css: Iterable[str] | None = None) -> Iterator[None]:
    """Inside the ``with`` statement, :func:`select` on ``root`` answers simple selectors from an index of the
    page.

    ``css`` names the selectors the code inside will ask (a profile's), so that only their ids and classes are
    recorded; ``None`` records all.  The page must not change meanwhile (the index would go stale); copies of
    its parts may.
    """
    wanted = None if css is None else _wanted(tuple(css))
    token = _INDEX.set(_Index(root, wanted))
    try:
        yield
    finally:
        _INDEX.reset(token)


def select(el: etree._Element, css: str) -> list[etree._Element]:
    """The elements under ``el`` (itself included) matching the CSS selector ``css`` (none for ``""``).

    Selectors are compiled to XPath once and cached: extraction runs them on every page.  Inside
    :func:`indexed`, simple selectors on the indexed page are answered from its index instead.
    """
    if not css:
        return []
    index = _INDEX.get()
    if index is not None and el is index.root:
        found = index.select(css)
        if found is not None:
            return found
    return _compiled(css)(el)
