"""The pytest plugin, in real pytest runs (pytester) of a small project that misses on replay.

The project's recorder is a stand-in for `ogx.testing.api_recorder` (the real
package cannot be installed here): it hashes requests the way the real recorder
does (FORMAT.md, "The request hash", without the float rounding no request here
needs), looks in the test's `recordings/` folder, and raises the real message on a
miss. The assertions read pytest's own output.
"""

from __future__ import annotations

import hashlib
import json

import pytest

import cassette_tui

pytest_plugins = ["pytester"]

URL = "https://api.openai.com/v1/v1/chat/completions"
TEST_ID = "tests/integration/inference/test_chat.py::test_chat[txt=openai/gpt-4o]"

RECORDER = '''
import hashlib, json
from pathlib import Path
from urllib.parse import urlparse

CURRENT_TEST = None
ROOT = Path(__file__).resolve().parents[2]


def normalize_inference_request(method, url, headers, body):
    obj = {"method": method.upper(), "endpoint": urlparse(url).path, "body": body, "test_id": CURRENT_TEST}
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def replay(method, url, body):
    h = normalize_inference_request(method, url, {}, body)
    folder = ROOT / Path(CURRENT_TEST.split("::")[0]).parent / "recordings"
    for where in (folder, ROOT / "tests/integration/common/recordings"):
        if (where / f"{h}.json").exists():
            return json.loads((where / f"{h}.json").read_text())["response"]
    raise RuntimeError(
        f"Recording not found for request hash: {h}\\n"
        f"Model: {body.get('model')} | Request: {method} {url}\\n\\n"
        "Run './scripts/integration-tests.sh --inference-mode record-if-missing' with required API keys to generate."
    )
'''

CONFTEST = '''
import pytest
from ogx.testing import api_recorder


@pytest.fixture(autouse=True)
def _test_context(request):
    api_recorder.CURRENT_TEST = request.node.nodeid
    yield
    api_recorder.CURRENT_TEST = None
'''

TESTS = f'''
import pytest
from ogx.testing import api_recorder


@pytest.mark.parametrize("txt", ["openai/gpt-4o"], ids=lambda v: "txt=" + v)
def test_chat(txt):
    api_recorder.replay("POST", "{URL}", {{"model": "gpt-4o", "messages": [{{"role": "user", "content": "Hi"}}], "temperature": 0.7}})


def test_passes():
    assert True


def test_fails_otherwise():
    assert 1 == 2
'''


def recorded_hash(body: dict) -> str:
    obj = {"method": "POST", "endpoint": "/v1/v1/chat/completions", "body": body, "test_id": TEST_ID}
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> pytest.Pytester:
    monkeypatch.setenv("CASSETTE_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("CASSETTE_TUI_EXPLAIN_MISSES", raising=False)
    root = pytester.path
    (root / "ogx" / "testing").mkdir(parents=True)
    (root / "ogx" / "__init__.py").write_text("")
    (root / "ogx" / "testing" / "__init__.py").write_text("")
    (root / "ogx" / "testing" / "api_recorder.py").write_text(RECORDER)
    area = root / "tests" / "integration" / "inference"
    (area / "recordings").mkdir(parents=True)
    (root / "tests" / "integration" / "conftest.py").write_text(CONFTEST)
    (area / "test_chat.py").write_text(TESTS)
    # What was recorded before the test's temperature changed from 0.0 to 0.7.
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0.0}
    h = recorded_hash(body)
    recording = {
        "test_id": TEST_ID,
        "request": {"method": "POST", "url": URL, "headers": {}, "body": body, "endpoint": "/v1/chat/completions", "model": "gpt-4o"},
        "response": {"body": {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
            "id": f"rec-{h[:12]}", "object": "chat.completion", "created": 0, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello!"}}]}}, "is_streaming": False},
        "id_normalization_mapping": {},
    }
    (area / "recordings" / f"{h}.json").write_text(json.dumps(recording, indent=2))
    pytester.makeini("[pytest]\npythonpath = .\n")   # the project's own packages (ogx) importable, as in a checkout
    return pytester


def test_a_miss_is_explained_in_its_report_and_the_summary(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--explain-misses", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    # the failing test's report has the section, with the exact difference: the live request was remembered
    section = out.split("cassette-tui: why replay missed")[1].split("short test summary")[0]
    assert "verdict: a parameter changed: body.temperature (0.0 -> 0.7)" in section
    assert "(remembered from the recorder in this run)" in section
    assert "recorded: 0.0" in section and "live:     0.7" in section
    assert "inference/recordings/" in section and "the same place in the test" in section
    # one section only: the other failure is no miss
    assert out.count("cassette-tui: why replay missed") == 1
    # the summary groups the run's misses and gives the command that re-records them
    summary = out.split("cassette-tui: replay misses by cause")[1]
    assert "1 miss, 1 finding" in summary
    assert "1. 1 miss: a parameter changed: body.temperature (0.0 -> 0.7)" in summary
    assert "inference/test_chat.py::test_chat[txt=openai/gpt-4o]" in summary
    assert ("re-record: ./scripts/integration-tests.sh --stack-config server:ci-tests --setup openai "
            "--file tests/integration/inference/test_chat.py --pattern test_chat --inference-mode record-if-missing") in summary


def test_the_environment_variable_turns_it_on(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSETTE_TUI_EXPLAIN_MISSES", "1")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    assert "cassette-tui: replay misses by cause" in result.stdout.str()


def test_without_the_recorder_the_message_alone_is_explained(project: pytest.Pytester) -> None:
    """No recorder functions to wrap: the miss is explained from its message, and the summary says so once."""
    recorder = project.path / "ogx" / "testing" / "api_recorder.py"
    recorder.write_text(recorder.read_text().replace("def normalize_inference_request", "def _normalize"). replace("h = normalize_inference_request(", "h = _normalize("))
    result = project.runpytest_subprocess("--explain-misses", "-p", "no:cacheprovider")
    out = result.stdout.str()
    assert "the miss message does not carry the live request; nearest recording inference/recordings/" in out
    assert "  nearest recordings:\n    1. tests/integration/inference/recordings/" in out     # as the user would type it
    assert out.count("were explained from their messages alone") == 1


def test_inert_unless_asked(project: pytest.Pytester) -> None:
    """Off: no section, no summary, the recorder untouched and nothing of cassette-tui imported but the plugin."""
    (project.path / "tests" / "integration" / "inference" / "test_inert.py").write_text(
        "import sys\n"
        "from ogx.testing import api_recorder\n"
        "def test_nothing_loaded():\n"
        "    assert not hasattr(api_recorder.normalize_inference_request, '_cassette_tui_wrapped')\n"
        "    loaded = sorted(m for m in sys.modules if m.startswith('cassette_tui'))\n"
        "    assert loaded == ['cassette_tui', 'cassette_tui.pytest_plugin'], loaded\n"
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert f"cassette-tui-{cassette_tui.__version__}" in out        # pytest lists the plugin it loaded
    assert "cassette-tui:" not in out         # and it adds nothing to the report
