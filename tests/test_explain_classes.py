"""explain: one small fixture for each class of wrong diagnosis found on real history.

1. wrong normalization (a live file named by an older recorder compared under v7 rules);
2. a renamed test whose identical old request hides among many look-alikes;
3. another turn of the same test winning because a missing message counts as one difference;
4. the main cause picked by a defined order;
5. non-determinism and values that change on every run, named as such.
Plus grouping many misses into findings, the pytest failure block as input, and the
re-record command read from suites.py without running it.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cassette_tui
from cassette_tui.compare import MISSING, Change
from cassette_tui.explain import classify_change, explain, group_explanations, miss_from_recording, parse_log
from cassette_tui.explain.causes import change_causes
from cassette_tui.explain.rerecord import load_setups, rerecord_commands
from cassette_tui.hashing import request_hash
from cassette_tui.index import Index
from cassette_tui.recording import Recording

DEMO = Path(cassette_tui.__file__).resolve().parent / "demo"
WORKFLOW = "user_permissions_workflow"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path / "user-cache"))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    d = tmp_path / "repo" / "tests" / "integration"
    shutil.copytree(DEMO, d)
    return d


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def write_named(data: dict, folder: Path, version: str = "v7") -> Path:
    """A recording as the `version` recorder writes it: named by that version's hash."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{request_hash(data, version)}.json"
    p.write_text(json.dumps(data, indent=2))
    return p


def workflow_turns(root: Path) -> dict[int, Path]:
    """The demo's multi-turn test: {number of messages: its recording}."""
    out = {}
    for p in (root / "responses" / "recordings").glob("*.json"):
        d = load(p)
        if WORKFLOW in (d.get("test_id") or "") and isinstance(d["request"].get("body"), dict):
            out[len(d["request"]["body"]["messages"])] = p
    return out


# --- 1. compare under the version that named the live file ------------------------------------


def test_live_file_of_an_older_recorder_is_compared_under_its_rules(demo: Path, tmp_path: Path) -> None:
    """A tool result's file_search scores changed. v7 rewrites `score: 0.81` away, so under v7
    the two requests are one and the verdict would blame the hash algorithm; the v6 recorder
    that named both files hashed the scores."""
    original = demo / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
    data = load(original)
    data["request"]["body"]["messages"].append({"role": "tool", "tool_call_id": "call_1", "content": "[1] doc.txt (score: 0.8123)\nLlamas are camelids."})
    recorded = write_named(data, demo / "responses" / "recordings", "v6")
    original.unlink()
    live = copy.deepcopy(data)
    live["request"]["body"]["messages"][-1]["content"] = "[1] doc.txt (score: 0.7431)\nLlamas are camelids."
    assert request_hash(live, "v7") == request_hash(data, "v7")    # today's rules hide the change
    live_file = write_named(live, tmp_path / "live", "v6")

    miss = miss_from_recording(Recording.load(live_file))
    assert miss.version == "v6"
    ex = explain(miss, Index(demo).scan())
    assert ex.nearest is not None and ex.nearest.path == recorded.relative_to(demo).as_posix()
    assert [c.path for c in ex.changes] == ["body.messages[3].content"]
    assert ex.cause is not None and ex.cause.code == "volatile"
    assert "hash-algorithm" not in [c.code for c in ex.causes]


# --- 2. a renamed test, found by its content among many look-alikes -----------------------------


