"""Globs in a query never backtrack: a long field value and many stars stay fast, on any face."""

from __future__ import annotations

import dataclasses
import fnmatch
import random
import re
import time

from cassette_tui.model import Summary
from cassette_tui.query import parse

LONG = "a" * 100_000


def test_a_glob_with_many_stars_on_a_long_value_is_fast() -> None:
    row = Summary(id="x", path="x.json", kind="chat", model=LONG, test_id=LONG, text=LONG, tool_calls=(LONG,), anomalies=(LONG,))
    t0 = time.monotonic()
    for query in ("model:*a*a*a*a*a*a*b", "*a*a*a*a*a*a*b", "test:a*a*a*a*?*a*b", "tool:*a*a*a*a*b", "anomaly:*a*a*a*a*b", "provider:*a*a*a*b"):
        assert not parse(query).matches(row), query
    assert parse("model:a*a*a*a*a").matches(row)
    assert time.monotonic() - t0 < 2   # the regex a.*a.*…b took 8 s on 160 characters, hours on these


def test_globs_match_as_fnmatch_does() -> None:
    from cassette_tui.query_terms import _Glob

    rng = random.Random(11)

    def chars(text: str) -> list:
        return [(c, 0, False) for c in text]

    for _ in range(20_000):
        pattern = "".join(rng.choice("ab*?") for _ in range(rng.randint(0, 7)))
        text = "".join(rng.choice("abA") for _ in range(rng.randint(0, 9)))
        expected = re.fullmatch(fnmatch.translate(pattern), text, re.S | re.I) is not None
        assert _Glob(chars(pattern)).fullmatch(text) == expected, (pattern, text)
        anywhere = re.search("".join(".*" if c == "*" else "." if c == "?" else c for c in pattern), text, re.S) is not None
        assert _Glob(chars(pattern), ignore_case=False).search(text) == anywhere, (pattern, text)
    # An escaped star is a literal one.
    row = dataclasses.replace(Summary(id="x", path="x.json", kind="chat"), model="gpt*4")
    assert parse(r"model:gpt\*4").matches(row) and not parse(r"model:gpt\*5").matches(row)
