"""diff --git: recordings added, removed, changed and re-recorded since a revision, in a real git repository."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import cassette_tui
from cassette_tui.gitdiff import GitError, git_changes, pair_rerecorded
from cassette_tui.hashing import request_hash
from cassette_tui.markdown_view import git_report_markdown
from cassette_tui.recording import Recording

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
AADC = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"
TURN2 = "4078aa36a9cbcb50c445a46d69fb9126952d1c85f3d413125b034730e51b6508"
RESP = "tests/integration/responses/recordings"
EMBED = "1d782697e7261920e2c21babd28d5126609fdc27c61a1d793792e713a48f6368"   # batches/recordings


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    p = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return p.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose first commit holds the demo recordings under tests/integration, then a second commit."""
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "user-cache"))
    r = tmp_path / "repo"
    shutil.copytree(DEMO, r / "tests" / "integration")
    (r / "README.md").write_text("a repo\n")
    git(r, "init", "-q", "-b", "main")
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "recordings")
    (r / "README.md").write_text("a repo, edited\n")
    git(r, "commit", "-q", "-am", "docs")
    return r


def rerecord_tool_description(repo: Path, name: str) -> str:
    """Like record-if-missing after a tool description changed: the old file goes, the new one is named by the new hash."""
    old = repo / RESP / f"{name}.json"
    data = json.loads(old.read_text())
    new = copy.deepcopy(data)
    new["request"]["body"]["tools"][2]["function"]["description"] += " Returns yes or no."
    h = request_hash(new, "v7")
    old.unlink()
    (repo / RESP / f"{h}.json").write_text(json.dumps(new, indent=2))
    return f"{RESP}/{h}.json"


def snapshot(repo: Path) -> dict[str, bytes]:
    git_dir = repo / ".git"
    return {p.relative_to(git_dir).as_posix(): p.read_bytes() for p in sorted(git_dir.rglob("*")) if p.is_file()}


def test_added_removed_changed_and_rerecorded(repo: Path) -> None:
    new_aadc = rerecord_tool_description(repo, AADC)
    new_turn2 = rerecord_tool_description(repo, TURN2)
    # a noise-only change: a chunk id (normalized away by the semantic diff)
    turn3 = repo / RESP / "8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82.json"
    d = json.loads(turn3.read_text())
    d["response"]["body"][0]["__data__"]["id"] = "rec-000000000000"
    turn3.write_text(json.dumps(d, indent=2))
    # a response change, staged
    embed = repo / "tests/integration/batches/recordings" / f"{EMBED}.json"
    e = json.loads(embed.read_text())
    e["response"]["body"]["__data__"]["usage"]["total_tokens"] = 999
    embed.write_text(json.dumps(e, indent=2))
    git(repo, "add", str(embed))
    # a recording deleted for good, and a brand-new one (untracked)
    (repo / "tests/integration/messages/recordings").joinpath(next(p.name for p in (repo / "tests/integration/messages/recordings").glob("*.json"))).unlink()
    brand_new = json.loads((repo / RESP / "25b4b134c4763373b0826bf166f76eb24417b8891db1e58085d6723547fd3a4a.json").read_text())
    brand_new["test_id"] = brand_new["test_id"].replace("test_response_streaming_multi_turn_tool_execution", "test_brand_new")
    bn = f"tests/integration/responses/recordings/{request_hash(brand_new, 'v7')}.json"
    (repo / bn).write_text(json.dumps(brand_new))
    (repo / "tests/integration/recordings/index.sqlite").write_bytes(b"not json")   # not a recording

    before = snapshot(repo)
    report = git_changes("HEAD~1", repo / "tests")
    assert snapshot(repo) == before   # nothing written into the repository, not even the index

    assert report.scope == "tests" and report.top == repo.resolve() and report.rev == "HEAD~1"
    assert report.counts() == {"re-recorded": 2, "added": 1, "removed": 1, "changed": 2}
    assert report.other_files == ["tests/integration/recordings/index.sqlite"]
    by = {(c.status, c.path): c for c in report.changes}
    r1 = by[("re-recorded", new_aadc)]
    assert r1.old_path == f"{RESP}/{AADC}.json"
    assert r1.request_paths == ["body.tools[2].function.description"] and r1.response_paths == []
    assert r1.summary == "request: body.tools[2].function.description; same response"
    r2 = by[("re-recorded", new_turn2)]
    assert r2.old_path == f"{RESP}/{TURN2}.json"   # paired with its own turn, not another of the test
    noise = by[("changed", turn3.relative_to(repo).as_posix())]
    assert noise.summary == "only noise changed (ids, timestamps, fingerprints)" and noise.diff.same
    staged = by[("changed", embed.relative_to(repo).as_posix())]
    assert staged.request_paths == [] and staged.response_paths == ["usage.total_tokens"]
    added = by[("added", bn)]
    assert added.summary == "new recording" and added.test_id == brand_new["test_id"]
    (removed,) = [c for c in report.changes if c.status == "removed"]
    assert removed.path.startswith("tests/integration/messages/recordings/") and removed.summary == "recording deleted"
    assert [c.status for c in report.changes] == ["re-recorded", "re-recorded", "changed", "changed", "added", "removed"]
    assert report.headline() == "6 recordings changed in tests since HEAD~1: 2 re-recorded, 1 added, 1 removed, 2 changed"

    md = git_report_markdown(report)
    assert md.startswith("**6 recordings changed in tests since HEAD~1: 2 re-recorded, 1 added, 1 removed, 2 changed**\n\n| change | recording | test | what changed |")
    assert f"| re-recorded | `{AADC[:12]}… → " in md
    assert "- `body.tools[2].function.description`: " in md and "Returns yes or no." in md
    assert "Other changed files: `tests/integration/recordings/index.sqlite`" in md

    j = r1.to_json()
    assert (j["status"], j["path"], j["old_path"], j["request"][0]["path"]) == ("re-recorded", new_aadc, f"{RESP}/{AADC}.json", "body.tools[2].function.description")


