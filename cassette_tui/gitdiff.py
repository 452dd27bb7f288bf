"""Recordings changed between a git revision and the working tree, paired and diffed semantically.

`git_changes(rev, directory)` lists the recording files (`*.json`) under
`directory` that were added, removed or changed since `rev` (committed, staged,
unstaged and untracked changes alike), reads the old versions with one
`git cat-file --batch`, and pairs a removed file with an added one of the same
test id and endpoint as "re-recorded" (a request that changed gets a new
hash, hence a new file name). Each entry carries its semantic diff
(compare.diff_recordings: requests and reassembled responses, noise ignored).

The repository is a stranger's: its configuration must never make us run a
command. So git never reads the working tree's content here: `git diff REV`
would, for a file whose stat data is dirty, pass it through the clean filter
(or `filter.<x>.process`) that `.gitattributes` + `.git/config` name, and
those cannot be switched off wholesale (`-c filter.<x>.clean=` needs every
name). Instead the old side is listed with `git ls-tree` (blob ids, sizes),
the current one with `git ls-files` (names only), and each working-tree file
is hashed here as git would hash it unfiltered, but for a file the git index
holds as it was at `rev` and whose stat data (size, mtime, ctime, inode) is still
what the index recorded: that one is unchanged, unread (on 10,000 files, reading
and hashing every one was most of the command). Every call also turns off
fsmonitor, hooks, external diff, lazy fetching and pagers, and runs with a
cleaned environment (`_git_env`). Only reading commands run (`rev-parse`,
`ls-tree`, `ls-files`, `cat-file`), optional locks off: nothing is written
into the repository.

Pure: no Textual, no Rich; markdown_view draws a report for a pull request,
reports.git_report_sections for the other faces. About 490 lines: the git
plumbing and the rules that keep it from running anything stay in one place.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import RecordingDiff, diff_recordings
from .recording import MAX_FILE_BYTES, Recording

GIT_TIMEOUT = 60


class GitError(Exception):
    """git is missing, DIR is not in a repository, REV is unknown, or git failed."""


# Configuration that could make a reading git command run something, pinned off
# whatever the repository's .git/config says (`-c` wins over every config file).
_SAFE_CONFIG = (
    "core.fsmonitor=false",        # a command git runs before looking at the work tree
    "core.hooksPath=/dev/null",    # no hook runs (none should for reading commands, but never)
    "core.untrackedCache=false",
    "core.quotepath=off",
    "core.pager=cat",
    "diff.external=",
    "protocol.allow=never",        # a partial clone would fetch a missing object (ssh, remote helpers)
)


def _git_env() -> dict[str, str]:
    """The environment without any GIT_* variable (GIT_DIR, GIT_EXEC_PATH, GIT_SSH_COMMAND,
    GIT_EXTERNAL_DIFF, GIT_CONFIG_PARAMETERS …) and without the system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("PAGER", "LESSOPEN", "LESSCLOSE")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_OPTIONAL_LOCKS"] = "0"      # no command may refresh (write) the index
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_NO_LAZY_FETCH"] = "1"       # git >= 2.44: never fetch a missing object
    env["GIT_LITERAL_PATHSPECS"] = "1"   # a folder named `a*` is that folder, not a glob
    env.setdefault("LC_ALL", "C")
    return env


def _git_command(args: list[str]) -> list[str]:
    cmd = ["git", "--no-pager"]
    for item in _SAFE_CONFIG:
        cmd += ["-c", item]
    return [*cmd, *args]


