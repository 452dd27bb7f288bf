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
