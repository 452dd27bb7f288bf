"""What every command shares: opening a directory, errors, the console, reading a recording by reference."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..index import Index, RefError
from ..model import DEMO_DIR
from ..recording import Recording
from ..walk import TreeWalk

EXIT_USAGE = 2


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def open_index(directory: str | None, use_cache: bool = True) -> Index:
    """Index DIR; with no DIR, the recordings under the current directory."""
    if directory is None:
        idx = Index(Path.cwd(), recordings_only=True, use_cache=use_cache).scan()
        print_skipped(idx.stats.skipped)
        return idx
    path = Path(directory)
    if not path.exists():
        raise CLIError(f"no such directory: {directory}")
    if not path.is_dir():
        raise CLIError(f"not a directory: {directory}")
    try:
        idx = Index(path, use_cache=use_cache).scan()
    except OSError as exc:
        raise CLIError(f"cannot read {directory}: {exc.strerror or exc}") from None
    print_skipped(idx.stats.skipped)
    return idx


SKIPPED_SHOWN = 20


def print_skipped(notes: list[str]) -> None:
    """Folders and links the walk did not enter (unreadable, a path too long, a link leaving
    the tree), one line each on stderr: what is not listed is said, not silently dropped."""
    from ..view import one_line

    for note in notes[:SKIPPED_SHOWN]:
        shown = one_line(note, None)
        if len(shown) > 300:   # keep both ends: the path's start and the reason
            shown = shown[:150] + "…" + shown[-150:]
        print(f"cassette-tui: not listed: {shown}", file=sys.stderr)
    if len(notes) > SKIPPED_SHOWN:
        print(f"cassette-tui: not listed: {len(notes) - SKIPPED_SHOWN} more", file=sys.stderr)


def default_directory() -> tuple[Path, bool]:
    """The directory `cassette-tui` opens with no argument, and whether it is the demo.

    In cassette-tui's own source checkout the recordings below are its test fixtures
    and the demo set itself (hostile ones are made there while tests run): the demo then."""
    cwd = Path.cwd()
    if is_own_checkout(cwd):
        return DEMO_DIR, True
    for _rel, _st in TreeWalk(str(cwd.resolve()), recordings_only=True).files():  # any recording at all is enough
        return cwd, False
    return DEMO_DIR, True


def is_own_checkout(folder: Path) -> bool:
    """Whether `folder` holds the very package running now (its cassette_tui/cli/ is this one)."""
    here = folder / "cassette_tui" / "cli" / "common.py"
    try:
        return here.is_file() and here.samefile(__file__)
    except OSError:
        return False


def make_console(**kwargs: Any) -> Any:
    """A Rich console for stdout whose closed pipe ends the command quietly with 0 (Rich's own exits 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return _Console(highlight=False, **kwargs)


def query_error_text(text: str, exc: Any) -> str:
    return f"bad query: {exc}\n  {text}\n  {' ' * exc.position}^"


def write_lines(lines: Any, batch: int = 4096) -> None:
    """Lines to stdout, a few thousand at a time (one write per line costs more than making it)."""
    out = sys.stdout
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == batch:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    out.flush()


def load_ref(ref: str, directory: str | None) -> Recording:
    """REF is a path to a file, `-` (a recording on standard input), or an id prefix (or path) within DIR
    (default: the current directory)."""
    if ref == "-":
        return Recording.from_bytes(sys.stdin.buffer.read(), "<stdin>")
    p = Path(ref)
    if p.is_file():
        return Recording.load(p)
    if directory is not None and (Path(directory) / ref).is_file():
        return Recording.load(Path(directory) / ref)
    idx = open_index(directory)
    try:
        summary = idx.resolve(ref)
    except RefError as exc:
        raise CLIError(str(exc)) from None
    if summary.problem and summary.problem.startswith("listed in index.sqlite"):
        raise CLIError(f"{ref}: {summary.problem}")
    return idx.load(summary)


def github_annotation(level: str, file: str, title: str, message: str) -> str:
    """A GitHub Actions workflow command (::error file=...::message), escaped as GitHub documents."""
    def data(s: str) -> str:
        return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(s: str) -> str:
        return data(s).replace(":", "%3A").replace(",", "%2C")

    return f"::{level} file={prop(file)},title={prop(title)}::{data(message)}"
