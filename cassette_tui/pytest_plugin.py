"""A pytest plugin: why each replay miss of the run happened, in the run's own report.

    pytest --explain-misses [--explain-misses-dir DIR]
    CASSETTE_TUI_EXPLAIN_MISSES=1 pytest

Registered through the `pytest11` entry point and inert unless asked: this
module only adds the options; nothing of cassette-tui is imported and no hook
does anything otherwise.

When on, each test that fails with a replay miss (any message the miss parser
knows) gets a report section with explain's verdict, what to do, the nearest
recording and the differences; the terminal summary ends with the run's misses
grouped by cause and the command that re-records them.

Today's miss message carries the hash, the model and the URL, not the request.
When the recorder module is importable in the test process (ogx's, or
llama-stack's older ones), its request-normalizing functions are wrapped to
remember the live request behind every hash they compute, so each miss is
compared exactly. Without them, the message is all there is, and the summary
says so once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:   # imported when the plugin is used, not when pytest loads it
    from .explain import HashTable
    from .index import Index

ENV = "CASSETTE_TUI_EXPLAIN_MISSES"
RECORDER_MODULES = ("ogx.testing.api_recorder", "llama_stack.testing.api_recorder", "llama_stack.testing.inference_recorder")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cassette-tui")
    group.addoption("--explain-misses", action="store_true", default=False,
                    help=f"explain each replay miss (Recording not found ...) in the report; or set {ENV}=1")
    group.addoption("--explain-misses-dir", default=None, metavar="DIR",
                    help="the recordings to search (default: tests/integration under the rootdir, else the rootdir)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--explain-misses") or os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        config.pluginmanager.register(MissExplainer(config), "cassette-tui-explainer")


class MissExplainer:
    """The plugin's work, registered only when asked for."""

    def __init__(self, config: pytest.Config) -> None:
        from pathlib import Path

        self.config = config
        given = config.getoption("--explain-misses-dir")
        root = Path(str(config.rootpath))
        self.directory = Path(given) if given else (root / "tests" / "integration" if (root / "tests" / "integration").is_dir() else root)
        self.shown = os.path.relpath(self.directory, config.invocation_params.dir)   # paths as the user would type them
        self.live: dict[str, dict[str, Any]] = {}     # hash -> the live request behind it (an envelope)
        self.wrapped: list[str] = []                  # recorder functions wrapped
        self.current_test: str | None = None
        self.explanations: list[Any] = []
        self._index: Index | None = None
        self._table: HashTable | None = None

    # --- remembering the live request ---------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        import importlib
        import importlib.util

        for name in RECORDER_MODULES:
            try:
                if importlib.util.find_spec(name) is None:
                    continue
                module = importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a recorder that cannot import is one we cannot wrap
                continue
            for func, build in (("normalize_inference_request", _inference_envelope), ("normalize_tool_request", _tool_envelope),
                                ("normalize_http_request", _http_envelope)):
                original = getattr(module, func, None)
                if callable(original) and not getattr(original, "_cassette_tui_wrapped", False):
                    setattr(module, func, self._remembering(original, build))
                    self.wrapped.append(f"{name}.{func}")

    def _remembering(self, original: Any, build: Any) -> Any:
        import functools

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            h = original(*args, **kwargs)
            try:
                if isinstance(h, str):
                    self.live[h] = build(self.current_test, *args, **kwargs)
            except Exception:  # noqa: BLE001 - remembering must never change what the recorder does
                pass
            return h

        wrapper._cassette_tui_wrapped = True  # type: ignore[attr-defined]
        return wrapper

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        self.current_test = item.nodeid
        yield
        self.current_test = None

    # --- explaining -------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.passed or call.excinfo is None:
            return
        text = _failure_text(call.excinfo)
        if "not found for" not in text and "No recorded response found" not in text:
            return
        try:
            section = self._explain_failure(text, item.nodeid)
        except Exception as exc:  # noqa: BLE001 - the report must come out whatever happens here
            section = f"cassette-tui could not explain this miss: {type(exc).__name__}: {exc}"
        if section:
            report.sections.append(("cassette-tui: why replay missed", section))

    def _explain_failure(self, text: str, nodeid: str) -> str:
        from .explain import explain, parse_log
        from .explain.rerecord import load_setups
        from .reports import explanation_section, plain_lines

        misses = parse_log(text)
        out = []
        for miss in misses:
            miss.test_id = miss.test_id or nodeid
            live = self.live.get(miss.hash or "")
            if live is not None and not miss.live_known:
                miss.envelope = live
                miss.live_how = "remembered from the recorder in this run"
            ex = explain(miss, self.index(), table=self._table)
            self.explanations.append(ex)
            out.extend(plain_lines([explanation_section(ex, 1, 1, self.shown, load_setups(ex.root))]))
        return "\n".join(out)

    def index(self) -> Index:
        if self._index is None:
            from .explain import HashTable
            from .index import Index

            self._index = Index(self.directory).scan()
            self._table = HashTable(self._index)
        return self._index

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.explanations:
            return
        from .explain import group_explanations
        from .explain.rerecord import load_setups
        from .reports import findings_section, plain_lines

        tr = terminalreporter
        tr.section("cassette-tui: replay misses by cause")
        for line in plain_lines([findings_section(group_explanations(self.explanations), self.shown, load_setups(self.directory))]):
            tr.write_line(line)
        if not self.wrapped:
            tr.write_line(f"(no recorder function to wrap (normalize_inference_request, normalize_tool_request, normalize_http_request in "
                          f"{', '.join(RECORDER_MODULES)}): the misses were explained from their messages alone; the exact differences need the live request)")
        elif any(not ex.miss.live_known for ex in self.explanations):
            tr.write_line("(some misses' requests were not seen by the wrapped recorder functions: explained from their messages alone)")


def _failure_text(excinfo: Any) -> str:
    """The exception's message and its chain: where the recorder's miss message is."""
    parts = []
    exc = excinfo.value
    seen = 0
    while exc is not None and seen < 8:
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return "\n".join(parts)


# --- the live request, as each recorder function saw it --------------------------------------


def _inference_envelope(test_id: str | None, method: Any, url: Any, headers: Any = None, body: Any = None, *_: Any, **kw: Any) -> dict[str, Any]:
    body = kw.get("body", body)
    return {"test_id": test_id, "request": {"method": kw.get("method", method), "url": kw.get("url", url), "headers": {}, "body": body}}


def _tool_envelope(test_id: str | None, provider_name: Any = None, tool_name: Any = None, kwargs: Any = None, *_: Any, **kw: Any) -> dict[str, Any]:
    return {"test_id": test_id, "request": {"provider": kw.get("provider_name", provider_name), "tool_name": kw.get("tool_name", tool_name),
                                             "kwargs": kw.get("kwargs", kwargs)}}


def _http_envelope(test_id: str | None, url: Any = None, method: Any = None, payload: Any = None, *_: Any, **kw: Any) -> dict[str, Any]:
    return {"test_id": test_id, "request": {"url": kw.get("url", url), "method": kw.get("method", method), "payload": kw.get("payload", payload)}}
