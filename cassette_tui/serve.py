"""`cassette-tui serve`: the same TUI in a web page, through textual-serve.

textual-serve runs one app process per browser tab and relays its terminal over a
websocket. What this module adds to it:

- loopback by default: the CLI binds 127.0.0.1 unless told otherwise;
- a websocket is refused unless the page that opens it came from this server
  (its Origin), so another web site open in the same browser cannot drive the
  app, even through a DNS name rebound to 127.0.0.1;
- each app process is `python -I -B` started from `/` (nothing from the browsed
  tree or the working directory is importable) and confined: a path pasted into the explain screen
  must lie inside the served tree, so the page can read nothing outside it.

textual-serve is an optional dependency (`pip install 'cassette-tui[serve]'`): it
brings aiohttp and Jinja, which nothing else here needs.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MISSING = "serve needs textual-serve, which is not installed: pip install 'cassette-tui[serve]' (or pip install textual-serve)"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_PORT = 8000


class ServeUnavailable(Exception):
    """textual-serve cannot be imported (the optional extra is not installed)."""


def child_command(root: Path, *, demo: bool, recordings_only: bool, label: str) -> str:
    """The shell command textual-serve runs for each browser tab (it takes a string)."""
    argv = [sys.executable, "-I", "-B", "-m", "cassette_tui.serve", "--child", str(root), "--label", label]
    if demo:
        argv.append("--demo")
    if recordings_only:
        argv.append("--recordings-only")
    return "cd / && exec " + shlex.join(argv)   # started from /, as the TUI's verify child is


def origins_allowed(public_url: str, host: str, port: int) -> frozenset[str]:
    """The page origins whose websockets are accepted: the public URL's, and each loopback
    name's when the server listens on loopback (the user may type localhost or 127.0.0.1)."""
    parts = urlsplit(public_url)
    allowed = {f"{parts.scheme}://{parts.netloc}".lower()}
    if host in ("127.0.0.1", "localhost", "::1"):
        allowed.update(f"http://{name}:{port}" for name in LOOPBACK_NAMES)
    return frozenset(allowed)


def make_server(root: Path, *, host: str, port: int, public_url: str | None, demo: bool, recordings_only: bool, label: str) -> Any:
    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ImportError as exc:
        raise ServeUnavailable(MISSING) from exc

    shown_host = f"[{host}]" if ":" in host else host

    class GuardedServer(Server):
        """textual-serve's server, refusing websockets opened by pages of other origins."""

        allowed_origins: frozenset[str] = frozenset()

        async def handle_websocket(self, request: Any) -> Any:
            origin = (request.headers.get("Origin") or "").lower()
            if origin not in self.allowed_origins:
                raise web.HTTPForbidden(text="cassette-tui serve: this page did not come from this server\n")
            return await super().handle_websocket(request)

    server = GuardedServer(
        child_command(root, demo=demo, recordings_only=recordings_only, label=label),
        host=host,
        port=port,
        title=f"cassette-tui {label}",
        public_url=public_url or f"http://{shown_host}:{port}",
    )
    server.allowed_origins = origins_allowed(server.public_url, host, port)
    return server


def serve(root: Path, *, host: str, port: int, public_url: str | None = None, demo: bool = False,
          recordings_only: bool = False, label: str = ".") -> None:
    """Serve until interrupted. Raises ServeUnavailable, or OSError when the port cannot be bound."""
    server = make_server(root, host=host, port=port, public_url=public_url, demo=demo, recordings_only=recordings_only, label=label)
    server.serve()


def child_main(argv: list[str]) -> int:
    """One browser tab's app: the TUI on the served tree, confined to it."""
    import argparse

    from .cli import scan_with_progress
    from .index import Index
    from .tui.app import CassetteApp

    p = argparse.ArgumentParser(prog="cassette_tui.serve")
    p.add_argument("--child", required=True)
    p.add_argument("--label", default=".")
    p.add_argument("--demo", action="store_true")
    p.add_argument("--recordings-only", action="store_true")
    args = p.parse_args(argv)
    root = Path(args.child)
    index = scan_with_progress(Index(root, recordings_only=args.recordings_only))
    app = CassetteApp(root, demo=args.demo, recordings_only=args.recordings_only, label=args.label, index=index, confined=True)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
