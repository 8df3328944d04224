"""The one table helper, in each of its formats: text, Markdown and HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocate.report.markup import Markup, element
from allocate.report.table import html_table, markdown_table, text_table

HEADERS = ["member", "band", "award"]
ROWS = [["Luton Advice", "medium", "£117,623.76"], ["Harpur", "small", "£17.00"]]

_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_rows = st.integers(1, 4).flatmap(
    lambda n: st.lists(st.lists(_cell, min_size=n, max_size=n), max_size=8).map(
        lambda rows: (n, rows)
    )
)


class _Cells(HTMLParser):
    """Each row of a table as (its class, its cells as (tag, class, text))."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str | None, list[tuple[str, str | None, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append((dict(attrs).get("class"), []))
        elif tag in ("td", "th"):
            self.rows[-1][1].append((tag, dict(attrs).get("class"), ""))

    def handle_data(self, data: str) -> None:
        if self.rows and self.rows[-1][1]:
            tag, cls, text = self.rows[-1][1][-1]
            self.rows[-1][1][-1] = (tag, cls, text + data)


def _cells(html: str) -> list[tuple[str | None, list[tuple[str, str | None, str]]]]:
    parser = _Cells()
    parser.feed(html)
    parser.close()
    return parser.rows


# -- Markdown --------------------------------------------------------------------------------


@given(_rows)
def test_markdown_table_has_a_header_a_rule_and_a_line_a_row(shape: tuple) -> None:
    n, rows = shape
    headers = [f"h{i}" for i in range(n)]
    lines = markdown_table(headers, rows).split("\n")
    assert len(lines) == len(rows) + 2
    assert lines[0] == "| " + " | ".join(headers) + " |"
    assert lines[1].count("---") == n
    for line, row in zip(lines[2:], rows, strict=True):
        assert line.startswith("| ") and line.endswith(" |")
        assert line[2:-2] == " | ".join(row)


# -- text ------------------------------------------------------------------------------------


def test_text_table_pads_to_the_widths_and_aligns_numbers_right() -> None:
    widths = [14, 8, 13]
    lines = text_table(ROWS, widths=widths, numeric=[2], indent="  ")
    for line, row in zip(lines, ROWS, strict=True):
        assert line.startswith("  ")
        name, band, award = line[2 : 2 + 14], line[17 : 17 + 8], line[26:]
        assert (name.rstrip(), band.rstrip(), award.lstrip()) == tuple(row)
        assert len(award) == widths[2]  # right-aligned: padding on the left
    assert len({len(line) for line in lines}) == 1  # the columns line up


def test_text_table_keeps_a_long_cell_whole() -> None:
    (line,) = text_table([["a" * 10, "b"]], widths=[4, 3])
    assert line == "a" * 10 + " " + "b  "


def test_text_table_separators_one_per_gap() -> None:
    (line,) = text_table([["a", "b", "c"]], widths=[1, 1, 1], sep=["|", " :: "])
    assert line == "a|b :: c"


# -- HTML ------------------------------------------------------------------------------------


@given(_rows)
def test_html_table_cells_read_back_as_given(shape: tuple) -> None:
    n, rows = shape
    headers = [f"<h{i}>" for i in range(n)]
    parsed = _cells(html_table(headers, rows, numeric=[n - 1]))
    assert [text for _, _, text in parsed[0][1]] == headers
    assert [[text for _, _, text in cells] for _, cells in parsed[1:]] == rows


def test_html_table_marks_numeric_columns_in_head_and_body() -> None:
    parsed = _cells(html_table(HEADERS, ROWS, numeric=[2]))
    for _, cells in parsed:
        assert [cls for _, cls, _ in cells] == [None, None, "n"]
    assert [tag for tag, _, _ in parsed[0][1]] == ["th"] * 3


@pytest.mark.parametrize("max_rows", [0, 1, 2, 5, None])
def test_html_table_cut_short_says_how_many_more(max_rows: int | None) -> None:
    rows = [[f"m{i}", "x", str(i)] for i in range(5)]
    parsed = _cells(html_table(HEADERS, rows, max_rows=max_rows))
    shown = len(rows) if max_rows is None else min(max_rows, len(rows))
    body = parsed[1:]
    assert [cells[0][2] for _, cells in body[:shown]] == [r[0] for r in rows[:shown]]
    hidden = len(rows) - shown
    if hidden:
        cls, (more,) = body[-1]
        assert cls == "more"
        assert f"and {hidden} more row{'s' if hidden > 1 else ''}" in more[2]
        assert len(body) == shown + 1
    else:
        assert len(body) == shown


def test_html_table_row_classes_and_markup_cells() -> None:
    bar = element("div", "", class_="bar")
    rows = [["a", "1", bar], ["b", "2", "<div>"]]
    html = html_table(HEADERS, rows, row_classes=["", "none"])
    assert [cls for cls, _ in _cells(html)[1:]] == [None, "none"]
    assert bar in html  # markup is kept as markup
    assert "&lt;div&gt;" in html  # text is escaped
    assert isinstance(html, Markup)
