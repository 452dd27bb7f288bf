"""Tools a request offered, and checks of the calls a response made against them."""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

import orjson

from .jsonio import loads_or_none
from .model import Anomaly, ToolCall


def offered_tools(body: Any) -> dict[str, Any]:
    """Tool name -> its JSON schema (or None), for every tool format in the corpus.

    OpenAI/Ollama `tools[].function`, Responses-style `tools[]` with `name`,
    Anthropic `input_schema`, genai `config.tools[].function_declarations`.
    """
    if not isinstance(body, dict):
        return {}
    tools = body.get("tools")
    config = body.get("config")
    if tools is None and isinstance(config, dict):
        tools = config.get("tools")
    found: dict[str, Any] = {}
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            found[fn["name"]] = fn.get("parameters")
            continue
        decls = tool.get("function_declarations") or tool.get("functionDeclarations")
        if isinstance(decls, list):
            for d in decls:
                if isinstance(d, dict) and isinstance(d.get("name"), str):
                    found[d["name"]] = d.get("parameters_json_schema") or d.get("parameters")
            continue
        if isinstance(tool.get("name"), str):
            found[tool["name"]] = tool.get("input_schema") or tool.get("parameters")
        elif isinstance(tool.get("type"), str):
            # Built-in tools (web_search, file_search ...) are named by their type.
            found[tool["type"]] = None
    return found


def check_tool_calls(calls: list[ToolCall], body: Any) -> list[Anomaly]:
    """Flag arguments that are not JSON, unknown tool names and schema misfits."""
    anomalies: list[Anomaly] = []
    if not calls:
        return anomalies
    offered = offered_tools(body)
    for call in calls:
        label = call.name or f"#{call.index}"
        args: Any = {}
        if call.arguments.strip():
            args = loads_or_none(call.arguments)
            if args is None:
                anomalies.append(Anomaly("bad_tool_args", f"arguments of {label} are not valid JSON: {call.arguments[:80]!r}"))
                continue
        if offered and call.name not in offered:
            anomalies.append(Anomaly("unknown_tool", f"called {label}, which the request did not offer ({', '.join(sorted(offered)[:6])})"))
            continue
        schema = offered.get(call.name or "")
        if isinstance(schema, dict) and len(call.arguments) <= MAX_ARGUMENT_CHARS:
            for problem in schema_problems(args, schema):
                anomalies.append(Anomaly("schema_mismatch", f"arguments of {label}: {problem}"))
    return anomalies


# Bounds on what one tool call may cost: a hostile schema or argument must not hang the reader.
MAX_PROBLEMS = 20                  # errors reported per call
MAX_ARGUMENT_CHARS = 1_000_000     # larger arguments are not checked against the schema
MAX_PATTERN_SUBJECT = 10_000       # `pattern` is applied only to strings up to this length ...
_NESTED_QUANTIFIER = re.compile(r"\)[*+?{]")   # ... and never when a quantified group could backtrack for ever


def schema_problems(value: Any, schema: dict) -> list[str]:
    """The ways `value` breaks a JSON schema, by a maintained validator (jsonschema).

    The tool's whole schema is the root, so local `$ref`s (`#/$defs/...`) resolve, and
    `anyOf`/`oneOf`/`allOf` are honoured. A schema that is itself broken, recursive
    without end or refers outside the document yields no problems, never an exception.
    """
    if not isinstance(schema, dict) or _surely_valid(value, schema):
        return []
    return _checked_problems(value, schema)


def _checked_problems(value: Any, schema: dict) -> list[str]:
    try:
        entry = _validator(schema)
        errors = sorted(itertools.islice(entry.validator.iter_errors(value), MAX_PROBLEMS), key=_error_order)
        if errors and not entry.schema_is_valid():
            return []   # a broken schema's complaints are about the schema, not the call
        return [_problem_text(e) for e in errors]
    except Exception:  # noqa: BLE001 - SchemaError, UnknownType, Unresolvable, RecursionError ... from a hostile schema
        return []


# The keywords jsonschema's draft 2020-12 validator applies (a test holds this to its list);
# others it ignores, as _surely_valid does. _surely_valid itself applies these few:
_APPLIED = frozenset({
    "$ref", "$dynamicRef", "additionalProperties", "allOf", "anyOf", "const", "contains", "dependentRequired",
    "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items", "maxItems",
    "maxLength", "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf",
    "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties", "propertyNames", "required",
    "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
})
_OWN = frozenset({"type", "properties", "required", "items", "additionalProperties", "enum", "format"})   # format: checked by nobody without a format checker
_MAX_DEPTH = 32


