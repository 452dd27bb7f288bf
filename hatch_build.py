"""Compile cassette_tui/_stamps.c, the warm start's stat loop, when a C compiler is at hand.

Optional by design: without a compiler (or on Windows) the build goes on, says
why in one line (pip shows it with -v), and the package runs the same in pure
Python, a little slower to start on a large tree (walk.py falls back to os.stat).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def compile_extension(source: Path, target: Path) -> str | None:
    """Build `target` from `source` with the compiler Python was built with; None, or why not."""
    if os.name != "posix":
        return "not a POSIX system"
    ldshared = sysconfig.get_config_var("LDSHARED") or "cc -shared"
    include = sysconfig.get_paths()["include"]
    command = [*shlex.split(ldshared), "-O2", "-fPIC", f"-I{include}", str(source), "-o", str(target)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{command[0]}: {exc}"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"{command[0]} exited {done.returncode}"])[-1]
    return None


class NativeStampsHook(BuildHookInterface):
    _build_dir: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        package = Path(self.root) / "cassette_tui"
        name = f"_stamps{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
        if version == "editable":   # imported from the source tree, beside _stamps.c
            target = package / name
        else:                       # built aside and put in the wheel: the checkout stays clean
            self._build_dir = tempfile.mkdtemp(prefix="cassette-tui-build-")
            target = Path(self._build_dir) / name
        why_not = compile_extension(package / "_stamps.c", target)
        if why_not:
            target.unlink(missing_ok=True)   # never leave one built from older source behind
            print(f"cassette-tui: the optional C helper was not built ({why_not}); pure Python it is.", file=sys.stderr)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(target)] = f"cassette_tui/{name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._build_dir:
            shutil.rmtree(self._build_dir, ignore_errors=True)
