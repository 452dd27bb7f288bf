"""Tests for cassette_tui.query: the filter language shared by the CLI, TUI and notebook API."""

from __future__ import annotations

import pytest

from cassette_tui.model import Summary
from cassette_tui.query import FIELDS, Query, QueryError, filter_summaries, parse

K = 1024
M = 1024 * 1024

ROWS = [
    Summary(
        id="a1b2c3", path="responses/a1b2c3.json",
        test_id="tests/integration/inference/test_openai_completion.py::test_chat_weather[txt=ollama/llama3.2:3b]",
        kind="chat", endpoint="/v1/chat/completions", model="gpt-4o-mini", provider="openai",
        streaming=True, chunks=12, finish_reason="tool_calls", tool_calls=("get_weather",),
        tools=("get_weather", "web_search"), messages=3, size=150 * K, flags=("tools",),
        text="what is the weather in paris?", status="ok",
    ),
    Summary(
        id="b2ffee", path="responses/b2ffee.json",
        test_id="tests/integration/inference/test_embeddings.py::test_embed_basic",
        kind="embeddings", endpoint="/v1/embeddings", model="nomic-embed-text", provider="ollama",
        streaming=False, chunks=0, messages=0, size=2 * K, text="hello world", status="stale",
    ),
    Summary(
        id="c3d4", path="models/c3d4.json", kind="models", endpoint="/api/tags", provider="ollama",
        size=512,
    ),
    Summary(
        id="d4aa", path="responses/d4aa.json",
        test_id="tests/integration/agents/test_agents.py::test_Reasoning_Flow",
        kind="chat", endpoint="/v1/chat/completions", model="GPT-4o", provider="OpenAI",
        streaming=True, chunks=50, finish_reason="stop", tools=("lookup",), messages=10, size=2 * M,
        flags=("reasoning", "anomaly"), anomalies=("chunk_after_finish", "schema_mismatch"),
        text="think step by step. result: 42", status="mismatch",
    ),
    Summary(
        id="e5e5", path="broken/e5e5.json", kind="invalid", problem="not JSON", size=10,
        flags=("error",),
    ),
    Summary(
        id="f6f6", path="responses/f6f6.json",
        test_id="tests/integration/inference/test_vision.py::test_image_chat[foo bar]",
        kind="completion", endpoint="/api/generate", model="llama3.2:3b", provider="ollama",
        streaming=True, chunks=7, finish_reason="length", messages=1, size=100 * K,
        flags=("image",), text="a picture of a cat", status="ok",
    ),
]
ALL = {r.id for r in ROWS}


def ids(query: str) -> set[str]:
    return {s.id for s in filter_summaries(ROWS, query)}


