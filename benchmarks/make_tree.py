"""Make a large, realistic recordings tree from the shared corpus, the same bytes every time.

    python benchmarks/make_tree.py OUT --count N [--shape folders|flat] [--corpus DIR]

The templates are every recording of the corpus eras that use 64-hex names
(2025-10, 2026-02, 2026-05: chat and completion streams of every length,
tool-call conversations whose turns grow their history, model lists, tool
invocations, HTTP passthroughs, recorded exceptions, every provider), in path
order. Recording i is template i % T in copy i // T: each copy renames its test
ids (`::test_x` -> `::test_c0003_x`), so a test's turns stay one test and the
test-id spread grows with the tree as a real suite's does. A file named by its
request hash gets its new v7 hash as its name (what a recorder would write);
others (model lists, legacy names) get the copy number in their name.

- `folders`: the template's own folder under `copyNNNN/` (the real layout: per
  area `recordings/` folders, repeated);
- `flat`: every file in one folder.

One file in 2,000 gets a large body (its first message padded to about 1.5 MB),
as real trees hold a few recorded documents. Written with orjson (indented as
the recorder writes); the tree gets a `MADE_BY` note with its parameters so a
second call with the same ones does nothing. Never writes outside OUT.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cassette_tui.hashing import request_hash  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ERAS = ("2025-10", "2026-02", "2026-05")
LARGE_EVERY = 2_000
LARGE_BYTES = 1_500_000
HEX64 = re.compile(r"[0-9a-f]{64}")
VERSION = 1   # bump when the output changes, so stale trees are made again


def templates(corpus: Path) -> list[tuple[str, bytes]]:
    """(path relative to its era, raw bytes) of every recording of the 64-hex eras, in path order."""
    out = []
    for era in ERAS:
        root = corpus / era
        out += [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*.json"))]
    if not out:
        raise SystemExit(f"no recordings under {corpus} ({', '.join(ERAS)})")
    return out


def renamed(raw: bytes, copy: int, large: bool) -> tuple[bytes, str | None]:
    """The template as copy `copy` records it, and its new v7 hash (None when it has none)."""
    try:
        d = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw, None                 # a broken file stays broken, as in a real tree
    if not isinstance(d, dict):
        return raw, None
    tid = d.get("test_id")
    if isinstance(tid, str) and "::" in tid:
        head, _, name = tid.rpartition("::")
        d["test_id"] = f"{head}::{name.replace('test_', f'test_c{copy:04d}_', 1) if name.startswith('test_') else f'c{copy:04d}_{name}'}"
    if large:
        body = d.get("request", {}).get("body") if isinstance(d.get("request"), dict) else None
        messages = body.get("messages") if isinstance(body, dict) else None
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            messages[0]["content"] = "A recorded document, line after line. " * (LARGE_BYTES // 38)
    return orjson.dumps(d, option=orjson.OPT_INDENT_2), request_hash(d, "v7")


def make(out: Path, count: int, shape: str, corpus: Path = CORPUS) -> Path:
    params = {"version": VERSION, "count": count, "shape": shape, "corpus": str(corpus)}
    note = out / "MADE_BY"
    if note.is_file() and json.loads(note.read_text()) == params:
        return out
    if out.exists():
        shutil.rmtree(out)
    src = templates(corpus)
    made: set[Path] = set()
    for i in range(count):
        copy, (rel, raw) = divmod(i, len(src))[0], src[i % len(src)]
        data, digest = renamed(raw, copy, large=(i % LARGE_EVERY == LARGE_EVERY - 1))
        folder, name = os.path.split(rel)
        stem = name[:-5]
        if digest and HEX64.fullmatch(stem):
            name = f"{digest}.json"
        else:
            name = f"{stem}-c{copy:04d}.json"
        target = out / (Path(f"copy{copy:04d}") / folder if shape == "folders" else Path("recordings")) / name
        if target in made:           # the same request twice in a template folder: keep both, as recorded
            target = target.with_name(f"{target.stem}-{i}.json")
        made.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    note.write_text(json.dumps(params))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--shape", choices=("folders", "flat"), default="folders")
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    out = Path(args.out).resolve()
    make(out, args.count, args.shape, Path(args.corpus))
    n = sum(1 for _ in out.rglob("*.json"))
    size = sum(p.stat().st_size for p in out.rglob("*.json"))
    print(f"{out}: {n} recordings, {size / 2**20:.0f} MiB ({args.shape})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
