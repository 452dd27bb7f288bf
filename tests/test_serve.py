"""`cassette-tui serve` in a real headless Chromium.

The real command serves the demo set; Chromium (Debian's `chromium`, which .ci/run
installs) opens the page and is driven over the DevTools protocol with aiohttp's
websocket client (aiohttp comes with textual-serve: no driver, no other browser
tooling). What the page's terminal holds is read from xterm.js's own buffer: a
script given to the page before its own catches the Terminal object textual-serve
creates (its constructor stores it as `this.terminal`). The key press goes through
Chromium's input pipeline, as a user's would; the screenshots before and after it
are compared.

Skips (with the reason) when Chromium or textual-serve is not installed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cassette_tui.index import Index
from cassette_tui.serve import origins_allowed

aiohttp = pytest.importorskip("aiohttp", reason="textual-serve (the serve extra) is not installed")
pytest.importorskip("textual_serve", reason="textual-serve (the serve extra) is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (.ci/run installs Debian's chromium package)")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,900")
WAIT_S = 60

# Runs in the page before textual.js: keeps the first xterm Terminal stored as someone's `.terminal`.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (!window.__cassetteTerminal && value && value.buffer && typeof value.write === "function") window.__cassetteTerminal = value;
  },
});
"""
SCREEN_TEXT = """(() => {
  const t = window.__cassetteTerminal;
  if (!t) return null;
  const b = t.buffer.active, out = [];
  for (let y = 0; y < t.rows; y++) { const line = b.getLine(b.viewportY + y); out.push(line ? line.translateToString(true) : ""); }
  return out.join("\\n");
})()"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port} within {WAIT_S} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def served(demo_copy: Path, env: dict[str, str]):
    """The real `cassette-tui serve` on a copy of the demo set: (port, the process)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cassette_tui", "serve", str(demo_copy), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(port, proc, "cassette-tui serve")
        yield port, proc
    finally:
        stop(proc)


