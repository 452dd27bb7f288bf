"""Orphans: recordings whose test no longer exists, so replay never asks for them.

A recording's test id names a test module (from the repository's top) and a test
function, maybe in a class, maybe with parameters. The module is found beside the
tree as `sources.test_module` finds it for the editor, read and parsed with Python's
`ast` (never imported), and the names it binds are looked up:

    live      the module defines the function (and the id has no parameters)
    params    the function is there, but the id's parameters cannot be checked
              without running the test code (fixtures, conftest hooks): never guessed
    orphan    certain: the module is gone from a folder that is under the tree, or
              it no longer binds the function (nor anything that could bind it)
    unknown   cannot be told from the source: a star import, globals(), a class
              inheriting from another module's class, a module that does not parse

`collect_test_ids` (`--collect`) asks pytest itself (`pytest --collect-only -q` in
the repository): this runs the repository's conftest and test modules, so it is
done only when asked. With its ids, a test id pytest lists is live and one it does
not list (in a module it collected without error) is an orphan, parameters included.

Only recordings whose request hash includes the test id are tied to their test:
model lists and tool invocations are shared by every test that sends the same
request, and no test id means the 2025-08 layout; those are not checked.
When no test id of the tree leads to an existing module, the tree has no sources
beside it (a copy of the recordings alone) and nothing is checked.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .explain.miss import test_parts
from .sources import MAX_SOURCE_BYTES, test_module

STATES = ("live", "params", "orphan", "unknown")
UNTIED_KINDS = frozenset({"models", "tool"})   # hashed without the test id: any test may replay them
COLLECT_TIMEOUT_S = 600
HARMLESS_BASES = frozenset({"object", "unittest.TestCase", "unittest.IsolatedAsyncioTestCase"})
DYNAMIC_NAMES = frozenset({"globals", "locals", "exec", "setattr", "vars"})


@dataclass(frozen=True, slots=True)
class TestCheck:
    __test__ = False   # not a pytest test class
    state: str      # one of STATES
    detail: str


@dataclass
class ModuleNames:
    """What a test module binds, as pytest would name it: `test_a`, `TestX::test_b`, `TestX::Inner::test_c`."""

    names: set[str] = field(default_factory=set)
    bases: dict[str, list[str]] = field(default_factory=dict)     # class qualname -> its bases, as written
    opaque: dict[str, str] = field(default_factory=dict)          # class qualname -> why its methods cannot be listed
    dynamic: str | None = None                                    # why the module may bind names the parser cannot see


def module_names(source: str) -> ModuleNames:
    """The test-relevant names a module binds (raises SyntaxError, ValueError, RecursionError, MemoryError)."""
    tree = ast.parse(source)
    out = ModuleNames()
    imported_from: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES and out.dynamic is None:
            out.dynamic = f"it uses {node.id}() (line {node.lineno}), which can bind test names the source does not show"
    _bind(tree.body, "", out, imported_from)
    return out


def _bind(body: list[ast.stmt], prefix: str, out: ModuleNames, imported_from: dict[str, str]) -> None:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.names.add(prefix + node.name)
        elif isinstance(node, ast.ClassDef):
            qual = prefix + node.name
            out.names.add(qual)
            out.bases[qual] = [_dotted(b, imported_from) for b in node.bases]
            if any(k.arg == "metaclass" for k in node.keywords):
                out.opaque[qual] = "it has a metaclass"
            elif any(not _dotted(d, {}).startswith(("pytest.mark.", "mark.")) for d in node.decorator_list):
                out.opaque[qual] = "a class decorator may add methods"
            _bind(node.body, qual + "::", out, imported_from)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        out.names.add(prefix + n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = "." * node.level + (node.module or "") if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                if alias.name == "*":
                    out.dynamic = out.dynamic or f"'from {module} import *' (line {node.lineno}) may bring in tests"
                    continue
                bound = alias.asname or alias.name.split(".")[0]
                out.names.add(prefix + bound)
                if isinstance(node, ast.ImportFrom) and not prefix:
                    imported_from[bound] = module + ("" if module.endswith(".") else ".") + alias.name
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            # names bound in a block at this level are bound at this level
            for part in ("body", "orelse", "finalbody"):
                _bind(getattr(node, part, []), prefix, out, imported_from)
            for handler in getattr(node, "handlers", []):
                _bind(handler.body, prefix, out, imported_from)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                _bind(case.body, prefix, out, imported_from)


def _dotted(node: ast.expr, imported_from: dict[str, str]) -> str:
    """`a.b.c` for a name or attribute chain (a name imported `from m import X` as `m.X`); '?' otherwise."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return imported_from.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value, imported_from)}.{node.attr}"
    return "?"


