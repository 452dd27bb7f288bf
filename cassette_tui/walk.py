"""Finding the recordings under a folder, with as few system calls as the cache allows.

A warm start must notice every change (a file added, removed, or rewritten in
place) without reading anything. Three things keep it cheap:

- A folder's listing is reused while its mtime is unchanged: adding, removing or
  renaming an entry changes a folder's mtime. Not when it changed within
  RACY_NS of the last listing, though: a later change in the same timestamp tick
  (1 s on ext3 and HFS+, 2 s on FAT) would carry the same mtime.
- Every file is still stat'ed (rewriting one in place leaves its folder alone),
  through the folder's descriptor so each stat resolves one name, not a path. When
  the cache knows every file of a folder, their (size, mtime) are compared with
  the packed stamps it holds, and the folder is reported unchanged as a whole.
  (A C helper once did that comparison without building os.stat's results: a
  warm scan of the corpus 20-25% faster in process, a whole warm `ls --json` no
  faster within noise, for a platform-specific wheel. It was removed.)
- A cold start does not stat a file the folder listing already says is regular:
  the reader's fstat on the open file gives its size and mtime.

Nothing here parses a file or knows about summaries.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn

# Directories never worth descending into when looking for recordings.
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", "site-packages"}

RACY_NS = 2_000_000_000

# One folder as listed: (mtime_ns, `.json` names, folders below worth walking, holds an
# index.sqlite). Loaded from the cache, a fifth item holds each name's (size, mtime_ns)
# as cached, packed by pack_stamps, or None (see cache._dirs_with_stamps).
DirListing = tuple[Any, ...]

# The stamp of a name whose cached row must be read again (it could not be opened):
# no file has a size of -1, so the folder never compares unchanged.
NO_STAMP = (-1, -1)

_DIR_FDS = os.stat in os.supports_dir_fd and os.scandir in os.supports_fd
# O_NONBLOCK: a FIFO where a folder was must fail at once, never wait for a writer.
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


os_stat = os.stat

# Symbolic links out of the tree are not followed: a link to `/` would walk the whole
# file system, a link to /usr list foreign JSON files. A link within the tree is.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# What O_NOFOLLOW on a link gives: ELOOP (EMLINK on FreeBSD), ENOTDIR on Linux along with
# O_DIRECTORY. A real ENOTDIR (the folder is now a file) fails again on the second open.
_LINK_ERRNOS = {errno.ELOOP, errno.EMLINK, errno.ENOTDIR}
_OUTSIDE = -1


def _raise_loop() -> NoReturn:
    raise OSError(errno.ELOOP, "a symbolic link")


def pack_stamps(stamps: Iterable[tuple[int, int]]) -> bytes | None:
    """(size, mtime_ns) pairs as native int64s, the form same_stamps compares; None if one
    does not fit (then the folder's files are compared one by one)."""
    flat = [v for pair in stamps for v in pair]
    try:
        return struct.pack(f"={len(flat)}q", *flat)
    except struct.error:
        return None


def same_stamps(dir_fd: int, names: tuple[str, ...], stamps: bytes) -> bool:
    """Whether every name in the folder open at `dir_fd` still has its packed (size, mtime_ns)."""
    try:
        sts = [os_stat(name, dir_fd=dir_fd) for name in names]
    except (OSError, ValueError):
        return False  # one vanished (or a name no file can have: an embedded NUL)
    return pack_stamps([(st.st_size, st.st_mtime_ns) for st in sts]) == stamps


_NONE: frozenset[str] = frozenset()


def skipped_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.startswith(".")


class TreeWalk:
    """One walk of a tree; after `files()` is consumed, what it saw is on the attributes.

    `known_dirs`: cached listings (reused when trusted); `known_files`: the cached
    rows by relative path. Given `known_files`, a regular file it does not hold is
    yielded with a None stat (it will be read anyway). `trust_before_ns`: a cached
    listing is trusted only if the folder's mtime is older than this.
    """

    def __init__(
        self,
        root: str,
        *,
        recordings_only: bool = False,
        known_dirs: dict[str, DirListing] | None = None,
        known_files: dict[str, Any] | None = None,
        trust_before_ns: int = 0,
    ):
        self.root = root
        self.recordings_only = recordings_only
        self.known_dirs = known_dirs or {}
        self.known_files = known_files
        self.trust_before_ns = trust_before_ns
        self.dirs: dict[str, DirListing] = {}                      # the listings used, by relative folder
        self.unchanged: list[tuple[str, tuple[str, ...]]] = []     # (relative prefix, names) of folders found as cached
        self.unchanged_files = 0
        self.sqlite_files: list[str] = []                          # index.sqlite paths, relative
        self.skipped: list[str] = []                               # folders that could not be read, and why
        self.listed = 0                                            # folders listed afresh
        self.links_out: list[str] = []                             # folder links leading out of the tree (not followed), relative
        self._seen: set[tuple[int, int]] = set()
        self._real_root: str | None = None

    def files(self, start: str | None = None) -> Iterator[tuple[str, os.stat_result | None]]:
        """(relative path, stat or None) of candidate files, in no particular order.

        Survives loops, vanished and unreadable folders; folder symlinks are followed
        once. `start` (a folder under the root) walks only that part of the tree.
        """
        root_len = len(self.root) + 1
        stack = [start or self.root]
        sep = os.sep
        while stack:
            d = stack.pop()
            rel_d = d[root_len:]
            try:
                fd = self._open_dir(d)
            except OSError as exc:
                if exc.errno != errno.ENOTDIR:  # ENOTDIR: a listed folder (a symlink) that now points at a file
                    self.skipped.append(f"{d}: {exc.strerror or exc}")
                continue
            if fd == _OUTSIDE:
                continue
            prefix = d + sep
            rel_prefix = prefix[root_len:].replace(sep, "/") if sep != "/" else prefix[root_len:]
            # In auto-discovery mode only files under a `recordings` folder count (a name
            # holds no '/', so the folder decides for all its files).
            wanted = not self.recordings_only or "/recordings/" in "/" + rel_prefix
            try:
                found = self._visit(d, fd, rel_d, rel_prefix, wanted)
            finally:
                if fd is not None:
                    os.close(fd)
            if found is None:
                continue
            listing, files = found
            names, subdirs, has_sqlite = listing[1], listing[2], listing[3]
            if subdirs:
                stack.extend([prefix + name for name in subdirs])
            if has_sqlite:
                self.sqlite_files.append((prefix + "index.sqlite")[root_len:].replace(sep, "/"))
            if files is None:
                self.unchanged.append((rel_prefix, names))
                self.unchanged_files += len(names)
                continue
            for name, st in files:
                if st is None or stat.S_ISREG(st.st_mode):
                    if wanted:
                        yield rel_prefix + name, st
                elif stat.S_ISDIR(st.st_mode) and not skipped_dir(name):
                    stack.append(prefix + name)

    def _open_dir(self, d: str) -> int | None:
        """A descriptor on folder `d` (None where descriptors are not used), or _OUTSIDE for a
        symbolic link leading out of the tree, which is noted in `skipped` and not followed.

        Opened with O_NOFOLLOW first: a plain folder costs no more than before, and only
        a link pays for the realpath that tells where it leads.
        """
        if d != self.root:
            try:
                return os.open(d, _DIR_FLAGS | _NOFOLLOW) if _DIR_FDS else (None if not os.path.islink(d) else _raise_loop())
            except OSError as exc:
                if exc.errno not in _LINK_ERRNOS:
                    raise
            if not self.inside(d):
                self.links_out.append(d[len(self.root) + 1:])
                self.skipped.append(f"{d}: a symbolic link to a folder outside the tree ({os.path.realpath(d)}): not followed")
                return _OUTSIDE
        return os.open(d, _DIR_FLAGS) if _DIR_FDS else None

    def inside(self, path: str) -> bool:
        """Whether `path`, every symbolic link resolved, is under the root."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root.rstrip(os.sep) + os.sep)

    def _stat_inside(self, name: str, fd: int | None, d: str) -> os.stat_result | None:
        """os.stat of a `.json` entry, or None for a symbolic link leading out of the tree (noted)."""
        st = os.lstat(name, dir_fd=fd) if fd is not None else os.lstat(os.path.join(d, name))
        if not stat.S_ISLNK(st.st_mode):
            return st
        path = os.path.join(d, name)
        if not self.inside(path):
            self.skipped.append(f"{path}: a symbolic link to a file outside the tree ({os.path.realpath(path)}): not read")
            return None
        return os_stat(name, dir_fd=fd) if fd is not None else os_stat(path)

    def _visit(self, d: str, fd: int | None, rel_d: str, rel_prefix: str, wanted: bool) -> tuple[DirListing, list[tuple[str, os.stat_result | None]] | None] | None:
        """A folder's listing (cached or fresh) and its `.json` entries with their stats.

        The entries are None when the folder's files are wanted and every one is as
        cached; the whole is None when the folder is to be skipped.
        """
        regular = _NONE
        try:
            dst = os.fstat(fd) if fd is not None else os.stat(d)
            if not stat.S_ISDIR(dst.st_mode):
                return None
            ident = (dst.st_dev, dst.st_ino)
            if ident in self._seen:
                return None  # a symlink loop, or a folder reached twice
            self._seen.add(ident)
            listing = self.known_dirs.get(rel_d)
            if listing is None or listing[0] != dst.st_mtime_ns or dst.st_mtime_ns >= self.trust_before_ns:
                names, subdirs, has_sqlite, regular = list_dir(fd if fd is not None else d)
                listing = (dst.st_mtime_ns, names, subdirs, has_sqlite)
                self.listed += 1
        except OSError as exc:
            self.skipped.append(f"{d}: {exc.strerror or exc}")
            return None

        names = listing[1]
        stamps = listing[4] if len(listing) > 4 else None
        self.dirs[rel_d] = listing   # (the stamps, if any, are rebuilt from the rows when saved)
        if wanted and fd is not None and type(stamps) is bytes and same_stamps(fd, names, stamps):
            return listing, None
        files: list[tuple[str, os.stat_result | None]] = []
        known = self.known_files
        for name in names:
            if known is not None and name in regular and rel_prefix + name not in known:
                files.append((name, None))  # new and regular: the reader's fstat will do
                continue
            try:
                st = self._stat_inside(name, fd, d)
            except OSError:
                continue  # vanished between listing and stat: it is simply not there
            if st is not None:
                files.append((name, st))
        return listing, files


def list_dir(d: str | int) -> tuple[tuple[str, ...], tuple[str, ...], bool, frozenset[str]]:
    """A folder's `.json` names, the folders below it worth walking, whether it holds an
    index.sqlite, and which `.json` names its entries say are regular files (no stat)."""
    names: list[str] = []
    regular: list[str] = []
    subdirs: list[str] = []
    has_sqlite = False
    with os.scandir(d) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(".json"):
                names.append(name)   # a file, or a folder named *.json: a stat tells
                if entry.is_file(follow_symlinks=False):
                    regular.append(name)
            elif entry.is_dir():
                if not skipped_dir(name):
                    subdirs.append(name)
            elif name == "index.sqlite":
                has_sqlite = True
    return tuple(names), tuple(subdirs), has_sqlite, frozenset(regular)
