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
