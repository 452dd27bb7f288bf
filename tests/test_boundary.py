"""The core never pulls in a drawing library: importing it leaves Rich and Textual unloaded."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import cassette_tui

# Faces that draw with Rich or Textual; every other module of the package is core (new ones too).
FACE_MODULES = ("cli", "completion", "rich_view", "rich_columns", "tui", "__main__")
CORE = tuple(sorted(
    m.name.removeprefix("cassette_tui.") for m in pkgutil.walk_packages(cassette_tui.__path__, "cassette_tui.")
    if m.name.removeprefix("cassette_tui.").split(".")[0] not in FACE_MODULES
))
FACES = ("rich", "textual")

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {"rich", "textual"})))
"""


def loaded_faces(*modules: str) -> list[str]:
    p = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_importing_the_whole_core_loads_neither_rich_nor_textual() -> None:
    assert loaded_faces(*(f"cassette_tui.{m}" for m in CORE)) == []


@pytest.mark.parametrize("module", CORE)
def test_each_core_module_alone(module: str) -> None:
    assert loaded_faces(f"cassette_tui.{module}") == []


def test_the_core_list_is_the_whole_core() -> None:
    assert {"recording", "streams.openai", "reports", "explain.nearest", "pytest_plugin", "notebook"} <= set(CORE)
    assert not any(m.startswith(("tui", "rich_")) for m in CORE)


def test_the_probe_can_see_a_face() -> None:
    """The check itself works: the Rich drawing module does load Rich."""
    assert loaded_faces("cassette_tui.rich_view") == ["rich"]
