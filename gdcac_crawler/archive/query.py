"""Chinese full-text search: the query language, the index's token streams and snippets (pure functions).

The archive's search must return, for any query, exactly the articles that ``title LIKE '%q%' OR body_text LIKE
'%q%'`` returns (with ``%``, ``_`` and ``\\`` taken literally), ranked.  SQLite's tokenizers cannot do that for
Chinese (``unicode61`` makes a whole run of Chinese one token; ``trigram`` cannot match one or two characters),
so the archive tokenises the text itself, here, and hands FTS5 ready-made tokens:

* every character of the text becomes a *unit*: ASCII letters folded to lower case (SQLite's ``LIKE`` is
  case-insensitive for ASCII only, and so is this search), ASCII digits and every non-ASCII character as they
  are, and every other ASCII character (spaces, newlines, punctuation) spelled as two private-use characters so
  that it can live inside a token (``ESCAPE`` + a fixed code; ``ESCAPE`` itself is doubled).  The spelling is
  prefix-free, so different texts never give the same unit sequence;
* the index holds two token streams per field: the units (``*_uni``, one token per character) and the
  overlapping pairs of units (``*_bi``, one token per character position but the last), stored by FTS5 with
  their positions (``detail=full``), with the ``ascii`` tokenizer, which splits only at ASCII whitespace and
  punctuation — characters that never occur inside these tokens;
* a query term of one character is the unit token in ``title_uni``/``body_uni``; a longer term is the *phrase*
  of its pairs in ``title_bi``/``body_bi``: pairs ``q0q1 q1q2 …`` at consecutive positions occur exactly where
  the term occurs in the text.  So the index gives no false positives and misses nothing: no verification pass
  is needed (the property test in ``tests/test_search.py`` checks this against the ``LIKE`` scan).

Query language: terms separated by whitespace must all occur (AND), each in the title or in the body; a
double-quoted phrase is one term that may contain spaces (``""`` inside it is a literal quote).  There are no
operators: ``OR`` is the two letters o and r.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

__all__ = [
    "ASCII_LETTER_RE",
    "FTS_COLUMNS",
    "QueryError",
    "contains",
    "field_tokens",
    "fold",
    "fts_expression",
    "index_streams",
    "like_pattern",
    "needs_phrase",
    "pairs",
    "parse_query",
    "quote_term",
    "rank_expression",
    "rank_tokens",
    "register_sql_functions",
    "snippet",
    "term_tokens",
    "units",
]

#: The columns of the ``articles_fts`` index, in order (unit streams, then pair streams).
FTS_COLUMNS = ("title_uni", "body_uni", "title_bi", "body_bi")

ESCAPE = "\ue000"
"""Private-use character that starts the two-character spelling of an ASCII non-alphanumeric character."""

_UNIT: dict[str, str] = {ESCAPE: ESCAPE + ESCAPE}
for _code in range(128):
    _char = chr(_code)
    if not ("0" <= _char <= "9" or "a" <= _char <= "z" or "A" <= _char <= "Z"):
        _UNIT[_char] = ESCAPE + chr(0xE100 + _code)
del _code, _char

_ASCII_FOLD = str.maketrans({chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})


class QueryError(ValueError):
    """A query that cannot be searched (empty, or with an unbalanced quote); the message is one clear line."""


def fold(text: str) -> str:
    """``text`` with ASCII A–Z lowered and nothing else changed: the case rule of SQLite's ``LIKE`` (same length)."""
    return text.translate(_ASCII_FOLD)


#: From this many characters on, :func:`units` and :func:`pairs` share one string object per distinct token.
SHARED_TOKENS_FROM = 10_000


def units(text: str) -> list[str]:
    """The index units of ``text``, one per character (see the module docstring).  In a long text each distinct
    unit is one string object, however often it occurs: a body of millions of characters then costs a pointer
    per character rather than a string object (about 75 bytes) per character."""
    get = _UNIT.get
    folded = fold(text)
    if len(folded) < SHARED_TOKENS_FROM:
        return [get(c, c) for c in folded]
    seen: dict[str, str] = {}
    same = seen.setdefault
    return [same(c, get(c, c)) for c in folded]


def pairs(u: list[str]) -> list[str]:
    """The pair tokens of a unit sequence: each unit joined to the next (shared as in :func:`units`)."""
    if len(u) < SHARED_TOKENS_FROM:
        return [a + b for a, b in zip(u, u[1:], strict=False)]  # noqa: RUF007 (faster than pairwise here)
    seen: dict[str, str] = {}
    same = seen.setdefault
    return [same(p, p) for p in map(str.__add__, u, u[1:])]


