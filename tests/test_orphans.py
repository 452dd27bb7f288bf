"""Orphans: recordings whose test no longer exists, on real layouts.

The 2026-05 tree of the shared corpus (real recordings, real test ids) is copied into
a repository in tmp_path, and test modules are written where its test ids point:
some tests kept, some deleted, a module gone, modules the parser cannot see through.
Every expectation is derived from the recordings' own test ids, not counted by hand.
`--collect` runs the real pytest on a small repository of our own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cassette_tui.hashing import NEWEST, request_hashes
from cassette_tui.index import Index
from cassette_tui.orphans import TestCheck, TestFinder, find_test, module_names
from cassette_tui.verify import verify_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TREE_2026_05 = CORPUS / "2026-05" / "tests" / "integration"
needs_corpus = pytest.mark.skipif(not TREE_2026_05.is_dir(), reason="the shared corpus (../shared/corpus) is not here")

pytestmark = pytest.mark.usefixtures("private_cache")

BASIC = "tests/integration/responses/test_basic_responses.py"
CONVERSATION = "tests/integration/responses/test_conversation_responses.py"
OPENAI = "tests/integration/responses/test_openai_responses.py"
STRUCTURED = "tests/integration/responses/test_structured_output.py"
MESSAGES = "tests/integration/messages/test_messages.py"
VECTOR_IO = "tests/integration/vector_io/test_openai_vector_stores.py"

MODULES = {
    # test_response_non_streaming_multi_turn was deleted
    BASIC: '''
        import pytest

        def test_response_non_streaming_basic(client_with_models, case): ...

        async def test_response_streaming_basic(client_with_models, case): ...

        if True:
            def test_response_streaming_incremental_content(client_with_models, case): ...
    ''',
    CONVERSATION: '''
        class TestConversationResponses:
            def test_conversation_multi_turn_and_streaming(self, client): ...
    ''',
    # the class's tests come from a base class in another module: not knowable without importing it
    OPENAI: '''
        from .base import ResponsesSuite

        class TestOpenAIResponses(ResponsesSuite):
            pass
    ''',
    STRUCTURED: "def test_json_schema_nested_objects(:\n",     # does not parse
    MESSAGES: '''
        from .shared_tests import *
    ''',
    # VECTOR_IO: the module is gone; its folder (with recordings/) is still there
}


KEPT = {(BASIC, "test_response_non_streaming_basic"), (BASIC, "test_response_streaming_basic"),
        (BASIC, "test_response_streaming_incremental_content"),
        (CONVERSATION, "TestConversationResponses::test_conversation_multi_turn_and_streaming")}


def write_modules(top: Path) -> None:
    for rel, source in MODULES.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def file_of(test_id: str | None) -> str:
    return (test_id or "").split("::", 1)[0]


def func_of(test_id: str | None) -> str:
    return (test_id or "").split("::", 1)[-1].split("[", 1)[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose tests/integration is the real 2026-05 tree, with test modules beside it."""
    if not TREE_2026_05.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not here")
    top = tmp_path / "repo"
    shutil.copytree(TREE_2026_05, top / "tests" / "integration")
    write_modules(top)
    return top


def expected_states(index: Index) -> dict[str, str]:
    """What each tied recording's test should be found as, from its test id and the modules written."""
    out = {}
    for s in index.summaries.values():
        if not s.test_id or s.kind in ("models", "tool"):
            continue
        file, func = file_of(s.test_id), func_of(s.test_id)
        params = "[" in s.test_id
        if (file, func) in KEPT:
            out[s.path] = "params" if params else "live"
        elif file in (BASIC, CONVERSATION):
            out[s.path] = "orphan"     # a test the module no longer defines
        elif file in (OPENAI, STRUCTURED, MESSAGES):
            out[s.path] = "unknown"
        elif file == VECTOR_IO:
            out[s.path] = "orphan"
        else:
            # other modules are absent too; their folders exist (they hold the recordings): orphans
            out[s.path] = "orphan"
    return out


