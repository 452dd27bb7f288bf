"""Finish reasons: each provider's own words, and the one normalized word queries use.

Kept raw everywhere they are shown in full; the normalized word (stop, length,
tool_calls, content_filter, error, other) is what `finish:`, the list's column and
the anomalies use, so `finish:tool_calls` finds Anthropic's `tool_use` and
`finish:length` finds Gemini's `MAX_TOKENS`.
"""

from __future__ import annotations

from collections.abc import Iterable

NORMALIZED = ("stop", "length", "tool_calls", "content_filter", "error", "other")

_WORDS = {
    # OpenAI chat / completions, Ollama done_reason, vLLM, TGI
    "stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
    "content_filter": "content_filter", "eos_token": "stop", "eos": "stop", "stop_sequence": "stop",
    # Anthropic stop_reason
    "end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls", "pause_turn": "other",
    "refusal": "content_filter", "model_context_window_exceeded": "length",
    # Gemini / genai finish_reason (also as 'FinishReason.STOP')
    "max_tokens_reached": "length", "safety": "content_filter", "recitation": "content_filter",
    "blocklist": "content_filter", "prohibited_content": "content_filter", "spii": "content_filter",
    "image_safety": "content_filter", "malformed_function_call": "error", "unexpected_tool_call": "error",
    "finish_reason_unspecified": "other",
    # Responses API and Gemini interactions status
    "completed": "stop", "incomplete": "length", "max_output_tokens": "length", "requires_action": "tool_calls",
    "failed": "error", "cancelled": "other", "error": "error",
}

# When choices end differently, the one a reader must see first (the list shows one word).
_PRIORITY = ("length", "content_filter", "error", "tool_calls", "other", "stop")


def normalize_finish(raw: object) -> str | None:
    """One of NORMALIZED for a provider's finish reason, or None when there is none."""
    if raw is None or raw == "":
        return None
    word = str(raw).rsplit(".", 1)[-1].strip().lower()   # 'FinishReason.MAX_TOKENS' -> 'max_tokens'
    return _WORDS.get(word, "other")


def normalize_choice_finish(raw: object, called_tools: bool) -> str | None:
    """A choice's normalized finish: Gemini's STOP and Ollama's stop end a turn that calls
    tools too, so a stop whose choice called tools is tool_calls, as OpenAI and Anthropic say it."""
    norm = normalize_finish(raw)
    return "tool_calls" if norm == "stop" and called_tools else norm


def most_telling(raws: Iterable[object]) -> tuple[object, str | None]:
    """Of several choices' raw finish reasons, the one to show and its normalized word."""
    best: tuple[object, str | None] = (None, None)
    rank = len(_PRIORITY)
    for raw in raws:
        norm = normalize_finish(raw)
        if norm is None:
            continue
        r = _PRIORITY.index(norm)
        if r < rank:
            best, rank = (raw, norm), r
    return best
