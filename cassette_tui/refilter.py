"""The recordings a query matches, as the query is typed one key at a time.

At 100,000 recordings, testing every summary costs more than a keystroke may
(about 100 ms). Typing mostly narrows: `model:gpt` then `model:gpt-4o`, or a
term added (`... h`). A query that implies an earlier one (Query.implies) is
tested only on that one's result; a query seen before (a backspace) is answered
from its kept result. Results keep the order of the recordings given.
"""

from __future__ import annotations

from collections import OrderedDict

from .model import Summary
from .query import Query

KEEP_RESULTS = 32          # queries remembered
KEEP_ROWS = 1_000_000      # and at most this many references across their results (8 MB)


class Refilter:
    def __init__(self, summaries: list[Summary] | None = None) -> None:
        self.summaries: list[Summary] = summaries if summaries is not None else []
        self._results: OrderedDict[str, tuple[Query, list[Summary]]] = OrderedDict()
        self._rows = 0

    def reset(self, summaries: list[Summary]) -> None:
        """New recordings, or the same ones changed in place (a verify status): forget every result."""
        self.summaries = summaries
        self._results.clear()
        self._rows = 0

    def __call__(self, query: Query) -> list[Summary]:
        """The recordings `query` matches. The list returned is shared: do not change it."""
        if query.empty:
            return self.summaries
        key = str(query)   # the normal form: `a  b` and `a b` are one query
        kept = self._results.get(key)
        if kept is not None:
            self._results.move_to_end(key)
            return kept[1]
        base = self.summaries
        for earlier, result in self._results.values():
            if len(result) < len(base) and query.implies(earlier):
                base = result
        result = query.filter(base)
        self._results[key] = (query, result)
        self._rows += len(result)
        while len(self._results) > KEEP_RESULTS or (self._rows > KEEP_ROWS and len(self._results) > 1):
            _, (_, dropped) = self._results.popitem(last=False)
            self._rows -= len(dropped)
        return result