def _git(args: list[str], cwd: Path, *, binary: bool = False, stdin: bytes | None = None) -> Any:
    try:
        p = subprocess.run(_git_command(args), cwd=cwd, env=_git_env(), input=stdin, capture_output=True, timeout=GIT_TIMEOUT, check=False)
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

    def headline(self, show: Any = str) -> str:
        """One line of counts; `show` formats the scope and the revision (Markdown quotes them)."""
        c = self.counts()
        total = sum(c.values())
        if not total:
            return f"no recording changed in {show(self.scope)} since {show(self.rev)}"
        return f"{total} recording{'s' if total != 1 else ''} changed in {show(self.scope)} since {show(self.rev)}: " + ", ".join(f"{n} {k}" for k, n in c.items() if n)

    def to_json(self) -> dict[str, Any]:
        return {"rev": self.rev, "top": str(self.top), "scope": self.scope, "counts": self.counts(), "other_files": self.other_files}


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

    old_side = _tree_blobs(rev, scope, top)
    new_side = _worktree_paths(scope, top)
    algorithm = _object_format(top)
    clean = _index_clean(scope, top, old_side)
    entries: list[tuple[str, str]] = [("D", p) for p in old_side if p not in new_side]
    current: dict[str, bytes | None] = {}
    for path in new_side:
        if path in clean and _stat_matches(top, path, clean[path]):
            continue                  # the same file the git index holds, as at REV: not read
        now = _worktree_blob(top, path, algorithm, keep=path.endswith(".json"))
        if now is None:               # gone since listing, a FIFO, beyond a symbolic link
            if path in old_side:
                entries.append(("D", path))
            continue
        oid, raw = now
        if path not in old_side:
            entries.append(("A", path))
        elif old_side[path] != oid:
            entries.append(("M", path))
        else:
            continue
        current[path] = raw

    old_raw = _cat_blobs([old_side[p] for s_, p in entries if s_ in ("D", "M") and p.endswith(".json")], top)
    added: list[tuple[str, Recording]] = []
    removed: list[tuple[str, Recording]] = []
    for status, path in sorted(set(entries), key=lambda e: e[1]):
        if not path.endswith(".json"):
            report.other_files.append(path)
            continue
        if status == "A":
            added.append((path, _now(top, path, current[path])))
        elif status == "D":
            removed.append((path, _old(rev, path, old_raw.get(old_side[path]))))
        else:
            old, new = _old(rev, path, old_raw.get(old_side[path])), _now(top, path, current[path])
            report.changes.append(_change("changed", path, path, old, new, include_noise))

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


