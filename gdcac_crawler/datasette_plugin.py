"""Datasette plugin: Chinese full-text search over a gdcac archive, from Datasette's own search box.

Registered as the ``datasette`` entry point ``gdcac`` (pyproject.toml), so a plain ``datasette archive.sqlite``
from this environment loads it too.  It

* registers the SQL functions ``gdcac_fts(q)`` (a query → the FTS5 ``MATCH`` expression over ``articles_fts``)
  and ``gdcac_snippet(title, body, q)`` (a snippet with ``<mark>`` around the matches) on every connection, for
  the canned query ``search`` of archive/metadata.yml and for anyone's SQL;
* answers ``?_search=`` on the ``articles`` table and the ``latest_articles`` view (and shows their search box)
  with the archive's search: exactly the articles whose title or body contains every term.  Datasette's
  built-in search cannot: it sends the typed text to ``MATCH`` as it is, and FTS5's tokenizers cannot read
  Chinese; the index holds the archive's own tokens (:mod:`gdcac_crawler.archive.query`).  The table page orders the
  matches by its sort (newest first by the metadata); the canned query ranks them by bm25;
* renders the ``snippet`` column of query results as HTML with its ``<mark>`` highlights (the rest escaped).
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest
from markupsafe import Markup, escape

from gdcac_crawler.archive import DATASETTE_SEARCH_WHERE, SEARCH_INDEX, QueryError, parse_query, register_sql_functions

#: The tables and views whose ``?_search=`` this plugin answers.
SEARCHABLE = ("articles", "latest_articles")


@hookimpl
def prepare_connection(conn: Any) -> None:
    register_sql_functions(conn)


@hookimpl(trylast=True)  # last, so that its supports_search wins over the built-in search's False
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    if table not in SEARCHABLE:
        return None

    async def inner() -> FilterArguments | None:
        db = datasette.get_database(database)
        if not await db.table_exists(SEARCH_INDEX):
            return None  # not a gdcac archive (or one from before m002_search)
        query = request.args.get("_search", "")
        if not query.strip():
            return FilterArguments([], extra_context={"supports_search": True})
        try:
            parse_query(query)
        except QueryError as exc:
            raise BadRequest(str(exc)) from exc
        return FilterArguments(
            [DATASETTE_SEARCH_WHERE.format(param="gdcac_search")],
            {"gdcac_search": query},
            [f'search matches "{query}"'],
            {"supports_search": True, "search": query},
        )

    return inner


@hookimpl
def render_cell(value: Any, column: str) -> Any:
    if column != "snippet" or not isinstance(value, str) or "<mark>" not in value:
        return None
    html = str(escape(value)).replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
    return Markup(html)