@needs_corpus
def test_static_check_on_the_real_tree(repo: Path) -> None:
    index = Index(repo / "tests" / "integration").scan()
    report = verify_index(index)
    expected = expected_states(index)
    got = {p: v.test_state for p, v in report.verdicts.items() if v.test_state is not None}
    assert got == expected
    # the real tree has each kind: deleted functions, a deleted module, parametrized ids, unknowables
    assert {"orphan", "params", "unknown"} <= set(got.values())
    orphans = {p for p, state in expected.items() if state == "orphan"}
    assert {p for p, v in report.verdicts.items() if v.status == "orphan"} == orphans
    assert set(report.safe_to_delete) >= orphans
    for p in orphans:
        assert "its test is gone" in report.verdicts[p].detail and "(named as: ok v7)" in report.verdicts[p].detail
    # model lists and tool invocations are hashed without the test id: never orphans
    kinds = {s.path: s.kind for s in index.summaries.values()}
    assert not any(kinds[p] in ("models", "tool") for p in orphans)
    assert report.summary()["tests"]["orphan"] == len(orphans)


@needs_corpus
def test_verify_stats_and_ls_report_orphans(repo: Path, env: dict[str, str]) -> None:
    tree = repo / "tests" / "integration"
    index = Index(tree, use_cache=False).scan()
    orphans = sorted(p for p, state in expected_states(index).items() if state == "orphan")

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "verify", str(tree), "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1   # an orphan fails verify, as a stale file does
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    flagged = sorted(Path(r["path"]).relative_to(tree).as_posix() for r in rows if r["status"] == "orphan")
    assert flagged == orphans
    assert all(r["safe_to_delete"] for r in rows if r["status"] == "orphan")

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "verify", str(tree)], env=env, capture_output=True, text=True, timeout=120)
    assert f"{len(orphans)} orphan (their test is gone; safe to delete)" in p.stdout
    assert "checked statically" in p.stdout

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "stats", str(tree), "--json"], env=env, capture_output=True, text=True, timeout=120)
    tests = json.loads(p.stdout)["verify"]["tests"]
    assert tests["checked"] is True and tests["orphan"] == len(orphans) and tests["params"] > 0 and tests["unknown"] > 0

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "ls", str(tree), "is:orphan", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0
    assert sorted(json.loads(line)["path"] for line in p.stdout.splitlines()) == [str(tree / o) for o in orphans]


@needs_corpus
def test_a_tree_without_its_test_modules_is_not_checked(env: dict[str, str]) -> None:
    """The corpus itself: recordings alone, no sources beside them. Nothing is called an orphan."""
    report = verify_index(Index(TREE_2026_05).scan())
    assert not report.tests_checked
    assert not any(v.status == "orphan" or v.test_state for v in report.verdicts.values())
    assert "no test module beside this tree" in report.tests_note
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "stats", str(TREE_2026_05), "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(p.stdout)["verify"]["tests"] == {"checked": False, "note": report.tests_note, "live": 0, "params": 0, "orphan": 0, "unknown": 0}


@needs_corpus
async def test_the_tui_filters_is_orphan(repo: Path) -> None:
    from cassette_tui.tui.app import CassetteApp
    from cassette_tui.tui.recording_list import RecordingList
    from cassette_tui.tui.testing import settle

    tree = repo / "tests" / "integration"
    orphans = sorted(p for p, state in expected_states(Index(tree, use_cache=False).scan()).items() if state == "orphan")
    app = CassetteApp(tree, watch=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)          # includes the background verify pass (in a child process)
        assert f"{len(orphans)} orphan" in str(app.query_one("#status").render())
        await pilot.press("slash", *"is:orphan", "enter")
        await settle(pilot)
        shown = sorted(r.summary.path for r in app.query_one(RecordingList).rows if r.summary is not None)
        assert shown == orphans


# --- the parser's rules, one by one ---------------------------------------------------------


def check(source: str, func: str) -> TestCheck | None:
    return find_test(module_names(textwrap.dedent(source)), func)


def test_what_a_module_binds_is_found() -> None:
    src = """
        import pytest
        from .shared import test_imported
        from . import helpers as test_aliased

        class Base:
            def test_inherited(self): ...

        class TestA(Base):
            def test_method(self): ...
            class TestInner:
                async def test_nested(self): ...

        try:
            def test_in_try(): ...
        except ImportError:
            pass

        test_assigned = pytest.mark.skip(lambda: None)
    """
    for func in ("test_imported", "test_aliased", "TestA::test_method", "TestA::TestInner::test_nested", "TestA::test_inherited",
                 "test_in_try", "test_assigned", "TestA"):
        assert check(src, func) is None, func
    assert check(src, "test_removed") == TestCheck("orphan", "its test module no longer defines test_removed")
    assert check(src, "TestA::test_removed").state == "orphan"
    assert check(src, "TestGone::test_method").state == "orphan"


