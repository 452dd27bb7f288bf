"""Run the real app on the bundled demo recordings and write SVG screenshots of its main screens.

    python scripts/screenshots.py [OUT_DIR]      (default: screenshots/)

Each shot is the app as a user sees it after pressing the keys listed below.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cassette_tui.tui.app import CassetteApp  # noqa: E402
from cassette_tui.tui.recording_list import RecordingList  # noqa: E402
from cassette_tui.tui.testing import settle  # noqa: E402

DEMO = ROOT / "cassette_tui" / "demo"
SIZE = (170, 46)
GPT4O = "responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
TURN2 = "responses/recordings/8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82.json"

NARROW = (80, 24)

# name -> (keys pressed after the list loads, recording to select first, or None); "__fold_first__"
# puts the cursor on the first test's header (grouped view)
SHOTS: dict[str, tuple[list[str], str | None]] = {
    "list-filter": (["slash", *"has:tools -kind:tool", "enter"], None),
    "list-80x24": ([], GPT4O),
    "grouped": (["t", "__fold_first__", "enter", "__select_gpt4o__"], GPT4O),
    "search": (["enter", "4", "slash", *"user_id", "enter", "n"], GPT4O),
    "conversation": ([], GPT4O),
    "stream": (["2"], GPT4O),
    "timeline": (["3", "G"], GPT4O),
    "diff": (["m", "__select_turn2__", "m", "d"], GPT4O),
    "help": (["question_mark"], None),
}


async def shoot(root: Path, name: str, keys: list[str], select: str | None, out: Path) -> Path:
    app = CassetteApp(root, watch=False, label="demo/")
    async with app.run_test(size=NARROW if "80x24" in name else SIZE) as pilot:
        await settle(pilot)
        lst = app.query_one(RecordingList)
        if select:
            lst.cursor = lst.index_of(select)
            await settle(pilot)
        for key in keys:
            if key == "__select_turn2__":
                lst.cursor = lst.index_of(TURN2)
            elif key == "__select_gpt4o__":
                lst.cursor = lst.index_of(GPT4O)
            elif key == "__fold_first__":
                lst.cursor = next(i for i, r in enumerate(lst.rows) if r.summary is None and r.depth == 1)
            elif key == "G":
                app.query_one("#detail").view(app.query_one("#detail").active).scroll_end(animate=False)
            else:
                await pilot.press(key)
            await settle(pilot)
        path = out / f"{name}.svg"
        app.save_screenshot(str(path))
        return path


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CASSETTE_TUI_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["CASSETTE_TUI_CONFIG_DIR"] = str(Path(tmp) / "config")   # the defaults, not the user's settings
        root = Path(tmp) / "demo"
        shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("*.md"))
        for name, (keys, select) in SHOTS.items():
            print(await shoot(root, name, keys, select, out))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "screenshots"))
