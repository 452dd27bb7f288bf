"""Where replay looked for a missed recording: the test's own folder, then the fallback.

Folders come from the test id (recorded or logged text): a path that would leave
the tree (`..`, an absolute path) is never looked at.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .miss import Miss

FALLBACK_FOLDER = "tests/integration/common/recordings"
UNKNOWN_TEST_FOLDER = "(unknown: the message does not name the test)"
SQLITE_FOLDER = "tests/integration/recordings"


@dataclass
class Lookup:
    role: str            # test folder | fallback | sqlite index
    folder: str          # relative to the index root when it maps into it, else the repository path
    file: str | None     # the file name replay wanted
    exists: bool         # the folder exists under the index root
    found: bool          # the file is there

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "folder": self.folder, "file": self.file, "exists": self.exists, "found": self.found}


def replay_test_folder(test_id: str | None) -> str | None:
    """The repository folder replay reads first: the test file's folder + recordings/."""
    if not test_id:
        return None
    test_file = test_id.split("::", 1)[0]
    parent = posixpath.dirname(test_file)
    folder = posixpath.join(parent, "recordings") if parent else "recordings"
    # recorded text names this folder: one that would leave the tree is no folder replay can use here
    if folder.startswith("/") or ".." in folder.split("/") or "\0" in folder:
        return None
    return folder


def map_into(root: Path, repo_path: str) -> Path | None:
    """`repo_path` (from the repository's top) as a folder under `root`, wherever root sits in the repo.

    Prefers a root whose last folders are the path's first ones (root = repo/tests/integration),
    then any existing folder root/<the path without its first k parts> (a copy named otherwise).
    """
    parts = [p for p in repo_path.split("/") if p and p != "."]
    if ".." in parts:
        return None
    tail = root.parts
    best = None
    for k in range(len(parts), -1, -1):
        if k == 0 or tuple(tail[-k:]) == tuple(parts[:k]):
            cand = root.joinpath(*parts[k:]) if parts[k:] else root
            if cand.is_dir():
                return cand
            if best is None:
                best = cand
    for k in range(1, len(parts)):
        cand = root.joinpath(*parts[k:])
        if cand.is_dir():
            return cand
    return best


def replay_lookups(miss: Miss, root: Path) -> list[Lookup]:
    if miss.variant == "legacy":
        folder = map_into(root, SQLITE_FOLDER)
        rel = _rel(folder, root) if folder else SQLITE_FOLDER
        name = f"{miss.hash[:12]}.json" if miss.hash else None
        found = bool(folder and name and (folder / "responses" / name).is_file())
        return [Lookup("sqlite index", rel + "/index.sqlite -> responses/", name, bool(folder and folder.is_dir()), found)]
    name = None
    if miss.hash and len(miss.hash) == 64:
        name = f"{miss.hash}.json"
    out = []
    tf = replay_test_folder(miss.test_id)
    roles: list[tuple[str, str | None]] = [("test folder", tf), ("fallback", FALLBACK_FOLDER)]
    for role, repo_path in roles:
        if repo_path is None:
            out.append(Lookup(role, UNKNOWN_TEST_FOLDER, name, False, False))
            continue
        folder = map_into(root, repo_path)
        exists = bool(folder and folder.is_dir())
        found = False
        if exists and folder is not None and miss.hash:
            if name and (folder / name).is_file() and (miss.source is None or os.path.abspath(folder / name) != os.path.abspath(miss.source)):
                found = True
            elif any(folder.glob(f"models-{miss.hash}-*.json")):
                found = True
        out.append(Lookup(role, _rel(folder, root) if folder is not None and exists else repo_path, name, exists, found))
    return out


def _rel(p: Path | None, root: Path) -> str:
    if p is None:
        return ""
    try:
        r = p.relative_to(root).as_posix()
        return r if r != "." else "."
    except ValueError:
        return p.as_posix()