def test_committed_changes_and_scope(repo: Path) -> None:
    new_aadc = rerecord_tool_description(repo, AADC)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "re-record")
    assert git_changes("HEAD", repo).changes == []          # the working tree is the commit
    report = git_changes("HEAD~1", repo)
    assert [(c.status, c.path) for c in report.changes] == [("re-recorded", new_aadc)]
    assert report.scope == "."
    inner = git_changes("HEAD~1", repo / "tests/integration/inference")   # elsewhere: nothing
    assert inner.changes == [] and inner.headline() == "no recording changed in tests/integration/inference since HEAD~1"
    # the noise switch: an id-only change shows up with include_noise
    p = repo / new_aadc
    d = json.loads(p.read_text())
    d["response"]["body"][0]["__data__"]["id"] = "rec-x"
    p.write_text(json.dumps(d))
    assert git_changes("HEAD", repo).changes[0].summary == "only noise changed (ids, timestamps, fingerprints)"
    loud = git_changes("HEAD", repo, include_noise=True).changes[0]
    assert loud.response_paths == [] and loud.diff is not None
    # --all compares the raw request/response too (ids in the reassembled result are not there)
    assert loud.status == "changed"


def test_unreadable_old_or_new_side(repo: Path) -> None:
    p = repo / RESP / f"{AADC}.json"
    p.write_text('{"request": {"url"')
    (c,) = git_changes("HEAD", repo).changes
    assert c.status == "changed" and c.diff is None
    assert c.problem.startswith("now: truncated JSON")


def test_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match="unknown revision: nope"):
        git_changes("nope", repo)
    with pytest.raises(GitError, match="not a revision: --output=x"):
        git_changes("--output=x", repo)
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        git_changes("HEAD", outside)
    with pytest.raises(GitError, match="not a directory"):
        git_changes("HEAD", repo / "nope")


def test_pairing_prefers_the_closest_request() -> None:
    def rec(content: str, name: str) -> tuple[str, Recording]:
        data = {"test_id": "t.py::t", "request": {"method": "POST", "url": "http://h/v1/chat/completions", "endpoint": "/v1/chat/completions",
                                                   "body": {"model": "m", "messages": [{"role": "user", "content": c} for c in content.split()]}},
                "response": {"body": None, "is_streaming": False}}
        return name, Recording(data, name)

    removed = [rec("a b", "old1"), rec("a b c d", "old2")]
    added = [rec("a b c d e", "new2"), rec("a b x", "new1"), rec("z", "lonely")]
    added[2][1].data["test_id"] = "other.py::t"
    pairs, left_added, left_removed = pair_rerecorded(removed, added)
    assert [(o[0], n[0]) for o, n in pairs] == [("old1", "new1"), ("old2", "new2")]   # in the order of the added files' paths
    assert [a[0] for a in left_added] == ["lonely"] and left_removed == []


def test_files_the_git_index_holds_unchanged_are_not_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The working tree is hashed only where the index's stat data no longer fits (git status's
    own rule); a spy on the reader records which files were read."""
    from cassette_tui import gitdiff

    read: list[str] = []
    real = gitdiff._worktree_blob
    monkeypatch.setattr(gitdiff, "_worktree_blob", lambda top, path, *a, **k: read.append(path) or real(top, path, *a, **k))
    time.sleep(0.01)   # the index written after the files: none of them is racily clean
    git(repo, "update-index", "--really-refresh")
    assert not git_changes("HEAD", repo).changes and read == []

    edited = f"{RESP}/{AADC}.json"
    data = json.loads((repo / edited).read_text())
    data["response"]["body"][0]["__data__"]["id"] = "chatcmpl-other"
    (repo / edited).write_text(json.dumps(data, indent=2))
    added = rerecord_tool_description(repo, TURN2)
    report = git_changes("HEAD", repo)
    assert sorted(read) == sorted([edited, added, f"{RESP}/{TURN2}.json"])   # the removed one: looked for, gone
    assert {c.status for c in report.changes} == {"changed", "re-recorded"}


def test_a_file_rewritten_with_its_size_and_mtime_put_back_is_still_changed(repo: Path) -> None:
    path = repo / RESP / f"{AADC}.json"
    time.sleep(0.01)
    git(repo, "update-index", "--really-refresh")
    before = path.stat()
    raw = path.read_bytes()
    swapped = raw.replace(b'"gpt-4o"', b'"gpt-4x"', 1)
    assert swapped != raw and len(swapped) == len(raw)
    path.write_bytes(swapped)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))   # only its ctime says it was written
    (change,) = git_changes("HEAD", repo).changes
    assert change.status == "changed" and change.diff is not None and not change.diff.same
