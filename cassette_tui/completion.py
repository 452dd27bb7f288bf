"""Shell completion for bash, zsh and fish: `cassette-tui --completion SHELL`.

The scripts are written by shtab from the command line's own parser, so every
subcommand and option completes as argparse defines it. Beyond that: folders for
DIR, files for INPUT and PATH, query fields (`model:`, `has:tools` ...) for QUERY,
and recording ids (from `cassette-tui ls --json` in the current directory) beside
files for REF. shtab is imported only here, when a script is asked for.
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")

FILE = {"bash": "_shtab_compgen_files", "zsh": "_files", "fish": "(__fish_complete_path (commandline -ct))"}
QUERY = {"bash": "_cassette_tui_query", "zsh": "_cassette_tui_query", "fish": "(__cassette_tui_query)"}
REF = {"bash": "_cassette_tui_ref", "zsh": "_cassette_tui_ref", "fish": "(__cassette_tui_ref)"}
# `ls [DIR] [QUERY ...]`: a query word may stand where DIR does
DIR_OR_QUERY = {"bash": "_cassette_tui_dir_or_query", "zsh": "_cassette_tui_dir_or_query", "fish": "(__fish_complete_directories) (__cassette_tui_query)"}

_IDS = "cassette-tui ls --json 2>/dev/null | sed -n 's/^{\"id\":\"\\([0-9a-f]\\{12\\}\\).*/\\1/p'"


def query_words() -> list[str]:
    """What a query word starts with: each field, and the flag values written out."""
    from .query import FIELDS, HAS_VALUES  # here: every command imports this module, few need the query language

    words = [f"{field}:" for field in FIELDS]
    words += [f"has:{v}" for v in HAS_VALUES] + ["stream:yes", "stream:no", "is:ok", "is:stale", "is:mismatch", "is:orphan", "is:problem"]
    return sorted(set(words))


def _preamble(shell: str) -> str:
    words = " ".join(query_words())
    if shell == "bash":
        return (
            f'_cassette_tui_query() {{\n  compgen -W "{words}" -- "$1"\n}}\n'
            f'_cassette_tui_ref() {{\n  compgen -W "$({_IDS})" -- "$1"\n  compgen -f -- "$1"\n}}\n'
            '_cassette_tui_dir_or_query() {\n  compgen -d -- "$1"\n  _cassette_tui_query "$1"\n}\n'
        )
    if shell == "zsh":
        return (
            f"_cassette_tui_query() {{\n  local -a words\n  words=({words})\n  compadd -S '' -a words\n}}\n"
            f"_cassette_tui_ref() {{\n  local -a ids\n  ids=(${{(f)\"$({_IDS})\"}})\n  compadd -a ids\n  _files\n}}\n"
            "_cassette_tui_dir_or_query() {\n  _files -/\n  _cassette_tui_query\n}\n"
        )
    return (
        f"function __cassette_tui_query\n  printf '%s\\n' {words}\nend\n"
        f"function __cassette_tui_ref\n  {_IDS}\n  __fish_complete_path (commandline -ct)\nend\n"
    )


def mark(action: argparse.Action, complete: dict[str, str]) -> argparse.Action:
    """Tell shtab what completes this argument (an attribute shtab reads; nothing imported here)."""
    action.complete = complete  # type: ignore[attr-defined]
    return action


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    import shtab

    return shtab.complete(parser, shell=shell, preamble=_preamble(shell))