def _surely_valid(value: Any, schema: Any, depth: int = 0) -> bool:
    """True only when jsonschema would find nothing wrong; False when not sure (then it is asked).

    Nearly every recorded call fits a plain schema of types, properties, required names
    and string enums. Saying so here spares importing jsonschema (90 ms of every process
    that reads a tool call) and running it; a call that breaks its schema, or a schema
    with any other applied keyword ($ref, anyOf, pattern, minimum ...), goes to jsonschema.
    """
    if schema is True:
        return True
    if not isinstance(schema, dict) or depth > _MAX_DEPTH or (depth == 0 and "$schema" in schema):
        return False   # False (never valid) or odd; or another draft's rules
    for key in schema:
        if key in _APPLIED and key not in _OWN:
            return False
    if "type" in schema:
        t = schema["type"]
        if not any(_is_type(value, x) for x in (t if isinstance(t, list) else [t])):
            return False
    if "enum" in schema:
        enum = schema["enum"]
        if not (isinstance(value, str) and isinstance(enum, list) and value in enum and all(isinstance(e, str) for e in enum)):
            return False
    if isinstance(value, dict):
        properties, required = schema.get("properties", {}), schema.get("required", [])
        extra = schema.get("additionalProperties", True)
        if not isinstance(properties, dict) or not isinstance(required, list):
            return False
        for name in required:
            if not isinstance(name, str) or name not in value:
                return False
        for name, item in value.items():
            if name in properties:
                if not _surely_valid(item, properties[name], depth + 1):
                    return False
            elif extra is not True and not _surely_valid(item, extra, depth + 1):
                return False
    elif isinstance(value, list) and "items" in schema:
        items = schema["items"]
        return all(_surely_valid(item, items, depth + 1) for item in value)
    return True


def _is_type(value: Any, name: Any) -> bool:
    """JSON Schema's types as jsonschema tells them (1.0 is an integer, True is not)."""
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float)
    return False   # an unknown type name: jsonschema's to judge


class _Checker:
    """A validator for one schema; the schema itself is checked only once a call breaks it.

    Checking a schema against its metaschema costs ~1 ms, ten times the validation:
    done for every schema it made a cold scan of the corpus 30% slower.
    """

    __slots__ = ("validator", "valid")

    def __init__(self, validator: Any):
        self.validator = validator
        self.valid: bool | None = None

    def schema_is_valid(self) -> bool:
        if self.valid is None:
            try:
                self.validator.check_schema(self.validator.schema)
                self.valid = True
            except Exception:  # noqa: BLE001 - SchemaError, RecursionError, or worse from a hostile schema
                self.valid = False
        return self.valid


def _validator(schema: dict) -> _Checker:
    # Tests offer the same tools again and again: one validator per distinct schema text.
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    entry = _VALIDATORS.get(key)
    if entry is None:
        if len(_VALIDATORS) >= _VALIDATOR_CACHE:
            _VALIDATORS.pop(next(iter(_VALIDATORS)))
        entry = _VALIDATORS[key] = _Checker(_new_validator(schema))
    return entry


_VALIDATORS: dict[bytes, _Checker] = {}   # schema text -> its checker
_VALIDATOR_CACHE = 512


def _new_validator(schema: dict) -> Any:
    jsonschema, default, no_remote_refs = _jsonschema()
    cls = jsonschema.validators.validator_for(schema, default=default)
    if cls is not default:   # the schema names an older draft ($schema): the same guard on its pattern
        cls = jsonschema.validators.extend(cls, {"pattern": _bounded_pattern})
    return cls(schema, registry=no_remote_refs)


@functools.cache
def _jsonschema() -> tuple[Any, Any, Any]:
    """jsonschema, its draft 2020-12 validator with a bounded `pattern`, and an empty registry.

    Imported on the first schema check: the import costs ~75 ms, more than a cold scan
    of the corpus spends checking. The empty registry leaves a `$ref` outside the schema
    unresolved: never fetched from the network.
    """
    import jsonschema
    import referencing

    default = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _bounded_pattern})
    return jsonschema, default, referencing.Registry()


def _bounded_pattern(validator: Any, pattern: Any, instance: Any, schema: dict) -> Any:
    if not isinstance(instance, str) or not isinstance(pattern, str):
        return
    if len(instance) > MAX_PATTERN_SUBJECT or _NESTED_QUANTIFIER.search(pattern):
        return
    if not re.search(pattern, instance):
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _error_order(error: Any) -> tuple[bool, list[str]]:
    # Missing properties first, then by where in the arguments: a stable order to read and test.
    return (error.validator != "required", [str(p) for p in error.absolute_path])


def _problem_text(error: Any) -> str:
    path = _where(error.absolute_path)
    where = path or "the arguments"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"{where} should be {' or '.join(map(str, expected))}, got {_json_type(error.instance)}"
    if error.validator == "required":
        missing = [n for n in error.validator_value if isinstance(error.instance, dict) and n not in error.instance]
        name = missing[0] if missing else error.message
        return f"missing required property '{name}'" + (f" in {path}" if path else "")
    if error.validator == "enum":
        return f"{where} is {error.instance!r}, not one of {list(error.validator_value)[:8]}"[:300]
    return f"{where}: {error.message}"[:300]


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), type(value).__name__)
