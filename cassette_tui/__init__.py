"""cassette-tui: read, search and debug llama-stack / ogx API recordings.

In a notebook:

    import cassette_tui as ct
    idx = ct.open("tests/integration")   # Recordings under a directory; ct.demo() for the bundled set
    idx.filter("model:gpt-4o stream:yes"), idx[0], idx["aadc0675"], idx.test("test_x")
    ct.diff(idx[0], idx[1])
    idx.explain(log_text), idx.review("origin/main")

`open`, `demo` and `diff` import cassette_tui.notebook on first use, so
`import cassette_tui` stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "demo", "diff", "open"]

_NOTEBOOK = ("open", "demo", "Recordings", "Recording", "Timeline", "Diff")


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'cassette_tui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NOTEBOOK))


def diff(a: Any, b: Any, *, noise: bool = False) -> Any:
    """What differs between two recordings (Recordings or file paths), displayable in a notebook.

    Requests and reassembled responses are compared with ids, timestamps and
    other run-to-run noise ignored (`noise=True` keeps them). See
    help(cassette_tui.notebook.Diff).
    """
    from .notebook import diff as notebook_diff

    return notebook_diff(a, b, noise=noise)
