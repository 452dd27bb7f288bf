"""Index a directory cold and warm, next to a plain orjson.loads loop over the same files.

    python benchmarks/bench_index.py [DIR] [--runs N]

DIR defaults to ../shared/corpus. Every figure is a median over --runs runs taken
in this one process, interleaved, so machine noise hits all three alike.
Targets (issue 2): cold <= 1.5x the loop, warm <= 0.1x cold.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_args  # beside this script
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cassette_tui.index import Index  # noqa: E402


def orjson_loop(files: list[str]) -> float:
    t = time.perf_counter()
    for p in files:
        with open(p, "rb") as f:
            orjson.loads(f.read())
    return time.perf_counter() - t


def _spin(n: int = 200_000) -> None:
    x = 0
    for i in range(n):
        x += i


def parallel_speedup() -> float:
    """How much a second process helps right now: the same pure-Python work twice, in
    series and then in this process and a fork at once. 2.0 is two whole cores; a
    neighbour on the host (it happens here) brings it towards 1.0."""
    t = time.perf_counter()
    _spin()
    _spin()
    serial = time.perf_counter() - t
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        _spin()
        os._exit(0)
    _spin()
    os.waitpid(pid, 0)
    return serial / (time.perf_counter() - t)


def index_once(root: Path, cache_dir: str) -> tuple[float, int]:
    os.environ["CASSETTE_TUI_CACHE_DIR"] = cache_dir
    t = time.perf_counter()
    idx = Index(root).scan()
    return time.perf_counter() - t, idx.stats.read


def main() -> int:
    ap = bench_args.parser(__doc__, runs=15)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    files = [os.path.join(dp, f) for dp, _, fn in os.walk(root) for f in fn if f.endswith(".json")]
    size = sum(os.path.getsize(p) for p in files)

    # One untimed pass of each warms the OS page cache and Python's imports.
    orjson_loop(files)
    with tempfile.TemporaryDirectory() as warmup:
        index_once(root, warmup)

    loops, colds, warms, speedups = [], [], [], []
    for _ in range(args.runs):
        speedups.append(parallel_speedup())
        loops.append(orjson_loop(files))
        with tempfile.TemporaryDirectory() as cache:
            cold, read = index_once(root, cache)
            assert read == len(files), f"cold scan read {read} of {len(files)} files"
            warm, read = index_once(root, cache)
            assert read == 0, f"warm scan re-read {read} files"
        colds.append(cold)
        warms.append(warm)

    loop, cold, warm = (statistics.median(x) for x in (loops, colds, warms))
    # Each run's three figures are taken back to back, so a run's own ratios share its
    # moment's noise (a busy neighbour, a slow core): their median is the steadier figure.
    cold_ratio = statistics.median(c / lp for c, lp in zip(colds, loops, strict=True))
    warm_ratio = statistics.median(w / c for w, c in zip(warms, colds, strict=True))
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, {platform.system()}")
    print(f"dir: {root} ({len(files)} files, {size / 2**20:.1f} MiB), {args.runs} runs, medians")
    print(f"orjson.loads loop : {loop * 1000:8.1f} ms")
    print(f"index cold        : {cold * 1000:8.1f} ms  = {cold / loop:.2f}x the loop  (median of the runs' ratios {cold_ratio:.2f}x; target <= 1.5x)")
    print(f"index warm        : {warm * 1000:8.1f} ms  = {warm / cold:.3f}x cold     (median of the runs' ratios {warm_ratio:.3f}x; target <= 0.1x)")
    # The cold scan forks a reader per core; say how much the second core was worth.
    print(f"second core       : a second process ran {statistics.median(speedups):.2f}x as fast (median; 2.0 = a whole core, range {min(speedups):.2f}-{max(speedups):.2f})")
    ok = cold <= 1.5 * loop and warm <= 0.1 * cold
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
