"""The package as a user installs it: a real wheel, built here with the project's own build backend."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import cassette_tui

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    (whl,) = out.glob("cassette_tui-*.whl")
    return whl


def test_wheel_name_version_and_tags(wheel: Path) -> None:
    name, version, python, abi, platform = wheel.stem.split("-")
    assert (name, version) == ("cassette_tui", cassette_tui.__version__)       # one source for the version
    assert (python, abi, platform) == ("py3", "none", "any")   # pure Python: one wheel for every platform


def test_wheel_contents_and_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = email.message_from_bytes(z.read(f"cassette_tui-{cassette_tui.__version__}.dist-info/METADATA"))
        entry_points = z.read(f"cassette_tui-{cassette_tui.__version__}.dist-info/entry_points.txt").decode()
    assert "cassette_tui/py.typed" in names
    assert "cassette_tui/explain/nearest.py" in names and "cassette_tui/pytest_plugin.py" in names
    assert sum(n.startswith("cassette_tui/demo/") and n.endswith(".json") for n in names) == 17
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    licences = {n.rsplit("/", 1)[-1] for n in names if "/licenses/" in n}
    assert licences == {"LICENSE"} and sum("/licenses/" in n for n in names) == 2     # ours and the demo recordings'
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    assert "Typing :: Typed" in meta.get_all("Classifier") and "Framework :: Pytest" in meta.get_all("Classifier")
    assert "llama-stack" in meta["Keywords"]
    assert "cassette-tui = cassette_tui.cli:main" in entry_points
    assert "[pytest11]" in entry_points and "cassette_tui = cassette_tui.pytest_plugin" in entry_points