def find_test(names: ModuleNames, func: str) -> TestCheck | None:
    """live/orphan/unknown for `func` (`test_a` or `TestX::test_b`) in a parsed module; None when found."""
    if func in names.names:
        return None
    parts = func.split("::")
    for depth in range(1, len(parts)):   # the innermost existing class that should hold the rest
        cls = "::".join(parts[:depth])
        if cls not in names.names:
            break
        why = _class_unknowable(names, cls, set())
        if why:
            return TestCheck("unknown", f"{cls} {why}: whether it has {'::'.join(parts[depth:])} cannot be told without running it")
        inherited = _inherited(names, cls, "::".join(parts[depth:]))
        if inherited:
            return None
    if names.dynamic:
        return TestCheck("unknown", f"no {func} in its source, but {names.dynamic}")
    return TestCheck("orphan", f"its test module no longer defines {func}")


def _class_unknowable(names: ModuleNames, cls: str, seen: set[str]) -> str | None:
    """Why a class's methods cannot all be listed from this module (a foreign base, a metaclass ...)."""
    if cls in seen:
        return None
    seen.add(cls)
    if cls in names.opaque:
        return names.opaque[cls]
    for base in names.bases.get(cls, []):
        if base in HARMLESS_BASES:
            continue
        if base in names.bases:              # a class of the same module (at its top level)
            why = _class_unknowable(names, base, seen)
            if why:
                return why
            continue
        return f"inherits from {base}, defined elsewhere"
    return None


def _inherited(names: ModuleNames, cls: str, rest: str, seen: set[str] | None = None) -> bool:
    """Whether a local base class of `cls` defines `rest` (pytest collects inherited test methods)."""
    seen = seen if seen is not None else set()
    for base in names.bases.get(cls, []):
        if base in names.bases and base not in seen:
            seen.add(base)
            if f"{base}::{rest}" in names.names or _inherited(names, base, rest, seen):
                return True
    return False


@dataclass
class Collected:
    """What `pytest --collect-only -q` listed: the test ids, the modules it collected cleanly, the ones it could not."""

    ids: set[str]
    modules: set[str]             # repository-relative paths of modules that gave ids and no error
    errors: dict[str, str]        # module -> pytest's one-line reason
    partial: bool = False         # some tests were deselected (addopts -m/-k): a missing id proves nothing


class CollectError(Exception):
    """pytest could not be run or gave no usable answer."""


_ERROR_LINE = re.compile(r"^ERROR (?:collecting )?(\S+?\.py)\b(?: - (.*))?")


