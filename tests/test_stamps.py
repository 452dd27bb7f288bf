"""The warm start's folder check: the C helper and its pure-Python twin, on real files.

Both must answer alike on every case, and the build must really produce the C one
where a compiler is at hand (otherwise the package would quietly run the slow path).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from cassette_tui import walk
from cassette_tui.walk import NO_STAMP, pack_stamps, same_stamps_py

NATIVE = walk.same_stamps if walk.same_stamps is not same_stamps_py else None
COMPILER = shutil.which(shlex.split(sysconfig.get_config_var("LDSHARED") or "cc")[0])
REPO = Path(__file__).resolve().parents[1]


def test_the_install_built_the_c_helper() -> None:
    if os.name != "posix" or COMPILER is None:
        pytest.skip("no C compiler here: the pure-Python path is the one in use")
    assert NATIVE is not None, "installed without cassette_tui/_stamps: `pip install -v -e .` prints why"


IMPLEMENTATIONS = [pytest.param(same_stamps_py, id="python"), pytest.param(NATIVE, id="c", marks=pytest.mark.skipif(NATIVE is None, reason="C helper not built"))]


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


@pytest.mark.skipif(NATIVE is None, reason="C helper not built")
def test_bad_arguments_raise_instead_of_crashing(folder: tuple[Path, int]) -> None:
    _d, fd = folder
    with pytest.raises(TypeError):
        NATIVE(fd, ("a.json",))
    with pytest.raises(TypeError):
        NATIVE(fd, 5, b"")
    with pytest.raises(TypeError):
        NATIVE(fd, ("a.json",), [(1, 2)])       # stamps must be packed
    with pytest.raises(ValueError):
        NATIVE(-1, ("a.json",), b"")
    assert NATIVE(fd, (b"a.json",), b"\0" * 16) is False   # not a str: never the same
    assert NATIVE(2**20, ("a.json",), b"\0" * 16) is False  # not an open folder: never the same


# --- the build hook -------------------------------------------------------------------

@pytest.fixture(scope="module")
def hook() -> ModuleType:
    """hatch_build.py, the hook pip runs at install time (it needs hatchling: the test extra)."""
    pytest.importorskip("hatchling")
    spec = importlib.util.spec_from_file_location("hatch_build", REPO / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(os.name != "posix" or COMPILER is None, reason="needs a C compiler")
def test_the_build_hook_compiles_a_module_that_imports_and_works(hook: ModuleType, tmp_path: Path, folder: tuple[Path, int]) -> None:
    target = tmp_path / f"_stamps{sysconfig.get_config_var('EXT_SUFFIX')}"
    assert hook.compile_extension(REPO / "cassette_tui" / "_stamps.c", target) is None
    spec = importlib.util.spec_from_file_location("built_by_the_test._stamps", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    d, fd = folder
    assert module.same_stamps(fd, ("a.json",), stamps_of(d, ("a.json",))) is True


def test_a_source_that_does_not_compile_gives_a_reason_not_an_error(hook: ModuleType, tmp_path: Path) -> None:
    broken = tmp_path / "_stamps.c"
    broken.write_text("this is not C\n")
    why = hook.compile_extension(broken, tmp_path / "_stamps.so")
    assert isinstance(why, str) and why
    assert not (tmp_path / "_stamps.so").exists()
