"""The SQLite archive: the only code of the project that issues SQL.

Split by the object its caller holds:

* :class:`ArchiveReader` (:mod:`.reader`) — the query side, opened read-only: articles, versions, runs,
  provenance, exports, statistics, search;
* :class:`ArchiveWriter` (:mod:`.writer`) — the write side, which reads as a reader does: runs, pages,
  listings, articles and their versions, removals, attachment files, buffered and flushed in transactions;
  :class:`Archive` is its name for the pipelines and older code (``readonly=True`` gives a read-only one that
  refuses writes);
* :class:`SearchIndex` (:mod:`.search_index`) and :class:`SearchPostings` (:mod:`.postings`) — the full-text
  index and the postings of its common tokens, over a reader's connection;
* pure modules: :mod:`.identity` (ids, the content hash), :mod:`.query` (the query language, index tokens,
  snippets), :mod:`.ranking` (bm25 with numpy); and :mod:`.schema` (the migrations) and :mod:`.connection`
  (opening the file; write transactions that take the write lock up front, with retries);
* :class:`RunLock` (:mod:`.runlock`) — one crawl at a time per archive, and who holds it.

``archive/README.md`` documents every table, view and column, and which module holds what.
"""

from __future__ import annotations

from .connection import ArchiveBusyError
from .identity import article_id, article_key, content_hash, page_id
from .postings import PROMOTE_DF, SearchPostings
from .query import QueryError, parse_query, register_sql_functions
from .reader import SAMPLE_QUERY, ArchiveReader
from .runlock import ArchiveHeld, RunLock
from .schema import COUNT_KEYS, migrations
from .search_index import DATASETTE_SEARCH_SQL, DATASETTE_SEARCH_WHERE, SEARCH_INDEX, SEARCH_WEIGHTS, SearchIndex
from .writer import Archive, ArchiveWriter

__all__ = [
    "COUNT_KEYS",
    "DATASETTE_SEARCH_SQL",
    "DATASETTE_SEARCH_WHERE",
    "PROMOTE_DF",
    "SAMPLE_QUERY",
    "SEARCH_INDEX",
    "SEARCH_WEIGHTS",
    "Archive",
    "ArchiveBusyError",
    "ArchiveHeld",
    "ArchiveReader",
    "ArchiveWriter",
    "QueryError",
    "RunLock",
    "SearchIndex",
    "SearchPostings",
    "article_id",
    "article_key",
    "content_hash",
    "migrations",
    "page_id",
    "parse_query",
    "register_sql_functions",
]
