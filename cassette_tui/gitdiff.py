"""Recordings changed between a git revision and the working tree, paired and diffed semantically.

`git_changes(rev, directory)` lists the recording files (`*.json`) under
`directory` that were added, removed or changed since `rev` (committed, staged,
unstaged and untracked changes alike), reads the old versions with
`git show REV:path`, and pairs a removed file with an added one of the same
test id and endpoint as "re-recorded" (a request that changed gets a new
hash, hence a new file name). Each entry carries its semantic diff
(diff.diff_recordings: requests and reassembled responses, noise ignored).

Only reading git commands run (`rev-parse`, `diff`, `ls-files`, `show`), with
optional locks off: nothing is ever written into the repository.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diff import RecordingDiff, describe_value, diff_recordings, string_window
from .recording import Recording
from .view import short_test

GIT_TIMEOUT = 60


class GitError(Exception):
    """git is missing, DIR is not in a repository, REV is unknown, or git failed."""


def _git(args: list[str], cwd: Path, *, binary: bool = False) -> Any:
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"        # `git diff` must not refresh (write) the index
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.setdefault("LC_ALL", "C")
    cmd = ["git", "-c", "core.quotepath=off", "--no-pager", *args]
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from None
    if p.returncode != 0:
        message = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed with status {p.returncode}")
    return p.stdout if binary else p.stdout.decode("utf-8", "surrogateescape")


@dataclass
class GitChange:
    status: str                       # added | removed | changed | re-recorded
    path: str                         # the file now (for removed: the file that was), from the repository's top
    old_path: str | None = None       # re-recorded: the removed file; changed: the same path
    test_id: str | None = None
    endpoint: str | None = None
    model: str | None = None
    diff: RecordingDiff | None = None
    problem: str | None = None        # a side that could not be read as a recording

    @property
    def request_paths(self) -> list[str]:
        return [c.path for c in self.diff.request] if self.diff else []

    @property
    def response_paths(self) -> list[str]:
        return [c.path for c in self.diff.response] if self.diff else []

    @property
    def summary(self) -> str:
        """One line: what changed, in words."""
        if self.problem:
            return self.problem
        if self.status == "added":
            return "new recording"
        if self.status == "removed":
            return "recording deleted"
        if self.diff is None:
            return ""
        if self.diff.same:
            return "only noise changed (ids, timestamps, fingerprints)" if self.status == "changed" else "same request and response, new name (hash algorithm or test id change?)"
        parts = []
        if self.diff.request:
            parts.append("request: " + _paths(self.request_paths))
        else:
            parts.append("same request")
        if self.diff.response:
            parts.append("response: " + _paths(self.response_paths))
        else:
            parts.append("same response")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "path": self.path,
            "old_path": self.old_path,
            "test_id": self.test_id,
            "endpoint": self.endpoint,
            "model": self.model,
            "summary": self.summary,
            "problem": self.problem,
            "request": [c.to_json() for c in self.diff.request] if self.diff else [],
            "response": [c.to_json() for c in self.diff.response] if self.diff else [],
        }


def _paths(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


@dataclass
class GitReport:
    rev: str
    top: Path                         # the repository's top folder
    scope: str                        # the folder compared, from the top ('.' for all)
    changes: list[GitChange] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)   # changed files that are not recordings (index.sqlite ...)

    def counts(self) -> dict[str, int]:
        out = {"re-recorded": 0, "added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.status] += 1
        return out

    def headline(self) -> str:
        c = self.counts()
        total = sum(c.values())
        if not total:
            return f"no recording changed in {self.scope} since {self.rev}"
        return f"{total} recording{'s' if total != 1 else ''} changed in {self.scope} since {self.rev}: " + ", ".join(f"{n} {k}" for k, n in c.items() if n)

    def to_json(self) -> dict[str, Any]:
        return {"rev": self.rev, "top": str(self.top), "scope": self.scope, "counts": self.counts(), "other_files": self.other_files}

    def markdown(self, values: bool = True) -> str:
        """A summary for a pull request: a table, then what changed in each request."""
        lines = [f"**{self.headline()}**", ""]
        if not self.changes:
            return "\n".join(lines)
        lines += ["| change | recording | test | what changed |", "|---|---|---|---|"]
        for c in self.changes:
            name = posixpath.basename(c.path)
            shown = name if len(name) <= 24 else name[:16] + "…" + name[-8:]
            if c.old_path and c.old_path != c.path:
                old = posixpath.basename(c.old_path)
                shown = f"{old[:12]}… → {shown}"
            lines.append(f"| {c.status} | `{_md(shown)}` | {_md(short_test(c.test_id))} | {_md(c.summary)} |")
        if values:
            detailed = [c for c in self.changes if c.diff and c.diff.request]
            for c in detailed:
                lines += ["", f"<details><summary>{_md(c.status)} <code>{_md(posixpath.basename(c.path))}</code>: request changes</summary>", ""]
                for ch in c.diff.request[:20]:  # type: ignore[union-attr]
                    a, b = string_window(ch.a, ch.b, 60) if isinstance(ch.a, str) and isinstance(ch.b, str) else (ch.a, ch.b)
                    lines.append(f"- `{_md(ch.path)}`: {_md(describe_value(a, 90))} → {_md(describe_value(b, 90))}")
                lines += ["", "</details>"]
        if self.other_files:
            lines += ["", "Other changed files: " + ", ".join(f"`{_md(p)}`" for p in self.other_files)]
        return "\n".join(lines)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def repository_top(directory: Path) -> Path:
    out = _git(["rev-parse", "--show-toplevel"], directory).strip()
    if not out:
        raise GitError(f"not inside a git work tree: {directory}")
    return Path(out)


def git_changes(rev: str, directory: str | os.PathLike[str] = ".", *, include_noise: bool = False) -> GitReport:
    """Recordings added, removed and changed under `directory` between `rev` and the working tree."""
    d = Path(directory)
    if not d.is_dir():
        raise GitError(f"not a directory: {directory}")
    if rev.startswith("-"):
        raise GitError(f"not a revision: {rev}")
    top = repository_top(d).resolve()
    try:
        scope = d.resolve().relative_to(top).as_posix()
    except ValueError:
        raise GitError(f"{directory} is not inside the repository at {top}") from None
    scope = scope or "."
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top)
    except GitError:
        raise GitError(f"unknown revision: {rev}") from None
    report = GitReport(rev, top, scope)

    raw = _git(["diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", rev, "--", scope], top)
    fields = raw.split("\0")
    entries: list[tuple[str, str]] = []
    k = 0
    while k + 1 < len(fields):
        status, path = fields[k], fields[k + 1]
        entries.append((status[:1], path))
        k += 2
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", scope], top)
    entries += [("A", p) for p in untracked.split("\0") if p]

    added: list[tuple[str, Recording]] = []
    removed: list[tuple[str, Recording]] = []
    for status, path in sorted(set(entries), key=lambda e: e[1]):
        if not path.endswith(".json"):
            report.other_files.append(path)
            continue
        if status == "A":
            added.append((path, Recording.load(top / path)))
        elif status == "D":
            removed.append((path, _old(rev, path, top)))
        elif status in ("M", "T"):
            old, new = _old(rev, path, top), Recording.load(top / path)
            report.changes.append(_change("changed", path, path, old, new, include_noise))
        else:  # U (unmerged) and the like: show what is there now
            report.changes.append(_change("changed", path, path, _old(rev, path, top), Recording.load(top / path), include_noise))

    pairs, added_left, removed_left = pair_rerecorded(removed, added)
    for (old_path, old), (new_path, new) in pairs:
        report.changes.append(_change("re-recorded", new_path, old_path, old, new, include_noise))
    for path, rec in added_left:
        report.changes.append(_single("added", path, rec))
    for path, rec in removed_left:
        report.changes.append(_single("removed", path, rec))
    order = {"re-recorded": 0, "changed": 1, "added": 2, "removed": 3}
    report.changes.sort(key=lambda c: (order[c.status], c.test_id or "", c.path))
    return report


def _old(rev: str, path: str, top: Path) -> Recording:
    try:
        raw = _git(["show", f"{rev}:{path}"], top, binary=True)
    except GitError as exc:
        return Recording(None, path, problem=f"cannot read {path} at {rev}: {exc}")
    return Recording.from_bytes(raw, path)


def _key(rec: Recording) -> tuple[Any, ...] | None:
    if rec.problem:
        return None
    if rec.test_id:
        return (rec.test_id, rec.endpoint)
    return (None, rec.endpoint, rec.model)


def pair_rerecorded(removed: list[tuple[str, Recording]], added: list[tuple[str, Recording]]) -> tuple[list[tuple[tuple[str, Recording], tuple[str, Recording]]], list[tuple[str, Recording]], list[tuple[str, Recording]]]:
    """Pair removed and added files of the same test id and endpoint, closest requests first.

    Returns (pairs of (removed, added)), the added left alone, the removed left alone.
    """
    from .diff import comparable_request, strip_noise, structural_diff

    by_key: dict[Any, tuple[list[int], list[int]]] = {}
    for i, (_, rec) in enumerate(removed):
        key = _key(rec)
        if key is not None:
            by_key.setdefault(key, ([], []))[0].append(i)
    for j, (_, rec) in enumerate(added):
        key = _key(rec)
        if key is not None and key in by_key:
            by_key[key][1].append(j)
    used_r: set[int] = set()
    used_a: set[int] = set()
    pairs = []
    for rs, as_ in by_key.values():
        if not rs or not as_:
            continue
        scored = []
        for i in rs:
            ra = strip_noise(comparable_request(removed[i][1]))
            for j in as_:
                rb = strip_noise(comparable_request(added[j][1]))
                scored.append((len(structural_diff(ra, rb, limit=200)), removed[i][0], added[j][0], i, j))
        for _, _, _, i, j in sorted(scored):
            if i in used_r or j in used_a:
                continue
            used_r.add(i)
            used_a.add(j)
            pairs.append((removed[i], added[j]))
    pairs.sort(key=lambda p: p[1][0])
    return (
        pairs,
        [a for j, a in enumerate(added) if j not in used_a],
        [r for i, r in enumerate(removed) if i not in used_r],
    )


def _change(status: str, path: str, old_path: str, old: Recording, new: Recording, include_noise: bool) -> GitChange:
    ref = new if not new.problem else old
    c = GitChange(status, path, old_path, ref.test_id, ref.endpoint, ref.model)
    if old.problem or new.problem:
        c.problem = "; ".join(f"{side}: {r.problem}" for side, r in (("before", old), ("now", new)) if r.problem)
        return c
    c.diff = diff_recordings(old, new, include_noise=include_noise)
    return c


def _single(status: str, path: str, rec: Recording) -> GitChange:
    return GitChange(status, path, None, rec.test_id, rec.endpoint, rec.model, problem=rec.problem and f"{rec.problem}")