def err(query: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse(query)
    return info.value


# ---------------------------------------------------------------------- fields

@pytest.mark.parametrize("query, expected", [
    # test: substring of test_id; glob matches the whole id
    ("test:weather", {"a1b2c3"}),
    ("test:test_embeddings.py", {"b2ffee"}),
    ("test:*Flow", {"d4aa"}),
    ("test:weather*", set()),                       # anchored glob: the id does not start with weather
    # model: substring, glob anchored
    ("model:gpt-4o", {"a1b2c3", "d4aa"}),
    ("model:gpt-4o-mini", {"a1b2c3"}),
    ("model:gpt-4*", {"a1b2c3", "d4aa"}),
    ("model:*mini", {"a1b2c3"}),
    ("model:gpt-4?", {"d4aa"}),
    ("model:llama3.2:3b", {"f6f6"}),
    # endpoint: and its alias ep:
    ("endpoint:/v1/chat", {"a1b2c3", "d4aa"}),
    ("ep:/api/", {"c3d4", "f6f6"}),
    ("ep:embeddings", {"b2ffee"}),
    # provider: exact, case-insensitive, glob
    ("provider:openai", {"a1b2c3", "d4aa"}),
    ("provider:open", set()),
    ("provider:oll*", {"b2ffee", "c3d4", "f6f6"}),
    # kind: exact
    ("kind:chat", {"a1b2c3", "d4aa"}),
    ("kind:models", {"c3d4"}),
    ("kind:invalid", {"e5e5"}),
    ("kind:c*", {"a1b2c3", "d4aa", "f6f6"}),
    # stream:
    ("stream:yes", {"a1b2c3", "d4aa", "f6f6"}),
    ("stream:true", {"a1b2c3", "d4aa", "f6f6"}),
    ("stream:1", {"a1b2c3", "d4aa", "f6f6"}),
    ("stream:no", {"b2ffee", "c3d4", "e5e5"}),
    ("stream:false", {"b2ffee", "c3d4", "e5e5"}),
    ("stream:0", {"b2ffee", "c3d4", "e5e5"}),
    # tool: called or offered; called: only called
    ("tool:weather", {"a1b2c3"}),
    ("tool:web_search", {"a1b2c3"}),
    ("tool:lookup", {"d4aa"}),
    ("tool:look*", {"d4aa"}),
    ("tool:look", {"d4aa"}),
    ("called:get_weather", {"a1b2c3"}),
    ("called:lookup", set()),
    ("called:web_search", set()),
    ("called:*", {"a1b2c3"}),
    # finish: exact; none for missing
    ("finish:stop", {"d4aa"}),
    ("finish:tool_calls", {"a1b2c3"}),
    ("finish:none", {"b2ffee", "c3d4", "e5e5"}),
    ("finish:*s*", {"a1b2c3", "d4aa"}),
    # has:
    ("has:tools", {"a1b2c3"}),
    ("has:error", {"e5e5"}),
    ("has:reasoning", {"d4aa"}),
    ("has:image", {"f6f6"}),
    ("has:anomaly", {"d4aa"}),
    ("has:problem", {"e5e5"}),
    ("has:chunk_after_finish", {"d4aa"}),
    ("has:no_finish", set()),
    ("has:schema_*", {"d4aa"}),
    # anomaly:
    ("anomaly:chunk_after_finish", {"d4aa"}),
    ("anomaly:mismatch", {"d4aa"}),
    ("anomaly:schema_*", {"d4aa"}),
    ("anomaly:*finish", {"d4aa"}),
    ("anomaly:nothing", set()),
    # is:
    ("is:ok", {"a1b2c3", "f6f6"}),
    ("is:stale", {"b2ffee"}),
    ("is:mis*", {"d4aa"}),
    ("is:problem", {"e5e5"}),
    ("is:invalid", {"e5e5"}),
    ("is:none", {"c3d4", "e5e5"}),
    # path:
    ("path:broken/", {"e5e5"}),
    ("path:models/", {"c3d4"}),
    ("path:*.json", ALL),
    # id: prefix
    ("id:a1", {"a1b2c3"}),
    ("id:b2", {"b2ffee"}),              # a1b2c3 contains b2 but does not start with it
    ("id:*e", {"b2ffee"}),                # a glob matches the whole id
    ("id:*5", {"e5e5"}),
    # size: units, comparisons, ranges; plain number is exact
    ("size:>100k", {"a1b2c3", "d4aa"}),
    ("size:>=100k", {"a1b2c3", "d4aa", "f6f6"}),
    ("size:100k", {"f6f6"}),
    ("size:=100kb", {"f6f6"}),
    ("size:<1k", {"c3d4", "e5e5"}),
    ("size:<=512", {"c3d4", "e5e5"}),
    ("size:512", {"c3d4"}),
    ("size:>=1.5m", {"d4aa"}),
    ("size:2mb", {"d4aa"}),
    ("size:>1g", set()),
    ("size:<1gb", ALL),
    ("size:2k..150k", {"a1b2c3", "b2ffee", "f6f6"}),
    ("size:100k..", {"a1b2c3", "d4aa", "f6f6"}),
    ("size:..512", {"c3d4", "e5e5"}),
    ("size:1M", set()),
    ("size:2M", {"d4aa"}),
    # chunks: and messages:
    ("chunks:>10", {"a1b2c3", "d4aa"}),
    ("chunks:7", {"f6f6"}),
    ("chunks:=0", {"b2ffee", "c3d4", "e5e5"}),
    ("chunks:7..12", {"a1b2c3", "f6f6"}),
    ("chunks:<=7", {"b2ffee", "c3d4", "e5e5", "f6f6"}),
    ("messages:3", {"a1b2c3"}),
    ("messages:>=3", {"a1b2c3", "d4aa"}),
    ("messages:1..3", {"a1b2c3", "f6f6"}),
    ("messages:<1", {"b2ffee", "c3d4", "e5e5"}),
])
def test_fields(query: str, expected: set[str]) -> None:
    assert ids(query) == expected


def test_every_field_is_documented_and_usable() -> None:
    samples = {"stream": "yes", "has": "tools", "kind": "chat", "size": ">1", "chunks": ">1", "messages": ">1", "is": "ok"}
    for name, help_text in FIELDS.items():
        assert help_text and "\n" not in help_text
        parse(f"{name}:{samples.get(name, 'x')}")   # must not raise
    assert {"test", "model", "endpoint", "ep", "provider", "kind", "stream", "tool", "called", "finish",
            "has", "anomaly", "is", "path", "id", "size", "chunks", "messages"} <= set(FIELDS)


def test_missing_values_never_match() -> None:
    # c3d4 has no test_id, model, finish_reason or status; e5e5 has almost nothing.
    assert "c3d4" not in ids("model:*")
    assert "c3d4" not in ids("test:*")
    assert "c3d4" not in ids("finish:*")
    assert "c3d4" not in ids("is:*")
    assert ids("-model:*") == {"c3d4", "e5e5"}


# ---------------------------------------------------------------------- case-insensitivity

@pytest.mark.parametrize("query, expected", [
    ("MODEL:GPT-4O", {"a1b2c3", "d4aa"}),
    ("Provider:OPENAI", {"a1b2c3", "d4aa"}),
    ("KIND:Chat", {"a1b2c3", "d4aa"}),
    ("test:reasoning_flow", {"d4aa"}),
    ("STREAM:YES", {"a1b2c3", "d4aa", "f6f6"}),
    ("Has:Tools", {"a1b2c3"}),
    ("ANOMALY:CHUNK*", {"d4aa"}),
    ("is:OK", {"a1b2c3", "f6f6"}),
    ("finish:STOP", {"d4aa"}),
    ("ID:A1", {"a1b2c3"}),
    ("PARIS", {"a1b2c3"}),
    ("Paris OR Hello", {"a1b2c3", "b2ffee"}),
    ("model:gpt* Or kind:models", {"a1b2c3", "d4aa", "c3d4"}),
    ("SIZE:>100K", {"a1b2c3", "d4aa"}),
])
def test_case_insensitive(query: str, expected: set[str]) -> None:
    assert ids(query) == expected


# ---------------------------------------------------------------------- bare words

@pytest.mark.parametrize("query, expected", [
    ("weather", {"a1b2c3"}),                  # test_id and text
    ("paris", {"a1b2c3"}),                    # text only
    ("nomic", {"b2ffee"}),                    # model only
    ("broken", {"e5e5"}),                     # path only
    ("c3d4", {"c3d4"}),                       # id (and path)
    ("test_vision", {"f6f6"}),                # test_id only
    ("cat", {"f6f6"}),
    ("step result", {"d4aa"}),                # two words: AND
    ("step paris", set()),
    ("pic*cat", {"f6f6"}),                    # a glob inside a bare word matches anywhere
    ("p?ris", {"a1b2c3"}),
    ("xyzzy", set()),
])
def test_bare_words(query: str, expected: set[str]) -> None:
    assert ids(query) == expected


def test_empty_query_matches_everything() -> None:
    assert ids("") == ALL
    assert ids("   ") == ALL
    assert filter_summaries(ROWS, "") == ROWS
    assert parse("").matches(ROWS[0]) is True
    assert str(parse("  ")) == ""


# ---------------------------------------------------------------------- boolean structure

@pytest.mark.parametrize("query, expected", [
    # negation
    ("-kind:chat", ALL - {"a1b2c3", "d4aa"}),
    ("-stream:yes", {"b2ffee", "c3d4", "e5e5"}),
    ("kind:chat -model:mini", {"d4aa"}),
    ("-paris", ALL - {"a1b2c3"}),
    ("-(kind:chat OR kind:models)", {"b2ffee", "e5e5", "f6f6"}),
    ("--kind:chat", {"a1b2c3", "d4aa"}),
    ("-finish:none", {"a1b2c3", "d4aa", "f6f6"}),
    # AND is implicit
    ("kind:chat stream:yes model:mini", {"a1b2c3"}),
    # OR, lower and upper case
    ("kind:models OR kind:invalid", {"c3d4", "e5e5"}),
    ("kind:models or kind:invalid", {"c3d4", "e5e5"}),
    ("kind:models OR kind:invalid OR kind:embeddings", {"b2ffee", "c3d4", "e5e5"}),
    # AND binds tighter than OR: (kind:chat AND model:mini) OR kind:models
    ("kind:chat model:mini OR kind:models", {"a1b2c3", "c3d4"}),
    # ... and on the other side: kind:models OR (kind:chat AND model:mini)
    ("kind:models OR kind:chat model:mini", {"a1b2c3", "c3d4"}),
    # parentheses override it
    ("kind:chat (model:mini OR kind:models)", {"a1b2c3"}),
    ("(kind:chat OR kind:completion) stream:yes -has:tools", {"d4aa", "f6f6"}),
    ("((kind:chat))", {"a1b2c3", "d4aa"}),
    ("(kind:chat OR (provider:ollama -kind:models)) -is:ok", {"d4aa", "b2ffee"}),
    ("(kind:chat)kind:chat", {"a1b2c3", "d4aa"}),
])
def test_boolean_structure(query: str, expected: set[str]) -> None:
    assert ids(query) == expected


# ---------------------------------------------------------------------- quoting and escapes

@pytest.mark.parametrize("query, expected", [
    ('"hello world"', {"b2ffee"}),
    ('"world hello"', set()),
    ('hello world', {"b2ffee"}),
    ('"in paris"', {"a1b2c3"}),
    ('test:"[foo bar]"', {"f6f6"}),
    ('test:"foo bar"', {"f6f6"}),
    ('-"hello world"', ALL - {"b2ffee"}),
    ('"or"', {"b2ffee"}),                        # quoted: a word to search ("world"), not the operator
    ('"model:gpt"', set()),                      # quoted: text, not a field
    ('"step by step." result', {"d4aa"}),
    ('test:"*[foo bar]"', {"f6f6"}),             # quotes do not switch globs off
    (r'test:\*', set()),                         # a backslash does: a literal '*'
    ('"llama3.2:3b"', {"a1b2c3", "f6f6"}),
])
def test_quoting(query: str, expected: set[str]) -> None:
    assert ids(query) == expected


def test_test_ids_with_brackets_and_colons() -> None:
    # '[' is not a glob character and ':' inside a value is kept.
    assert ids("test:test_chat_weather[txt=ollama/llama3.2:3b]") == {"a1b2c3"}
    assert ids("test:*[txt=ollama/*]") == {"a1b2c3"}
    # A word whose prefix is not a name is a bare word, even with a colon.
    assert ids("txt=ollama/llama3.2:3b") == {"a1b2c3"}
    assert ids("llama3.2:3b") == {"a1b2c3", "f6f6"}


def test_parentheses_inside_a_word_are_kept() -> None:
    rows = [Summary(id="x", path="p", test_id="test_thing(param)"), Summary(id="y", path="q")]
    assert [s.id for s in filter_summaries(rows, "test:thing(param)")] == ["x"]
    assert [s.id for s in filter_summaries(rows, "(test:thing(param))")] == ["x"]


# ---------------------------------------------------------------------- the Query object

def test_query_object() -> None:
    q = parse("model:gpt-4*  -kind:chat")
    assert isinstance(q, Query)
    assert q.text == "model:gpt-4*  -kind:chat"
    assert q.matches(ROWS[0]) is False
    assert q.matches(ROWS[5]) is False
    assert parse("kind:chat").matches(ROWS[0]) is True
    assert q.filter(ROWS) == []
    assert filter_summaries(ROWS, parse("kind:models")) == [ROWS[2]]


def test_filter_keeps_order() -> None:
    assert [s.id for s in filter_summaries(ROWS, "stream:yes")] == ["a1b2c3", "d4aa", "f6f6"]
    assert [s.id for s in filter_summaries(reversed(ROWS), "stream:yes")] == ["f6f6", "d4aa", "a1b2c3"]


@pytest.mark.parametrize("query, normal", [
    ("MODEL:gpt-4*   -Kind:chat", "model:gpt-4* -kind:chat"),
    ("ep:/v1", "endpoint:/v1"),
    ("a b or c", "a b OR c"),
    ("(a OR b) c", "(a OR b) c"),
    ("-(a b)", "-(a b)"),
    ('"hello world" test:"x y"', '"hello world" test:"x y"'),
    ('"or"', '"or"'),
    (r'test:\*x', r'test:\*x'),
    ("size:>=1.5m", "size:>=1.5m"),
])
def test_str_is_a_normal_form(query: str, normal: str) -> None:
    assert str(parse(query)) == normal
    assert str(parse(normal)) == normal    # and it parses back to itself


# ---------------------------------------------------------------------- errors

@pytest.mark.parametrize("query, position, fragment", [
    ("modle:gpt", 0, "unknown field 'modle'"),
    ("kind:chat modle:gpt", 10, "unknown field 'modle'"),
    ("-modle:gpt", 1, "unknown field 'modle'"),
    ("(kind:chat", 0, "unclosed '('"),
    ("a (b (c)", 2, "unclosed '('"),
    ("kind:chat)", 9, "unmatched ')'"),
    (")", 0, "unmatched ')'"),
    ("a ()", 2, "empty parentheses"),
    ('"hello world', 0, "unclosed '\"'"),
    ('test:"foo', 5, "unclosed '\"'"),
    ("OR kind:chat", 0, "'OR' has nothing on its left"),
    ("kind:chat OR", 10, "'OR' has nothing on its right"),
    ("a OR OR b", 2, "'OR' has nothing on its right"),
    ("(a OR) b", 3, "'OR' has nothing on its right"),
    ("(or a)", 1, "'OR' has nothing on its left"),
    ("size:>abc", 6, "bad number 'abc'"),
    ("size:abc", 5, "bad number 'abc'"),
    ("size:10..x", 9, "bad number 'x'"),
    ("size:>", 6, "missing number"),
    ("size:10q", 7, "unknown size unit 'q'"),
    ("size:5..2", 5, "empty range"),
    ("size:..", 5, "at least one end"),
    ("chunks:1.5", 7, "whole number"),
    ("messages:3k", 9, "whole number"),
    ("stream:maybe", 7, "stream: takes yes or no"),
    ("has:eror", 4, "bad has: value 'eror'"),
    ("has:!!", 4, "bad has: value '!!'"),
    ("kind:chta", 5, "unknown kind 'chta'"),
    ("model:", 6, "missing value after 'model:'"),
    ("model:(a OR b)", 6, "missing value after 'model:'"),
    ("a -", 2, "'-' must be followed by a term"),
    ("-(a) -)", 5, "'-' must be followed by a term"),
    ("- a", 0, "'-' must be followed by a term"),
    ("a \\", 2, "'\\' at the end"),
])
def test_errors(query: str, position: int, fragment: str) -> None:
    e = err(query)
    assert e.position == position
    assert fragment in e.message
    assert f"at column {position + 1}" in str(e)


def test_error_message_suggests_the_closest_field() -> None:
    e = err("modle:gpt-4o")
    assert str(e) == "unknown field 'modle' at column 1 (did you mean 'model'?)"
    assert (e.message, e.position) == ("unknown field 'modle'", 0)
    assert "did you mean 'test'?" in str(err("tets:x"))
    assert "did you mean 'provider'?" in str(err("provder:x"))
    assert "did you mean 'error'?" in str(err("has:eror"))
    assert "did you mean 'chat'?" in str(err("kind:chta"))
    # Nothing close: tell the user how to search the text instead.
    assert 'quote it, "mistral:7b"' in str(err("mistral:7b"))
    assert isinstance(err("x:y"), ValueError)


def test_forgiving_has_spellings() -> None:
    assert ids("has:tool") == ids("has:tools") == {"a1b2c3"}
    assert ids("has:anomalies") == {"d4aa"}


# ---------------------------------------------------------------------- scale

def test_many_summaries() -> None:
    rows = [
        Summary(
            id=f"{i:012x}", path=f"responses/{i:012x}.json", test_id=f"tests/test_x.py::test_{i % 97}",
            kind="chat" if i % 2 else "completion", model="gpt-4o" if i % 3 else None, provider="openai",
            streaming=bool(i % 5), chunks=i % 40, size=i * 10, messages=i % 7,
            tool_calls=("get_weather",) if i % 11 == 0 else (), text=f"message number {i}",
        )
        for i in range(100_000)
    ]
    assert len(filter_summaries(rows, "")) == 100_000
    assert len(filter_summaries(rows, "kind:chat")) == 50_000
    assert len(filter_summaries(rows, "tool:weather")) == len(range(0, 100_000, 11))
    both = filter_summaries(rows, "model:gpt-4* (stream:yes OR chunks:>30) size:>100k -test:test_1")
    assert both and all(s.model == "gpt-4o" and s.size > 100 * 1024 for s in both)
    assert filter_summaries(rows, '"number 99999"')[0].id == f"{99999:012x}"
    assert len(filter_summaries(rows, "number*9999")) == sum("9999" in str(i) for i in range(100_000))


# ---------------------------------------------------------------------- values checked like fields (issue 14)

@pytest.mark.parametrize(("query", "hint"), [
    ("has:tool_calls", "did you mean 'tools'?"),
    ("is:stael", "did you mean 'stale'?"),
    ("finish:tool_call", "did you mean 'tool_calls'?"),
    ("has:no_finsh", "did you mean 'no_finish'?"),
    ("is:whatever", "one of ok, stale"),
])
def test_unknown_values_say_did_you_mean(query: str, hint: str) -> None:
    """Before: each of these parsed and silently matched nothing."""
    e = err(query)
    assert hint in str(e), str(e)
    assert e.position == query.index(":") + 1


def test_a_providers_own_finish_word_is_still_taken() -> None:
    assert ids("finish:end_turn") == set()        # known (Anthropic's), no row has it
    assert ids("finish:zebra_stop") == set()      # unknown and close to nothing: a provider's word, allowed


def test_every_anomaly_code_in_the_source_is_a_known_has_value() -> None:
    import re
    from pathlib import Path

    from cassette_tui.query_terms import ANOMALY_CODES

    source = "\n".join(p.read_text() for p in (Path(__file__).parents[1] / "cassette_tui").rglob("*.py"))
    assert set(re.findall(r'Anomaly\("([a-z_]+)"', source)) == set(ANOMALY_CODES)


def test_exact_match_with_equals() -> None:
    rows = [Summary(id="m1", path="a/m1.json", model="gpt-4o"), Summary(id="m2", path="a/m2.json", model="gpt-4o-mini")]
    assert {s.id for s in filter_summaries(rows, "model:gpt-4o")} == {"m1", "m2"}
    assert {s.id for s in filter_summaries(rows, "model:=gpt-4o")} == {"m1"}
    assert {s.id for s in filter_summaries(rows, "model:=GPT-4O")} == {"m1"}
    assert {s.id for s in filter_summaries(rows, "-model:=gpt-4o")} == {"m2"}
    assert {s.id for s in filter_summaries(rows, "model:\\=gpt-4o")} == set()   # a literal '=' is searched for


def test_path_as_shown_from_above_the_tree() -> None:
    """`ls --json` run from the repository prints tests/integration/<area>/recordings/<id>.json for a
    tree opened at tests/integration/<area>; that path (or an absolute one) must match the row."""
    rows = [Summary(id="p1", path="recordings/abc.json"), Summary(id="p2", path="other/recordings/def.json")]
    root = "/work/x/tests/integration/batches"

    def q(text: str, root: str | None = root) -> set[str]:
        return {s.id for s in parse(text, root=root).filter(rows)}

    assert q("path:recordings/abc") == {"p1"}
    assert q("path:tests/integration/batches/recordings/abc.json") == {"p1"}
    assert q("path:tests/integration/batches/recordings/abc.json", root=None) == set()   # the tree's folder unknown
    assert q(f"path:{root}/recordings/abc.json") == {"p1"}
    assert q("path:./recordings/abc.json") == {"p1"}
    assert q("path:tests/integration/batches/recordings/zzz.json") == set()
    assert q("path:other/recordings") == {"p2"}
    assert q("path:tests/integration/other/recordings") == set()


def test_every_verify_status_is_a_value_of_is() -> None:
    """`is:` takes each status verify gives (orphan came with the orphan check): never a did-you-mean."""
    from cassette_tui.verify import STATUSES

    for status in STATUSES:
        parse(f"is:{status}")
