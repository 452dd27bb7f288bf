"""A recording's conversation as ordered steps, whatever API shape the request used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .jsonio import dumps_line
from .model import Result


@dataclass(slots=True)
class Step:
    """One step of a conversation: a message, a tool call, a tool result, an image."""

    role: str            # system | user | assistant | tool
    kind: str            # text | tool_call | tool_result | image | reasoning | error | output
    text: str = ""
    name: str = ""       # tool name, for tool calls and (when known) results
    call_id: str = ""    # links a tool call to its result
    new: bool = False    # produced by this recording's response, not sent in its request
    message: int = -1    # which message of the request it belongs to (-1: not a request message)
    part: int = 0        # its place among the parts of a message whose content is a list (text + image ...)

    def key(self) -> tuple[str, str, str, str]:
        """What identifies a step when comparing histories (ids vary run to run)."""
        return (self.role, self.kind, self.name, self.text.strip())

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "kind": self.kind, "text": self.text, "name": self.name, "call_id": self.call_id, "new": self.new,
                "message": self.message, "part": self.part}


def request_steps(request: Any) -> list[Step]:
    """The steps a request sent: messages, genai contents, Anthropic blocks, prompts, inputs."""
    if not isinstance(request, dict):
        return []
    try:
        return _request_steps(request)
    except (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        # Valid JSON of a shape no client sends: say so in the conversation, never raise.
        return [Step("system", "error", f"the request has a shape that cannot be read ({type(exc).__name__}: {exc})"[:300])]


def _add(steps: list[Step], message: list[Step]) -> None:
    """Append the steps of one request message, numbered as the next message."""
    number = steps[-1].message + 1 if steps else 0
    for step in message:
        step.message = number
    steps.extend(message)


def _request_steps(request: dict) -> list[Step]:
    body = request.get("body")
    if not isinstance(body, dict):
        body = request.get("payload")
    if not isinstance(body, dict):
        kwargs = request.get("kwargs")
        if isinstance(kwargs, dict):
            return [Step("assistant", "tool_call", dumps_line(kwargs), name=str(request.get("tool_name") or ""))]
        return []
    steps: list[Step] = []
    system = body.get("system")
    if system:
        _add(steps, [Step("system", "text", _text(system))])
    config = body.get("config")
    if isinstance(config, dict) and config.get("system_instruction"):
        _add(steps, [Step("system", "text", _text(config["system_instruction"]))])
    if isinstance(body.get("messages"), list):
        for msg in body["messages"]:
            _add(steps, _message_steps(msg))
    elif isinstance(body.get("contents"), list):
        for content in body["contents"]:
            _add(steps, _genai_steps(content))
    elif isinstance(body.get("contents"), str):
        _add(steps, [Step("user", "text", body["contents"])])
    elif "input" in body and isinstance(body.get("input"), (str, list)):
        inp = body["input"]
        if isinstance(inp, str):
            _add(steps, [Step("user", "text", inp)])
        else:
            for item in inp:
                if isinstance(item, dict) and "role" in item:
                    _add(steps, _message_steps(item))
                elif isinstance(item, str):
                    _add(steps, [Step("user", "text", item)])
    elif "prompt" in body:
        prompt = body["prompt"]
        _add(steps, [Step("user", "text", prompt if isinstance(prompt, str) else _text(prompt))])
    elif "query" in body:
        _add(steps, [Step("user", "text", _text(body.get("query")))])
    return steps


def _message_steps(msg: Any) -> list[Step]:
    if not isinstance(msg, dict):
        return []
    role = str(msg.get("role") or "user")
    if role == "model":
        role = "assistant"
    if role in ("developer",):
        role = "system"
    steps: list[Step] = []
    content = msg.get("content")
    if role == "tool":
        return [Step("tool", "tool_result", _text(content), name=str(msg.get("name") or ""), call_id=str(msg.get("tool_call_id") or ""))]
    if isinstance(content, list):
        for part in content:
            steps.extend(_part_steps(role, part))
    elif content not in (None, ""):
        steps.append(Step(role, "text", _text(content)))
    if msg.get("reasoning") or msg.get("reasoning_content") or msg.get("thinking"):
        steps.insert(0, Step(role, "reasoning", _text(msg.get("reasoning") or msg.get("reasoning_content") or msg.get("thinking"))))
    for image in msg.get("images") or ():
        steps.append(Step(role, "image", _image_label(image)))
    for tc in msg.get("tool_calls") or ():
        if isinstance(tc, dict):
            fn = tc.get("function")
            fn = fn if isinstance(fn, dict) else {}
            args = fn.get("arguments")
            steps.append(Step(role, "tool_call", args if isinstance(args, str) else dumps_line(args), name=str(fn.get("name") or ""), call_id=str(tc.get("id") or "")))
    # Text and images (Ollama `images`, content parts) of one message stay one message; the
    # tool calls it makes and the results it carries (Anthropic blocks) are steps of their own.
    return _group_message(steps)


def _group_message(steps: list[Step]) -> list[Step]:
    """Number the runs of text, image and reasoning parts: part 1, 2 ... continue part 0."""
    part = -1
    for step in steps:
        part = part + 1 if step.kind in _PART_KINDS and part >= 0 else (0 if step.kind in _PART_KINDS else -1)
        step.part = max(part, 0)
    return steps


_PART_KINDS = ("text", "image", "reasoning")


def _part_steps(role: str, part: Any) -> list[Step]:
    if isinstance(part, str):
        return [Step(role, "text", part)]
    if not isinstance(part, dict):
        return []
    t = part.get("type")
    if t in ("text", "input_text", "output_text") or (t is None and "text" in part):
        return [Step(role, "text", _text(part.get("text")))]
    if t in ("image_url", "image", "input_image"):
        src = part.get("image_url") or part.get("source") or part.get("url") or ""
        if isinstance(src, dict):
            src = src.get("url") or src.get("data") or src.get("media_type") or ""
        return [Step(role, "image", _image_label(src))]
    if t == "tool_use":
        return [Step("assistant", "tool_call", dumps_line(part.get("input")), name=str(part.get("name") or ""), call_id=str(part.get("id") or ""))]
    if t == "tool_result":
        return [Step("tool", "tool_result", _text(part.get("content")), call_id=str(part.get("tool_use_id") or ""))]
    if t == "thinking":
        return [Step(role, "reasoning", _text(part.get("thinking")))]
    if t == "file":
        return [Step(role, "text", f"[file {(part.get('file') or {}).get('file_id', '')}]")]
    return [Step(role, "text", f"[{t or 'part'}] " + dumps_line(part)[:200])]


def _genai_steps(content: Any) -> list[Step]:
    if not isinstance(content, dict):
        return [Step("user", "text", _text(content))] if content else []
    role = "assistant" if content.get("role") == "model" else str(content.get("role") or "user")
    steps: list[Step] = []
    for part in content.get("parts") or ():
        if not isinstance(part, dict):
            continue
        if part.get("text"):
            steps.append(Step(role, "reasoning" if part.get("thought") else "text", _text(part["text"])))
        fc = part.get("function_call") or part.get("functionCall")
        if isinstance(fc, dict):
            steps.append(Step("assistant", "tool_call", dumps_line(fc.get("args") or {}), name=str(fc.get("name") or ""), call_id=str(fc.get("id") or "")))
        fr = part.get("function_response") or part.get("functionResponse")
        if isinstance(fr, dict):
            steps.append(Step("tool", "tool_result", dumps_line(fr.get("response")), name=str(fr.get("name") or ""), call_id=str(fr.get("id") or "")))
        if part.get("inline_data") or part.get("file_data"):
            data = part.get("inline_data") or part.get("file_data")
            steps.append(Step(role, "image", _image_label((data or {}).get("mime_type") or "inline data")))
    return _group_message(steps)


def response_steps(result: Result) -> list[Step]:
    """What the response added to the conversation, marked new."""
    steps: list[Step] = []
    for choice in result.choices[:1] or ():
        role = choice.role or "assistant"
        if choice.reasoning:
            steps.append(Step(role, "reasoning", choice.reasoning, new=True))
        if choice.content:
            steps.append(Step(role, "tool_result" if role == "tool" else "text", choice.content, new=True))
        for call in choice.tool_calls:
            steps.append(Step(role, "tool_call", call.arguments, name=str(call.name or ""), call_id=str(call.id or ""), new=True))
    if result.error:
        steps.append(Step("assistant", "error", str(result.error.get("message") or result.error), new=True))
    elif not steps and result.output:
        steps.append(Step("assistant", "output", result.output, new=True))
    return steps


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for p in value:
            if isinstance(p, str):
                parts.append(p)
            elif isinstance(p, dict):
                if isinstance(p.get("text"), str):
                    parts.append(p["text"])
                elif p.get("type") in ("image_url", "image"):
                    parts.append("[image]")
                else:
                    parts.append(dumps_line(p))
        return "\n".join(parts)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    return dumps_line(value)


def _image_label(src: Any) -> str:
    s = str(src)
    if s.startswith("data:"):
        head = s.split(",", 1)[0]
        return f"[image {head[5:]} , {len(s)} chars inline]"
    return f"[image {s[:120]}]" if s else "[image]"
