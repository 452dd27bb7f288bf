"""Timelines: a recording's steps, and a test's recordings ordered into turns.

A multi-turn test records one request per model call, each carrying the whole
history so far. Ordering them by how one request's history extends another's
recovers the conversation; each turn then shows only what it added. A request
that sends the very messages of another is not a turn that continues it but a
re-recorded variant (a parameter differs), and is named so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .conversation import Step
from .model import Summary
from .recording import Recording

TURNS_LIMIT = 200                 # recordings of one test read for its timeline
TURNS_BYTES = 16 * 1024 * 1024    # and at most this much of them: a 50 MB sibling is named, not read for every turn


def turns_to_read(summaries: Iterable[Summary], keep: str | None = None) -> tuple[list[Summary], list[Summary]]:
    """Which recordings of one test to read for its timeline, in order, and which are left out as
    too large: readable ones, at most TURNS_LIMIT, within TURNS_BYTES. `keep` (a path) is always
    in, at no cost: the caller has read it already."""
    chosen: list[Summary] = []
    too_large: list[Summary] = []
    budget = TURNS_BYTES
    for s in summaries:
        if s.problem:
            continue
        if len(chosen) == TURNS_LIMIT:
            break
        if s.path == keep:
            chosen.append(s)
        elif s.size > budget:
            too_large.append(s)
        else:
            budget -= s.size
            chosen.append(s)
    return chosen, too_large


@dataclass(slots=True)
class Turn:
    number: int                   # 1-based position in the test's conversation
    recording: Recording
    steps: list[Step]             # only what is new in this turn: sent steps not seen before, then the response
    extends: int | None = None    # number of the turn whose history this one continues
    shared: int = 0               # how many leading request steps it shares with that turn (or its variant's)
    variant_of: int | None = None  # number of the turn that sent the same messages (this one differs in a parameter)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "turn": self.number,
            "id": self.recording.id,
            "path": self.recording.path,
            "endpoint": self.recording.endpoint,
            "extends": self.extends,
            "variant_of": self.variant_of,
            "shared": self.shared,
            "steps": [s.to_json() for s in self.steps],
            "notes": self.notes,
        }


def recording_timeline(rec: Recording) -> list[Step]:
    """A recording's steps with tool results named after the call they answer."""
    steps = rec.steps()
    names = {s.call_id: s.name for s in steps if s.kind == "tool_call" and s.call_id}
    for s in steps:
        if s.kind == "tool_result" and not s.name and s.call_id in names:
            s.name = names[s.call_id]
    return steps


def _keys(steps: list[Step]) -> list[tuple[str, str, str, str]]:
    return [s.key() for s in steps]


def _ids(steps: list[Step]) -> list[str]:
    return [s.call_id for s in steps]


def _common_prefix(a: list[Any], b: list[Any]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):   # the shorter one bounds the prefix
        if x != y:
            break
        n += 1
    return n


def _request_difference(a: Recording, b: Recording) -> str:
    """Where two requests with the same messages differ, in a few JSON paths."""
    from .compare import comparable_request, strip_noise, structural_diff

    changes = [c for c in structural_diff(strip_noise(comparable_request(a)), strip_noise(comparable_request(b))) if ".messages" not in c.path]
    if not changes:
        return "only ids and timestamps differ"
    paths = ", ".join(c.path for c in changes[:3])
    return paths + (f" and {len(changes) - 3} more differ" if len(changes) > 3 else (" differs" if len(changes) == 1 else " differ"))


def test_turns(recordings: list[Recording]) -> list[Turn]:
    """Order one test's recordings into turns; tool invocations follow the call that made them."""
    model_calls = [r for r in recordings if r.kind not in ("tool", "invalid", "models", "admin")]
    tool_runs = [r for r in recordings if r.kind == "tool"]
    others = [r for r in recordings if r.kind in ("invalid", "models", "admin")]

    # Shorter histories come first; among equals, one whose tool-call ids a later request
    # sends back (the live recording, not a stale twin); ties keep a stable, readable order.
    sent_ids = {s.call_id for r in model_calls for s in r.request_steps() if s.kind == "tool_call" and s.call_id}
    model_calls.sort(key=lambda r: (len(r.request_steps()), not any(isinstance(t.id, str) and t.id in sent_ids for t in r.result.tool_calls), r.path))
    turns: list[Turn] = []
    parents: dict[int, Turn] = {}     # id(turn) -> the turn it extends
    variants: dict[int, tuple[Turn, str]] = {}   # id(turn) -> the turn that sent the same messages, and what differs
    full_keys: list[list[tuple[str, str, str, str]]] = []
    full_ids: list[list[str]] = []
    sent_lists: list[list[tuple[str, str, str, str]]] = []
    for rec in model_calls:
        steps = recording_timeline(rec)
        sent = [s for s in steps if not s.new]
        sent_keys, sent_ids_here = _keys(sent), _ids(sent)
        best, best_len, best_ids = None, 0, -1
        for i, keys in enumerate(full_keys):
            n = _common_prefix(keys, sent_keys)
            # Equal histories by content: prefer the turn whose call ids this request carries.
            same_ids = _common_prefix(full_ids[i][:n], sent_ids_here[:n]) if n else 0
            if n > best_len or (n and n == best_len and same_ids > best_ids):
                best, best_len, best_ids = i, n, same_ids
        turn = Turn(0, rec, steps[best_len:], shared=best_len)
        if best is not None and sent_lists[best] == sent_keys:
            # The same messages again: a re-recorded sibling (another parameter), not a next turn.
            variants[id(turn)] = (turns[best], _request_difference(turns[best].recording, rec))
        elif best is not None:
            parents[id(turn)] = turns[best]
            if best_len < len(full_keys[best]) and best_len < len(sent_keys):
                turn.notes.append(f"history diverges after {best_len} shared steps")
        turns.append(turn)
        full_keys.append(_keys(steps))
        full_ids.append(_ids(steps))
        sent_lists.append(sent_keys)

    # Tool invocations slot in after the turn whose response called that tool.
    for rec in tool_runs:
        name = str(rec.request.get("tool_name") or "")
        steps = recording_timeline(rec)
        turn = Turn(0, rec, [Step("tool", "tool_call", steps[0].text if steps else "", name=name)]
                    + [Step("tool", "tool_result", s.text, name=name, new=True) for s in steps if s.new])
        pos = next(
            (i + 1 for i in range(len(turns) - 1, -1, -1) if any(s.kind == "tool_call" and s.new and s.name == name for s in turns[i].steps)),
            len(turns),
        )
        turns.insert(pos, turn)
    turns.extend(Turn(0, rec, recording_timeline(rec)) for rec in others)
    for number, turn in enumerate(turns, 1):
        turn.number = number
    for turn in turns:
        parent = parents.get(id(turn))
        turn.extends = parent.number if parent else None
        if id(turn) in variants:
            sibling, difference = variants[id(turn)]
            turn.variant_of = sibling.number
            turn.notes.insert(0, f"variant of turn {sibling.number}: {difference} (the same messages sent)")
    return turns
