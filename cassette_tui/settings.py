"""Settings that persist between runs: theme, key overrides, default layout, sort and grouping.

One JSON file in the user's config directory (`$XDG_CONFIG_HOME/cassette-tui/settings.json`,
`~/.config/...` by default, or `$CASSETTE_TUI_CONFIG_DIR`), written when a setting
changes in the TUI and never before. A file that cannot be read or holds wrong values
gives one warning and the defaults for what is wrong; the rest is kept.

    {"theme": "textual-dark", "layout": "split", "sort": "path", "reverse": false,
     "grouped": false, "keymap": {"filter": "f", "explain": "E"}}

`keymap` maps binding ids (listed in the help screen's source, `tui/app.py`) to keys,
as Textual's keymaps do. Pure: no Textual, no Rich.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

LAYOUTS = ("split", "list-only", "detail-only")
MAX_BYTES = 64 * 1024


@dataclass
class Settings:
    theme: str | None = None
    layout: str = "split"
    sort: str = "path"
    reverse: bool = False
    grouped: bool = False
    keymap: dict[str, str] = field(default_factory=dict)


def settings_file() -> Path:
    from .cache import user_dir

    override = os.environ.get("CASSETTE_TUI_CONFIG_DIR")
    return (Path(override) if override else user_dir("config")) / "settings.json"


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """(the settings, a warning when the file could not be read or held wrong values)."""
    path = path or settings_file()
    out = Settings()
    try:
        if not path.exists():
            return out, None
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return out, f"settings ignored: {path} is not a small file"
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return out, f"settings ignored: {path}: {exc}"
    if not isinstance(raw, dict):
        return out, f"settings ignored: {path} does not hold a JSON object"
    wrong = []
    checks = {
        "theme": lambda v: isinstance(v, str) and 0 < len(v) < 100,
        "layout": lambda v: v in LAYOUTS,
        "sort": lambda v: isinstance(v, str) and 0 < len(v) < 30,     # the TUI checks it against its sort keys
        "reverse": lambda v: isinstance(v, bool),
        "grouped": lambda v: isinstance(v, bool),
        "keymap": lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) and 0 < len(x) < 100 for k, x in v.items()),
    }
    for key, value in raw.items():
        check = checks.get(key)
        if check is None or not check(value):
            wrong.append(key)
            continue
        setattr(out, key, value)
    return out, (f"settings: {path}: ignored {', '.join(repr(w) for w in wrong)} (wrong name or value)" if wrong else None)


def save_settings(settings: Settings, path: Path | None = None) -> str | None:
    """Write the settings (atomically); a warning when that was not possible."""
    path = path or settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        return f"settings not saved: {path}: {exc.strerror or exc}"
    return None
