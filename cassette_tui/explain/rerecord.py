"""The command that re-records only the tests that missed, in a llama-stack / ogx checkout.

    ./scripts/integration-tests.sh --stack-config server:ci-tests --setup SETUP \\
        --file FILE --pattern 'test_a or test_b' --inference-mode record-if-missing

The setup comes from the test id's `txt=<provider>/<model>` token, mapped to a
setup of the repository's `tests/integration/suites.py` whose text model is
that model. suites.py is parsed (ast), never imported or run: it belongs to the
checkout being browsed. Without it, a setup named like the provider is used.

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Iterable
from pathlib import Path

from .miss import test_parts

_SUITES = ("suites.py", "tests/integration/suites.py", "integration/suites.py")
_MAX_SUITES_BYTES = 1_000_000
_SCRIPT = "./scripts/integration-tests.sh"


def text_model(test_id: str | None) -> str | None:
    """What follows `txt=` in the test id's parameters: 'openai/gpt-4o-case_x' (the model and, since
    pytest joins parameters with '-', maybe the ones after it)."""
    _, _, params = test_parts(test_id)
    at = params.find("txt=")
    if at < 0 or (at > 0 and params[at - 1] != "-"):
        return None
    return params[at + 4:] or None


def setup_for(test_id: str | None, setups: dict[str, str]) -> str | None:
    """The setup whose text model the test id names (the longest that fits), else the provider's name."""
    txt = text_model(test_id)
    if not txt:
        return None
    fits = [m for m in setups if txt == m or txt.startswith(m + "-")]
    if fits:
        return setups[max(fits, key=len)]
    return txt.split("/", 1)[0] if "/" in txt else None


def load_setups(root: Path) -> dict[str, str]:
    """{a setup's text model ('provider/model'): the setup's name}, from suites.py under `root` (may be empty)."""
    for rel in _SUITES:
        path = root / rel
        try:
            if not path.is_file() or path.stat().st_size > _MAX_SUITES_BYTES:
                continue
            tree = ast.parse(path.read_text("utf-8", "replace"))
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        return _setups_in(tree)
    return {}


def _setups_in(tree: ast.AST) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Setup"):
            continue
        fields = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        name = fields.get("name")
        defaults = fields.get("defaults")
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and isinstance(defaults, ast.Dict)):
            continue
        for key, value in zip(defaults.keys, defaults.values, strict=False):
            if (isinstance(key, ast.Constant) and key.value == "text_model"
                    and isinstance(value, ast.Constant) and isinstance(value.value, str)):
                out.setdefault(value.value, name.value)
    return out


def is_checkout_test(test_id: str | None) -> bool:
    return bool(test_id) and str(test_id).startswith("tests/integration/") and "::" in str(test_id)


def rerecord_commands(test_ids: Iterable[str | None], setups: dict[str, str]) -> list[str]:
    """One command per (setup, test file), its pattern naming every missed test function of that file."""
    groups: dict[tuple[str, str], list[str]] = {}
    for tid in test_ids:
        if not is_checkout_test(tid):
            continue
        file, func, _ = test_parts(tid)
        func = func.rsplit("::", 1)[-1]      # a method of a test class: -k takes the name alone
        setup = setup_for(tid, setups) or ""
        funcs = groups.setdefault((setup, file), [])
        if func and func not in funcs:
            funcs.append(func)
    out = []
    for (setup, file), funcs in groups.items():
        parts = [_SCRIPT, "--stack-config", "server:ci-tests"]
        if setup:
            parts += ["--setup", setup]
        parts += ["--file", file]
        if funcs:
            parts += ["--pattern", " or ".join(funcs)]
        parts += ["--inference-mode", "record-if-missing"]
        out.append(" ".join(shlex.quote(p) for p in parts))
    return out
