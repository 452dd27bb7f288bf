"""Why did replay miss? Parse the miss messages of a CI log, find what is recorded, say what changed.

Three inputs describe a miss (miss, logs):

* a log (CI output, a server log) holding one or more of the recorder's
  messages, in any variant it ever printed (FORMAT.md): `parse_log` -> [Miss];
* a bare hash: `miss_from_hash`;
* a recording freshly written by `record-if-missing`: the live request itself,
  `miss_from_recording`.

`explain(miss, index)` (explanation) says where replay looked (lookup), which
recordings come closest (nearest: by content across the whole tree, then by
place in the test), and, when the live request is known, the JSON paths where
its normalized request differs from the nearest recording, each with a cause
(causes) and what to do next. `group_explanations` folds many misses into
findings (grouping).

Pure: no Textual, no Rich.
"""

from __future__ import annotations

from ..compare import string_window
from .causes import ADVICE, CAUSE_ORDER, Cause, classify_change
from .explanation import Explanation, explain
from .grouping import Finding, group_explanations
from .logs import parse_log
from .lookup import FALLBACK_FOLDER, SQLITE_FOLDER, UNKNOWN_TEST_FOLDER, Lookup, map_into, replay_lookups, replay_test_folder
from .miss import Miss, is_hash, miss_from_hash, miss_from_recording, test_parts
from .nearest import Candidate, HashTable, nearest

__all__ = [
    "ADVICE", "CAUSE_ORDER", "FALLBACK_FOLDER", "SQLITE_FOLDER", "UNKNOWN_TEST_FOLDER",
    "Candidate", "Cause", "Explanation", "Finding", "HashTable", "Lookup", "Miss",
    "classify_change", "explain", "group_explanations", "is_hash", "map_into", "miss_from_hash", "miss_from_recording",
    "nearest", "parse_log", "replay_lookups", "replay_test_folder", "string_window", "test_parts",
]
