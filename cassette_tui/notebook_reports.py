"""Explain and git review in a notebook: the same reports as the CLI and the TUI, as HTML.

    idx = ct.open("tests/integration")
    idx.explain(open("ci.log").read())   # or a hash, or a recording's path
    idx.review("origin/main")            # what changed since a git ref

Both return a displayable whose data stays at hand: `.explanations` and
`.findings`, or `.report` (the core GitReport) and `.changes`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .notebook import View
from .reports import explain_sections, git_report_sections

if TYPE_CHECKING:
    from .explain import Explanation, Finding
    from .gitdiff import GitChange, GitReport
    from .index import Index


class Explained(View):
    """Replay misses explained: the findings (several misses), then each miss in full."""

    def __init__(self, explanations: list[Explanation], findings: list[Finding] | None, setups: dict[str, str]):
        super().__init__(explain_sections(explanations, findings, None, setups), hint="every line: str(report)")
        self.explanations = explanations
        self.findings = findings or []

    def __repr__(self) -> str:
        return f"<Explained: {len(self.explanations)} miss{'es' if len(self.explanations) != 1 else ''}>"


class Reviewed(View):
    """What changed under the tree since a git ref: re-recorded, changed, added and removed recordings."""

    def __init__(self, report: GitReport):
        super().__init__(git_report_sections(report), hint="every line: str(review)")
        self.report = report

    @property
    def changes(self) -> list[GitChange]:
        return self.report.changes

    def __repr__(self) -> str:
        return f"<Reviewed: {self.report.headline()}>"


def explain_in(index: Index, text: str) -> Explained:
    """Explain a replay-miss log, a request hash, or a recording's path against the index's tree."""
    from .explain import HashTable, explain, group_explanations, is_hash
    from .explain.inputs import InputError, live_files_under, misses_from
    from .explain.rerecord import load_setups

    text = text.strip()
    one_line = "\n" not in text and len(text) < 4096
    # one line may name a file, a folder or a hash; anything else is the log itself
    try:
        misses = misses_from(text) if one_line and (is_hash(text) or Path(text).exists()) else misses_from("the text", text=text)
    except InputError as exc:
        misses, why = [], str(exc)
    else:
        why = "no replay-miss message found"
    if not misses:
        raise ValueError(f'{why}: expected e.g. "Recording not found for request hash: 5c1e…", a hash, or a path')
    table = HashTable(index)
    inputs = live_files_under(index.root, misses)
    explanations = [explain(m, index, table=table, exclude=inputs) for m in misses]
    findings = group_explanations(explanations) if len(explanations) > 1 else None
    return Explained(explanations, findings, load_setups(index.root))


def review_in(root: str | os.PathLike[str], rev: str, include_noise: bool = False) -> Reviewed:
    """What changed under `root` since the git ref `rev` (read-only git; nothing of the repository runs)."""
    from .gitdiff import git_changes

    return Reviewed(git_changes(rev, root, include_noise=include_noise))