def collect_test_ids(repo_top: Path, modules: list[str], timeout: float = COLLECT_TIMEOUT_S) -> Collected:
    """Run `python -m pytest --collect-only -q` on `modules` in the repository at `repo_top`.

    This imports the repository's conftest files and test modules (their code runs), with the
    interpreter running cassette-tui: run it from the test environment. Nothing is cached
    (-p no:cacheprovider) and no bytecode written.
    """
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", "--continue-on-collection-errors",
           "-p", "no:cacheprovider", f"--rootdir={repo_top}", "--", *modules]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        p = subprocess.run(cmd, cwd=repo_top, env=env, capture_output=True, text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CollectError(f"pytest --collect-only took more than {timeout:.0f} s in {repo_top}") from None
    except OSError as exc:
        raise CollectError(f"cannot run pytest: {exc.strerror or exc}") from None
    if p.returncode not in (0, 1, 5):   # 1: some modules failed (reported), 5: nothing collected
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise CollectError(f"pytest --collect-only failed (exit {p.returncode}) in {repo_top}: {tail[0][:300]}")
    if "No module named pytest" in p.stderr:
        raise CollectError(f"pytest is not installed for {sys.executable}: run cassette-tui from the repository's test environment")
    ids: set[str] = set()
    errors: dict[str, str] = {}
    for line in p.stdout.splitlines():
        m = _ERROR_LINE.match(line)
        if m:
            errors[m.group(1)] = (m.group(2) or "collection error").strip()
        elif "::" in line and not line.startswith((" ", "<")) and line.split("::", 1)[0].endswith(".py"):
            ids.add(line.strip())
    if not ids and p.returncode != 5:
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise CollectError(f"pytest --collect-only listed no test (exit {p.returncode}) in {repo_top}: {tail[0][:300]}")
    with_ids = {i.split("::", 1)[0] for i in ids}
    partial = bool(re.search(r"\b\d+ deselected\b", p.stdout))
    return Collected(ids, with_ids - set(errors), errors, partial)


class TestFinder:
    """Checks test ids against the test modules beside a tree (each module parsed once)."""

    __test__ = False   # not a pytest test class

    def __init__(self, root: Path, collected: Collected | None = None, use_cache: bool = False) -> None:
        self.root = Path(root)
        self._real_root = self.root.resolve()
        self.collected = collected
        self._modules: dict[Path, ModuleNames | str | None] = {}   # None: no such file; str: why not parsed
        self._by_id: dict[str, TestCheck] = {}
        # What each module binds, kept in the user cache by size and mtime: parsing is
        # ~14 us a line, a second or so for a large test suite on every verify.
        self.use_cache = use_cache
        self._cached: dict[str, Any] = load_module_cache(self._real_root) if use_cache else {}
        self._kept: dict[str, Any] = {}

    def module_path(self, test_id: str) -> Path | None:
        try:
            return test_module(self.root, test_id)
        except (OSError, ValueError):   # a recorded test id too long for a path, or otherwise no path here
            return None

    def module_exists(self, test_id: str) -> bool:
        path = self.module_path(test_id)
        return path is not None and self._parsed(path) is not None

    def check(self, test_id: str) -> TestCheck:
        hit = self._by_id.get(test_id)
        if hit is None:
            try:
                hit = self._check(test_id)
            except (OSError, ValueError) as exc:
                hit = TestCheck("unknown", f"its test module cannot be looked at ({getattr(exc, 'strerror', None) or exc})")
            self._by_id[test_id] = hit
        return hit

    def _check(self, test_id: str) -> TestCheck:
        file, func, params = test_parts(test_id)
        path = self.module_path(test_id)
        if path is None:
            return TestCheck("unknown", f"{file or 'the test id'} is not a Python module under this tree")
        parsed = self._parsed(path)
        if parsed is None:
            if path.parent.is_dir():
                return TestCheck("orphan", f"its test module {file} is gone")
            return TestCheck("unknown", f"the folder of {file} is not under this tree")
        if isinstance(parsed, str):
            return TestCheck("unknown", f"{file}: {parsed}")
        if self.collected is not None and file in self.collected.modules:
            if test_id in self.collected.ids:
                return TestCheck("live", "pytest collects it")
            if not self.collected.partial:
                return TestCheck("orphan", "pytest --collect-only does not list it")
        if self.collected is not None and file in self.collected.errors:
            static = self._static(parsed, func, params)
            if static.state != "orphan":
                return TestCheck(static.state, f"{static.detail} (pytest could not collect {file}: {self.collected.errors[file][:200]})")
            return static
        return self._static(parsed, func, params)

    def _static(self, parsed: ModuleNames, func: str, params: str) -> TestCheck:
        if not func:
            return TestCheck("unknown", "the test id names no function")
        missing = find_test(parsed, func)
        if missing is not None:
            return missing
        if params:
            return TestCheck("params", f"{func} exists; its parameters [{params}] are not checked without running the tests (--collect)")
        return TestCheck("live", f"{func} exists")

    def _parsed(self, path: Path) -> ModuleNames | str | None:
        if path in self._modules:
            return self._modules[path]
        self._modules[path] = result = self._parse(path)
        return result

    def _parse(self, path: Path) -> ModuleNames | str | None:
        try:
            if not path.is_file():
                return None
            if not path.resolve().is_relative_to(self._real_root):
                return "a link leading out of the tree (not read)"
            st = path.stat()
            if st.st_size > MAX_SOURCE_BYTES:
                return f"larger than {MAX_SOURCE_BYTES:,} bytes (not read)"
            rel = path.relative_to(self.root).as_posix()
            hit = self._cached.get(rel)
            if type(hit) is tuple and len(hit) == 3 and hit[:2] == (st.st_size, st.st_mtime_ns):
                parsed = _unpack(hit[2])
                if parsed is not None:
                    self._kept[rel] = hit
                    return parsed
            source = path.read_text("utf-8", "replace")
        except (OSError, ValueError) as exc:
            return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
        try:
            parsed = module_names(source)
        except SyntaxError as exc:
            parsed = f"does not parse (line {exc.lineno}: {exc.msg})"
        except (ValueError, RecursionError, MemoryError) as exc:
            parsed = f"does not parse ({type(exc).__name__})"
        self._kept[rel] = (st.st_size, st.st_mtime_ns, _pack(parsed))
        return parsed

    def save(self) -> None:
        """Keep what was parsed this time (and what was reused) in the user cache."""
        if self.use_cache and self._kept != self._cached:
            save_module_cache(self._real_root, self._kept)


def _pack(parsed: ModuleNames | str) -> Any:
    if isinstance(parsed, str):
        return parsed
    return (tuple(sorted(parsed.names)), tuple((k, tuple(v)) for k, v in parsed.bases.items()), tuple(parsed.opaque.items()), parsed.dynamic)


def _unpack(row: Any) -> ModuleNames | str | None:
    """A cached row back as what `module_names` gave, or None when it is not of the shape written."""
    if isinstance(row, str):
        return row
    try:
        names, bases, opaque, dynamic = row
        out = ModuleNames(set(names), {k: list(v) for k, v in bases}, dict(opaque), dynamic)
    except (TypeError, ValueError):
        return None
    ok = all(type(n) is str for n in out.names) and all(type(b) is str for v in out.bases.values() for b in v)
    return out if ok and (dynamic is None or type(dynamic) is str) else None


def _module_cache_file(root: Path) -> Path:
    from .cache import cache_file

    index_file = cache_file(root)
    return index_file.with_name(index_file.name.replace("index-", "tests-", 1))


def load_module_cache(root: Path) -> dict[str, Any]:
    from .cache import _read_parts

    try:
        parts = _read_parts(_module_cache_file(root), str(root))
        return parts[2] if parts is not None and len(parts) == 3 and isinstance(parts[2], dict) else {}
    except (OSError, ValueError, TypeError, EOFError):
        return {}


def save_module_cache(root: Path, rows: dict[str, Any]) -> None:
    from .cache import _schema_key, _write_parts

    _write_parts(_module_cache_file(root), root, (_schema_key(), str(root), rows))


def tied_to_test(kind: str | None, test_id: str | None) -> bool:
    """Whether replay finds this recording only through its own test (its hash includes the test id)."""
    return bool(test_id) and kind not in UNTIED_KINDS


def repo_top_of(finder: TestFinder, test_ids: list[str]) -> Path | None:
    """The repository's top (where the test ids' paths start), from a test id whose module exists."""
    for tid in test_ids:
        path = finder.module_path(tid)
        file = test_parts(tid)[0]
        if path is not None and path.is_file() and path.as_posix().endswith("/" + file):
            top = path
            for _ in file.split("/"):
                top = top.parent
            return top
    return None


CHECKED_STATUSES = frozenset({"ok", "stale", "mismatch", "unverifiable"})   # a readable recording with a request


def mark_orphans(report: Any, index: Any, collected: Collected | None = None) -> None:
    """Check each recording's test; an orphan's status becomes `orphan` (its hash verdict kept in its detail).

    Sets each checked verdict's `test_state` / `test_note`, and the report's `tests_note`.
    """
    finder = TestFinder(Path(str(index.root)), collected, use_cache=getattr(index, "use_cache", False))
    summaries = index.summaries
    tied = [v for v in report.verdicts.values()
            if v.status in CHECKED_STATUSES and tied_to_test(getattr(summaries.get(v.path), "kind", None), v.test_id)]
    test_ids = sorted({v.test_id for v in tied})
    if not any([finder.module_exists(t) for t in test_ids]):   # a list: every module looked at, for the cache
        report.tests_note = "no test module beside this tree: orphans not checked" if test_ids else ""
        finder.save()
        return
    report.tests_checked = True
    report.tests_note = "checked against pytest --collect-only" if collected is not None else "checked statically (parsed, not imported)"
    for v in tied:
        c = finder.check(v.test_id)
        v.test_state, v.test_note = c.state, c.detail
        if c.state == "orphan":
            was = f"{v.status} {v.algorithm}" if v.algorithm else v.status
            v.detail = f"its test is gone: {c.detail} (named as: {was})"
            v.status = "orphan"
    finder.save()


def test_ids_to_collect(index: Any) -> tuple[Path | None, list[str]]:
    """(the repository's top, the existing test modules the tree's test ids name) for `--collect`."""
    finder = TestFinder(Path(str(index.root)))
    ids = sorted({s.test_id for s in index.summaries.values() if tied_to_test(s.kind, s.test_id)})
    top = repo_top_of(finder, ids)
    if top is None:
        return None, []
    modules = sorted({test_parts(t)[0] for t in ids if (p := finder.module_path(t)) is not None and p.is_file()})
    return top, modules
