"""Time `explain` as a contributor runs it: a whole process, warm caches.

    python benchmarks/bench_explain.py [DIR] [--runs N] [--copies K]

DIR defaults to ../shared/corpus/2026-05 (the newest real tree). Two trees are
measured: DIR itself, and DIR copied K times (default 12, about 3,000 files for
the 2026-05 tree) with each copy's test ids renamed, so every file is a
distinct request. For each tree:

- one miss: a recording re-recorded with one message changed (the live file
  `record-if-missing` writes), `explain LIVE --dir TREE`;
- a 100-miss log: the pytest output of 100 tests whose request gained a
  parameter (hash, model and URL only, as today's recorder prints them), with
  the FAILED summary lines, `explain LOG --dir TREE`.

Each command runs once untimed (filling the index and verify caches, as a
contributor's earlier run did), then --runs times in turn; the medians of wall
time are printed against the targets (one miss <= 0.3 s, 100 misses <= 1 s).
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import bench_args  # beside this script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cassette_tui.hashing import request_hash  # noqa: E402

TARGETS = {"one miss": 0.3, "100-miss log": 1.0}


def chat_recordings(root: Path) -> list[tuple[Path, dict]]:
    """Readable chat-completion recordings with a test id, in path order."""
    out = []
    for p in sorted(root.rglob("*.json")):
        try:
            d = json.loads(p.read_bytes())
        except ValueError:
            continue
        body = d.get("request", {}).get("body") if isinstance(d, dict) and isinstance(d.get("request"), dict) else None
        if isinstance(d, dict) and d.get("test_id") and isinstance(body, dict) and isinstance(body.get("messages"), list) and body["messages"]:
            out.append((p, d))
    return out


def copied_tree(src: Path, dest: Path, copies: int) -> Path:
    """`copies` copies of src side by side, test ids renamed per copy, each file named by its new hash."""
    for k in range(copies):
        for p in src.rglob("*.json"):
            rel = p.relative_to(src)
            target_dir = dest / f"copy{k:02d}" / rel.parent
            target_dir.mkdir(parents=True, exist_ok=True)
            try:
                d = json.loads(p.read_bytes())
            except ValueError:
                continue
            if isinstance(d, dict) and isinstance(d.get("test_id"), str):
                d["test_id"] = d["test_id"].replace("::test_", f"::test_c{k:02d}_", 1)
                h = request_hash(d, "v7")
                name = f"{h}.json" if h and len(p.stem) == 64 else p.name
            else:
                name = p.name
            (target_dir / name).write_text(json.dumps(d))
    return dest


def one_miss(root: Path, out: Path) -> Path:
    """The live file of a re-recorded test: its first message's text changed."""
    _, d = chat_recordings(root)[0]
    live = copy.deepcopy(d)
    msg = live["request"]["body"]["messages"][0]
    msg["content"] = (msg["content"] if isinstance(msg.get("content"), str) else "") + " Answer briefly."
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{request_hash(live, 'v7')}.json"
    path.write_text(json.dumps(live))
    return path


def miss_log(root: Path, out: Path, count: int = 100) -> Path:
    """pytest's output for `count` tests whose request gained `service_tier`."""
    blocks, summary = [], []
    for _, d in chat_recordings(root)[:count]:
        live = copy.deepcopy(d)
        live["request"]["body"]["service_tier"] = "auto"
        h = request_hash(live, "v7")
        tid = live["test_id"]
        name = tid.rsplit("::", 1)[-1]
        blocks.append(
            f"_____ {name} _____\n{tid.split('::')[0]}:42: in {name.split('[')[0]}\n    response = client.chat.completions.create(**kwargs)\n"
            f"E   RuntimeError: Recording not found for request hash: {h}\n"
            f"E   Model: {live['request']['body'].get('model')} | Request: POST {live['request'].get('url')}\n\n"
        )
        summary.append(f"FAILED {tid} - RuntimeError: Recording not found for request hash: {h[:16]}...\n")
    path = out / "ci.log"
    path.write_text("".join(blocks) + "=== short test summary info ===\n" + "".join(summary))
    return path


def main() -> int:
    ap = bench_args.parser(__doc__, runs=5)
    ap.set_defaults(dir=str(bench_args.DEFAULT_DIR / "2026-05"))
    ap.add_argument("--copies", type=int, default=12)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        env = dict(os.environ, CASSETTE_TUI_CACHE_DIR=str(t / "cache"), PYTHONPATH=str(Path(__file__).resolve().parents[1]), NO_COLOR="1")
        env.pop("PYTHONDONTWRITEBYTECODE", None)   # as a user runs it: Python keeps its compiled modules
        trees = {root.name: root, f"{root.name} x{args.copies}": copied_tree(root, t / "big", args.copies)}
        cmds: dict[str, list[str]] = {}
        for label, tree in trees.items():
            work = t / f"in-{len(cmds)}"
            work.mkdir()
            cmds[f"{label}: one miss"] = ["-m", "cassette_tui", "explain", str(one_miss(tree, work / "live")), "--dir", str(tree)]
            cmds[f"{label}: 100-miss log"] = ["-m", "cassette_tui", "explain", str(miss_log(tree, work)), "--dir", str(tree)]
        cmds["python -c pass (the floor)"] = ["-c", "pass"]
        for cmd in cmds.values():
            bench_args.run(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(bench_args.run(cmd, env))
        sizes = {label: sum(1 for _ in tree.rglob("*.json")) for label, tree in trees.items()}
    print(f"trees: {', '.join(f'{k} ({v} files)' for k, v in sizes.items())}; warm caches, {args.runs} runs, medians of wall time")
    for name, ts in times.items():
        target = next((v for k, v in TARGETS.items() if name.endswith(k)), None)
        verdict = "" if target is None else f"  (target <= {target:.1f} s: {'met' if statistics.median(ts) <= target else 'MISSED'})"
        print(f"{name:40}: {statistics.median(ts) * 1000:7.0f} ms{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
