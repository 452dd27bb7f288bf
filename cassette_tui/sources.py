"""Where a recording's test is written, and the command that opens a file at a line in the user's editor.

The test file is found from the test id (a path from the repository's top) under
the browsed tree, and the function by a plain text search: the test module is
read, never imported. Pure: no Textual, no Rich.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from pathlib import Path

from .explain.lookup import map_into
from .explain.miss import test_parts

MAX_SOURCE_BYTES = 2_000_000


def test_module(root: Path, test_id: str | None) -> Path | None:
    """Where the test module a pytest node id names would be under `root` (it may not exist);
    None for a path that would leave the tree or is no Python file."""
    file, _, _ = test_parts(test_id)
    if not file.endswith(".py") or ".." in file.split("/") or file.startswith("/") or "\0" in file:
        return None
    folder = map_into(root, posixpath.dirname(file)) if posixpath.dirname(file) else root
    if folder is None:
        return None
    return folder / posixpath.basename(file)


def test_source(root: Path, test_id: str | None) -> tuple[Path, int] | None:
    """(the test module under `root`, the line of the test function) for a pytest node id, or None."""
    _, func, _ = test_parts(test_id)
    path = test_module(root, test_id)
    if path is None:
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        text = path.read_text("utf-8", "replace")
    except OSError:
        return None
    name = func.rsplit("::", 1)[-1].rsplit(".", 1)[-1]   # a method of a test class: its own name
    if name:
        m = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}\b", text, re.M)
        if m:
            return path, text.count("\n", 0, m.start()) + 1
    return path, 1


def editor_command(path: Path | str, line: int | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """$VISUAL, else $EDITOR, else a pager: the argv that shows `path` (at `line` where the editor takes one)."""
    env = os.environ if environ is None else environ
    configured = env.get("VISUAL") or env.get("EDITOR")
    cmd = shlex.split(configured) if configured else ["less"]
    name = os.path.basename(cmd[0]) if cmd else "less"
    if line is None or line <= 1:
        return [*cmd, str(path)]
    if name in ("code", "code-insiders", "codium", "cursor"):
        return [*cmd, "-g", f"{path}:{line}"]
    if name in ("subl", "zed"):
        return [*cmd, f"{path}:{line}"]
    return [*cmd, f"+{line}", str(path)]     # vi, vim, nvim, nano, emacs, micro, kak, less