def _safe_rel(path: str) -> bool:
    """A path git listed that stays inside the work tree (a crafted tree object may hold `..`)."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and ".." not in parts and "" not in parts and ".git" not in parts


def _tree_blobs(rev: str, scope: str, top: Path) -> dict[str, str]:
    """path -> blob id of every file under `scope` at `rev` (submodules and the like left out)."""
    out = {}
    for line in _git(["ls-tree", "-r", "-z", "--full-tree", rev, "--", scope], top).split("\0"):
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and _safe_rel(path):
            out[path] = fields[2]
    return out


def _worktree_paths(scope: str, top: Path) -> set[str]:
    """Files under `scope` git would compare: tracked (in the index) or untracked and not ignored."""
    raw = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", scope], top)
    return {p for p in raw.split("\0") if _safe_rel(p)}


_U32 = 0xFFFFFFFF


def _index_clean(scope: str, top: Path, old_side: dict[str, str]) -> dict[str, tuple[int, int, int, int]]:
    """path -> (mtime ns, ctime ns, inode, size) as the git index recorded them, for the files
    under `scope` whose index entry is the blob they had at REV: when the file's own stat
    still says the same, it is unchanged since REV, and reading it would only say so (what
    `git status` trusts too). A file written in the index's last instant ("racily clean":
    its mtime not before the index file's) is left out, as git leaves it out, and so is a
    path git had to quote (read and hashed as before)."""
    try:
        index_file = _git(["rev-parse", "--git-path", "index"], top).strip()
        index_mtime = os.stat(os.path.join(top, index_file)).st_mtime_ns
        raw = _git(["ls-files", "-s", "--debug", "--", scope], top)
    except (GitError, OSError):
        return {}
    out: dict[str, tuple[int, int, int, int]] = {}
    path: str | None = None
    stamps: dict[str, str] = {}
    for line in raw.split("\n"):
        if not line.startswith(" "):
            meta, _, name = line.partition("\t")
            fields = meta.split()
            ok = len(fields) == 3 and fields[0] in ("100644", "100755") and fields[2] == "0" and not name.startswith('"')
            path = name if ok and old_side.get(name) == fields[1] else None
            stamps = {}
            continue
        if path is None:
            continue
        for item in line.strip().split("\t"):
            key, _, value = item.partition(": ")
            stamps[key] = value
        if "size" in stamps:
            try:
                mtime = _ns(stamps["mtime"])
                entry = (mtime, _ns(stamps["ctime"]), int(stamps["ino"]), int(stamps["size"]))
            except (KeyError, ValueError):
                path = None
                continue
            if mtime < index_mtime:
                out[path] = entry
            path = None
    return out


def _ns(value: str) -> int:
    seconds, _, nanos = value.partition(":")
    return int(seconds) * 1_000_000_000 + int(nanos)


def _stat_matches(top: Path, path: str, entry: tuple[int, int, int, int]) -> bool:
    """Whether the working-tree file still has the stat data the index recorded (git keeps 32 bits of each)."""
    try:
        st = os.lstat(os.path.join(top, path))
    except OSError:
        return False
    mtime, ctime, ino, size = entry
    return (stat.S_ISREG(st.st_mode) and st.st_mtime_ns == mtime and st.st_ctime_ns == ctime
            and st.st_ino & _U32 == ino & _U32 and st.st_size & _U32 == size & _U32)


def _object_format(top: Path) -> str:
    try:
        return _git(["rev-parse", "--show-object-format"], top).strip() or "sha1"
    except GitError:  # a git too old to ask only knows sha1
        return "sha1"


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _worktree_blob(top: Path, path: str, algorithm: str, *, keep: bool) -> tuple[str, bytes | None] | None:
    """The git blob id of the working-tree file as git would store it unfiltered, and its bytes if `keep`.

    None when there is no regular file or symbolic link there, or a folder on the
    way is a symbolic link (git does not look beyond one either). A symbolic link's
    blob is its target, as git stores it; it is never followed.
    """
    full = os.path.join(top, path)
    parent = os.path.dirname(full)
    if os.path.realpath(parent) != os.path.normpath(parent):
        return None
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            target = os.fsencode(os.readlink(full))
            return _blob_id(target, algorithm), None
        if not stat.S_ISREG(st.st_mode):
            return None
        fd = os.open(full, _READ | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):   # swapped for a FIFO since the lstat
            return None
        if keep and st.st_size <= MAX_FILE_BYTES:
            raw = f.read()
            return _blob_id(raw, algorithm), raw
        h = hashlib.new(algorithm)
        h.update(b"blob %d\0" % st.st_size)   # the size fstat gave: a file still being written just differs
        while chunk := f.read(1 << 20):
            h.update(chunk)
        return h.hexdigest(), None


def _blob_id(raw: bytes, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    h.update(b"blob %d\0" % len(raw))
    h.update(raw)
    return h.hexdigest()


def _cat_blobs(oids: list[str], top: Path) -> dict[str, bytes]:
    """The raw content of each blob, all through one `git cat-file --batch` (no filter, no textconv)."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = _git(["cat-file", "--batch"], top, binary=True, stdin="".join(o + "\n" for o in wanted).encode())
    blobs: dict[str, bytes] = {}
    at = 0
    while at < len(out):
        eol = out.find(b"\n", at)
        if eol < 0:
            break
        header = out[at:eol].split()
        at = eol + 1
        if len(header) != 3:      # `<oid> missing`
            continue
        size = int(header[2])
        blobs[header[0].decode()] = out[at:at + size]
        at += size + 1            # the content, then a newline
    return blobs


def _old(rev: str, path: str, raw: bytes | None) -> Recording:
    if raw is None:
        return Recording(None, path, problem=f"cannot read {path} at {rev}: the object is missing")
    return Recording.from_bytes(raw, path)


def _now(top: Path, path: str, raw: bytes | None) -> Recording:
    full = os.fspath(top / path)
    if raw is None:
        return Recording(None, full, problem="a symbolic link or a file too large to read: not read")
    return Recording.from_bytes(raw, full)


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
    from .compare import comparable_request, strip_noise, structural_diff

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
