"""The index and TUI figures of two versions of the code, side by side, in one run.

    python benchmarks/before_after.py [DIR] [--before REV] [--rounds N] [--runs N]

REV (a git revision of this repository) is exported with `git archive` into a
temporary folder; where it still carried the C stat helper (`hatch_build.py`), the
helper is compiled there as its install would have. This checkout's bench_index.py
and bench_tui.py are copied in, so both versions are measured alike; they run in turn, version after version, --rounds times,
so the machine's drift hits both alike; the table gives the median of each figure
over the rounds and the median of the rounds' after/before ratios.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import bench_args  # beside this script

REPO = Path(__file__).resolve().parents[1]
FIGURES = {   # name -> (script, pattern of its printed line)
    "orjson loop (ms)": ("bench_index.py", r"orjson\.loads loop\s*:\s*([\d.]+) ms"),
    "index cold (ms)": ("bench_index.py", r"index cold\s*:\s*([\d.]+) ms"),
    "index warm (ms)": ("bench_index.py", r"index warm\s*:\s*([\d.]+) ms"),
    "TUI first paint (ms)": ("bench_tui.py", r"first paint\s*:\s*([\d.]+) ms"),
    "TUI filter keystroke (ms)": ("bench_tui.py", r"keystroke in the filter\s*:\s*([\d.]+) ms"),
    "TUI largest recording (ms)": ("bench_tui.py", r"largest recording shown\s*:\s*([\d.]+) ms"),
}


def export(rev: str, into: Path) -> Path:
    """REV's code, measured by this checkout's benchmark scripts (one definition of each figure)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for script in ("bench_args.py", "bench_index.py", "bench_tui.py"):
        shutil.copy(REPO / "benchmarks" / script, into / "benchmarks" / script)
    hook = into / "hatch_build.py"
    source = into / "cassette_tui" / "_stamps.c"
    if hook.is_file() and source.is_file():
        spec = importlib.util.spec_from_file_location("old_hatch_build", hook)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        why = module.compile_extension(source, into / "cassette_tui" / f"_stamps{sysconfig.get_config_var('EXT_SUFFIX')}")
        print(f"{rev}: C helper {'built' if why is None else 'not built: ' + why}")
    return into


def figures(checkout: Path, directory: str, runs: int, cache: str) -> dict[str, float]:
    out: dict[str, float] = {}
    env = {**os.environ, "CASSETTE_TUI_CACHE_DIR": cache}
    for script in dict.fromkeys(s for s, _ in FIGURES.values()):
        try:
            p = subprocess.run([sys.executable, str(checkout / "benchmarks" / script), directory, "--runs", str(runs)],
                               env=env, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            # Code from before the verify child's fix can hang at an app's exit (CPython gh-103847):
            # that round's figures of this script are left out, and said so.
            print(f"{checkout.name}: {script} did not finish in 600 s; its figures are left out of this round", file=sys.stderr)
            continue
        for name, (s, pattern) in FIGURES.items():
            m = re.search(pattern, p.stdout) if s == script else None
            if m:
                out[name] = float(m.group(1))
    return out


def main() -> int:
    ap = bench_args.parser(__doc__, runs=5)
    ap.add_argument("--before", default="0c44e14", help="the revision to compare with (default: the last commit before the architecture work)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "before").mkdir()
        before = export(args.before, Path(tmp) / "before")
        versions = {f"before ({args.before})": before, "after (this checkout)": REPO}
        taken: dict[str, list[dict[str, float]]] = {v: [] for v in versions}
        for r in range(args.rounds):
            for name, checkout in versions.items():
                taken[name].append(figures(checkout, str(root), args.runs, str(Path(tmp) / f"cache-{r}-{len(taken[name])}")))
                print(f"round {r + 1}/{args.rounds}: {name} done", file=sys.stderr)
    b, a = (taken[v] for v in versions)
    print(f"dir: {root}, {args.rounds} rounds of each version's benchmarks ({args.runs} runs each), medians")
    print(f"{'figure':<28} {'before':>9} {'after':>9}  after/before")
    for name in FIGURES:
        bs = [f[name] for f in b if name in f]
        as_ = [f[name] for f in a if name in f]
        if not bs or not as_:
            print(f"{name:<28} {'-':>9} {'-':>9}  (not printed by one version)")
            continue
        ratios = [y / x for x, y in zip(bs, as_, strict=False) if x]
        print(f"{name:<28} {statistics.median(bs):9.1f} {statistics.median(as_):9.1f}  {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
