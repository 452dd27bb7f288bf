"""The writer of scale_live.py's burst, in a process of its own as a recorder is.

    python benchmarks/burst_writer.py FOLDER PAYLOADS.pickle SECONDS ROOT LOG

Writes each payload as a whole file (temp file, then renamed into place) at a
steady rate over SECONDS, and writes to LOG (at the end) each file's path relative to ROOT and the
time it was written (perf_counter: CLOCK_MONOTONIC, the same clock in the app's
process). Deletes PAYLOADS when done. Imports nothing of the app.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path


def main() -> None:
    folder, blob, seconds, root, log = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])
    payloads = pickle.loads(blob.read_bytes())
    blob.unlink()
    lines = []
    start = time.perf_counter()
    for i, data in enumerate(payloads):
        due = start + seconds * i / len(payloads)
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        path = folder / f"{i:064x}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        lines.append(f"{path.relative_to(root).as_posix()} {time.perf_counter()}\n")
    log.write_text("".join(lines))


if __name__ == "__main__":
    main()
