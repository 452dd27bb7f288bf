"""Single (non-streamed) bodies: each provider's message object, embeddings, model lists,
tool results, rerank results and error bodies."""

from __future__ import annotations

from typing import Any

from ..model import Choice, Result
from .anthropic import anthropic_message
from .common import clip, compact, data_of, finish_checks, text_of, type_label, unknown_shape
from .genai import genai_stream, interaction
from .ollama import ollama_stream
from .openai import openai_chat_message, openai_completion_stream
from .responses import is_response_object, response_object


def single_body(body: Any, events: bool) -> Result:
    label = type_label(body)
    data = data_of(body)
    if not isinstance(data, dict):
        return Result("value", output=clip(str(data)))
    obj = data.get("object")
    if label == "ChatCompletion" or obj == "chat.completion":
        return openai_chat_message(data)
    if label == "Completion" or obj == "text_completion":
        r = openai_completion_stream([data], events)
        r.stream_format, r.events, r.chunks = "openai-completion", [], 0
        return r
    if label in ("GenerateResponse", "ChatResponse"):
        r = ollama_stream([data], events)
        r.stream_format, r.events, r.chunks = "ollama", [], 0
        return r
    if label in ("CreateEmbeddingResponse", "EmbedResponse", "EmbeddingsResponse") or "embeddings" in data or isinstance(data.get("embedding"), list) or (obj == "list" and _looks_like_embeddings(data)):
        return _embeddings(data)
    if label in ("ListResponse", "ProcessResponse"):
        models = [m.get("model") or m.get("name") for m in data.get("models") or () if isinstance(m, dict)]
        return Result("model-list", output=f"{len(models)} models" + (": " + ", ".join(map(str, models[:20])) if models else ""))
    if label.endswith("ToolInvocationResult") or (label == "" and "content" in data and "error_message" in data):
        return _tool_result(data)
    if "candidates" in data:
        r = genai_stream([data], events)
        r.stream_format, r.events, r.chunks = "genai", [], 0
        return r
    if data.get("type") == "message" and isinstance(data.get("content"), list):
        return anthropic_message(data)
    if data.get("object") == "interaction" or isinstance(data.get("outputs"), list):
        return interaction(data)
    if isinstance(data.get("results"), list):
        return _rerank(data)
    if is_response_object(data):
        r = response_object(data)
        finish_checks(r)
        return r
    if label == "ProgressResponse":   # Ollama /api/pull and /api/push
        return Result("ollama-progress", output=f"progress: {data.get('status')}")
    if "error" in data:
        err = data["error"]
        message = err.get("message") if isinstance(err, dict) else str(err)
        r = Result("error-body", output=clip(str(message)))
        r.error = {"category": "http", "message": message}
        return r
    r = Result("object", output=f"{label} object" if label else f"an object with keys {', '.join(map(str, list(data)[:8]))}")
    r.anomalies.append(unknown_shape(r.output))
    return r


def _looks_like_embeddings(data: dict) -> bool:
    items = data.get("data")
    return isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "embedding" in items[0]


def _embeddings(data: dict) -> Result:
    vectors = data.get("embeddings")
    if vectors is None and isinstance(data.get("embedding"), list):
        vectors = [data["embedding"]]  # old Ollama EmbeddingsResponse: one vector
    if vectors is None:
        vectors = [d.get("embedding") for d in data.get("data") or () if isinstance(d, dict)]
    vectors = vectors if isinstance(vectors, list) else []
    dims = len(vectors[0]) if vectors and isinstance(vectors[0], list) else (f"base64 {len(vectors[0])} chars" if vectors and isinstance(vectors[0], str) else 0)
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    return Result("embeddings", usage=usage, output=f"{len(vectors)} embedding{'s' if len(vectors) != 1 else ''} of {dims} dimensions")


def _tool_result(data: dict) -> Result:
    content = data.get("content")
    text = content if isinstance(content, str) else text_of(content) if isinstance(content, list) else compact(content)
    r = Result("tool-result", choices=[Choice(index=0, role="tool", content=text)])
    if data.get("error_message"):
        r.error = {"category": "tool", "message": data.get("error_message"), "code": data.get("error_code")}
    return r


def _rerank(data: dict) -> Result:
    results = data.get("results") or []
    tops = ", ".join(
        f"#{x.get('index')}={x.get('relevance_score', x.get('score', '?')):.3f}" if isinstance(x.get("relevance_score", x.get("score")), (int, float)) else f"#{x.get('index')}"
        for x in results[:5] if isinstance(x, dict)
    )
    return Result("rerank", usage=data.get("usage") if isinstance(data.get("usage"), dict) else None, output=f"{len(results)} ranked results: {tops}")

