"""The warm start's folder check (walk.same_stamps), on real files."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cassette_tui.walk import NO_STAMP, pack_stamps, same_stamps

IMPLEMENTATIONS = [pytest.param(same_stamps, id="python")]


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    d = tmp_path / "recordings"
    d.mkdir()
    (d / "a.json").write_bytes(b'{"a": 1}')
    (d / "b.json").write_bytes(b'{"b": 22}')
    fd = os.open(d, os.O_RDONLY)
    yield d, fd
    os.close(fd)


def stamps_of(d: Path, names: tuple[str, ...]) -> bytes:
    return pack_stamps([(st.st_size, st.st_mtime_ns) for st in (os.stat(d / n) for n in names)])


@pytest.mark.parametrize("same", IMPLEMENTATIONS)
def test_unchanged_files_compare_the_same(folder: tuple[Path, int], same: Callable[..., bool]) -> None:
    d, fd = folder
    names = ("a.json", "b.json")
    assert same(fd, names, stamps_of(d, names)) is True
    assert same(fd, list(names), stamps_of(d, names)) is True
    assert same(fd, (), b"") is True


@pytest.mark.parametrize("same", IMPLEMENTATIONS)
def test_every_kind_of_change_is_seen(folder: tuple[Path, int], same: Callable[..., bool]) -> None:
    d, fd = folder
    names = ("a.json", "b.json")
    before = stamps_of(d, names)
    st = os.stat(d / "b.json")

    os.utime(d / "b.json", ns=(st.st_atime_ns, st.st_mtime_ns + 1))          # touched: 1 ns later
    assert same(fd, names, before) is False
    os.utime(d / "b.json", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert same(fd, names, before) is True

    (d / "b.json").write_bytes(b'{"b": 2}')                                  # rewritten in place, mtime put back
    os.utime(d / "b.json", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert same(fd, names, before) is False

    (d / "b.json").unlink()                                                  # gone
    assert same(fd, names, before) is False


@pytest.mark.parametrize("same", IMPLEMENTATIONS)
def test_stamps_that_do_not_fit_the_names_never_compare_the_same(folder: tuple[Path, int], same: Callable[..., bool]) -> None:
    d, fd = folder
    names = ("a.json", "b.json")
    good = stamps_of(d, names)
    assert same(fd, names, good[:16]) is False           # a pair short
    assert same(fd, names, good + good[:16]) is False    # a pair too many
    assert same(fd, names, good[:-1]) is False           # not whole pairs
    assert same(fd, names, good[:16] + pack_stamps([NO_STAMP])) is False   # a row to read again
    assert same(fd, ("a.json\0b.json",), good[:16]) is False   # no file has a NUL in its name: never "a.json"


@pytest.mark.parametrize("same", IMPLEMENTATIONS)
def test_names_are_encoded_and_symlinks_followed_as_os_stat_does(folder: tuple[Path, int], same: Callable[..., bool]) -> None:
    d, fd = folder
    odd = os.fsdecode(b"caf\xe9-\xff.json")    # not UTF-8: a lone surrogate after decoding
    with open(os.path.join(os.fsencode(d), os.fsencode(odd)), "wb") as f:
        f.write(b"{}")
    os.symlink("a.json", d / "link.json")
    (d / "dir.json").mkdir()
    names = (odd, "link.json", "dir.json")
    assert same(fd, names, stamps_of(d, names)) is True
    # The link's stamp is its target's.
    assert stamps_of(d, ("link.json",)) == stamps_of(d, ("a.json",))


def test_pack_stamps_packs_native_int64_pairs_and_gives_up_out_of_range() -> None:
    packed = pack_stamps([(1, -2), (3, 2**62)])
    assert [int.from_bytes(packed[i:i + 8], sys.byteorder, signed=True) for i in range(0, 32, 8)] == [1, -2, 3, 2**62]
    assert pack_stamps([(1, 2**63)]) is None
    assert pack_stamps([]) == b""
