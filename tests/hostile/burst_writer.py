"""Write a burst of recordings into a directory, as a test run re-recording does (run as a separate process).

    python burst_writer.py ROOT COUNT

Writes COUNT recordings over a few seconds into folders it creates as it goes
(some atomically with a rename, some in two writes, as a slow writer would; one
in 25 also into a brand-new nested folder), rewrites one in ten with another
model, deletes one in ten, and prints how long it took.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hostile.generate import chat, dump  # noqa: E402


def burst(root: Path, count: int) -> None:
    rnd = random.Random(6)
    written: list[Path] = []
    for i in range(count):
        folder = root / f"area{i % 7}" / ("recordings" if i % 2 else "deep/recordings")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{i:064x}.json"
        data = dump(chat(model=f"m-{i}", content=f"message {i}"))
        if i % 3 == 0:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        else:
            with open(path, "wb") as f:
                f.write(data[:100])
                f.flush()
                f.write(data[100:])
        written.append(path)
        if i % 25 == 0:
            # A new nested folder with a file at once: made before any watcher can see the folder.
            fresh = root / f"new{i:04}" / "nested" / "recordings" / f"{i:064x}.json"
            fresh.parent.mkdir(parents=True)
            fresh.write_bytes(data)
            written.append(fresh)
        if i % 10 == 9:
            rnd.choice(written).write_bytes(dump(chat(model=f"rewritten-{i}")))
        if i % 10 == 5:
            written.pop(rnd.randrange(len(written))).unlink()
        if i % 100 == 99:
            time.sleep(0.1)   # 2,000 files take a few seconds, in bursts


if __name__ == "__main__":
    t0 = time.perf_counter()
    burst(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"{time.perf_counter() - t0:.2f}")
