"""Copying text out of the TUI, saying only what is known to have happened.

OSC 52 (Textual's `copy_to_clipboard`) asks the terminal to take the text, and no
answer comes back: many terminals (and tmux without `set-clipboard on`) drop it.
So a local clipboard command is tried first, whose exit status can be trusted;
without one the text is also written to a file in the user cache folder, and
the message says where.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import _inside, cache_dir

if TYPE_CHECKING:
    from textual.app import App

COMMAND_TIMEOUT = 3.0   # seconds a clipboard command may take (xclip waits for no display)


def clipboard_command() -> list[str] | None:
    """A command that puts its standard input on the system clipboard, when one can work here."""
    if sys.platform == "darwin":
        candidates = [["pbcopy"]]
    elif os.name == "nt":
        candidates = [["clip"]]
    else:
        candidates = []
        if os.environ.get("WAYLAND_DISPLAY"):
            candidates.append(["wl-copy"])
        if os.environ.get("DISPLAY"):
            candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
    return next((c for c in candidates if shutil.which(c[0])), None)


def copy_file(name: str) -> Path:
    return cache_dir() / "copied" / name


def copy_text(app: App[Any], text: str, what: str, file_name: str, root: Path) -> str:
    """Copy `text`; return the message to show: "Copied" only when a clipboard command said so."""
    command = clipboard_command()
    if command is not None:
        try:
            done = subprocess.run(command, input=text.encode("utf-8", "surrogatepass"), timeout=COMMAND_TIMEOUT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            if done.returncode == 0:
                return f"Copied the {what} ({len(text):,} characters)"
        except (OSError, subprocess.TimeoutExpired):
            pass
    app.copy_to_clipboard(text)   # the terminal may take it; nothing says whether it did
    path = copy_file(file_name)
    if _inside(path, root):   # a cache folder inside the browsed tree: never write there
        return f"Sent the {what} to the terminal's clipboard (OSC 52, which cannot be confirmed); no copy saved (the cache folder is inside the tree)"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        return f"Sent the {what} to the terminal's clipboard (OSC 52, which cannot be confirmed); could not save a copy: {exc.strerror or exc}"
    return f"Sent the {what} to the terminal's clipboard (OSC 52, which cannot be confirmed); also saved to {path}"
