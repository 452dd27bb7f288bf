"""The column layout `ls` prints: widths, shrinking to a terminal, folding, alignment."""

from __future__ import annotations

from rich.cells import cell_len

from cassette_tui.rich_columns import MIN_FLEX, Column, column_widths, columns_text, plain_lines

COLS = (Column("id"), Column("test", flex=3), Column("model", flex=1), Column("size", right=True))
ROWS = [
    ("aaaa", "tests/x.py::test_one[txt=openai/gpt-4o]", "gpt-4o", "1.2K"),
    ("bbbb", "short", "a-rather-long-model-name", "13.9K"),
]


def test_natural_widths_without_a_limit() -> None:
    assert column_widths(COLS, ROWS, None) == [4, 39, 24, 5]
    assert columns_text(COLS, ROWS).plain.splitlines() == [
        "id    test                                     model                      size",
        "aaaa  tests/x.py::test_one[txt=openai/gpt-4o]  gpt-4o                     1.2K",
        "bbbb  short                                    a-rather-long-model-name  13.9K",
    ]


def test_flexible_columns_shrink_by_their_share_and_fold() -> None:
    assert column_widths(COLS, ROWS, 60) == [4, 33, 11, 5]    # fixed ones kept; test gets 3 shares to model's 1
    assert columns_text(COLS, ROWS, width=60).plain.splitlines() == [
        "id    test                               model         size",
        "aaaa  tests/x.py::test_one[txt=openai/g  gpt-4o        1.2K",
        "      pt-4o]",
        "bbbb  short                              a-rather-lo  13.9K",
        "                                         ng-model-na",
        "                                         me",
    ]


def test_a_column_that_needs_less_than_its_share_keeps_its_width() -> None:
    # 50 - 3 gaps - id 2 - size 4 = 38 for the two; model needs 5 (its share would be 9): test gets the other 33
    assert column_widths(COLS, [("a", "t" * 100, "m", "1K")], 50) == [2, 33, 5, 4]


def test_too_narrow_keeps_a_minimum_and_never_a_trailing_blank() -> None:
    widths = column_widths(COLS, ROWS, 10)
    assert widths[1] == widths[2] == MIN_FLEX
    lines = columns_text(COLS, [("x", "", "", ""), ("y", "t" * 20, "", "")], width=10).plain.splitlines()
    assert lines[1] == "x" and not any(line.endswith(" ") for line in lines)
    assert all(cell_len(line) <= 4 + 2 + MIN_FLEX for line in lines[2:])


def test_cells_are_text_not_markup() -> None:
    text = columns_text(COLS, [("[bold]x[/bold]", "[red]t[/red]", "m", "1")])
    assert "[bold]x[/bold]" in text.plain and "[red]t[/red]" in text.plain
    start = text.plain.index("[bold]x[/bold]")
    assert not [span for span in text.spans if span.start <= start < span.end]   # no style came of it


def test_plain_lines_are_what_rich_prints_into_a_pipe() -> None:
    """`ls` into a pipe skips Rich (10x faster at 100k rows): the bytes must not change."""
    import io

    from rich.console import Console

    rows = [*ROWS,
            ("cccc", "wide 測試 text", "", ""),                       # wide characters, empty trailing cells
            ("dd", "bell\x07 and cr\r kept out", "m\x08", "7B"),     # controls Rich drops from appended text
            ("", "", "", ""),
            ("e\u0301", "combining", "x" * 30, "100.0M")]
    buf = io.StringIO()
    Console(file=buf, soft_wrap=True, color_system=None, highlight=False).print(columns_text(COLS, rows, header=False))
    assert "\n".join(plain_lines(COLS, rows)) + "\n" == buf.getvalue()
