"""Every figure of issue 18 on the real 2026-05 tree and on generated 10k and 100k trees, in one run.

    python benchmarks/bench_scale.py [--quick] [--runs N] [--sizes 10000,100000] [--trees DIR]

For each tree (the real one, then each size in two shapes: many folders and one
folder, made by make_tree.py under --trees, reused when already there):

- cold index and the bare `orjson.loads` loop over the same files, in this
  process, interleaved run by run (bench_index's helpers); warm open; a typical
  query over the warm index;
- `ls` as text and `ls --json` into a pipe, whole processes, warm cache, with
  each process's peak RSS;
- TUI first paint, cold (empty cache) and warm, each in a process of its own
  (its peak RSS is the TUI's); filter keystrokes, key to frame (bench_tui);
  the largest recording shown;
- live reload: a burst of --burst files written into the tree while keys are
  pressed (scale_live.py): write-to-row latency and the worst key;
- notebook: the size of the index's HTML (50 rows).

Then once: `diff --git` on 300 changed recordings (150 edited in place, 150
re-recorded under a new name) in a throwaway repository. Figures are medians
over --runs (p99 and max where said); the targets are checked at the end.
`--quick` skips the 100k trees (a smoke run takes a few minutes).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_args  # beside this script
import bench_index
import bench_tui
import make_tree
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cassette_tui.index import Index  # noqa: E402
from cassette_tui.query import parse  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "2026-05"
QUERY = "model:gpt-4o* has:tools"
BIG = 50_000   # from this many files, the cold TUI paint is taken once, not --runs times
MiB = 2**20


def files_of(root: Path) -> list[str]:
    return [os.path.join(dp, f) for dp, _, fn in os.walk(root) for f in fn if f.endswith(".json")]


def child_env(cache: str) -> dict[str, str]:
    env = dict(os.environ, CASSETTE_TUI_CACHE_DIR=cache, CASSETTE_TUI_CONFIG_DIR=cache + "-config",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # as a user runs it: compiled modules kept
    return env


def run_peak_rusage(args: list[str], env: dict[str, str], timeout: float = 900) -> tuple[float, int, bytes]:
    """(wall seconds, peak RSS in bytes, stdout) of `python ARGS`, its output read through a pipe.

    The peak comes from GNU time, a small process between us and the command: Linux
    counts the pages a child shares with its parent when it forks into the child's
    peak, so reaped from this (large) process every peak would read at least ours.
    Without /usr/bin/time, wait4's figure is given, with that floor."""
    with tempfile.NamedTemporaryFile("r") as report:
        timer = ["/usr/bin/time", "-f", "%M", "-o", report.name] if os.path.exists("/usr/bin/time") else []
        t = time.perf_counter()
        with tempfile.TemporaryFile() as err:
            p = subprocess.Popen([*timer, sys.executable, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
            assert p.stdout is not None
            out = p.stdout.read()
            _, status, usage = os.wait4(p.pid, 0)
            elapsed = time.perf_counter() - t
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {err.read().decode(errors='replace')[-800:]}")
        text = report.read().strip().splitlines()
        peak_kib = int(text[-1]) if timer and text and text[-1].isdigit() else usage.ru_maxrss
    return elapsed, peak_kib * 1024, out


def measure_index(root: Path, runs: int) -> dict[str, float]:
    files = files_of(root)
    bench_index.orjson_loop(files)    # the page cache warm, as for every later figure
    loops, colds, warms, queries = [], [], [], []
    query = parse(QUERY)
    for _ in range(runs):
        loops.append(bench_index.orjson_loop(files))
        with tempfile.TemporaryDirectory() as cache:
            colds.append(bench_index.index_once(root, cache)[0])
            warms.append(bench_index.index_once(root, cache)[0])
            idx = Index(root).scan()
            t = time.perf_counter()
            [s for s in idx if query.matches(s)]
            queries.append(time.perf_counter() - t)
    return {
        "files": len(files), "mib": sum(os.path.getsize(p) for p in files) / MiB,
        "loop": statistics.median(loops), "cold": statistics.median(colds), "warm": statistics.median(warms),
        "cold/loop": statistics.median(c / lp for c, lp in zip(colds, loops, strict=True)),
        "warm/cold": statistics.median(w / c for w, c in zip(warms, colds, strict=True)),
        "query": statistics.median(queries),
    }


def measure_cli(root: Path, runs: int, cache: str) -> dict[str, float]:
    env = child_env(cache)
    cmds = {"ls text": ["-m", "cassette_tui", "ls", str(root)], "ls --json": ["-m", "cassette_tui", "ls", str(root), "--json"]}
    for cmd in cmds.values():
        run_peak_rusage(cmd, env)   # fills the cache and the bytecode
    out: dict[str, list[tuple[float, int]]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            wall, peak, _ = run_peak_rusage(cmd, env)
            out[name].append((wall, peak))
    res = {}
    for name, xs in out.items():
        res[name] = statistics.median(w for w, _ in xs)
        res[name + " rss"] = max(p for _, p in xs)
    res["ls ratio"] = statistics.median(a[0] / b[0] for a, b in zip(out["ls text"], out["ls --json"], strict=True))
    return res


def paint_in_child(root: Path, cache: str) -> tuple[float, int, int]:
    """(first paint, the app's own peak RSS, the peak of the app or the verify child it ran):
    GNU time's figure is the larger of a process's and its reaped children's."""
    wall, peak, out = run_peak_rusage([__file__, "--paint-child", str(root)], child_env(cache))
    seconds, own = out.decode().strip().splitlines()[-1].split()
    return float(seconds), int(own), peak


async def paint_and_exit(root: Path) -> None:
    # Out at once: asyncio.run's teardown sometimes waits without end for a task the app
    # left behind (seen on a 60-file tree), and the figure is already taken.
    import resource

    seconds = await bench_tui.first_paint(root, timeout=1800)   # settles (the verify child done) before it returns
    print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, flush=True)   # KiB on Linux: this process alone
    os._exit(0)


def measure_tui(root: Path, runs: int, cache: str) -> dict[str, float]:
    os.environ["CASSETTE_TUI_CACHE_DIR"] = cache
    os.environ["CASSETTE_TUI_CONFIG_DIR"] = cache + "-config"
    colds, warms, peaks, with_verify = [], [], [], []
    for n in range(runs):
        if n == 0 or len(files_of(root)) < BIG:   # a cold paint of 100k files takes minutes: once
            with tempfile.TemporaryDirectory() as fresh:
                seconds, own, peak = paint_in_child(root, fresh)
                colds.append(seconds)
                peaks.append(own)
                with_verify.append(peak)
        seconds, own, peak = paint_in_child(root, cache)
        warms.append(seconds)
        peaks.append(own)
        with_verify.append(peak)
    idx = Index(root).scan()
    big = max(idx, key=lambda s: s.size)
    keys = [t for _ in range(max(1, runs // 2)) for t in asyncio.run(bench_tui.keystrokes(root))]
    shows = [asyncio.run(bench_tui.largest(root, big.path)) for _ in range(runs)]
    return {"paint cold": statistics.median(colds), "paint warm": statistics.median(warms), "tui rss": max(peaks), "verify rss": max(with_verify),
            "key median": statistics.median(keys), "key p99": percentile(keys, 99), "key max": max(keys), "keys": len(keys),
            "largest": statistics.median(shows), "largest kib": big.size / 1024}


def measure_burst(root: Path, count: int, seconds: float) -> dict[str, float]:
    import scale_live

    keys, rows, missing = scale_live.run_burst(root, count, seconds)
    return {"burst key max": max(keys), "burst key median": statistics.median(keys), "burst keys": len(keys),
            "row median": statistics.median(rows) if rows else float("nan"), "row p99": percentile(rows, 99) if rows else float("nan"),
            "row max": max(rows) if rows else float("nan"), "rows missing": missing}


def notebook_html(root: Path) -> int:
    import cassette_tui as ct

    return len(ct.open(root)._repr_mimebundle_()["text/html"].encode())


def percentile(xs: list[float], p: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- diff --git on 300 changes ------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


def edited(raw: bytes, n: int) -> dict | None:
    try:
        d = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    body = d.get("request", {}).get("body") if isinstance(d, dict) and isinstance(d.get("request"), dict) else None
    if not isinstance(body, dict):
        return None
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict) and isinstance(messages[-1].get("content"), str):
        messages[-1]["content"] += f" (edit {n})"
    else:
        body["bench_edit"] = n
    return d


def git_fixture(source: Path, repo: Path, changes: int = 300) -> Path:
    """A repository of 2 x `changes` recordings from `source`, then half of `changes` edited, half re-recorded."""
    from cassette_tui.hashing import request_hash

    picked = []
    for p in sorted(Path(f) for f in files_of(source)):
        d = edited(p.read_bytes(), 0)
        if d is not None and p.stat().st_size < 500_000:
            picked.append(p)
        if len(picked) == 2 * changes:
            break
    rec = repo / "tests" / "integration" / "recordings"
    rec.mkdir(parents=True)
    for p in picked:
        shutil.copyfile(p, rec / p.name) if not (rec / p.name).exists() else None
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "recordings")
    names = sorted(rec.iterdir())
    for n, p in enumerate(names[:changes]):
        d = edited(p.read_bytes(), n + 1)
        if n % 2 == 0:          # edited in place
            p.write_bytes(orjson.dumps(d, option=orjson.OPT_INDENT_2))
        else:                   # re-recorded: the old file gone, the new request under its new hash
            p.unlink()
            (rec / f"{request_hash(d, 'v7') or f'{n:064x}'}.json").write_bytes(orjson.dumps(d, option=orjson.OPT_INDENT_2))
    return repo


def measure_gitdiff(source: Path, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = git_fixture(source, Path(tmp) / "repo")
        env = child_env(str(Path(tmp) / "cache"))
        cmd = ["-m", "cassette_tui", "diff", "--git", "HEAD", str(repo / "tests"), "--json"]
        _, _, out = run_peak_rusage(cmd, env)
        counted = sum(1 for line in out.splitlines() if b'"status"' in line and b'"rev"' not in line)
        times = [run_peak_rusage(cmd, env)[0] for _ in range(runs)]
    return {"gitdiff": statistics.median(times), "gitdiff changes": counted}


# --- the run ------------------------------------------------------------------------------


def trees(args) -> list[tuple[str, Path]]:
    # A copy: the live-reload burst writes into the tree it measures, and the shared corpus is read-only.
    real = Path(args.trees) / "real-copy"
    shutil.rmtree(real, ignore_errors=True)
    shutil.copytree(Path(args.real).resolve(), real)
    out = [("2026-05 (real)", real)]
    sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.quick:
        sizes = [s for s in sizes if s < 100_000]
    for n in sizes:
        for shape in ("folders", "flat"):
            label = f"{n // 1000}k {shape}" if n >= 1000 else f"{n} {shape}"
            out.append((label, make_tree.make(Path(args.trees) / f"t{n}-{shape}", n, shape)))
    return out


def measure_tree(root: Path, args) -> dict[str, float]:
    """Every figure of one tree; a part that fails says why on stderr and leaves its rows empty."""
    res: dict[str, float] = {}

    def part(name: str, fn, *a) -> None:
        try:
            res.update(fn(*a))
        except Exception as exc:  # noqa: BLE001 - one failed part must not lose the others' figures
            print(f"    {name} failed: {exc}", file=sys.stderr, flush=True)
            res["failed"] = res.get("failed", 0) + 1

    part("index", measure_index, root, args.runs)
    with tempfile.TemporaryDirectory() as cache:
        part("ls", measure_cli, root, args.runs, cache)
        part("tui", measure_tui, root, args.runs, cache)
        os.environ["CASSETTE_TUI_CACHE_DIR"] = cache
        part("notebook", lambda: {"notebook": notebook_html(root)})
        if args.burst:
            part("burst", measure_burst, root, args.burst, args.burst_seconds)
    print(f"    {json.dumps(res)}", file=sys.stderr, flush=True)
    return res


ROWS = [
    ("files", "recordings", "{:,.0f}"), ("mib", "MiB", "{:,.0f}"),
    ("loop", "orjson.loads loop (s)", "{:.3f}"), ("cold", "index cold (s)", "{:.3f}"), ("cold/loop", "  cold / loop (<= 1.0)", "{:.2f}x"),
    ("warm", "index warm (s)", "{:.3f}"), ("warm/cold", "  warm / cold (<= 0.05)", "{:.3f}x"), ("query", f"query {QUERY!r} (ms)", "ms"),
    ("ls text", "ls text | pipe (s)", "{:.2f}"), ("ls --json", "ls --json | pipe (s)", "{:.2f}"), ("ls ratio", "  text / json (<= 2x)", "{:.2f}x"),
    ("ls text rss", "  ls text peak RSS (MB)", "mb"), ("ls --json rss", "  ls --json peak RSS (MB)", "mb"),
    ("paint cold", "TUI first paint cold (s; once at 100k)", "{:.2f}"), ("paint warm", "TUI first paint warm (s)", "{:.2f}"),
    ("tui rss", "TUI peak RSS (MB, <= 300)", "mb"), ("verify rss", "  or its verify child's, if more (MB)", "mb"),
    ("key median", "filter key median (ms, <= 30)", "ms"), ("key p99", "filter key p99 (ms, <= 80)", "ms"),
    ("largest", "largest recording shown (ms)", "ms"), ("largest kib", "  its size (KiB)", "{:,.0f}"),
    ("burst keys", "burst: keys pressed", "{:.0f}"), ("burst key max", "burst: worst key (ms, <= 150)", "ms"),
    ("burst key median", "burst: key median (ms)", "ms"),
    ("row median", "burst: write to row, median (ms)", "ms"), ("row p99", "burst: write to row, p99 (ms, <= 300)", "ms"),
    ("row max", "burst: write to row, max (ms)", "ms"), ("rows missing", "burst: files never shown", "{:.0f}"),
    ("notebook", "notebook index HTML, 50 rows (KB, <= 40)", "kb"),
    ("failed", "parts that failed (see stderr)", "{:.0f}"),
]


def cell(value: float | None, fmt: str) -> str:
    if value is None:
        return "-"
    if fmt == "ms":
        return f"{value * 1000:.1f}"
    if fmt == "mb":
        return f"{value / 1e6:.0f}"
    if fmt == "kb":
        return f"{value / 1000:.1f}"
    return fmt.format(value)


def print_table(results: dict[str, dict[str, float]]) -> None:
    labels = list(results)
    width = max(len(r[1]) for r in ROWS)
    print(f"{'':{width}}  " + "  ".join(f"{x:>15}" for x in labels))
    for key, name, fmt in ROWS:
        print(f"{name:{width}}  " + "  ".join(f"{cell(results[x].get(key), fmt):>15}" for x in labels))


def main() -> int:
    ap = bench_args.parser(__doc__, runs=3)
    ap.set_defaults(dir=str(REAL))
    ap.add_argument("--quick", action="store_true", help="skip the 100k trees")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--trees", default=os.path.join(tempfile.gettempdir(), "cassette-scale-trees"))
    ap.add_argument("--burst", type=int, default=3000, help="files written in the live-reload burst (0: none)")
    ap.add_argument("--burst-seconds", type=float, default=3.0)
    ap.add_argument("--paint-child", metavar="DIR", help=argparse_hidden())
    args = ap.parse_args()
    if args.paint_child:
        asyncio.run(paint_and_exit(Path(args.paint_child)))
    args.real = bench_args.root_of(args)
    started = time.time()
    print(f"machine: {os.uname().machine}, {os.cpu_count()} cpus, Python {sys.version.split()[0]}; "
          f"second core worth {bench_index.parallel_speedup():.2f}x at the start; load {os.getloadavg()[0]:.2f}")
    print(f"{args.runs} runs per figure, medians; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    results: dict[str, dict[str, float]] = {}
    measured = trees(args)
    for label, root in measured:
        print(f"... {label}: {root}", file=sys.stderr, flush=True)
        results[label] = measure_tree(root, args)
    print_table(results)
    source = measured[1][1] if len(measured) > 1 else args.real
    git = measure_gitdiff(source, args.runs)
    print(f"diff --git, {git['gitdiff changes']:.0f} changes listed: {git['gitdiff']:.2f} s (<= 0.3)")
    print(f"second core worth {bench_index.parallel_speedup():.2f}x at the end; load {os.getloadavg()[0]:.2f}; took {time.time() - started:.0f} s")
    os.makedirs(args.trees, exist_ok=True)
    Path(args.trees, "last-run.json").write_text(json.dumps({"results": results, "gitdiff": git}))
    return 0


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    raise SystemExit(main())
