"""Many misses as a few findings: one per main cause and the place it changed.

A change that touches every request (a parameter added everywhere, the hash
algorithm) misses every test at once; a CI log of seventy such misses reads as
one finding with seventy tests, not seventy reports.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .causes import CAUSE_ORDER
from .explanation import Explanation


@dataclass
class Finding:
    code: str                       # the main cause shared by every explanation here
    path: str | None                # where it changed (generic: indices as []), when it is a change
    explanations: list[Explanation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.explanations)

    @property
    def headline(self) -> str:
        """The first explanation's main cause, as the finding's line."""
        first = self.explanations[0]
        return first.causes[0].text if first.causes else "no explanation found"

    @property
    def advice(self) -> str:
        return self.explanations[0].advice

    @property
    def tests(self) -> list[str]:
        """The tests that missed, one each, in order."""
        seen: dict[str, None] = {}
        for ex in self.explanations:
            seen.setdefault(ex.miss.test_id or "(test not named)", None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        return {
            "cause": self.code,
            "path": self.path,
            "count": self.count,
            "headline": self.headline,
            "advice": self.advice,
            "tests": self.tests,
            "misses": [ex.miss.hash for ex in self.explanations],
        }


def group_explanations(explanations: list[Explanation]) -> list[Finding]:
    """Findings, the largest first (ties in cause order, then first seen)."""
    groups: dict[tuple[str, str | None], Finding] = {}
    for ex in explanations:
        cause = ex.cause
        code = cause.code if cause else "none"
        key = (code, cause.path if cause else None)
        groups.setdefault(key, Finding(code, key[1])).explanations.append(ex)
    order = {c: i for i, c in enumerate(CAUSE_ORDER)}
    return sorted(groups.values(), key=lambda f: (-f.count, order.get(f.code, len(order))))
