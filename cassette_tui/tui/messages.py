"""What the app's workers tell the app: each a typed message, so the App only routes them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from ..index import Change, Index
    from ..model import Summary
    from ..verify import Verdict
    from .detail import DetailContent


class IndexReady(Message):
    def __init__(self, index: Index, summaries: list[Summary]) -> None:
        super().__init__()
        self.index = index
        self.summaries = summaries


class IndexFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class IndexChanged(Message):
    def __init__(self, changes: list[Change], summaries: list[Summary]) -> None:
        super().__init__()
        self.changes = changes
        self.summaries = summaries


class DetailReady(Message):
    def __init__(self, content: DetailContent) -> None:
        super().__init__()
        self.content = content


class VerifyDone(Message):
    def __init__(self, verdicts: dict[str, Verdict]) -> None:
        super().__init__()
        self.verdicts = verdicts   # relative path -> its verify.Verdict


class ScanProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total