def field_tokens(text: str | None) -> tuple[list[str], list[str]]:
    """``(unit tokens, pair tokens)`` of one field."""
    if not text:
        return [], []
    u = units(text)
    return u, pairs(u)


def index_streams(text: str | None) -> tuple[str, str]:
    """``(unit tokens, pair tokens)`` of one field, each a space-separated string for the FTS5 ``ascii`` tokenizer."""
    u, p = field_tokens(text)
    return " ".join(u), " ".join(p)


def parse_query(query: str) -> list[str]:
    """The terms of a query: literal substrings that must all occur (each in the title or the body).

    Whitespace separates terms; ``"..."`` is one term that keeps its spaces, ``""`` inside it being a literal
    ``"``.  Duplicates are dropped, order is kept.  Raises :class:`QueryError` for an empty query, an empty
    phrase or an unbalanced quote.
    """
    if query is None:
        raise QueryError("empty query")
    terms: list[str] = []
    current: list[str] = []
    i, n = 0, len(query)

    def end_word() -> None:
        if current:
            terms.append("".join(current))
            current.clear()

    while i < n:
        c = query[i]
        if c == '"':
            end_word()
            i += 1
            phrase: list[str] = []
            while True:
                if i >= n:
                    raise QueryError(f"malformed query {query!r}: unbalanced double quote")
                if query[i] == '"':
                    if i + 1 < n and query[i + 1] == '"':
                        phrase.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                phrase.append(query[i])
                i += 1
            if not phrase:
                raise QueryError(f'malformed query {query!r}: empty phrase ""')
            terms.append("".join(phrase))
            continue
        if c.isspace():
            end_word()
        else:
            current.append(c)
        i += 1
    end_word()
    if not terms:
        raise QueryError("empty query: give at least one character to search for")
    seen: set[str] = set()
    unique = []
    for term in terms:
        key = fold(term)
        if key not in seen:
            seen.add(key)
            unique.append(term)
    return unique


def quote_term(term: str) -> str:
    """A query string that :func:`parse_query` reads back as the single term ``term``."""
    if term and not any(c.isspace() or c == '"' for c in term):
        return term
    return '"' + term.replace('"', '""') + '"'


_UNIT_COLUMNS, _PAIR_COLUMNS = "{title_uni body_uni}", "{title_bi body_bi}"


def term_tokens(term: str) -> tuple[list[str], bool]:
    """``(tokens, is_unit)`` of a query term: its one unit token, or the phrase of its pair tokens."""
    u = units(term)
    if not u:
        raise QueryError("empty term")
    return (u, True) if len(u) == 1 else (pairs(u), False)


def fts_expression(terms: list[str]) -> str:
    """The FTS5 ``MATCH`` expression for ``terms`` (AND of one unit token or one phrase of pair tokens each)."""
    parts = []
    for term in terms:
        tokens, is_unit = term_tokens(term)
        parts.append(f'({_UNIT_COLUMNS if is_unit else _PAIR_COLUMNS} : "{" ".join(tokens)}")')
    return " AND ".join(parts)


def rank_tokens(terms: list[str]) -> list[tuple[str, bool]]:
    """``(token, is_unit)`` for each distinct index token of ``terms``, in order of first appearance: what the
    search's score is summed over (see :mod:`gdcac_crawler.archive.ranking`)."""
    seen: dict[str, bool] = {}
    for term in terms:
        tokens, is_unit = term_tokens(term)
        for token in tokens:
            seen.setdefault(token, is_unit)
    return list(seen.items())


def rank_expression(terms: list[str]) -> str:
    """The FTS5 ``MATCH`` expression whose bm25 is the search's score: the AND of :func:`rank_tokens`.  It
    matches every article :func:`fts_expression` matches, and exactly those when no term needs its phrase
    (:func:`needs_phrase`)."""
    return " AND ".join(
        f'({_UNIT_COLUMNS if is_unit else _PAIR_COLUMNS} : "{token}")' for token, is_unit in rank_tokens(terms)
    )


def needs_phrase(terms: list[str]) -> bool:
    """Whether some term is longer than two characters, so that its pair tokens may occur apart without the term:
    the matches are then those of :func:`fts_expression`, a subset of :func:`rank_expression`'s."""
    return any(len(term) > 2 for term in terms)


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE ... ESCAPE '\\'`` with ``%``, ``_`` and ``\\`` taken literally (the reference scan)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
"""An ASCII letter: a term without one needs no case folding (:func:`contains`, :func:`snippet`)."""


