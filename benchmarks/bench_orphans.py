"""What looking for orphans adds to `verify`: a whole process, warm index and verify caches.

    python benchmarks/bench_orphans.py [DIR] [--runs N] [--lines L]

DIR defaults to ../shared/corpus/2026-05. Its tests/integration tree is copied
into a temporary repository and, beside it, a test module is written for every
test file its test ids name: the functions the ids name (all but every fifth,
whose recordings become orphans) and filler functions up to L lines (default
800) each, about the size of llama-stack's test modules. Timed, `verify TREE`:

- the tree without its test modules (nothing to check: the baseline);
- with its test modules, every module parsed (the parsed-module cache removed before each run);
- with its test modules, their names taken from the cache (the usual warm run).

Medians of --runs whole-process wall times (default 7).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import bench_args  # beside this script


def write_modules(top: Path, tree: Path, lines: int) -> tuple[int, int]:
    """A module per test file the tree's test ids name; (modules, lines written)."""
    by_file: dict[str, set[str]] = {}
    for path in sorted(tree.rglob("*.json")):
        try:
            test_id = json.loads(path.read_text()).get("test_id")
        except (ValueError, OSError):
            continue
        if isinstance(test_id, str) and "::" in test_id:
            file, rest = test_id.split("::", 1)
            by_file.setdefault(file, set()).add(rest.split("[", 1)[0])
    written = 0
    for n, (file, funcs) in enumerate(sorted(by_file.items())):
        out = ["import pytest", ""]
        for k, func in enumerate(sorted(funcs)):
            if (n + k) % 5 == 4:
                continue   # deleted: its recordings are orphans
            cls, _, name = func.rpartition("::")
            out += [f"class {cls}:", f"    def {name}(self, client):", "        assert client", ""] if cls else [f"def {func}(client):", "    assert client", ""]
        k = 0
        while len(out) < lines:
            out += [f"def helper_{k}(value, other=None):", f"    '''A helper, number {k}.'''", "    result = [v * 2 for v in value if v]", "    return result or other", ""]
            k += 1
        path = top / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out) + "\n")
        written += len(out)
    return len(by_file), written


def main() -> None:
    ap = bench_args.parser(__doc__, runs=7)
    ap.set_defaults(dir=str(bench_args.DEFAULT_DIR / "2026-05"))
    ap.add_argument("--lines", type=int, default=800)
    args = ap.parse_args()
    source = bench_args.root_of(args) / "tests" / "integration"
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare" / "tests" / "integration"
        top = Path(tmp) / "repo"
        tree = top / "tests" / "integration"
        shutil.copytree(source, bare)
        shutil.copytree(source, tree)
        modules, lines = write_modules(top, tree, args.lines)
        env = {**os.environ, "CASSETTE_TUI_CACHE_DIR": str(Path(tmp) / "cache")}
        cache = Path(tmp) / "cache"
        verify = ["-m", "cassette_tui", "verify"]

        def timed(target: Path, before=None) -> float:
            times = []
            bench_args.run([*verify, str(target)], env, ok=(0, 1))    # fills the index and verify caches
            for _ in range(args.runs):
                if before:
                    before()
                times.append(bench_args.run([*verify, str(target)], env, ok=(0, 1)))
            return statistics.median(times)

        def forget_modules() -> None:
            for f in cache.glob("tests-*.bin"):
                f.unlink()

        base = timed(bare)
        parsed = timed(tree, forget_modules)
        cached = timed(tree)
        files = sum(1 for _ in tree.rglob("*.json"))
        print(f"{files} recordings, {modules} test modules, {lines:,} lines of test code; verify, median of {args.runs} runs:")
        print(f"  no test modules beside the tree   {base:.3f} s")
        print(f"  every module parsed               {parsed:.3f} s  (+{parsed - base:.3f} s)")
        print(f"  module names from the cache       {cached:.3f} s  (+{cached - base:.3f} s)")


if __name__ == "__main__":
    sys.exit(main())
