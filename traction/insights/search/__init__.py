"""Full-text search over a workspace's insights, a vertical slice of insights.

- ``query.py``: the query language (words ANDed, ``"quoted phrases"``, the last word a
  prefix while it is typed) and the highlighting of what matched, on escaped text;
- ``fulltext.py``: the database's full-text search, one form per vendor (on SQLite the FTS5
  index through ``SearchIndexRow``, on PostgreSQL the ``Matches`` and ``Rank`` expressions):
  which insights match, newest first or by relevance;
- ``selectors.py``: the search itself (``search``), its filters, results and scope;
- ``index.py``: the index's names, and its check and repair on SQLite;
- ``views.py``, ``forms.py``, ``api.py``: the page and the API operation.

Only the selector and its types are exported here: what other modules search with.
"""

from __future__ import annotations

from .query import MAX_QUERY_CHARS
from .selectors import DEFAULT_CAP, Filters, Hit, Results, search

__all__ = ["DEFAULT_CAP", "MAX_QUERY_CHARS", "Filters", "Hit", "Results", "search"]
