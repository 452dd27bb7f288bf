"""The command line: `cassette-tui [DIR]` opens the TUI; subcommands serve scripts and CI logs."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from .. import __version__
from ..completion import DIR_OR_QUERY, FILE, QUERY, REF, SHELLS, mark
from ..completion import script as completion_script
from ..index import Index
from ..model import SORT_KEYS
from .checks import cmd_explain, cmd_verify
from .common import EXIT_USAGE, CLIError, default_directory
from .listing import cmd_ls, cmd_stats, parse_query_words
from .recordings import cmd_diff, cmd_show

COMMANDS = ("ls", "show", "stats", "verify", "explain", "diff", "serve")


HELP_EPILOG = """\
examples:
  cassette-tui tests/integration                        the TUI
  cassette-tui tests/integration model:gpt-4o has:tools the TUI, filtered
  cassette-tui ls tests/integration is:stale --json     one JSON object per stale recording
  cassette-tui explain ci.log --dir tests/integration   why replay missed, grouped by cause
  cassette-tui verify tests/integration --format github annotations for a CI step
  cassette-tui diff --git origin/main --markdown        what a pull request re-recorded

exit status:
  0  done (diff A B: the two are the same)
  1  verify: a file is stale, mismatched, orphaned or unreadable; show: the file has a problem; diff A B: they differ
  2  a usage error or bad input (said in one line on standard error)
  130 interrupted

environment:
  CASSETTE_TUI_CACHE_DIR       where the index cache lives (default: ~/.cache/cassette-tui)
  CASSETTE_TUI_EXPLAIN_MISSES  1: the pytest plugin explains replay misses (as pytest --explain-misses)
  NO_COLOR                     no colours

