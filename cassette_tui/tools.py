"""Tools a request offered, and checks of the calls a response made against them."""

from __future__ import annotations

from typing import Any

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
        if isinstance(schema, dict):
            for problem in schema_problems(args, schema):
                anomalies.append(Anomaly("schema_mismatch", f"arguments of {label}: {problem}"))
    return anomalies


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def schema_problems(value: Any, schema: dict, path: str = "", depth: int = 0) -> list[str]:
    """The ways `value` breaks a JSON schema's basics: type, required, enum, properties, items.

    A deliberate subset: enough to catch what models get wrong, without a dependency.
    """
    if depth > 20 or not isinstance(schema, dict):
        return []
    problems: list[str] = []
    where = path or "the arguments"
    expected = schema.get("type")
    if isinstance(expected, str):
        expected = [expected]
    if isinstance(expected, list) and expected:
        names = [t.lower() for t in expected if isinstance(t, str)]
        ok = any(_is_type(value, t) for t in names)
        if not ok and names:
            return [f"{where} should be {' or '.join(names)}, got {_json_type(value)}"]
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        problems.append(f"{where} is {value!r}, not one of {enum[:8]}")
    if isinstance(value, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name in schema.get("required") or ():
            if isinstance(name, str) and name not in value:
                problems.append(f"missing required property '{name}'" + (f" in {path}" if path else ""))
        for key, sub in props.items():
            if key in value and isinstance(sub, dict):
                problems.extend(schema_problems(value[key], sub, f"{path}.{key}" if path else key, depth + 1))
        if schema.get("additionalProperties") is False:
            extra = [k for k in value if k not in props]
            if extra:
                problems.append(f"unexpected propert{'ies' if len(extra) > 1 else 'y'} {', '.join(map(repr, extra[:5]))}" + (f" in {path}" if path else ""))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value[:100]):
            problems.extend(schema_problems(item, schema["items"], f"{path}[{i}]", depth + 1))
    return problems


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _json_type(value: Any) -> str:
    for name in _TYPES:
        if _is_type(value, name):
            return name
    return type(value).__name__