def test_renamed_test_found_by_content_among_many_lookalikes(demo: Path, tmp_path: Path) -> None:
    original = demo / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
    data = load(original)
    # 120 recordings that share endpoint, model and file with the live request, but not its content,
    # in folders that sort first: a shortlist by names and flags never reaches the original
    for n in range(120):
        decoy = copy.deepcopy(data)
        decoy["test_id"] = data["test_id"].replace("test_response_streaming_multi_turn_tool_execution", f"test_aa_decoy_{n:03d}")
        decoy["request"]["body"]["messages"] = [{"role": "user", "content": f"An unrelated question number {n} about llamas."}]
        write_named(decoy, demo / "aaa" / "recordings")
    live = copy.deepcopy(data)
    live["test_id"] = data["test_id"].replace("test_response_streaming_multi_turn_tool_execution", "test_multi_turn_tools_renamed")
    live_file = write_named(live, tmp_path / "live")

    ex = explain(miss_from_recording(Recording.load(live_file)), Index(demo).scan())
    assert ex.nearest is not None and ex.nearest.path == original.relative_to(demo).as_posix()
    assert ex.nearest.same_content
    assert [c.path for c in ex.changes] == ["test_id"]
    assert ex.verdict.startswith("the test id changed: renamed test (test_response_streaming_multi_turn_tool_execution -> test_multi_turn_tools_renamed)")


# --- 3. the turn at the same place, not an earlier one --------------------------------------------


def test_the_turn_at_the_same_place_wins_over_an_earlier_turn(demo: Path, tmp_path: Path) -> None:
    """Every run gives the model's tool calls new ids, and here its earlier arguments changed too:
    counted one by one, the turn before (two messages fewer, fewer ids) "differs less"."""
    turns = workflow_turns(demo)
    last = max(turns)
    data = load(turns[last])
    live = copy.deepcopy(data)
    for k, msg in enumerate(live["request"]["body"]["messages"]):
        for call in msg.get("tool_calls") or []:
            call["id"] = f"call_NEW{k}xyz123"
        if msg.get("role") == "tool":
            msg["tool_call_id"] = f"call_NEW{k - 1}xyz123"
    first_call = next(m for m in live["request"]["body"]["messages"] if m.get("tool_calls"))["tool_calls"][0]
    first_call["function"]["arguments"] = first_call["function"]["arguments"].replace("}", ', "verbose": true}')
    live_file = write_named(live, tmp_path / "live")

    ex = explain(miss_from_recording(Recording.load(live_file)), Index(demo).scan())
    assert ex.nearest is not None and ex.nearest.path == turns[last].relative_to(demo).as_posix()
    assert ex.nearest.aligned
    assert ex.cause is not None and ex.cause.code == "tool-arguments"
    assert ex.verdict.startswith("non-deterministic: the model's earlier tool call differs")
    assert ex.noise and all(classify_change(c) == "volatile" for c in ex.noise)   # the ids, kept apart
    assert [c.path for c in ex.changes] == [c.path for c in ex.changes if c.path.endswith("function.arguments")]
    assert ex.replaced == ex.nearest.path


# --- 4. the main cause by a defined order ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "order"),
    [
        ([Change("body.messages[0].content", "changed", "a", "b"), Change("body.model", "changed", "gpt-4o", "gpt-4o-mini")], ["model", "prompt"]),
        ([Change("body.tools[0].function.description", "changed", "x", "y"), Change("body.messages[1].content", "changed", "hi", [{"type": "text", "text": "hi"}])],
         ["content-shape", "tool"]),
        ([Change("body.stream_options", "added", MISSING, {"include_usage": True}), Change("body.messages[2]", "added", MISSING, {"role": "user", "content": "more"})],
         ["history", "default"]),
        ([Change("test_id", "changed", "t.py::a[x]", "t.py::a[y]"), Change("endpoint", "changed", "/v1/completions", "/v1/chat/completions")], ["endpoint", "test-id"]),
        ([Change("body.messages[1].tool_calls[0].id", "changed", "call_abc123", "call_def456"), Change("body.temperature", "changed", 0.0, 0.7)], ["parameter", "volatile"]),
    ],
)
def test_main_cause_by_a_defined_order(changes: list[Change], order: list[str]) -> None:
    assert [c.code for c in change_causes(changes)] == order