@pytest.fixture
def chromium(tmp_path: Path):
    """A headless Chromium with a fresh profile, and the port of its DevTools endpoint."""
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + WAIT_S
        while not (active.is_file() and active.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start (exit {proc.poll()})")
            time.sleep(0.1)
        yield int(active.read_text().split()[0])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class DevTools:
    """The few DevTools protocol calls the test needs, over one page's websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.ws.receive_json(), WAIT_S)
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg["error"]
                return msg["result"]

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def screen_text(self) -> str:
        return await self.evaluate(SCREEN_TEXT) or ""

    async def wait_screen(self, predicate, what: str) -> str:
        deadline = time.monotonic() + WAIT_S
        text = ""
        while time.monotonic() < deadline:
            text = await self.screen_text()
            if predicate(text):
                return text
            await asyncio.sleep(0.2)
        raise AssertionError(f"the page never showed {what}; its terminal held:\n{text}")

    async def press(self, key: str) -> None:
        code = f"Key{key.upper()}" if key.isalpha() else f"Digit{key}"
        await self.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key, code=code, windowsVirtualKeyCode=ord(key.upper()))
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=ord(key.upper()))

    async def screenshot(self) -> bytes:
        return base64.b64decode((await self.call("Page.captureScreenshot", format="png"))["data"])


async def open_page(devtools_port: int, url: str):
    session = aiohttp.ClientSession()
    async with session.get(f"http://127.0.0.1:{devtools_port}/json/list") as r:
        targets = json.loads(await r.text())
    page = next(t for t in targets if t["type"] == "page")
    ws = await session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
    tools = DevTools(ws)
    await tools.call("Page.enable")
    await tools.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
    await tools.call("Page.navigate", url=url)
    return session, tools


def detail_half(screen: str) -> str:
    """The right part of each line: the detail pane, beside the list."""
    width = max((len(line) for line in screen.splitlines()), default=0)
    return "\n".join(line[width * 45 // 100:] for line in screen.splitlines())


@needs_chromium
async def test_the_page_shows_the_demo_list_and_a_key_changes_the_detail(served, chromium: int, demo_copy: Path, tmp_path: Path) -> None:
    port, _ = served
    summaries = sorted(Index(demo_copy, use_cache=False).scan().summaries.values(), key=lambda s: s.path)
    session, page = await open_page(chromium, f"http://127.0.0.1:{port}/")
    try:
        # the page loads, its terminal connects, the list shows the demo set (all of it, counted in the status bar)
        screen = await page.wait_screen(lambda t: f"of {len(summaries)} recordings" in t, f"'{len(summaries)} recordings'")
        assert "cassette-tui" in screen
        missing = [s.path for s in summaries if s.id[:12] not in screen]   # each row starts with its id
        assert not missing, f"not on the page: {missing}\n{screen}"
        first, second = summaries[0].id[:24], summaries[1].id[:24]   # the list is sorted by path
        await page.wait_screen(lambda t: "Conversation" in t and first in detail_half(t), f"the first recording's detail ({first}…)")
        await asyncio.sleep(0.5)   # the rest of the detail settles (it is built in a worker)
        before_text, before_png = await page.screen_text(), await page.screenshot()
        assert first in detail_half(before_text) and second not in detail_half(before_text)

        await page.evaluate("window.__cassetteTerminal.focus()")
        await page.press("j")     # the next recording
        after_text = await page.wait_screen(lambda t: second in detail_half(t), f"the second recording's detail ({second}…) after j")
        await asyncio.sleep(0.5)
        after_png = await page.screenshot()
        (tmp_path / "before.png").write_bytes(before_png)
        (tmp_path / "after.png").write_bytes(after_png)
        assert before_png[:8] == after_png[:8] == b"\x89PNG\r\n\x1a\n"
        assert before_png != after_png, "the screenshot did not change after the key"
        assert first not in detail_half(after_text)
    finally:
        await session.close()


@needs_chromium
async def test_a_page_from_another_origin_cannot_open_the_app(served) -> None:
    """Another web site open in the same browser must not drive the app (nor one reached by a rebound DNS name)."""
    port, _ = served
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"http://127.0.0.1:{port}/ws", headers={"Origin": "http://evil.example"})
        assert refused.value.status == 403
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24", headers={"Origin": f"http://localhost:{port}"})
        await ws.close()


def test_loopback_origins_and_the_public_url() -> None:
    assert origins_allowed("http://127.0.0.1:8000", "127.0.0.1", 8000) == {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
    assert origins_allowed("https://box.example:9443", "0.0.0.0", 8000) == {"https://box.example:9443"}


def test_serve_binds_loopback_by_default_and_says_so(env: dict[str, str]) -> None:
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "serve", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert "default: 127.0.0.1" in " ".join(p.stdout.split())


def test_serve_without_textual_serve_says_what_to_install(tmp_path: Path, env: dict[str, str], demo_copy: Path) -> None:
    """textual-serve hidden from the interpreter (a module that fails to import in its place)."""
    shadow = tmp_path / "shadow" / "textual_serve"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    env = {**env, "PYTHONPATH": str(shadow.parent) + os.pathsep + env.get("PYTHONPATH", "")}
    p = subprocess.run([sys.executable, "-m", "cassette_tui", "serve", str(demo_copy), "--port", str(free_port())],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "pip install 'cassette-tui[serve]'" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_busy_port_is_one_line(env: dict[str, str], demo_copy: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([sys.executable, "-m", "cassette_tui", "serve", str(demo_copy), "--port", str(port)],
                           env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_served_app_explains_no_path_outside_its_tree(demo_copy: Path, tmp_path: Path) -> None:
    """The explain screen reads a pasted path; served to a web page, only one inside the tree."""
    from cassette_tui.explain import HashTable
    from cassette_tui.tui.report_screens import explain_text

    recording = next(demo_copy.glob("responses/recordings/*.json"))
    outside = tmp_path / "elsewhere" / recording.name
    outside.parent.mkdir()
    shutil.copy(recording, outside)
    index = Index(demo_copy, use_cache=False).scan()
    table = HashTable(index)

    lines, explanations = explain_text(str(outside), index, table, confine=demo_copy)
    assert explanations == [] and "only paths inside the served folder" in lines[0].plain
    _, explanations = explain_text(str(outside), index, table)          # in a terminal, the user's own paths are read
    assert len(explanations) == 1
    _, explanations = explain_text(str(recording), index, table, confine=demo_copy)
    assert len(explanations) == 1