@pytest.mark.parametrize(("source", "func", "why"), [
    ("from .common import *\n", "test_x", "import *"),
    ("for n in range(3):\n    globals()[f'test_{n}'] = lambda: None\n", "test_1", "globals()"),
    ("from .suite import Suite\nclass TestA(Suite):\n    pass\n", "TestA::test_x", "inherits from .suite.Suite"),
    ("import abc\nclass TestA(metaclass=abc.ABCMeta):\n    pass\n", "TestA::test_x", "metaclass"),
    ("def add_tests(c): return c\n@add_tests\nclass TestA:\n    pass\n", "TestA::test_x", "class decorator"),
])
def test_what_the_source_cannot_show_is_unknown_never_orphan(source: str, func: str, why: str) -> None:
    result = check(source, func)
    assert result is not None and result.state == "unknown" and why in result.detail


def test_a_marked_class_is_still_read() -> None:
    assert check("import pytest\n@pytest.mark.slow\nclass TestA:\n    pass\n", "TestA::test_x").state == "orphan"


def test_modules_that_cannot_be_read_are_unknown(tmp_path: Path) -> None:
    root = tmp_path / "tests" / "integration"
    (root / "area" / "recordings").mkdir(parents=True)
    (root / "area" / "test_broken.py").write_text("def test_a(:\n")
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def test_a(): ...\n")
    (root / "area" / "test_link.py").symlink_to(outside)
    finder = TestFinder(root)
    assert "does not parse" in finder.check("tests/integration/area/test_broken.py::test_a").detail
    link = finder.check("tests/integration/area/test_link.py::test_a")
    assert link.state == "unknown" and "out of the tree" in link.detail
    assert finder.check("tests/integration/area/test_deleted.py::test_a") == TestCheck("orphan", "its test module tests/integration/area/test_deleted.py is gone")
    assert finder.check("tests/integration/nowhere/test_x.py::test_a").state == "unknown"      # no such folder under the tree
    assert finder.check("tests/integration/../../etc/test_x.py::test_a").state == "unknown"    # leaves the tree: not looked at
    assert finder.check("tests/integration/area/data.yaml::item").state == "unknown"


# --- --collect: the real pytest, on a repository of our own --------------------------------

COLLECTED_MODULE = '''
import pytest

@pytest.mark.parametrize("case", ["alpha", "beta"])
def test_kept(case):
    pass

def test_plain():
    pass
'''


def recording_for(test_id: str, source: Path, folder: Path) -> Path:
    """A real recording re-pointed at `test_id`, named by its new request hash (as the recorder would)."""
    data = json.loads(source.read_text())
    data["test_id"] = test_id
    if "test_id" in data["request"]:
        data["request"]["test_id"] = test_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{request_hashes(data)[NEWEST]}.json"
    path.write_text(json.dumps(data))
    return path