# --- 5. non-determinism and volatility named -------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (Change("body.messages[1].tool_calls[0].function.arguments", "changed", '{"city": "Paris"}', '{"city": "paris"}'), "tool-arguments"),
        (Change("body.input[2].arguments", "changed", '{"q": "a"}', '{"q": "b"}'), "tool-arguments"),
        (Change("kwargs.query", "changed", "llama 4 experts", "Llama 4 experts count"), "tool-arguments"),
        (Change("body.messages[3].tool_call_id", "changed", "call_AbC123xyz", "call_ZzZ999qqq"), "volatile"),
        (Change("body.messages[2].content", "changed", "saved to /tmp/tmpa1b2c3d4/out.txt at 2025-10-09T10:00:00Z", "saved to /tmp/tmp9z8y7x6w/out.txt at 2025-10-10T11:30:00Z"), "volatile"),
        (Change("body.messages[2].content", "changed", "[1] score: 0.81234", "[1] score: 0.79001"), "volatile"),
        (Change("body.extra_body.guided_choice", "removed", ["a", "b"], MISSING), "default"),
        (Change("kwargs.query", "changed", "positive news October 25 2023", "positive news October 22 2023"), "volatile"),
        (Change("body.messages[0].content", "changed", "What is 2+2?", "What is 3+3?"), "prompt"),
    ],
)
def test_nondeterminism_and_volatile_values(change: Change, code: str) -> None:
    assert classify_change(change) == code


def test_arguments_in_another_order_are_said_to_be_the_same() -> None:
    """Real: the model wrote {"filename", "user_id"} in one run and {"user_id", "filename"} in the next."""
    a, b = '{"filename":"document.txt","user_id":"user_12345"}', '{"user_id":"user_12345","filename":"document.txt"}'
    (cause,) = change_causes([Change("body.messages[3].tool_calls[0].function.arguments", "changed", a, b)])
    assert (cause.code, cause.text) == ("tool-arguments", "non-deterministic: the model wrote the same arguments in another order: body.messages[3].tool_calls[0].function.arguments")


def test_volatile_verdict_says_it_changes_every_run() -> None:
    (cause,) = change_causes([Change("body.messages[3].tool_call_id", "changed", "call_AbC123xyz", "call_ZzZ999qqq")])
    assert cause.text.startswith("volatile: changes on every run")
    assert "normalize" in cause.advice


# --- many misses as findings ---------------------------------------------------------------------


