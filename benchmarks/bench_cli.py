"""Time the command line as a user runs it: a whole process per command, warm cache.

    python benchmarks/bench_cli.py [DIR] [--runs N]

DIR defaults to ../shared/corpus. Each command runs once untimed (to fill the
caches: the index, verify's per-file verdicts, Python's bytecode), then --runs times; medians
of wall time, Python's start-up and imports included. The commands run in turn,
run after run, so machine noise hits them alike. No targets: figures to watch.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

import bench_args  # beside this script


def commands(root: Path, miss_log: Path, some_id: str) -> dict[str, list[str]]:
    d = str(root)
    return {
        "python -c pass (the floor)": ["-c", "pass"],
        "ls DIR (table, into a pipe)": ["-m", "cassette_tui", "ls", d],
        "ls DIR --json": ["-m", "cassette_tui", "ls", d, "--json"],
        "ls DIR model:gpt-4o": ["-m", "cassette_tui", "ls", d, "model:gpt-4o"],
        "stats DIR": ["-m", "cassette_tui", "stats", d],
        "verify DIR --json": ["-m", "cassette_tui", "verify", d, "--json"],
        "show ID --dir DIR": ["-m", "cassette_tui", "show", some_id, "--dir", d],
        "explain LOG --dir DIR": ["-m", "cassette_tui", "explain", str(miss_log), "--dir", d],
    }


def main() -> int:
    ap = bench_args.parser(__doc__, runs=5)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    biggest = max(root.rglob("*.json"), key=lambda p: p.stat().st_size)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CASSETTE_TUI_CACHE_DIR=str(Path(tmp) / "cache"), PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        # As a user runs it: Python keeps its compiled modules. (This sandbox sets
        # PYTHONDONTWRITEBYTECODE, and then every start compiles the package anew.)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # A replay miss for a hash no file has (explain then compares with every recording).
        miss_log = Path(tmp) / "miss.log"
        miss_log.write_text("RuntimeError: Recording not found for request hash: " + "0" * 64 + "\n")
        cmds = commands(root, miss_log, biggest.stem[:12])
        for cmd in cmds.values():
            bench_args.run(cmd, env, ok=(0, 1))   # verify exits 1 when something is stale
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(bench_args.run(cmd, env, ok=(0, 1)))
    n = sum(1 for _ in root.rglob("*.json"))
    print(f"dir: {root} ({n} files), warm cache, {args.runs} runs, medians of wall time per command")
    for name, ts in times.items():
        print(f"{name:30}: {statistics.median(ts) * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
