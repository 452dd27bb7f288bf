"""Query.implies and the Refilter: a query typed key by key gives exactly what filtering
every recording gives, on the real corpus (and the fixtures, without it)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from corpus_files import CORPUS

from cassette_tui.index import Index
from cassette_tui.query import QueryError, parse
from cassette_tui.refilter import Refilter

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def summaries() -> list:
    root = CORPUS if CORPUS.is_dir() else FIXTURES
    found = list(Index(root, use_cache=False).scan().summaries.values())
    assert len(found) > 20
    return found


def typed(text: str) -> list[str]:
    """Every state of the filter box as `text` is typed, then erased."""
    forward = [text[:i] for i in range(1, len(text) + 1)]
    return forward + forward[-2::-1] + [""]


TYPED = [
    "model:gpt-4o has:tools",
    "chat weather",
    "test:agents -provider:ollama",
    "(kind:chat OR kind:completion) -has:error tool:get",
    "id:0a1",
    "model:llama stream:yes called:",
    "-model:gpt",
    "endpoint:/v1/chat model:=gpt-4o",
    "\"hello world\" paris",
]


@pytest.mark.parametrize("text", TYPED)
def test_typing_key_by_key_gives_what_filtering_everything_gives(summaries: list, text: str) -> None:
    refilter = Refilter(summaries)
    narrowed = 0
    previous = None
    for state in typed(text):
        try:
            query = parse(state)
        except QueryError:
            continue   # the app keeps the last good query meanwhile
        expected = [s for s in summaries if query.matches(s)]
        assert refilter(query) == expected, state
        if previous is not None and query.implies(previous) and str(query) != str(previous):
            narrowed += 1
        previous = query
    if "=" not in text and "(" not in text:
        assert narrowed, "typing never narrowed: the refilter always read every recording"


# Terms whose implications are easy to get wrong: substrings, prefixes, globs, exact values,
# negation, OR, and fields whose values are not substrings.
VOCABULARY = [
    "gpt", "gpt-4", "gpt-4o", "model:gpt", "model:gpt-4o", "model:=gpt-4o", "model:gpt*", "model:gpt-4*",
    "test:agent", "test:agents", "id:0", "id:0a", "kind:chat", "stream:yes", "stream:no", "has:tools",
    "tool:get", "tool:get_weather", "called:get", "-model:gpt", "-model:gpt-4o", "-gpt", "-gpt-4o",
    "size:>1k", "size:>10k", "chunks:>5", "finish:stop", "is:none", "path:2026", "path:2026-05",
    "weather", "weath", "*weather*", "host:local",
]


def queries(rng: random.Random) -> str:
    terms = rng.sample(VOCABULARY, rng.randint(1, 3))
    if rng.random() < 0.3 and len(terms) > 1:
        return " OR ".join(terms)
    if rng.random() < 0.2:
        return f"-({' '.join(terms)})"
    return " ".join(terms)


def test_implies_is_sound_on_real_summaries(summaries: list) -> None:
    """Whenever a implies b, every recording a matches, b matches; and it does say so often."""
    rng = random.Random(18)
    texts = {queries(rng) for _ in range(600)} | set(VOCABULARY)
    parsed = [parse(t) for t in sorted(texts)]
    matched = {str(q): {id(s) for s in summaries if q.matches(s)} for q in parsed}
    implied = 0
    for a, b in itertools.product(parsed, repeat=2):
        if a.implies(b):
            implied += 1
            assert matched[str(a)] <= matched[str(b)], (str(a), str(b))
    assert implied > 2 * len(parsed)   # more than each query implying itself and the empty one


@pytest.mark.parametrize(("a", "b"), [
    ("model:gpt-4o", "model:gpt"), ("gpt-4o x", "gpt"), ("model:gpt-4o h", "model:gpt-4o"),
    ("id:0a1", "id:0a"), ("-gpt", "-gpt-4o"), ("kind:chat", "kind:chat OR kind:completion"),
    ("a b c", "c a"), ("test:agents", "test:agent"),
])
def test_narrowing_is_recognised(a: str, b: str) -> None:
    assert parse(a).implies(parse(b))


@pytest.mark.parametrize(("a", "b"), [
    ("model:gpt", "model:gpt-4o"), ("model:=gpt-4o", "model:=gpt"), ("model:gpt*", "model:gpt"),
    ("gpt", "model:gpt"), ("-gpt-4o", "-gpt"), ("kind:chat OR kind:completion", "kind:chat"),
    ("size:>10k", "size:>1k"), ("path:2026-05", "path:2026"), ("stream:yes", "stream:no"),
])
def test_what_is_not_known_to_narrow_is_not_claimed(a: str, b: str) -> None:
    assert not parse(a).implies(parse(b))


def test_reset_forgets_results_made_stale_in_place(summaries: list) -> None:
    refilter = Refilter(summaries)
    query = parse("is:stale")
    before = refilter(query)
    target = next(s for s in summaries if s.status != "stale")
    old = target.status
    try:
        target.status = "stale"
        assert refilter(query) is before          # kept: the refilter cannot see the change
        refilter.reset(summaries)
        assert target in refilter(query)
    finally:
        target.status = old
