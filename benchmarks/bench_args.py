"""What every benchmark script takes: a directory (the corpus beside the checkout by default) and a run count."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def parser(doc: str | None, runs: int) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--runs", type=int, default=runs)
    return ap


def root_of(args: argparse.Namespace) -> Path:
    """The directory to measure; a one-line message and exit status 2 when there is none."""
    root = Path(args.dir).resolve()
    if not root.is_dir():
        print(f"no such directory: {root}", file=sys.stderr)
        raise SystemExit(2)
    return root


def run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,), timeout: float = 600) -> float:
    """Wall seconds of `python ARGS` as a whole process; a status outside `ok` stops the bench, saying why."""
    import subprocess
    import time

    t = time.perf_counter()
    p = subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    elapsed = time.perf_counter() - t
    if p.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
    return elapsed
