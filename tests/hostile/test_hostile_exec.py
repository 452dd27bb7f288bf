"""Opening a stranger's tree never runs its code: planted modules, git configuration and hooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.testing import settle

DEMO = Path(__file__).resolve().parents[2] / "cassette_tui" / "demo"
GPT4O = "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96"

# Modules the verify child imports (or could): each, if ever imported from the tree, leaves a marker.
PLANTED = ("argparse.py", "orjson.py", "json.py", "rich.py", "textual.py", "site.py", "sitecustomize.py", "usercustomize.py", "cassette_tui/__init__.py", "cassette_tui/__main__.py", "cassette_tui/cli.py")


def plant_modules(root: Path, markers: Path) -> None:
    for rel in PLANTED:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        marker = markers / rel.replace("/", "_")
        target.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")


def demo_tree(tmp_path: Path) -> Path:
    root = tmp_path / "recordings"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
    return root


async def test_the_verify_child_never_imports_modules_planted_in_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = demo_tree(tmp_path)
    markers = tmp_path / "markers"
    markers.mkdir()
    plant_modules(root, markers)
    # The statuses must come from the child: no quiet fallback to hashing in a thread.
    monkeypatch.setattr(CassetteApp, "_verify_in_thread", lambda self: None)
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        statuses = {s.path: s.status for s in app.all_summaries}
    assert sorted(p.name for p in markers.iterdir()) == []
    assert not [p for p in root.rglob("__pycache__")]
    assert not [p for p in root.rglob("*.pyc")]
    assert statuses[f"responses/recordings/{GPT4O}.json"] == "ok"
    assert statuses["recordings/responses/84cab42e1f5c.json"] == "stale"


def test_the_child_command_is_isolated_and_starts_outside_any_tree() -> None:
    from cassette_tui.child import cli_command, safe_cwd

    argv = cli_command("verify", "/some/tree", "--json")
    assert "-I" in argv[1:4] and "-B" in argv[1:4] and "-m" not in argv
    assert safe_cwd() == "/"


# --- git: a repository configured to run commands -------------------------------------

AADC_PATH = f"tests/integration/responses/recordings/{GPT4O}.json"
EMBED_PATH = "tests/integration/batches/recordings/1d782697e7261920e2c21babd28d5126609fdc27c61a1d793792e713a48f6368.json"
HOOKS = ("post-checkout", "post-commit", "pre-commit", "post-index-change", "reference-transaction", "fsmonitor-watchman", "pre-auto-gc", "post-rewrite")


def _git(repo: Path, *args: str) -> None:
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def _script(path: Path, marker: Path, tail: str) -> str:
    path.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {str(marker)!r}\n{tail}\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def hostile_repo(tmp_path: Path) -> tuple[Path, Path]:
    """The demo set committed, then changed (one changed, one re-recorded, one deleted, one added),
    in a repository whose configuration, attributes, hooks and environment all name marker-writing commands."""
    import copy
    import json
    import os
    import time

    from cassette_tui.hashing import request_hash

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(DEMO, repo / "tests" / "integration", ignore=shutil.ignore_patterns("*.md"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "recordings")

    marker = tmp_path / "ran.log"
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    cat = _script(bin_ / "filter", marker, 'cat')
    conv = _script(bin_ / "textconv", marker, 'cat "$1"')
    fail = _script(bin_ / "cmd", marker, "exit 1")
    (repo / ".gitattributes").write_text("*.json diff=evil filter=evil merge=evil\n* filter=evil\n")
    with open(repo / ".git" / "config", "a") as f:
        f.write(f"""[core]
