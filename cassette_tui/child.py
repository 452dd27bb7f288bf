"""Starting cassette-tui's own CLI in a child interpreter, never the browsed tree's code.

`python -m cassette_tui` with the browsed tree as working directory puts that
tree first on `sys.path`: an `argparse.py`, `orjson.py` or `cassette_tui/` in
a stranger's checkout would run, and `__pycache__` would be written into it.
So the child runs isolated (`-I`: no working directory, script directory,
PYTHON* variables or user site on `sys.path`), writes no bytecode (`-B`; `-I`
ignores PYTHONDONTWRITEBYTECODE), starts in `/`, and gets the tree as an
absolute path. The package's own parent folder is put on `sys.path` only when
the isolated interpreter would not find it (a source checkout run without
installing, a `--user` install that `-I` leaves out).

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .model import Summary
    from .verify import Verdict

PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)

# argv[1]: the package's parent folder; argv[2:]: the CLI's arguments.
_BOOT = (
    "import sys\n"
    "p = sys.argv[1]\n"
    "if p not in sys.path: sys.path.insert(0, p)\n"
    "from cassette_tui.cli import main\n"
    "raise SystemExit(main(sys.argv[2:]))\n"
)


# argv[1]: the package's parent folder; argv[2]: the tree. Verdicts come back as marshal on stdout.
_VERIFY_BOOT = (
    "import sys\n"
    "p = sys.argv[1]\n"
    "if p not in sys.path: sys.path.insert(0, p)\n"
    "from cassette_tui.verify import write_tree_verdicts\n"
    "raise SystemExit(write_tree_verdicts(sys.argv[2], sys.stdout.buffer))\n"
)


def verify_command(root: str) -> list[str]:
    """argv that verifies the tree at `root` (absolute) in an isolated interpreter (verify.read_tree_verdicts reads its output)."""
    return [sys.executable, "-I", "-B", "-c", _VERIFY_BOOT, PACKAGE_PARENT, root]


def cli_command(*args: str) -> list[str]:
    """argv that runs `cassette-tui ARGS...` in an isolated interpreter (paths in ARGS must be absolute)."""
    return [sys.executable, "-I", "-B", "-c", _BOOT, PACKAGE_PARENT, *args]


def safe_cwd() -> str:
    """A working directory no browsed tree controls: the file system's root."""
    return os.path.abspath(os.sep)


async def verify_in_child(root: str, summaries: Mapping[str, Summary] | None = None) -> dict[str, Verdict] | None:
    """Every file's verdict of the tree at `root` (absolute), computed in an isolated child
    interpreter: hashing a tree is CPU-bound Python that would hold a UI's GIL. None when no
    child could run or it failed (the caller may verify in a thread instead). Cancelling
    kills the child at once. `summaries` (the caller's index) lend the verdicts their strings.

    A plain Popen waited for in a thread, not asyncio's subprocess support: cancelled while
    it connects the child's pipes, that hangs for good (CPython gh-103847, gh-125502), and
    asyncio.run then never returns. An app quitting right after it started verifying did that.
    """
    from .verify import read_tree_verdicts

    try:
        proc = subprocess.Popen(verify_command(root), cwd=safe_cwd(), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except (OSError, ValueError):
        return None
    def read_and_reap() -> dict[str, Verdict]:
        assert proc.stdout is not None
        with proc.stdout:
            verdicts = read_tree_verdicts(proc.stdout, summaries)   # as they come: one chunk's bytes at a time
        proc.wait()
        return verdicts

    try:
        verdicts = await asyncio.to_thread(read_and_reap)
    except asyncio.CancelledError:
        proc.kill()   # the thread's read then ends at once, and it reaps the child
        raise
    if proc.returncode != 0:
        return None
    return verdicts or None
