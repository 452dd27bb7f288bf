"""One recording as a row of cells, for every face that lists recordings.

The TUI's list, `ls` and the notebook's table all take their cells from
`row_cells`, so a fact is written once (how a missing finish reads, what a
stream shows). Also here: the one-character markers and what each means, and
the shortest test labels that still tell sibling rows apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .model import Summary
from .view import Span, human_size, one_line, short_test


@dataclass(frozen=True, slots=True)
class RowColumn:
    name: str
    width: int          # preferred width on a terminal; 0 = flexible (takes what is left)
    priority: float     # higher survives longer as the width shrinks


# The TUI's list columns in order. Priorities: what tells rows apart (the test's differing
# part, the id, the model) outlives what only describes them (size, provider).
LIST_COLUMNS = (
    RowColumn("id", 12, 8),
    RowColumn("test", 0, 9),
    RowColumn("endpoint", 20, 3),
    RowColumn("model", 18, 7),
    RowColumn("provider", 9, 2),
    RowColumn("stream", 6, 5),
    RowColumn("finish", 10, 4),
    RowColumn("tool calls", 16, 6),
    RowColumn("verify", 8, 4.5),
    RowColumn("size", 7, 1),
)

# The notebook's table (`ls` names its own, with the provider).
TABLE_COLUMNS = ("id", "test", "kind", "endpoint", "model", "stream", "finish", "tool calls", "size", "problem")

# Markers in a row's marker column, strongest first (one shows); the help screen and the
# README explain them from this table.
MARKERS = (
    ("*", "marked (m); d diffs two marked recordings"),
    ("●", "changed on disk since the list showed it (live reload), until the cursor visits it"),
    ("!", "not a readable recording (bad JSON, wrong shape): the row names the problem"),
    ("✗", "a recorded error: an exception, or an HTTP 4xx/5xx response (has:error finds them all)"),
    ("⚠", "an anomaly: no finish reason, cut at length, tool arguments that are not JSON ... (has:anomaly)"),
)


def row_marker(s: Summary) -> str:
    """The file's own marker (the UI adds marked and changed): problem, error, anomaly or none."""
    if s.problem:
        return "!"
    if "error" in s.flags:
        return "✗"
    if s.anomalies:
        return "⚠"
    return ""


def _finish_cell(s: Summary) -> Span:
    answers = s.kind in ("chat", "completion")
    text = s.finish or ("-" if (answers or s.streaming) and not s.problem else "")
    return Span(one_line(text), "warn" if answers and (not s.finish or s.finish == "length") and not s.problem else "value")


def row_cells(s: Summary, names: Sequence[str], test_label: str | None = None) -> list[Span]:
    """The cells `names` of one row, one line each and inert; `test_label` replaces the test id."""
    out = []
    for name in names:
        if name == "id":
            out.append(Span(one_line(s.id[:12]), "id"))
        elif name == "test":
            out.append(Span(one_line(test_label if test_label is not None else short_test(s.test_id)), "test"))
        elif name == "kind":
            out.append(Span(s.kind, "value"))
        elif name in ("endpoint", "provider"):
            out.append(Span(one_line(getattr(s, name) or ""), "value"))
        elif name == "model":
            out.append(Span(one_line(s.model or ""), "model"))
        elif name == "stream":
            out.append(Span(str(s.chunks), "value") if s.streaming else Span("no", "dim"))
        elif name == "finish":
            out.append(_finish_cell(s))
        elif name == "tool calls":
            out.append(Span(one_line(", ".join(s.tool_calls)), "toolname"))
        elif name == "verify":
            out.append(Span(s.status or "", "status"))
        elif name == "size":
            out.append(Span(human_size(s.size), "dim"))
        elif name == "problem":
            out.append(Span(one_line(s.problem), "error") if s.problem else
                       Span(one_line("⚠ " + ",".join(s.anomalies)) if s.anomalies else "", "warn"))
        else:
            raise KeyError(name)
    return out


def test_function(test_id: str) -> tuple[str, str]:
    """`file::Class::test_x[params]` -> (`file::Class::test_x`, `params`); no brackets: (id, '')."""
    head, bracket, rest = test_id.partition("[")
    if not bracket or not rest.endswith("]"):
        return test_id, ""
    return head, rest[:-1]


class TestLabel(NamedTuple):
    text: str          # the test id without its file, the parameters siblings share folded
    distinct: bool     # its parameters tell it from a sibling (keep them when cutting)


class SiblingLabels:
    """For each test id, its name without the file and with the parameters every sibling shares folded.

    Siblings are the parametrizations of one test function: `[client_with_models-txt=openai/gpt-4o]`
    and `[openai_client-txt=openai/gpt-4o]` read `[client_with_models-…]` and `[openai_client-…]`,
    the part that tells them apart kept whole. A function's labels are worked out when one of
    its tests is first asked for (a screen of rows), not for all 50,000 tests of a large tree.
    """

    __slots__ = ("_by_function", "_labels")

    def __init__(self, test_ids: Iterable[str | None]) -> None:
        self._by_function: dict[str, set[str]] = {}
        self._labels: dict[str, TestLabel] = {}
        for test_id in set(test_ids):
            if test_id:
                self._by_function.setdefault(test_function(test_id)[0], set()).add(test_id)

    def get(self, test_id: str | None) -> TestLabel | None:
        if not test_id:
            return None
        label = self._labels.get(test_id)
        if label is None:
            ids = self._by_function.get(test_function(test_id)[0])
            if ids is None or test_id not in ids:
                return None
            self._labels.update(_function_labels(ids))
            label = self._labels[test_id]
        return label

    def __getitem__(self, test_id: str) -> TestLabel:
        label = self.get(test_id)
        if label is None:
            raise KeyError(test_id)
        return label

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._by_function.values())


def _function_labels(ids: set[str]) -> dict[str, TestLabel]:
    """The labels of one function's tests (see SiblingLabels)."""
    function = test_function(next(iter(ids)))[0]
    name = function.split("::", 1)[-1]
    params = {i: test_function(i)[1].split("-") for i in ids}
    shared = set.intersection(*(set(p) for p in params.values())) if len(ids) > 1 else set()
    labels: dict[str, TestLabel] = {}
    for test_id, parts in params.items():
        if not test_function(test_id)[1] or len(ids) == 1:
            labels[test_id] = TestLabel(test_id.split("::", 1)[-1], False)
            continue
        kept: list[str] = []
        for part in parts:
            if part in shared and len(parts) > 1:
                if not kept or kept[-1] != "…":
                    kept.append("…")
            else:
                kept.append(part)
        labels[test_id] = TestLabel(f"{name}[{'-'.join(kept)}]", True)
    return labels


def fit_test_label(label: str, width: int, keep_params: bool = True) -> str:
    """Cut a test label to `width`. With `keep_params` (they tell siblings apart) the name gives way
    first, its class before its function; else the parameters go first."""
    if len(label) <= width:
        return label
    head, params = test_function(label)
    function = head.rsplit("::", 1)[-1]
    if not params or not keep_params:
        short = f"{function}[{params}]" if params else function
        return short if len(short) <= width else short[: max(0, width - 1)] + "…"
    bracketed = f"[{params}]"
    if len(function) + len(bracketed) <= width:
        return function + bracketed
    room = width - len(bracketed) - 1   # the name's head, then "…"
    if room >= 4:
        return function[:room] + "…" + bracketed
    # The parameters alone do not fit: as much of them as fits, the name left to the detail.
    return "[" + params[: max(0, width - 2)] + "…"
