"""tools._surely_valid: the check that spares jsonschema for calls that plainly fit their schema.

It may only ever say "valid" where jsonschema finds nothing: every call of the corpus, and
thousands of values made to break common schemas, get the same problems with it as without.
"""

from __future__ import annotations

import copy
import random

import pytest
from corpus_files import CORPUS

from cassette_tui.jsonio import loads_or_none
from cassette_tui.recording import Recording
from cassette_tui.tools import _APPLIED, _checked_problems, _surely_valid, offered_tools, schema_problems

EXPLAIN_CASES = CORPUS.parent / "explain-cases"


def test_the_keywords_held_back_are_the_ones_jsonschema_applies() -> None:
    import jsonschema

    assert set(jsonschema.Draft202012Validator.VALIDATORS) == _APPLIED


def corpus_calls() -> list[tuple[object, dict]]:
    """(arguments, schema) of every tool call of the corpus and the explain cases whose tool has a schema."""
    roots = [r for r in (CORPUS, EXPLAIN_CASES) if r.is_dir()]
    if not roots:
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    out = []
    for root in roots:
        for path in sorted(root.rglob("*.json")):
            rec = Recording.load(path)
            if rec.problem:
                continue
            offered = offered_tools(rec.request.get("body") if isinstance(rec.request, dict) else None)
            for call in rec.result.tool_calls:
                schema = offered.get(call.name or "")
                args = loads_or_none(call.arguments) if call.arguments.strip() else {}
                if isinstance(schema, dict) and args is not None:
                    out.append((args, schema))
    return out


def test_every_corpus_call_gets_the_problems_jsonschema_gives() -> None:
    calls = corpus_calls()
    fast = 0
    for args, schema in calls:
        assert schema_problems(args, schema) == _checked_problems(args, schema), (args, schema)
        fast += _surely_valid(args, schema)
    assert len(calls) > 100
    assert fast > len(calls) // 2   # the point: most calls never reach jsonschema


SCHEMAS = [
    {"type": "object", "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["location"]},
    {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}, "ok": {"type": "boolean"}, "z": {"type": "null"}}},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}, "m": {"type": ["string", "null"]}},
     "additionalProperties": False, "required": ["tags"]},
    {"type": "object", "properties": {"deep": {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object", "required": ["k"]}}}}},
     "additionalProperties": {"type": "integer"}},
    {"type": "object", "properties": {"q": {"type": "string", "minLength": 2}, "n": {"type": "integer", "minimum": 0}}},
    {"type": "object", "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "e": {"enum": [1, "1", True]}}},
    {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {"n": {"type": "integer"}}},
    {"type": "object", "properties": {"f": {"type": "string", "format": "date-time"}, "u": {"type": "mystery"}}, "description": "x"},
    {"type": "object", "properties": {"p": {"$ref": "#/$defs/p"}}, "$defs": {"p": {"type": "string"}}},
    {"properties": {"t": True, "f": False}, "required": "t"},
]

VALUES = [None, True, False, 0, 1, -3, 1.0, 1.5, 2**70, "", "c", "x", "f", [], ["a"], [1], [{"k": 1}], [{}], {}, {"k": 1}, {"a": [{"k": 2}]}]


def mutations(rng: random.Random, schema: dict, n: int) -> list[object]:
    """Values near what the schema asks for: right keys with wrong values, keys dropped and added."""
    names = list(schema.get("properties", {})) + ["location", "unit", "n", "x", "ok", "tags", "deep", "extra", "k"]
    out: list[object] = [copy.deepcopy(v) for v in VALUES]
    for _ in range(n):
        value = {name: rng.choice(VALUES) for name in rng.sample(names, rng.randint(0, len(names)))}
        if rng.random() < 0.3:
            value["deep"] = {"a": [rng.choice(VALUES) for _ in range(rng.randint(0, 3))]}
        out.append(copy.deepcopy(value))
    return out


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_values_made_to_break_a_schema_get_the_problems_jsonschema_gives(schema: dict) -> None:
    rng = random.Random(len(str(schema)))
    said_valid = 0
    for value in mutations(rng, schema, 1500):
        if _surely_valid(value, schema):
            said_valid += 1
            assert _checked_problems(value, schema) == [], (value, schema)
        assert schema_problems(value, schema) == _checked_problems(value, schema), (value, schema)
    assert said_valid or any(k in str(schema) for k in ("anyOf", "$ref", "$schema", "minLength", "mystery", "False", "required\": \"t"))


def test_what_it_leaves_to_jsonschema() -> None:
    assert _surely_valid({"location": "Paris"}, SCHEMAS[0])
    assert not _surely_valid({"unit": "c"}, SCHEMAS[0])                   # a required name missing
    assert not _surely_valid({"n": True}, SCHEMAS[1]) and _surely_valid({"n": 1.0}, SCHEMAS[1])   # True is no integer, 1.0 is
    assert not _surely_valid({"tags": [], "extra": 1}, SCHEMAS[2])        # additionalProperties: false
    assert not _surely_valid({"q": "abc"}, SCHEMAS[4])                   # minLength: jsonschema's
    assert not _surely_valid({"n": 1}, SCHEMAS[6])                       # another draft
    deep: dict = {"type": "object"}
    for _ in range(40):
        deep = {"type": "object", "properties": {"a": deep}}
    value: dict = {}
    for _ in range(40):
        value = {"a": value}
    assert not _surely_valid(value, deep)                                # too deep to vouch for: jsonschema decides
    assert schema_problems(value, deep) == []
