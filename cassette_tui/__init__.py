"""cassette-tui: read, search and debug llama-stack / ogx API recordings.

In a notebook:

    import cassette_tui as ct
    idx = ct.open("tests/integration")   # Recordings under a directory; ct.demo() for the bundled set
    idx.filter("model:gpt-4o stream:yes"), idx[0], idx["aadc0675"], idx.test("test_x")
    ct.diff(idx[0], idx[1])

`open`, `demo` and `diff` import cassette_tui.notebook on first use, so
`import cassette_tui` stays light.
"""

from __future__ import annotations

import sys
import types
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


def _diff(a: Any, b: Any, *, noise: bool = False) -> Any:
    """What differs between two recordings (Recordings or file paths), displayable in a notebook.

    Requests and reassembled responses are compared with ids, timestamps and
    other run-to-run noise ignored (`noise=True` keeps them). See
    help(cassette_tui.notebook.Diff).
    """
    from .notebook import diff

    return diff(a, b, noise=noise)


_diff.__name__ = _diff.__qualname__ = "diff"
_diff.__module__ = __name__


class _Package(types.ModuleType):
    # `cassette_tui.diff` is the function above, although a submodule shares the name:
    # importing that submodule binds it here, and this setter ignores the binding (it stays
    # in sys.modules, so `from cassette_tui.diff import diff_recordings` works as ever).
    @property
    def diff(self) -> Any:
        return _diff

    @diff.setter
    def diff(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