'cassette-tui COMMAND --help' tells more of each command; the query language is in the TUI's help (?).
"""


COLLECT_HELP = ("orphans from pytest's own ids: runs 'python -m pytest --collect-only -q' in the repository, "
                "which imports its tests (their code runs); without it the test modules are only parsed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cassette-tui",
        usage="cassette-tui [DIR] [QUERY ...]\n       cassette-tui COMMAND [ARGS ...]",
        description="Browse and debug llama-stack / ogx API recordings. With no command, opens the TUI on DIR "
        "(default: the recordings under the current directory, or the bundled demo set), filtered by QUERY.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"cassette-tui {__version__}")
    parser.add_argument("--completion", metavar="SHELL", choices=SHELLS,
                        help="print the shell completion script for bash, zsh or fish (e.g. eval \"$(cassette-tui --completion bash)\")")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ls", help="list recordings, optionally filtered by a query")
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), DIR_OR_QUERY)
    mark(p.add_argument("query", nargs="*", metavar="QUERY", help="query terms, e.g. model:gpt-4o stream:yes has:tools"), QUERY)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--sort", choices=SORT_KEYS, default="path")
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--limit", type=int, default=0, help="at most N rows (0: all)")
    p.add_argument("--no-cache", action="store_true", help="read every file, ignoring and not writing the cache")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("show", help="show one recording: conversation, reassembled response, anomalies")
    mark(p.add_argument("ref", metavar="REF", help="a path, '-' for a recording on standard input, or a unique id prefix within --dir"), REF)
    p.add_argument("--dir", default=None, help="directory to search for REF (default: the current directory)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--stream", action="store_true", help="also list what every chunk added")
    p.add_argument("--full", action="store_true", help="do not clip long texts")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("stats", help="counts by kind, endpoint, provider, model and test file")
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), DIR_OR_QUERY)
    mark(p.add_argument("query", nargs="*", metavar="QUERY"), QUERY)
    p.add_argument("--json", action="store_true")
    p.add_argument("--top", type=int, default=15, help="rows per table")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--collect", action="store_true", help=COLLECT_HELP)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("verify", help="check each recording's name against its content's request hash, and that its test still exists (exit 1 on stale, mismatch, orphan, unreadable)")
    mark(p.add_argument("paths", metavar="PATH", nargs="*",
                   help="a recordings DIR (default: the recordings under the current directory), or recording files (e.g. the staged ones)"), FILE)
    p.add_argument("--json", action="store_true", help="one object per file: path, status, algorithm, expected, detail ...")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="github: an ::error annotation per failing file, for a GitHub Actions step")
    p.add_argument("--all", action="store_true", help="list ok files too")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--collect", action="store_true", help=COLLECT_HELP)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "explain",
        help="why replay missed: from a CI log, a hash, or freshly recorded files",
        epilog="Several misses (a CI log, several files, a folder) are grouped by cause, one line per test.",
    )
    mark(p.add_argument("input", metavar="INPUT", nargs="+",
                   help="a log file ('-' for standard input), a request hash, a recording written by record-if-missing, or a folder of them"), FILE)
    p.add_argument("--dir", default=None, help="the recordings to search (default: the recordings under the current directory)")
    p.add_argument("--test", default=None, metavar="TEST_ID", help="the test that missed, when the input does not say (a bare hash)")
    p.add_argument("--json", action="store_true", help="one object per miss")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="github: an ::error annotation per miss (on the live file, or the test's file), for a GitHub Actions step")
    p.add_argument("--verbose", "-v", action="store_true", help="with several misses, each one in full after the grouped findings")
    p.add_argument("--limit", type=int, default=5, help="nearest recordings to list per miss")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "diff",
        help="compare two recordings, or the recordings changed since a git revision",
        epilog="Exit status for A B: 0 the same, 1 different, 2 an error (as diff(1)).",
    )
    mark(p.add_argument("refs", nargs="*", metavar="A B | DIR", help="two recordings (paths or ids); with --git, the folder to compare (default: .)"), REF)
    p.add_argument("--git", metavar="REV", default=None, help="compare the working tree with REV (added, removed, changed, re-recorded)")
    p.add_argument("--dir", default=None, help="directory to search for ids (default: the current directory)")
    p.add_argument("--all", action="store_true", help="also compare ids, timestamps and other run-to-run noise")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", action="store_true", help="with --git: a summary for a pull request")
    p.set_defaults(func=cmd_diff)

    from ..serve import DEFAULT_PORT

    p = sub.add_parser(
        "serve",
        help="serve the TUI in a web page (needs: pip install 'cassette-tui[serve]')",
        description="The same TUI in a web page, one app per browser tab (textual-serve). It listens on 127.0.0.1, "
        "this machine only, unless --host says otherwise: anyone who can reach the port can browse the recordings. "
        "The page can read nothing outside DIR.",
    )
    mark(p.add_argument("dir", metavar="DIR", nargs="?", help="the recordings (default: the recordings under the current directory)"), FILE)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, loopback only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default: {DEFAULT_PORT})")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the URL browsers reach the server by, when not http://HOST:PORT (a proxy, a forwarded port)")
    p.set_defaults(func=cmd_serve)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    from ..serve import ServeUnavailable, serve

    if not 0 < args.port < 65536:
        raise CLIError(f"--port must be 1..65535, not {args.port}")
    if args.dir is not None:
        path = Path(args.dir)
        if not path.is_dir():
            raise CLIError(f"no such directory: {args.dir}" if not path.exists() else f"not a directory: {args.dir}")
        demo = False
    else:
        path, demo = default_directory()
    try:
        serve(path.resolve(), host=args.host, port=args.port, public_url=args.public_url, demo=demo,
              recordings_only=args.dir is None and not demo, label=args.dir or ".")
    except ServeUnavailable as exc:
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
            return tui_main(argv)
        parser = build_parser()
        if argv[:1] == ["--completion"]:
            args = parser.parse_args(argv[:2])
            sys.stdout.write(completion_script(parser, args.completion))
            return 0
        args, extra = parser.parse_known_args(query_args(argv))
        if extra:
            # Query terms after an option (`ls DIR --json model:x`) are left over by argparse.
            if not hasattr(args, "query") or any(e.startswith("-") for e in extra):
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
            args.query += extra
        if hasattr(args, "query"):
            args.query = [word.lstrip() for word in args.query]
            split_dir_from_query(args)
        if getattr(args, "limit", 0) is not None and getattr(args, "limit", 0) < 0:
            raise CLIError("--limit must be 0 (no limit) or more")
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        code = args.func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught below, not at interpreter exit
        return code
    except CLIError as exc:
        from ..view import safe

        # The message may quote a REF or file names from the tree: inert, like every other output.
        print(f"cassette-tui: {safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `cassette-tui ls ... | head`: stop quietly with 0, as other Unix tools do (and `set -o pipefail` scripts need).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.filename is None:
            raise  # not about a path the user gave or the tree holds: a bug to see
        # ENAMETOOLONG and friends from an argument (Path.exists() raises them): one line, not a traceback.
        print(f"cassette-tui: {path_error(exc)}", file=sys.stderr)
        return EXIT_USAGE


def tui_main(argv: list[str]) -> int:
    """`cassette-tui [DIR] [QUERY ...]`: the TUI on DIR, filtered by QUERY; help is help, unknown options are errors."""
    head = argv[: argv.index("--")] if "--" in argv else argv
    if any(w in ("-h", "--help") for w in head):
        build_parser().print_help()
        return 0
    words = [w for w in argv if w != "--"]
    options = [w for w in head if w.startswith("--")]
    if options:
        raise CLIError(f"unrecognized option: {options[0]} (the TUI takes DIR and a QUERY; see cassette-tui --help)")
    directory, query_words = (words[0], words[1:]) if words else (None, [])
    if directory is not None and not Path(directory).exists():
        near = difflib.get_close_matches(directory, COMMANDS, n=1, cutoff=0.6)
        if near and "/" not in directory:
            raise CLIError(f"unknown command '{directory}' (did you mean '{near[0]}'?)")
        if looks_like_query(directory):
            directory, query_words = None, words
    query_text = " ".join(query_words)
    if query_text:
        parse_query_words(query_words)   # a malformed query is said here, before the screen opens
    return run_tui(directory, query_text)


def looks_like_query(word: str) -> bool:
    """A query term, not a path: a field (`model:x`), a negation (`-x`), a group or OR."""
    return ":" in word and "/" not in word.split(":", 1)[0] or word.startswith(("-", "(")) or word == "OR"


def split_dir_from_query(args: argparse.Namespace) -> None:
    """`ls [DIR] [QUERY ...]`: DIR is the first word when it is a folder (or plainly a path); a query
    term in its place means the current directory. A bare word that is no folder is an error, not a search."""
    if args.dir is None or Path(args.dir).exists():
        return
    if looks_like_query(args.dir):
        args.query.insert(0, args.dir)
        args.dir = None
        return
    raise CLIError(f"no such directory: {args.dir}" + ("" if "/" in args.dir else f" (to search for it, give the folder first: {args.command} . {args.dir})"))


def path_error(exc: OSError) -> str:
    """`PATH: reason` for an OSError about a path, the path clipped (it may be thousands of characters)."""
    from ..view import one_line

    return f"{one_line(os.fsdecode(exc.filename), 120)}: {exc.strerror or exc}"


def query_args(argv: list[str]) -> list[str]:
    """Let `ls`/`stats` take negated terms (`-provider:ollama`) as query words, not options.

    argparse reads any word starting with '-' as an option; one starting with a space is
    a positional, and the query language ignores the space.
    """
    if not argv or argv[0] not in ("ls", "stats"):
        return argv
    out = argv[:1]
    words = iter(argv[1:])
    for word in words:
        if word == "--":  # everything after it is query
            out.extend(" " + w if w.startswith("-") else w for w in words)
            break
        out.append(" " + word if len(word) > 1 and word[0] == "-" and word[1] != "-" and word != "-h" else word)
    return out


def run_tui(directory: str | None, query: str = "") -> int:
    if directory is not None:
        path = Path(directory)
        if not path.is_dir():
            raise CLIError(f"no such directory: {directory}" if not path.exists() else f"not a directory: {directory}")
        demo = False
    else:
        path, demo = default_directory()
    recordings_only = directory is None and not demo
    index = scan_with_progress(Index(path, recordings_only=recordings_only))
    from ..tui.app import CassetteApp

    app = CassetteApp(path, demo=demo, recordings_only=recordings_only, label=directory or ".", index=index, query=query)
    app.run()
    return app.return_code or 0


def scan_with_progress(index: Index) -> Index:
    """Scan before the TUI starts: forking reader processes is only safe before its threads run.

    A warm cache makes this a few milliseconds; a cold scan of a large tree says how far it got.
    """
    shown = False

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if total >= 500 and sys.stderr.isatty():
            shown = True
            sys.stderr.write(f"\rcassette-tui: indexing {done:,} of {total:,} files…")
            sys.stderr.flush()

    try:
        index.scan(progress=progress)
    except OSError as exc:
        raise CLIError(f"cannot read {index.root}: {exc.strerror or exc}") from None
    finally:
        if shown:
            sys.stderr.write("\r\x1b[K")
    return index
