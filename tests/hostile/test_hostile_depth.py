"""Requests nested 500..1023 levels deep (under orjson's 1024 limit): every diff still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cassette_tui as ct
from cassette_tui.compare import strip_noise, structural_diff
from cassette_tui.tui.app import CassetteApp
from cassette_tui.tui.recording_list import RecordingList
from cassette_tui.tui.testing import settle

from .generate import chat

DEPTHS = (600, 1000)


def _deep_tree(root: Path) -> list[str]:
    rec = root / "recordings"
    rec.mkdir(parents=True)
    names = []
    for i, depth in enumerate(DEPTHS):
        r = chat(model=f"m{i}", test_id="tests/t.py::test_deep")
        r["request"]["body"]["deep"] = "@@DEEP@@"
        text = json.dumps(r).replace('"@@DEEP@@"', '{"a":' * depth + f'"leaf{i}"' + "}" * depth)
        (rec / f"deep{i}.json").write_text(text)
        names.append(f"recordings/deep{i}.json")
    return names


def test_structural_diff_and_strip_noise_take_any_depth() -> None:
    a: object = "x"
    b: object = "y"
    for _ in range(5000):
        a, b = {"a": a, "id": 1}, {"a": b, "id": 2}
    assert [c.kind for c in structural_diff(strip_noise(a), strip_noise(b))] == ["changed"]
    assert len(structural_diff(a, b)) == 500   # the limit holds (5,000 id changes, then the leaf)


def test_cli_diff_and_notebook_on_deep_requests(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    a, b = _deep_tree(root)
    for extra in ([], ["--json"]):
        p = subprocess.run([sys.executable, "-m", "cassette_tui", "diff", str(root / a), str(root / b), *extra],
                           env=dict(os.environ, NO_COLOR="1"), capture_output=True, timeout=120)
        assert p.returncode == 1 and b"Traceback" not in p.stderr, p.stderr.decode()[-500:]
        assert b"body.deep" in p.stdout
    idx = ct.open(root)
    for rec in idx:
        assert rec._repr_mimebundle_()["text/plain"]
    assert ct.diff(idx[0], idx[1])._repr_mimebundle_()


async def test_tui_diff_on_deep_requests(tmp_path: Path) -> None:
    from cassette_tui.tui.diff_screen import DiffScreen
    from cassette_tui.tui.lines_view import LinesView

    root = tmp_path / "tree"
    a, b = _deep_tree(root)
    app = CassetteApp(root, watch=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        lst = app.query_one(RecordingList)
        for path in (a, b):
            lst.cursor = lst.index_of(path)
            await pilot.press("m")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        assert "body.deep" in app.screen.query_one(LinesView).plain_text()
