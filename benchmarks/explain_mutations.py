"""How often `explain` is right when real recordings are re-recorded with the changes real history shows.

    python benchmarks/explain_mutations.py [DIR] [--per-kind N] [--seed S]

DIR defaults to ../shared/corpus/2026-05. For each kind of change seen in
llama-stack's history (a parameter added, a prompt edited by a few characters, a
tool description extended, the test renamed or re-parametrized, the model
changed, the model's earlier tool call rewritten, a tool-call id regenerated, the
content turned into a list of parts), N recordings of the tree are changed as
that commit would have changed them and written as `record-if-missing` writes the
live file; `explain LIVE --dir DIR` must name the original, the changed paths and
the cause. Prints the share right per kind and overall: a check of generality
beyond the 41 cases of ../shared/explain-cases, on every recording shape the tree
holds (it is not a test: the trees differ between machines).
"""

from __future__ import annotations

import copy
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_args  # beside this script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cassette_tui.explain import HashTable, explain, miss_from_recording  # noqa: E402
from cassette_tui.hashing import request_hash  # noqa: E402
from cassette_tui.index import Index  # noqa: E402
from cassette_tui.recording import Recording  # noqa: E402

Mutation = Callable[[dict, random.Random], "tuple[str, list[str]] | None"]   # -> (cause, changed paths) or None when it does not apply


def _body(d: dict) -> dict | None:
    body = d.get("request", {}).get("body")
    return body if isinstance(body, dict) else None


def add_parameter(d: dict, rng: random.Random):
    body = _body(d)
    if body is None or "service_tier" in body or "model" not in body:
        return None
    body["service_tier"] = "auto"
    return "default", ["body.service_tier"]


def edit_prompt(d: dict, rng: random.Random):
    body = _body(d)
    msgs = body.get("messages") if body else None
    if not isinstance(msgs, list):
        return None
    users = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str) and m["content"]]
    if not users:
        return None
    i = rng.choice(users)
    msgs[i]["content"] = msgs[i]["content"].rstrip(".?! ") + " Be brief."
    return "prompt", [f"body.messages[{i}].content"]


def extend_tool(d: dict, rng: random.Random):
    body = _body(d)
    tools = body.get("tools") if body else None
    if not isinstance(tools, list) or not tools or not isinstance(tools[0], dict) or not isinstance(tools[0].get("function"), dict):
        return None
    fn = tools[0]["function"]
    if not isinstance(fn.get("description"), str):
        return None
    fn["description"] += " Returns JSON."
    return "tool", ["body.tools[0].function.description"]


def rename_test(d: dict, rng: random.Random):
    tid = d.get("test_id")
    if not isinstance(tid, str) or "::test_" not in tid:
        return None
    d["test_id"] = tid.replace("::test_", "::test_renamed_", 1)
    return "test-id", ["test_id"]


def reparametrize(d: dict, rng: random.Random):
    tid = d.get("test_id")
    if not isinstance(tid, str) or not tid.endswith("]"):
        return None
    d["test_id"] = tid[:-1] + "-v2]"
    return "test-id", ["test_id"]


def change_model(d: dict, rng: random.Random):
    body = _body(d)
    if body is None or not isinstance(body.get("model"), str):
        return None
    body["model"] = body["model"] + "-2025"
    return "model", ["body.model"]


def rewrite_tool_call(d: dict, rng: random.Random):
    body = _body(d)
    msgs = body.get("messages") if body else None
    if not isinstance(msgs, list):
        return None
    spots = [(i, k) for i, m in enumerate(msgs) if isinstance(m, dict) and isinstance(m.get("tool_calls"), list)
             for k, c in enumerate(m["tool_calls"]) if isinstance(c, dict) and isinstance(c.get("function"), dict)
             and isinstance(c["function"].get("arguments"), str) and c["function"]["arguments"].startswith("{")]
    if not spots:
        return None
    i, k = rng.choice(spots)
    fn = msgs[i]["tool_calls"][k]["function"]
    fn["arguments"] = fn["arguments"][:-1].rstrip() + (', ' if fn["arguments"].strip() != "{}" else "") + '"extra": true}'
    return "tool-arguments", [f"body.messages[{i}].tool_calls[{k}].function.arguments"]