@needs_corpus
def test_collect_asks_pytest_for_the_exact_ids(tmp_path: Path, env: dict[str, str]) -> None:
    top = tmp_path / "repo"
    area = top / "tests" / "integration" / "area"
    area.mkdir(parents=True)
    (area / "test_mod.py").write_text(COLLECTED_MODULE)
    sources = sorted((CORPUS / "2026-05" / "tests" / "integration" / "responses" / "recordings").glob("*.json"))
    chats = [p for p in sources if json.loads(p.read_text()).get("test_id") and "body" in json.loads(p.read_text())["request"]][:4]
    ids = {
        "kept": "tests/integration/area/test_mod.py::test_kept[alpha]",
        "param_gone": "tests/integration/area/test_mod.py::test_kept[gamma]",
        "plain": "tests/integration/area/test_mod.py::test_plain",
        "func_gone": "tests/integration/area/test_mod.py::test_removed[alpha]",
    }
    made = {name: recording_for(tid, src, area / "recordings").relative_to(top / "tests" / "integration").as_posix()
            for (name, tid), src in zip(ids.items(), chats, strict=True)}
    tree = top / "tests" / "integration"

    static = verify_index(Index(tree, use_cache=False).scan())
    assert {name: static.verdicts[p].test_state for name, p in made.items()} == {"kept": "params", "param_gone": "params", "plain": "live", "func_gone": "orphan"}
    assert static.verdicts[made["kept"]].status == "ok"   # renamed by its new hash: a live recording

    p = subprocess.run([sys.executable, "-m", "cassette_tui", "verify", str(tree), "--collect", "--json"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert "running pytest --collect-only" in p.stderr
    rows = {Path(r["path"]).relative_to(tree).as_posix(): r for r in map(json.loads, p.stdout.splitlines())}
    assert {name: rows[path]["test_state"] for name, path in made.items()} == {"kept": "live", "param_gone": "orphan", "plain": "live", "func_gone": "orphan"}
    assert rows[made["param_gone"]]["status"] == "orphan" and rows[made["param_gone"]]["safe_to_delete"]
    assert not (top / ".pytest_cache").exists() and not list(top.rglob("__pycache__"))   # nothing written into the repository


def test_collect_says_when_there_is_nothing_to_collect(env: dict[str, str], demo_copy: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "verify", str(demo_copy), "--collect"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "--collect: no test module" in p.stderr and "Traceback" not in p.stderr


def test_hostile_test_ids_and_modules_give_unknown_never_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "tests" / "integration"
    (root / "area" / "recordings").mkdir(parents=True)
    (root / "area" / "test_deep.py").write_text("x = " + "(" * 100_000 + ")" * 100_000 + "\n")
    (root / "area" / "test_huge.py").write_text("def test_a(): ...\n" + "#" * 2_100_000)
    finder = TestFinder(root)
    assert finder.check("tests/integration/area/test_deep.py::test_a").state == "unknown"
    assert "larger than" in finder.check("tests/integration/area/test_huge.py::test_a").detail
    long_id = "tests/integration/area/" + "x" * 5000 + ".py::test_a"
    assert finder.check(long_id).state == "unknown"
    assert finder.check("tests/integration/area/te\0st.py::test_a").state == "unknown"


def test_parsed_modules_are_kept_by_size_and_mtime(tmp_path: Path) -> None:
    """A module is parsed once and its names reused until it changes; a damaged cache is ignored."""
    from cassette_tui.orphans import _module_cache_file

    root = tmp_path / "tests" / "integration"
    (root / "area" / "recordings").mkdir(parents=True)
    module = root / "area" / "test_m.py"
    module.write_text("def test_a(): ...\n")
    gone = "tests/integration/area/test_m.py::test_b"
    first = TestFinder(root, use_cache=True)
    assert first.check(gone).state == "orphan"
    first.save()
    assert _module_cache_file(root.resolve()).is_file()

    module.write_text("def test_a(): ...\ndef test_b(): ...\n")      # changed: parsed again
    second = TestFinder(root, use_cache=True)
    assert second.check(gone).state == "live"
    second.save()
    reused = TestFinder(root, use_cache=True)
    assert reused.check(gone).state == "live" and reused._kept == reused._cached   # taken from the cache, nothing to write

    rel = "area/test_m.py"
    st = module.stat()
    damaged = {rel: (st.st_size, st.st_mtime_ns, (("test_a",), "not a tuple of pairs", (), None))}
    from cassette_tui.orphans import save_module_cache

    save_module_cache(root.resolve(), damaged)
    assert TestFinder(root, use_cache=True).check(gone).state == "live"   # the damaged row is parsed anew


@needs_corpus
def test_collect_without_pytest_says_so(tmp_path: Path, env: dict[str, str]) -> None:
    """The interpreter has no pytest (a module that fails to import in its place): one line, no silent fallback."""
    top = tmp_path / "repo"
    area = top / "tests" / "integration" / "area"
    area.mkdir(parents=True)
    (area / "test_mod.py").write_text(COLLECTED_MODULE)
    source = next(p for p in sorted((TREE_2026_05 / "responses" / "recordings").glob("*.json")) if json.loads(p.read_text()).get("test_id"))
    recording_for("tests/integration/area/test_mod.py::test_plain", source, area / "recordings")
    shadow = tmp_path / "shadow"
    (shadow / "pytest").mkdir(parents=True)
    (shadow / "pytest" / "__init__.py").write_text("raise ImportError('hidden')\n")
    (shadow / "pytest" / "__main__.py").write_text("")
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "verify", str(top / "tests" / "integration"), "--collect"],
                       env={**env, "PYTHONPATH": str(shadow)}, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "pytest" in p.stderr.splitlines()[-1]
