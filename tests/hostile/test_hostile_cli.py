"""The real command line on the hostile directory: subprocesses with a timeout, no raw escapes out.

Run without a terminal and with NO_COLOR, Rich styles nothing, so any ESC byte
in the output could only have come from a recording: there must be none at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cassette_tui import cli

from .conftest import expected_problem
from .generate import chat, dump

RAW = (b"\x1b", b"\x07", b"\x08", b"\xc2\x9b")   # ESC, BEL, BS, and C1 CSI as UTF-8
TIMEOUT = 120


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")}
    e["NO_COLOR"] = "1"
    e["CASSETTE_TUI_CACHE_DIR"] = str(tmp_path / "cli-cache")
    return e


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cassette_tui", *args], env=env, capture_output=True, timeout=TIMEOUT)


def run_all(env: dict[str, str], commands: list[tuple[str, ...]]) -> dict[tuple[str, ...], subprocess.CompletedProcess[bytes]]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(commands, pool.map(lambda args: run(env, *args), commands), strict=True))


def assert_clean(args: tuple[str, ...], p: subprocess.CompletedProcess[bytes]) -> str:
    where = f"{' '.join(a[-40:] for a in args)!r}: exit {p.returncode}\n{p.stderr.decode(errors='replace')[-2000:]}"
    assert b"Traceback" not in p.stderr, where
    for raw in RAW:
        assert raw not in p.stdout, (where, raw)
        assert raw not in p.stderr, (where, raw)
    return p.stdout.decode("utf-8")   # valid UTF-8, whatever the files held


def test_directory_commands_on_the_hostile_directory(env: dict[str, str], hostile_dir: Path, cases, small_hostile, tmp_path: Path) -> None:
    d = str(hostile_dir)
    small = str(small_hostile[0])
    log = tmp_path / "evil.log"
    log.write_bytes(b"E   RuntimeError: Recording not found for request hash: " + b"ab" * 32 + b"\n  \x1b[2J \x1b]52;c;aGk=\x07 [bold]x[/bold] <b>\n")
    commands = [("ls", d), ("ls", d, "--json"), ("ls", d, "is:problem", "--sort", "size"), ("ls", d, "evil"),
                ("stats", d), ("stats", d, "--json")]
    if "verify" in cli.COMMANDS:
        commands += [("verify", d, "--json", "--all")]   # (stats verifies too, in words)
    if "explain" in cli.COMMANDS:   # explain hashes every request of DIR: the small copy keeps it quick
        commands += [("explain", str(log), "--dir", small), ("explain", str(log), "--dir", small, "--json"),
                     ("explain", f"{small}/injection.json", "--dir", small), ("explain", f"{small}/wrong-types.json", "--dir", small)]
    if "diff" in cli.COMMANDS:
        commands += [("diff", f"{d}/injection.json", f"{d}/injection-single.json"), ("diff", f"{d}/good.json", f"{d}/huge-string.json"),
                     ("diff", f"{d}/wrong-types.json", f"{d}/wrong-types-stream.json", "--json"), ("diff", f"{d}/good.json", f"{d}/stream-100k.json")]
    results = run_all(env, commands)
    for args, p in results.items():
        assert p.returncode in ((0, 1) if args[0] in ("verify", "diff") else (0,)), (args, p.returncode, p.stderr[-2000:])
        assert_clean(args, p)
    rows = [json.loads(line) for line in results[("ls", d, "--json")].stdout.decode().splitlines()]
    listed = {c.name: c for c in cases if c.listed}
    assert sorted(Path(r["path"]).relative_to(hostile_dir).as_posix() for r in rows) == sorted(listed)
    for r in rows:
        case = listed[Path(r["path"]).relative_to(hostile_dir).as_posix()]
        problem = expected_problem(case, hostile_dir)
        assert (r["problem"] is None) if problem is None else problem in (r["problem"] or ""), (case.name, r["problem"])
    assert json.loads(results[("stats", d, "--json")].stdout)["recordings"] == len(listed)
    if "verify" in cli.COMMANDS:
        verdicts = [json.loads(line) for line in results[("verify", d, "--json", "--all")].stdout.decode().splitlines()]
        assert len(verdicts) == len(listed)


def test_show_every_hostile_file(env: dict[str, str], hostile_dir: Path, cases) -> None:
    commands = []
    for case in cases:
        if case.listed:
            path = str(hostile_dir / case.name)
            commands += [("show", path), ("show", path, "--json")]
            if case.problem is None:   # a broken file's --stream is its plain show
                commands.append(("show", path, "--stream"))
    commands += [("show", "injection-s", "--dir", str(hostile_dir)), ("show", "fifo.json", "--dir", str(hostile_dir)),
                 ("show", str(hostile_dir / "self-loop.json"), "--dir", str(hostile_dir))]
    results = run_all(env, commands)
    by_name = {c.name: c for c in cases}
    for args, p in results.items():
        out = assert_clean(args, p)
        if args[1] in ("fifo.json",) or args[1].endswith("self-loop.json"):
            assert p.returncode == 2 and p.stderr.count(b"\n") == 1, args   # one line: no such recording
            continue
        name = Path(args[1]).relative_to(hostile_dir).as_posix() if args[1].startswith("/") else "injection-single.json"
        problem = expected_problem(by_name[name], hostile_dir)
        if "--json" in args:   # the JSON carries the problem; the exit status is 0
            assert p.returncode == 0, args
            shown = json.loads(out)
            assert (shown["problem"] is None) if problem is None else problem in shown["problem"]
        else:
            assert p.returncode == (0 if problem is None else 1), (args, p.returncode, p.stderr[-500:])
            if problem:
                assert problem in out
    # Markup and HTML print literally; escapes are made visible.
    out = results[("show", str(hostile_dir / "injection.json"))].stdout.decode()
    assert "[bold red]markup[/bold red]" in out and "<script>alert(1)</script>" in out and "␛[2J" in out
    # The 100,000-chunk stream is listed whole on request, in bounded time (the timeout).
    stream = results[("show", str(hostile_dir / "stream-100k.json"), "--stream")].stdout
    assert stream.count(b"\n") > 100_000
    # The 50 MB message is clipped in the text view; --json gives all of it.
    assert len(results[("show", str(hostile_dir / "huge-string.json"))].stdout) < 200_000
    assert len(results[("show", str(hostile_dir / "huge-string.json"), "--json")].stdout) > 50_000_000




def test_errors_quoting_a_ref_or_names_from_the_tree_are_inert(env: dict[str, str], tmp_path: Path) -> None:
    d = tmp_path / "ambiguous"
    d.mkdir()
    for suffix in "ab":
        (d / f"evil\x1b[2J\x1b]52;c;aGk=\x07{suffix}.json").write_bytes(dump(chat()))
    results = run_all(env, [("show", "evil", "--dir", str(d)), ("show", "nothing\x1b[2J\x07", "--dir", str(d))])
    for args, p in results.items():
        assert p.returncode == 2 and p.stderr.startswith(b"cassette-tui: "), (args, p.stderr)
        assert_clean(args, p)
    assert b"ambiguous" in results[("show", "evil", "--dir", str(d))].stderr