\tfsmonitor = {fail}
\tpager = {fail}
\tsshCommand = {fail}
\taskPass = {fail}
\talternateRefsCommand = {fail}
[diff]
\texternal = {fail}
[diff "evil"]
\ttextconv = {conv}
\tcommand = {fail}
[filter "evil"]
\tclean = {cat}
\tsmudge = {cat}
\tprocess = {fail}
\trequired = true
[merge "evil"]
\tdriver = {fail}
[pager]
\tdiff = {fail}
\tls-files = {fail}
[gpg]
\tprogram = {fail}
""")
    for hook in HOOKS:
        _script(repo / ".git" / "hooks" / hook, marker, "exit 1")

    # The changes since HEAD.
    rec = repo / "tests/integration"
    changed = repo / EMBED_PATH
    data = json.loads(changed.read_text())
    data["response"]["body"]["__data__"]["usage"]["total_tokens"] = 999
    changed.write_text(json.dumps(data, indent=2))
    old = repo / AADC_PATH
    new = copy.deepcopy(json.loads(old.read_text()))
    new["request"]["body"]["tools"][2]["function"]["description"] += " Returns yes or no."
    old.unlink()
    (old.parent / f"{request_hash(new, 'v7')}.json").write_text(json.dumps(new, indent=2))
    gone = sorted((rec / "messages" / "recordings").glob("*.json"))[0]
    gone.unlink()
    brand_new = copy.deepcopy(new)
    brand_new["test_id"] = "tests/integration/test_x.py::test_brand_new"
    (old.parent / f"{request_hash(brand_new, 'v7')}.json").write_text(json.dumps(brand_new))
    # Every other file's stat data dirty, so `git diff` would have to re-read (clean) it.
    later = time.time() + 5
    for p in rec.rglob("*.json"):
        os.utime(p, (later, later))
    return repo, marker


def _hostile_git_env(repo: Path, marker: Path) -> dict[str, str]:
    import os

    fail = str(marker.parent / "bin" / "cmd")
    return dict(os.environ, GIT_EXTERNAL_DIFF=fail, GIT_PAGER=fail, PAGER=fail, GIT_SSH_COMMAND=fail, GIT_EDITOR=fail,
                GIT_CONFIG_PARAMETERS=f"'core.fsmonitor={fail}'", GIT_DIR=str(repo / "nope"), GIT_EXEC_PATH=str(marker.parent / "bin"))


def _assert_the_review_is_right(counts: dict[str, int]) -> None:
    assert counts == {"re-recorded": 1, "added": 1, "removed": 1, "changed": 1}


def test_git_changes_runs_nothing_the_repository_configures(hostile_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from cassette_tui.gitdiff import git_changes

    repo, marker = hostile_repo
    for k, v in _hostile_git_env(repo, marker).items():
        monkeypatch.setenv(k, v)
    report = git_changes("HEAD", repo / "tests")
    assert not marker.exists(), marker.read_text()
    _assert_the_review_is_right(report.counts())
    (rerecorded,) = [c for c in report.changes if c.status == "re-recorded"]
    assert rerecorded.old_path == AADC_PATH and rerecorded.request_paths == ["body.tools[2].function.description"]
    (changed,) = [c for c in report.changes if c.status == "changed"]
    assert changed.path == EMBED_PATH and changed.response_paths == ["usage.total_tokens"]
    (added,) = [c for c in report.changes if c.status == "added"]
    assert added.test_id == "tests/integration/test_x.py::test_brand_new"


def test_diff_git_cli_runs_nothing_the_repository_configures(hostile_repo) -> None:
    import json
    import subprocess
    import sys

    repo, marker = hostile_repo
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "diff", "--git", "HEAD", str(repo), "--json"], cwd=repo.parent,
                       env=_hostile_git_env(repo, marker), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert not marker.exists(), marker.read_text()
    counts = {"re-recorded": 0, "added": 0, "removed": 0, "changed": 0}
    for line in p.stdout.splitlines():
        counts[json.loads(line)["status"]] += 1
    _assert_the_review_is_right(counts)


async def test_the_tui_git_review_runs_nothing_the_repository_configures(hostile_repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from cassette_tui.tui.lines_view import LinesView
    from cassette_tui.tui.report_screens import GitReviewScreen

    repo, marker = hostile_repo
    for k, v in _hostile_git_env(repo, marker).items():
        monkeypatch.setenv(k, v)
    app = CassetteApp(repo / "tests", watch=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, GitReviewScreen)
        text = app.screen.query_one(LinesView).plain_text()
    assert not marker.exists(), marker.read_text()
    assert "1 re-recorded, 1 added, 1 removed, 1 changed" in text


async def test_the_verify_status_arrives_for_a_file_name_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    root = demo_tree(tmp_path)
    src = root / "responses" / "recordings" / f"{GPT4O}.json"
    odd = os.path.join(os.fsencode(src.parent), b"\xff-" + os.fsencode(src.name))
    os.rename(src, odd)
    monkeypatch.setattr(CassetteApp, "_verify_in_thread", lambda self: None)
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        statuses = {s.path: s.status for s in app.all_summaries}
    name = "responses/recordings/" + os.fsdecode(b"\xff-" + os.fsencode(src.name))
    from cassette_tui.index import Index
    from cassette_tui.verify import verify_index

    expected = verify_index(Index(root).scan()).verdicts[name].status
    assert statuses[name] == expected and expected   # the column used to stay empty for such a name