@lru_cache(maxsize=256)
def _ascii_caseless(term: str) -> re.Pattern[str]:
    # re.ASCII limits IGNORECASE to A-Z/a-z: every other character matches only itself, as in LIKE
    return re.compile(re.escape(term), re.IGNORECASE | re.ASCII)


def contains(text: str | None, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` under ``LIKE``'s case rule (ASCII case-insensitive)."""
    if not text:
        return False
    if ASCII_LETTER_RE.search(term) is None:
        return term in text  # nothing to fold
    return _ascii_caseless(term).search(text) is not None


_WS_RE = re.compile(r"\s+")


def _spans(folded: str, terms: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """Merged spans of every occurrence of any term inside ``folded[start:end]``."""
    spans = []
    for term in terms:
        if not term:
            continue
        pos = folded.find(term, start)
        while pos != -1 and pos < end:
            spans.append((pos, pos + len(term)))
            pos = folded.find(term, pos + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int, mark: tuple[str, str]) -> str:
    out = []
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(text[pos:s])
        out.append(mark[0] + text[s:e] + mark[1])
        pos = e
    out.append(text[pos:end])
    return _WS_RE.sub(" ", "".join(out)).strip()


def snippet(
    title: str | None,
    body: str | None,
    terms: list[str],
    *,
    width: int = 80,
    mark: tuple[str, str] = ("[", "]"),
    ellipsis: str = "…",
) -> str:
    """A window of about ``width`` characters of the body around the first match, every match marked.

    When no term occurs in the body, the title is returned with its matches marked.  Whitespace runs are shown
    as one space.
    """
    fterms = sorted({fold(t) for t in terms if t}, key=len, reverse=True)
    # folding keeps every position; without an ASCII letter in the terms it changes nothing that can match
    fold_text = fold if any(ASCII_LETTER_RE.search(t) for t in fterms) else str
    body = body or ""
    folded = fold_text(body)
    first = min((p for p in (folded.find(t) for t in fterms) if p != -1), default=-1)
    if first == -1:
        title = title or ""
        return _render(title, _spans(fold_text(title), fterms, 0, len(title)), 0, len(title), mark)
    start = max(0, first - width // 4)
    end = min(len(body), start + width)
    start = max(0, min(start, end - width))
    spans = _spans(folded, fterms, max(0, start - max(map(len, fterms))), end)
    text = _render(body, spans, start, end, mark)
    return (ellipsis if start > 0 else "") + text + (ellipsis if end < len(body) else "")


# -- SQL functions (for Datasette and any sqlite3 connection) -------------------------------------------------

NO_MATCH = '"' + ESCAPE + '"'
"""An FTS5 expression that matches nothing (the lone ``ESCAPE`` is never a token): the answer to an empty query."""


def sql_fts(query: str | None) -> str:
    """SQL function ``gdcac_fts(q)``: the ``MATCH`` expression of a query (an empty query matches nothing)."""
    if query is None or not str(query).strip():
        return NO_MATCH
    return fts_expression(parse_query(str(query)))


def sql_rank_fts(query: str | None) -> str:
    """SQL function ``gdcac_rank_fts(q)``: the ``MATCH`` expression whose bm25 ranks a query's matches
    (:func:`rank_expression`; combine it with ``gdcac_fts(q)``, which decides the matches)."""
    if query is None or not str(query).strip():
        return NO_MATCH
    return rank_expression(parse_query(str(query)))


def sql_snippet(title: str | None, body: str | None, query: str | None) -> str | None:
    """SQL function ``gdcac_snippet(title, body, q)``: :func:`snippet` with ``<mark>`` around the matches."""
    if query is None or not str(query).strip():
        return None
    return snippet(title, body, parse_query(str(query)), mark=("<mark>", "</mark>"))


def register_sql_functions(conn: sqlite3.Connection) -> None:
    """Register ``gdcac_fts(q)``, ``gdcac_rank_fts(q)`` and ``gdcac_snippet(title, body, q)`` on a ``sqlite3``
    connection, e.g.::

        select a.title from articles_fts join articles_fts_docs d on d.doc = articles_fts.rowid
          join articles a on a.id = d.article_id
         where articles_fts match gdcac_fts('网络安全') order by rank limit 10
    """
    conn.create_function("gdcac_fts", 1, sql_fts, deterministic=True)
    conn.create_function("gdcac_rank_fts", 1, sql_rank_fts, deterministic=True)
    conn.create_function("gdcac_snippet", 3, sql_snippet, deterministic=True)
