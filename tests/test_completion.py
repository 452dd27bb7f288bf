"""Shell completion: the scripts `cassette-tui --completion SHELL` prints, run in a real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
BIN = str(Path(sys.executable).parent)

COMPLETE = r'''
source "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE};
         COMPREPLY=(); _shtab_cassette_tui; printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '; echo; }
comp cassette-tui ex
comp cassette-tui ls mo
comp cassette-tui ls . has:t
comp cassette-tui verify --fo
comp cassette-tui show aadc
'''


def script(shell: str, env: dict[str, str]) -> str:
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "--completion", shell], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CASSETTE_TUI_CACHE_DIR": str(tmp_path / "cache"), "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_commands_options_query_fields_and_ids(env: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("cassette-tui", path=env["PATH"]) is None:
        pytest.skip("the cassette-tui command is not installed beside this Python")
    path = tmp_path / "c.bash"
    path.write_text(script("bash", env))
    out = subprocess.run(["bash", "-c", COMPLETE, "bash", str(path)], capture_output=True, text=True, timeout=60, env=env, cwd=DEMO).stdout.splitlines()
    assert out[0].split() == ["explain"]
    assert out[1].split() == ["model:"]                      # a query word where DIR may stand
    assert out[2].split() == ["has:tools"]
    assert out[3].split() == ["--format"]
    assert out[4].split() == ["aadc06753bab"]                # the id of a recording under the current directory


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(env: dict[str, str], tmp_path: Path, shell: str) -> None:
    text = script(shell, env)
    assert "explain" in text and "--format" in text
    assert ("_cassette_tui_query" if shell == "zsh" else "__cassette_tui_query") in text
    binary = shutil.which(shell)
    if binary:   # a syntax check where the shell is installed
        path = tmp_path / f"c.{shell}"
        path.write_text(text)
        p = subprocess.run([binary, "-n", str(path)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr


def test_unknown_shell_is_a_usage_error(env: dict[str, str]) -> None:
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "--completion", "cmd"], capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 2 and "invalid choice: 'cmd'" in p.stderr