def regenerate_call_id(d: dict, rng: random.Random):
    body = _body(d)
    msgs = body.get("messages") if body else None
    if not isinstance(msgs, list):
        return None
    for i, m in enumerate(msgs):
        if isinstance(m, dict) and m.get("role") == "tool" and isinstance(m.get("tool_call_id"), str) and m["tool_call_id"]:
            m["tool_call_id"] = "call_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
            return "volatile", [f"body.messages[{i}].tool_call_id"]
    return None


def content_to_parts(d: dict, rng: random.Random):
    body = _body(d)
    msgs = body.get("messages") if body else None
    if not isinstance(msgs, list):
        return None
    for i, m in enumerate(msgs):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            m["content"] = [{"type": "text", "text": m["content"]}]
            return "content-shape", [f"body.messages[{i}].content"]
    return None


MUTATIONS: dict[str, Mutation] = {
    "parameter added": add_parameter,
    "prompt edited": edit_prompt,
    "tool description": extend_tool,
    "test renamed": rename_test,
    "test re-parametrized": reparametrize,
    "model changed": change_model,
    "earlier tool call": rewrite_tool_call,
    "tool-call id": regenerate_call_id,
    "content as parts": content_to_parts,
}


def main() -> int:
    ap = bench_args.parser(__doc__, runs=1)
    ap.set_defaults(dir=str(bench_args.DEFAULT_DIR / "2026-05"))
    ap.add_argument("--per-kind", type=int, default=25)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    root = bench_args.root_of(args)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CASSETTE_TUI_CACHE_DIR"] = str(Path(tmp) / "cache")
        idx = Index(root).scan()
        table = HashTable(idx)
        files = sorted(p for p in idx.summaries if not idx.summaries[p].problem)
        totals = [0, 0, 0, 0]
        wrong: list[str] = []
        t0 = time.perf_counter()
        print(f"tree: {root} ({len(files)} readable recordings), {args.per_kind} per kind, seed {args.seed}")
        print(f"{'change':22} {'cases':>5} {'recording':>9} {'paths':>6} {'cause':>6}")
        for kind, mutate in MUTATIONS.items():
            order = files[:]
            rng.shuffle(order)
            n = rec_ok = paths_ok = cause_ok = 0
            for rel in order:
                if n >= args.per_kind:
                    break
                data = json.loads((root / rel).read_bytes())
                if not isinstance(data, dict) or request_hash(data, "v7") is None or not rel.endswith(f"{request_hash(data, 'v7')}.json"):
                    continue     # the original must be what today's recorder names (ok), as a live tree's are
                live = copy.deepcopy(data)
                got = mutate(live, rng)
                if got is None or request_hash(live, "v7") == request_hash(data, "v7"):
                    continue
                cause, paths = got
                path = Path(tmp) / "live" / f"{request_hash(live, 'v7')}.json"
                path.parent.mkdir(exist_ok=True)
                path.write_text(json.dumps(live))
                ex = explain(miss_from_recording(Recording.load(path)), idx, table=table)
                path.unlink()
                n += 1
                r = ex.nearest is not None and ex.nearest.path == rel
                p = sorted(c.path for c in ex.changes) == sorted(paths)
                c = ex.cause is not None and ex.cause.code == cause
                rec_ok, paths_ok, cause_ok = rec_ok + r, paths_ok + p, cause_ok + c
                if not (r and p and c):
                    wrong.append(f"{kind}: {rel}: nearest {ex.nearest.path if ex.nearest else None}, "
                                 f"paths {[ch.path for ch in ex.changes][:4]}, cause {ex.cause.code if ex.cause else None} (want {cause})")
            totals = [totals[0] + n, totals[1] + rec_ok, totals[2] + paths_ok, totals[3] + cause_ok]
            if n:
                print(f"{kind:22} {n:5} {rec_ok / n:9.0%} {paths_ok / n:6.0%} {cause_ok / n:6.0%}")
        n = totals[0] or 1
        print(f"{'all':22} {totals[0]:5} {totals[1] / n:9.0%} {totals[2] / n:6.0%} {totals[3] / n:6.0%}   ({time.perf_counter() - t0:.1f} s)")
        for w in wrong[:40]:
            print("  " + w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