def test_a_parameter_added_everywhere_is_one_finding(demo: Path, tmp_path: Path) -> None:
    """service_tier added to every request: many misses, one finding, every test named once."""
    live_dir = tmp_path / "live"
    sources = []
    for p in sorted(demo.rglob("*.json")):
        d = load(p)
        body = d.get("request", {}).get("body")
        if d.get("test_id") and isinstance(body, dict) and isinstance(body.get("messages"), list):
            d["request"]["body"]["service_tier"] = "auto"
            write_named(d, live_dir)
            sources.append(d["test_id"])
    assert len(sources) >= 5
    idx = Index(demo).scan()
    exs = [explain(miss_from_recording(Recording.load(p)), idx) for p in sorted(live_dir.glob("*.json"))]
    findings = group_explanations(exs)
    assert len(findings) == 1
    (f,) = findings
    assert (f.code, f.path, f.count) == ("default", "body.service_tier", len(sources))
    assert f.tests == list(dict.fromkeys(ex.miss.test_id for ex in exs))

    # the command line: one grouped report for the folder of re-recorded files
    out = subprocess.run([sys.executable, "-m", "cassette_tui", "explain", str(live_dir), "--dir", str(demo)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{len(sources)} misses, 1 finding")
    assert f"1. {len(sources)} misses: a default differs (None or absent versus a value): body.service_tier (absent) -> \"auto\"" in out.stdout
    assert "re-record: ./scripts/integration-tests.sh" in out.stdout
    assert "(--verbose for each miss in full" in out.stdout


# --- inputs: a pytest failure block ----------------------------------------------------------------


def test_pytest_failure_block_names_the_test_and_finds_a_renamed_one(demo: Path) -> None:
    """The block's header and the FAILED line give the test id; the message gives only the hash.
    A recording of the same endpoint that hashes to it under that test id is the live request."""
    original = demo / "responses" / "recordings" / "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
    data = load(original)
    new_id = data["test_id"].replace(WORKFLOW, WORKFLOW + "_v2")
    h = request_hash({**data, "test_id": new_id}, "v7")
    node = new_id.rsplit("::", 1)[1]
    log = (
        f"_________________ {node} _________________\n"
        "\n"
        f"{new_id.split('::')[0]}:120: in {node.split('[')[0]}\n"
        "    response = client.responses.create(**kwargs)\n"
        f"E   RuntimeError: Recording not found for request hash: {h}\n"
        "E   Model: gpt-4o | Request: POST https://api.openai.com/v1/v1/chat/completions\n"
        "\n"
        "=========================== short test summary info ============================\n"
        f"FAILED {new_id} - RuntimeError: Recording not found for request hash: {h[:16]}...\n"
    )
    (m,) = parse_log(log)
    assert m.test_id == new_id and m.count == 2
    ex = explain(m, Index(demo).scan())
    assert m.live_known and m.live_from == original.relative_to(demo).as_posix()
    assert ex.nearest is not None and ex.nearest.path == m.live_from
    assert ex.cause is not None and ex.cause.code == "test-id"


def test_failure_block_without_a_summary_line_takes_the_file_from_the_traceback() -> None:
    log = (
        "____ TestConversation.test_context[txt=openai/gpt-4o] ____\n"
        "tests/integration/responses/test_conversation.py:88: in test_context\n"
        "    r = client.responses.create()\n"
        f"E   RuntimeError: Recording not found for request hash: {'ab' * 32}\n"
    )
    (m,) = parse_log(log)
    assert m.test_id == "tests/integration/responses/test_conversation.py::TestConversation.test_context[txt=openai/gpt-4o]"


# --- what to do next -----------------------------------------------------------------------------


def test_rerecord_command_from_suites_py_read_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    root = tmp_path / "tests" / "integration"
    root.mkdir(parents=True)
    (root / "suites.py").write_text(
        f"open({str(marker)!r}, 'w').write('suites.py was executed')\n"
        "SETUP_DEFINITIONS = {\n"
        "    'gpt': Setup(name='gpt', description='OpenAI', defaults={'text_model': 'openai/gpt-4o', 'embedding_model': 'openai/text-embedding-3-small'}),\n"
        "    'ollama': Setup(name='ollama', defaults={'text_model': 'ollama/llama3.2:3b-instruct-fp16'}),\n"
        "}\n"
    )
    setups = load_setups(root)
    assert setups == {"openai/gpt-4o": "gpt", "ollama/llama3.2:3b-instruct-fp16": "ollama"}
    assert not marker.exists()
    tests = [
        "tests/integration/responses/test_tools.py::test_a[client_with_models-txt=openai/gpt-4o-case_one]",
        "tests/integration/responses/test_tools.py::test_b[client_with_models-txt=openai/gpt-4o-case_two]",
        "tests/integration/inference/test_chat.py::TestChat::test_c[txt=ollama/llama3.2:3b-instruct-fp16]",
        "tests/integration/inference/test_chat.py::test_d[txt=vllm/Qwen/Qwen3-0.6B]",
        "not/a/checkout.py::test_e",
    ]
    assert rerecord_commands(tests, setups) == [
        "./scripts/integration-tests.sh --stack-config server:ci-tests --setup gpt --file tests/integration/responses/test_tools.py"
        " --pattern 'test_a or test_b' --inference-mode record-if-missing",
        "./scripts/integration-tests.sh --stack-config server:ci-tests --setup ollama --file tests/integration/inference/test_chat.py"
        " --pattern test_c --inference-mode record-if-missing",
        "./scripts/integration-tests.sh --stack-config server:ci-tests --setup vllm --file tests/integration/inference/test_chat.py"
        " --pattern test_d --inference-mode record-if-missing",
    ]
    # a hostile test id cannot break out of the shell command: each part stays one argument
    hostile = "tests/integration/x/test_y.py'; touch pwned; echo '::test_z[txt=openai/gpt-4o]"
    (cmd,) = rerecord_commands([hostile], setups)
    assert shlex.split(cmd)[5:7] == ["--file", "tests/integration/x/test_y.py'; touch pwned; echo '"]
